package io.runnerfleet.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Frame;
import io.runnerfleet.BackendUnavailableException;
import io.runnerfleet.RunnerFleetException;
import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Docker engine connection as the backend's parts share it: every call goes through
 * {@link #call}, which refuses after close and turns docker-java's failures into Runner Fleet's
 * exceptions, named after the endpoint.
 */
final class Engine {
    /** The backend's parts all log under the backend's name, the one users configure. */
    static final Logger LOG = LoggerFactory.getLogger("io.runnerfleet.docker.DockerBackend");
    private static final Duration HANDOFF_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern ENGINE_MESSAGE = Pattern.compile("\\{\"message\":\"(.*)\"\\}\\s*$", Pattern.DOTALL);

    private final DockerClient client;
    private final String endpoint;
    private final AtomicBoolean closed = new AtomicBoolean();

    Engine(DockerClient client, String endpoint) {
        this.client = client;
        this.endpoint = endpoint;
    }

    DockerClient client() {
        return client;
    }

    String endpoint() {
        return endpoint;
    }

    boolean isClosed() {
        return closed.get();
    }

    /** Refuses further calls; true for the first caller only, who then {@linkplain #disconnect() disconnects}. */
    boolean markClosed() {
        return closed.compareAndSet(false, true);
    }

    void disconnect() {
        try {
            client.close();
        } catch (IOException e) {
            LOG.debug("closing the Docker client failed: {}", e.toString());
        }
    }

    /** Runs an engine call, turning transport failures into {@link BackendUnavailableException}. */
    <T> T call(String what, Supplier<T> action) {
        if (closed.get()) {
            throw new IllegalStateException("DockerBackend for " + endpoint + " is closed");
        }
        try {
            return action.get();
        } catch (RunnerFleetException e) {
            throw e;
        } catch (DockerException e) {
            String reason = engineReason(e);
            throw new DockerEngineException("the Docker engine at " + endpoint + " refused to " + what + ": " + reason,
                    e.getHttpStatus(), reason, e);
        } catch (RuntimeException e) {
            if (causedByIo(e)) {
                throw new BackendUnavailableException("cannot " + what + ": no Docker engine answers at " + endpoint
                        + " (" + rootMessage(e) + "). Start Docker ('sudo systemctl start docker', or"
                        + " 'sudo dockerd &'), or point DOCKER_HOST at a running engine", e);
            }
            throw e;
        }
    }

    InspectContainerResponse inspectOrNull(String idOrName) {
        return call("inspect container " + idOrName, () -> {
            try {
                return client.inspectContainerCmd(idOrName).exec();
            } catch (NotFoundException e) {
                return null;
            }
        });
    }

    /**
     * Starts the container and writes the hand-over payload to its stdin. The prelude blocks on stdin,
     * so starting first and attaching second cannot lose the payload.
     */
    void startWithHandoff(String id, byte[] payload) {
        call("start container " + shortId(id), () -> {
            try {
                client.startContainerCmd(id).exec();
            } catch (NotModifiedException alreadyRunning) {
                return null;
            }
            // The transport copies this stream to the engine until EOF; EOF means every byte was written.
            CountDownLatch written = new CountDownLatch(1);
            CountDownLatch ended = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            InputStream in = new FilterInputStream(new ByteArrayInputStream(payload)) {
                @Override
                public int read() throws IOException {
                    int b = super.read();
                    if (b < 0) {
                        written.countDown();
                    }
                    return b;
                }

                @Override
                public int read(byte[] buf, int off, int len) throws IOException {
                    int n = super.read(buf, off, len);
                    if (n < 0) {
                        written.countDown();
                    }
                    return n;
                }
            };
            ResultCallback.Adapter<Frame> callback = new ResultCallback.Adapter<>() {
                @Override
                public void onError(Throwable t) {
                    failure.set(t);
                    ended.countDown();
                }

                @Override
                public void onComplete() {
                    ended.countDown();
                }
            };
            client.attachContainerCmd(id).withStdIn(in).withFollowStream(true)
                    .withStdOut(false).withStdErr(false).exec(callback);
            try {
                long deadline = System.nanoTime() + HANDOFF_TIMEOUT.toNanos();
                while (written.getCount() > 0 && ended.getCount() > 0 && System.nanoTime() < deadline) {
                    written.await(50, TimeUnit.MILLISECONDS);
                }
                if (written.getCount() > 0) {
                    throw new RunnerFleetException("could not hand the secrets of container " + shortId(id)
                            + " over its stdin within " + HANDOFF_TIMEOUT.toSeconds() + " s (engine " + endpoint + ")"
                            + (failure.get() == null ? "" : ": " + failure.get().getMessage())
                            + "; does the image have /bin/sh? Start the runner again");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RunnerFleetException("interrupted while handing secrets to container " + shortId(id), e);
            } finally {
                // Closing the attach ends stdin (StdinOnce); the prelude has read what it needs by then.
                closeQuietly(callback);
            }
            return null;
        });
    }

    static String shortId(String id) {
        return id != null && id.length() > 12 ? id.substring(0, 12) : id;
    }

    static void closeQuietly(Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException | RuntimeException ignored) {
                // Closing a finished stream has nothing left to report.
            }
        }
    }

    static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }

    // docker-java puts "Status 500: {\"message\":\"...\"}" in the message; keep the engine's words.
    private static String engineReason(DockerException e) {
        String m = e.getMessage() == null ? "" : e.getMessage().strip();
        Matcher json = ENGINE_MESSAGE.matcher(m);
        if (json.find()) {
            return json.group(1).replace("\\\"", "\"");
        }
        return m;
    }

    private static boolean causedByIo(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof IOException || c instanceof UncheckedIOException) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }
}
