package io.runnerfleet.docker;

import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.runnerfleet.BackendUnavailableException;
import io.runnerfleet.InvalidSpecException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How to reach one Docker engine, as the backends' builders collect it: endpoint, TLS and connect
 * timeout, each unset part taken from the environment ({@code DOCKER_HOST}, {@code DOCKER_TLS_VERIFY},
 * {@code DOCKER_CERT_PATH}) when {@link #connect()} runs. Mutable, for one builder's use only.
 */
final class EngineSettings {
    private String dockerHost;
    private Boolean tlsVerify;
    private Path certPath;
    private Duration connectTimeout = Duration.ofSeconds(10);

    /** Checks and keeps the endpoint: {@code unix://…} or {@code tcp://…}. */
    void dockerHost(String dockerHost) {
        URI uri;
        try {
            uri = URI.create(Objects.requireNonNull(dockerHost, "dockerHost"));
        } catch (IllegalArgumentException e) {
            throw new InvalidSpecException("Docker host '" + dockerHost + "' is not a URI; use unix:///var/run/docker.sock or tcp://host:2376", e);
        }
        if (!"unix".equals(uri.getScheme()) && !"tcp".equals(uri.getScheme())) {
            throw new InvalidSpecException("Docker host '" + dockerHost + "' must start with unix:// or tcp://");
        }
        this.dockerHost = dockerHost;
    }

    void tlsVerify(boolean tlsVerify) {
        this.tlsVerify = tlsVerify;
    }

    void certPath(Path certPath) {
        this.certPath = Objects.requireNonNull(certPath, "certPath");
    }

    void connectTimeout(Duration connectTimeout) {
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
    }

    /**
     * A client for these settings; it does not talk to the engine yet.
     *
     * @throws BackendUnavailableException when the settings (or the environment's) are not usable
     */
    Engine connect() {
        DefaultDockerClientConfig.Builder config = DefaultDockerClientConfig.createDefaultConfigBuilder();
        if (dockerHost != null) {
            config.withDockerHost(dockerHost);
        }
        if (tlsVerify != null) {
            config.withDockerTlsVerify(tlsVerify);
        }
        if (certPath != null) {
            config.withDockerCertPath(certPath.toString());
        }
        DefaultDockerClientConfig built;
        try {
            built = config.build();
        } catch (RuntimeException e) {
            throw new BackendUnavailableException("the Docker connection settings are invalid (DOCKER_HOST="
                    + (dockerHost != null ? dockerHost : System.getenv("DOCKER_HOST")) + "): " + e.getMessage()
                    + "; use unix:///var/run/docker.sock or tcp://host:2376 with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH", e);
        }
        ZerodepDockerHttpClient http = new ZerodepDockerHttpClient.Builder()
                .dockerHost(built.getDockerHost())
                .sslConfig(built.getSSLConfig())
                .connectionTimeout(connectTimeout)
                .maxConnections(64)
                .build();
        return new Engine(DockerClientImpl.getInstance(built, http), built.getDockerHost().toString());
    }
}
