package io.runnerfleet.github;

import io.runnerfleet.Secret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * Receives {@code workflow_job} webhook deliveries: checks {@code X-Hub-Signature-256} (HMAC-SHA256 of
 * the raw body with the hook's secret, compared in constant time) and parses the body.
 *
 * <pre>{@code
 * WorkflowJobWebhook hook = WorkflowJobWebhook.withSecret(Secret.of(System.getenv("WEBHOOK_SECRET")));
 * try {
 *     WorkflowJobEvent event = hook.parse(rawBody, signatureHeader);
 * } catch (WebhookException e) {
 *     respond(e.signatureProblem() ? 401 : 400);
 * }
 * }</pre>
 *
 * <p>Verify the bytes exactly as received: re-serialized JSON has another signature. Thread-safe.
 */
public final class WorkflowJobWebhook {
    private static final String PREFIX = "sha256=";
    private final Secret secret;

    private WorkflowJobWebhook(Secret secret) {
        this.secret = secret;
    }

    /** A receiver for deliveries signed with {@code secret}. */
    public static WorkflowJobWebhook withSecret(Secret secret) {
        return new WorkflowJobWebhook(Objects.requireNonNull(secret, "secret"));
    }

    /**
     * Checks the signature of a delivery.
     *
     * @param body the raw body
     * @param signatureHeader the {@code X-Hub-Signature-256} header, {@code sha256=<64 hex digits>}; a missing one
     *                        is a {@link WebhookException}
     * @throws WebhookException when the header is missing, malformed or does not match
     */
    public void verify(byte[] body, @Nullable String signatureHeader) {
        Objects.requireNonNull(body, "body");
        if (signatureHeader == null || signatureHeader.isBlank()) {
            throw new WebhookException("the delivery has no X-Hub-Signature-256 header; set a secret on the webhook"
                    + " so that GitHub signs its deliveries", true);
        }
        String header = signatureHeader.trim();
        if (!header.startsWith(PREFIX) || header.length() != PREFIX.length() + 64) {
            throw new WebhookException("X-Hub-Signature-256 is malformed: expected 'sha256=' and 64 hex digits", true);
        }
        byte[] given;
        try {
            given = HexFormat.of().parseHex(header.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new WebhookException("X-Hub-Signature-256 is malformed: the digest is not hex", true);
        }
        byte[] expected = hmac(body);
        if (!MessageDigest.isEqual(expected, given)) {
            throw new WebhookException("X-Hub-Signature-256 does not match the body: the webhook secret differs"
                    + " or the body was changed on the way", true);
        }
    }

    /** Checks the signature (a missing header is a {@link WebhookException}), then parses the delivery. */
    public WorkflowJobEvent parse(byte[] body, @Nullable String signatureHeader) {
        verify(body, signatureHeader);
        return WorkflowJobEvent.parse(body);
    }

    /** The header GitHub would send for {@code body}: {@code sha256=<hex>} (for tests and replays). */
    public String sign(byte[] body) {
        return PREFIX + HexFormat.of().formatHex(hmac(body));
    }

    private byte[] hmac(byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.reveal().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no HmacSHA256", e);
        }
    }

    /** {@code WorkflowJobWebhook[secret ****]}. */
    @Override
    public String toString() {
        return "WorkflowJobWebhook[secret ****]";
    }
}
