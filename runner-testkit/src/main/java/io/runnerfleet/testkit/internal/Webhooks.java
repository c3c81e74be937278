package io.runnerfleet.testkit.internal;

import io.runnerfleet.Secret;
import io.runnerfleet.testkit.WebhookDelivery;
import io.runnerfleet.testkit.internal.Model.Installation;
import io.runnerfleet.testkit.internal.Model.Job;
import java.io.IOException;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The fake's webhooks: {@code workflow_job} events of the {@link Engine}'s jobs, signed and posted on
 * their own daemon thread, and a record of every delivery.
 */
public final class Webhooks {
    private final Engine e;
    private final List<Hook> hooks = new CopyOnWriteArrayList<>();
    private final List<WebhookDelivery> deliveries = new CopyOnWriteArrayList<>();
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fake-github-webhooks");
        t.setDaemon(true);
        return t;
    });

    record Hook(long id, URI url, Secret secret) {
    }

    Webhooks(Engine engine) {
        this.e = engine;
    }

    /** Adds a webhook for {@code workflow_job} events; returns its id. */
    public long add(URI url, Secret secret) {
        long id = e.nextId();
        hooks.add(new Hook(id, url, secret));
        return id;
    }

    /** Every delivery so far, oldest first. */
    public List<WebhookDelivery> deliveries() {
        return List.copyOf(deliveries);
    }

    /** Sends a {@code workflow_job} event of job {@code j} to every webhook; called holding the engine's monitor. */
    void deliver(Job j, String action) {
        if (hooks.isEmpty() || sender.isShutdown()) {
            return;
        }
        Long installationId = null;
        for (Installation inst : e.installations.values()) {
            if (inst.org() == j.repo.owner) {
                installationId = inst.id();
            }
        }
        String body = Json.write(e.shapes.webhook(j, action, installationId));
        for (Hook h : hooks) {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("User-Agent", "GitHub-Hookshot/fake");
            headers.put("Content-Type", "application/json");
            headers.put("X-GitHub-Event", "workflow_job");
            headers.put("X-GitHub-Delivery", UUID.randomUUID().toString());
            headers.put("X-GitHub-Hook-ID", String.valueOf(h.id()));
            headers.put("X-GitHub-Hook-Installation-Target-ID", String.valueOf(j.repo.owner.id));
            headers.put("X-GitHub-Hook-Installation-Target-Type", "organization");
            headers.put("X-Hub-Signature-256", "sha256=" + hmac(h.secret(), body));
            sender.execute(() -> post(h.url(), headers, body, action));
        }
    }

    static String hmac(Secret secret, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.reveal().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    private void post(URI url, Map<String, String> headers, String body, String action) {
        int code = -1;
        try {
            HttpURLConnection c = (HttpURLConnection) url.toURL().openConnection();
            c.setConnectTimeout(5000);
            c.setReadTimeout(10000);
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            headers.forEach(c::setRequestProperty);
            try (OutputStream out = c.getOutputStream()) {
                out.write(body.getBytes(StandardCharsets.UTF_8));
            }
            code = c.getResponseCode();
            c.disconnect();
        } catch (IOException e) {
            code = -1;
        }
        deliveries.add(new WebhookDelivery("workflow_job", action, headers, body, code));
    }

    /** Stops delivery after the queued ones. */
    void close() {
        sender.shutdown();
        try {
            sender.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sender.shutdownNow();
    }
}
