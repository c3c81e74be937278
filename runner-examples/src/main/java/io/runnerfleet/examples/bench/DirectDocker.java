package io.runnerfleet.examples.bench;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.RestartPolicy;
import com.github.dockerjava.api.model.Volume;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.runnerfleet.docker.DockerBackend;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The benchmarks' references, straight on docker-java with nothing of the library in between: the
 * fair floor's runners and the {@code runner.sh} emulation's containers. Every container carries the
 * fleet label of its run ({@link DockerBackend#FLEET_LABEL}), so the leak check finds what a run left.
 * Docker types stay in this class.
 */
final class DirectDocker implements AutoCloseable {
    private static final Duration HANDOFF = Duration.ofSeconds(30);

    private final DockerClient client;

    DirectDocker() {
        DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder().build();
        client = DockerClientImpl.getInstance(config, new ZerodepDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost()).sslConfig(config.getSSLConfig()).maxConnections(64).build());
    }

    /**
     * A container's settings.
     *
     * @param script what {@code /bin/sh -c} runs in the image's working directory
     * @param volume a named volume mounted at {@code mountPath}, or null
     * @param restartUnlessStopped Docker restarts it whenever it exits, with its growing back-off
     * @param stdin whether the script reads a hand-over from stdin
     */
    record Spec(String fleet, String name, String image, String script, String volume, String mountPath,
                boolean restartUnlessStopped, boolean stdin) {
    }

    /** Creates the container (host network, like the library's default); returns its id. */
    String create(Spec spec) {
        HostConfig host = HostConfig.newHostConfig().withNetworkMode("host")
                .withRestartPolicy(spec.restartUnlessStopped() ? RestartPolicy.unlessStoppedRestart()
                        : RestartPolicy.noRestart());
        if (spec.volume() != null) {
            host.withBinds(new Bind(spec.volume(), new Volume(spec.mountPath())));
        }
        CreateContainerCmd create = client.createContainerCmd(spec.image()).withName(spec.name())
                .withLabels(Map.of(DockerBackend.FLEET_LABEL, spec.fleet()))
                .withEntrypoint("/bin/sh", "-c", spec.script()).withCmd(List.of())
                .withTty(false).withHostConfig(host);
        if (spec.stdin()) {
            create.withStdinOpen(true).withStdInOnce(true).withAttachStdin(true);
        }
        return create.exec().getId();
    }

    void start(String id) {
        client.startContainerCmd(id).exec();
    }

    /**
     * Starts the container and writes {@code payload} to its stdin, as the library's Docker backend
     * hands a runner its registration: the script blocks reading stdin, so starting first loses nothing.
     */
    void startWithStdin(String id, String payload) {
        client.startContainerCmd(id).exec();
        CountDownLatch written = new CountDownLatch(1);
        InputStream in = new FilterInputStream(new ByteArrayInputStream(payload.getBytes(StandardCharsets.UTF_8))) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n < 0) {
                    written.countDown();
                }
                return n;
            }

            @Override
            public int read() throws IOException {
                int n = super.read();
                if (n < 0) {
                    written.countDown();
                }
                return n;
            }
        };
        ResultCallback.Adapter<Frame> callback = client.attachContainerCmd(id).withStdIn(in).withFollowStream(true)
                .withStdOut(false).withStdErr(false).exec(new ResultCallback.Adapter<>() {
                    @Override
                    public void onError(Throwable t) {
                        // Closing the attach once stdin is written ends it this way; the script has its input.
                    }
                });
        try {
            if (!written.await(HANDOFF.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("could not write the registration to container " + id + " within "
                        + HANDOFF + "; is the engine overloaded?");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted handing the registration to container " + id, e);
        } finally {
            try {
                callback.close();
            } catch (IOException e) {
                // the stream is done with either way
            }
        }
    }

    /** Whether the container exited (or is gone); a restarting one has not. */
    boolean exited(String id) {
        try {
            var state = client.inspectContainerCmd(id).exec().getState();
            return "exited".equals(state.getStatus()) || "dead".equals(state.getStatus());
        } catch (NotFoundException e) {
            return true;
        }
    }

    /** The exit code of an exited container. */
    long exitCode(String id) {
        Long code = client.inspectContainerCmd(id).exec().getState().getExitCodeLong();
        return code == null ? -1 : code;
    }

    /** How often Docker restarted the container so far. */
    int restarts(String id) {
        Integer n = client.inspectContainerCmd(id).exec().getRestartCount();
        return n == null ? 0 : n;
    }

    void createVolume(String volume, String fleet) {
        client.createVolumeCmd().withName(volume).withLabels(Map.of(DockerBackend.FLEET_LABEL, fleet)).exec();
    }

    /** Removes every container and volume labelled with {@code fleet}; returns how many containers it found. */
    int removeFleet(String fleet) {
        List<Container> containers = client.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(DockerBackend.FLEET_LABEL, fleet)).exec();
        for (Container c : containers) {
            try {
                client.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
            } catch (NotFoundException gone) {
                // removed meanwhile
            }
        }
        var volumes = client.listVolumesCmd().withFilter("label", List.of(DockerBackend.FLEET_LABEL + "=" + fleet))
                .exec().getVolumes();
        for (var v : volumes == null ? new ArrayList<com.github.dockerjava.api.command.InspectVolumeResponse>() : volumes) {
            try {
                client.removeVolumeCmd(v.getName()).exec();
            } catch (NotFoundException gone) {
                // removed meanwhile
            }
        }
        return containers.size();
    }

    /** Removes one container, whatever its state. */
    void remove(String id) {
        try {
            client.removeContainerCmd(id).withForce(true).exec();
        } catch (NotFoundException gone) {
            // removed meanwhile
        }
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }
}
