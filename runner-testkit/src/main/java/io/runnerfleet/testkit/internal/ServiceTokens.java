package io.runnerfleet.testkit.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The Actions service's bearer tokens: the admin token that {@code runner-registration} returns and the
 * message-queue token of a session. Both are JWTs with {@code exp}, because clients read {@code exp}
 * (without checking the signature) to decide when to refresh. Signed HS256 with a key of this fake,
 * so a client cannot forge or edit one; {@link #verify} checks signature, kind and expiry.
 */
final class ServiceTokens {
    static final String ADMIN = "admin";
    static final String QUEUE = "queue";

    private final byte[] key = new byte[32];

    ServiceTokens() {
        new SecureRandom().nextBytes(key);
    }

    /** A signed token of {@code kind} valid from {@code now} for {@code lifetime}, with extra claims. */
    String mint(String kind, Instant now, Duration lifetime, Map<String, Object> claims) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", "HS256");
        header.put("typ", "JWT");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("iss", "fake-github-actions");
        body.put("aud", kind.equals(ADMIN) ? "actions-service" : "actions-broker");
        body.put("kind", kind);
        body.putAll(claims);
        body.put("nbf", now.getEpochSecond());
        body.put("iat", now.getEpochSecond());
        body.put("exp", now.plus(lifetime).getEpochSecond());
        String unsigned = b64(Json.write(header)) + "." + b64(Json.write(body));
        return unsigned + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(sign(unsigned));
    }

    /** Why a token was refused. */
    static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The claims of a token of {@code kind} that is still valid at {@code now}.
     *
     * @throws Refused when it is malformed, forged, of another kind or expired
     */
    @SuppressWarnings("unchecked")
    Map<String, Object> verify(String token, String kind, Instant now) {
        String[] parts = token == null ? new String[0] : token.split("\\.");
        if (parts.length != 3) {
            throw new Refused("the bearer token is not a JWT");
        }
        byte[] signature;
        Map<String, Object> claims;
        try {
            signature = Base64.getUrlDecoder().decode(parts[2]);
            claims = (Map<String, Object>) Json.parse(new String(Base64.getUrlDecoder().decode(parts[1]),
                    StandardCharsets.UTF_8));
        } catch (IllegalArgumentException | ClassCastException | Json.MalformedJsonException e) {
            throw new Refused("the bearer token is not a JWT");
        }
        if (!MessageDigest.isEqual(signature, sign(parts[0] + "." + parts[1]))) {
            throw new Refused("the bearer token was not issued by this service");
        }
        if (!kind.equals(claims.get("kind"))) {
            throw new Refused(kind.equals(QUEUE)
                    ? "this call takes the session's messageQueueAccessToken, not an admin token"
                    : "this call takes the admin token from runner-registration, not a message-queue token");
        }
        if (!(claims.get("exp") instanceof Long exp) || exp <= now.getEpochSecond()) {
            throw new Refused("the " + (kind.equals(QUEUE) ? "message queue" : "admin") + " token has expired");
        }
        return claims;
    }

    private byte[] sign(String unsigned) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(unsigned.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
