package io.runnerfleet.docker;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.BackendUnavailableException;
import io.runnerfleet.InvalidSpecException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An engine that is down gives a clear {@link BackendUnavailableException}; needs no engine itself. */
class EngineDownTest {
    @TempDir
    Path dir;

    @Test
    void aMissingUnixSocketNamesTheEndpointAndHowToStartDocker() {
        String host = "unix://" + dir.resolve("docker.sock");
        assertThatThrownBy(() -> DockerBackend.builder().dockerHost(host).build())
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining(host)
                .hasMessageContaining("Start Docker")
                .hasMessageContaining("DOCKER_HOST");
    }

    @Test
    void aClosedTcpPortNamesTheEndpoint() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String host = "tcp://127.0.0.1:" + port;
        assertThatThrownBy(() -> DockerBackend.builder().dockerHost(host).tlsVerify(false).build())
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("127.0.0.1:" + port)
                .hasMessageContaining("Start Docker");
    }

    @Test
    void aMalformedHostIsAnInvalidSpec() {
        assertThatThrownBy(() -> DockerBackend.builder().dockerHost("http://example"))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("unix://");
    }
}
