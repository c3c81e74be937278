package io.runnerfleet.github.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** Signs a GitHub App JWT with RS256 using the JDK only. */
public final class Jwt {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private Jwt() {
    }

    /**
     * A JWT for the app: issued 60 s before {@code now} against clock drift, expiring 9 minutes after
     * {@code now} (GitHub accepts at most 10 minutes from the issue time).
     */
    public static String appJwt(String issuer, PrivateKey key, Instant now) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", "RS256");
        header.put("typ", "JWT");
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iat", now.getEpochSecond() - 60);
        claims.put("exp", now.getEpochSecond() + 540);
        claims.put("iss", issuer);
        String signingInput = B64.encodeToString(Json.write(header).getBytes(StandardCharsets.UTF_8)) + "."
                + B64.encodeToString(Json.write(claims).getBytes(StandardCharsets.UTF_8));
        try {
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(key);
            signature.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + B64.encodeToString(signature.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not sign the GitHub App JWT with RS256: " + e.getClass().getSimpleName(), e);
        }
    }
}
