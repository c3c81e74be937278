package io.runnerfleet.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/** A small blocking HTTP client for tests, speaking to a {@link FakeGitHub}. */
final class Http {
    private static final OkHttpClient CLIENT = new OkHttpClient.Builder()
            .connectTimeout(Duration.ofSeconds(5)).readTimeout(Duration.ofSeconds(20)).retryOnConnectionFailure(false).build();
    private static final MediaType JSON = MediaType.get("application/json");
    private final String base;
    private String token;

    Http(String base) {
        this.base = base;
    }

    Http token(String token) {
        this.token = token;
        return this;
    }

    /** A response: status, headers and body. */
    record Resp(int status, Headers headers, String body) {
        String header(String name) {
            return headers.get(name);
        }
    }

    Resp get(String path, String... headers) {
        return send("GET", path, null, headers);
    }

    Resp send(String method, String path, String json, String... headers) {
        RequestBody body = json == null ? ("GET".equals(method) || "DELETE".equals(method) ? null : RequestBody.create(new byte[0], null))
                : RequestBody.create(json, JSON);
        Request.Builder b = new Request.Builder().url(path.startsWith("http") ? path : base + path)
                .header("Accept", "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28")
                .method(method, body);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try (Response r = CLIENT.newCall(b.build()).execute()) {
            return new Resp(r.code(), r.headers(), r.body().string());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
