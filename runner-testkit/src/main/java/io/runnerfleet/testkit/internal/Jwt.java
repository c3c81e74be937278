package io.runnerfleet.testkit.internal;

import io.runnerfleet.testkit.internal.Api.Failure;
import io.runnerfleet.testkit.internal.Model.App;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;

/** Verifies a GitHub App JWT the way GitHub does: RS256, {@code iss} an app id or client id, {@code exp} at most 10 minutes after {@code iat}. */
final class Jwt {
    private Jwt() {
    }

    @SuppressWarnings("unchecked")
    static App verify(String jwt, Map<Long, App> apps, Instant now) {
        String[] parts = jwt.split("\\.");
        if (parts.length != 3) {
            throw new Failure(401, "A JSON web token could not be decoded");
        }
        Map<String, Object> header;
        Map<String, Object> claims;
        byte[] signature;
        try {
            Base64.Decoder d = Base64.getUrlDecoder();
            header = (Map<String, Object>) Json.parse(new String(d.decode(parts[0]), StandardCharsets.UTF_8));
            claims = (Map<String, Object>) Json.parse(new String(d.decode(parts[1]), StandardCharsets.UTF_8));
            signature = d.decode(parts[2]);
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new Failure(401, "A JSON web token could not be decoded");
        }
        if (!"RS256".equals(header.get("alg"))) {
            throw new Failure(401, "A JSON web token could not be decoded: 'alg' must be RS256, got " + header.get("alg"));
        }
        Object iss = claims.get("iss");
        App app = null;
        for (App a : apps.values()) {
            if (String.valueOf(a.id()).equals(String.valueOf(iss)) || a.clientId() != null && a.clientId().equals(iss)) {
                app = a;
            }
        }
        if (app == null) {
            throw new Failure(401, "'Issuer' claim ('iss') must be an Integer or a Client ID of a registered app");
        }
        try {
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initVerify(app.key());
            s.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            if (!s.verify(signature)) {
                throw new Failure(401, "A JSON web token could not be decoded: the signature does not match the app's key");
            }
        } catch (GeneralSecurityException e) {
            throw new Failure(401, "A JSON web token could not be decoded");
        }
        if (!(claims.get("iat") instanceof Long iat) || !(claims.get("exp") instanceof Long exp)) {
            throw new Failure(401, "'iat' and 'exp' claims must be integers (seconds since the epoch)");
        }
        long nowSec = now.getEpochSecond();
        if (exp <= nowSec) {
            throw new Failure(401, "'Expiration time' claim ('exp') must be a numeric value representing the future time"
                    + " at which the assertion expires");
        }
        if (iat > nowSec + 60) {
            throw new Failure(401, "'Issued at' claim ('iat') must be an Integer representing the time that the"
                    + " assertion was issued");
        }
        if (exp - iat > 600) {
            throw new Failure(401, "'Expiration time' claim ('exp') is too far in the future");
        }
        return app;
    }
}
