package io.runnerfleet.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.DockerClientException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.BuildResponseItem;
import com.github.dockerjava.api.model.PullResponseItem;
import io.runnerfleet.RunnerFleetException;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.docker.internal.BuildContext;
import io.runnerfleet.docker.internal.BuildOutput;
import io.runnerfleet.spi.BuildProgress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Makes runner images ready on the engine: a Dockerfile image is built unless an image with the
 * same context hash is tagged already; a reference is pulled unless the engine has it.
 */
final class DockerImages {
    /** Image label holding the hash of a Dockerfile build's context and arguments. */
    static final String BUILD_HASH_LABEL = "io.runnerfleet.build-hash";

    private final Engine engine;
    private final AuthConfig auth;

    DockerImages(Engine engine, AuthConfig auth) {
        this.engine = engine;
        this.auth = auth;
    }

    /** The reference runners start from, once the image is on the engine. */
    String prepare(RunnerImage image, Consumer<BuildProgress> progress) {
        Objects.requireNonNull(image, "image");
        Consumer<BuildProgress> listener = progress == null ? p -> { } : progress;
        if (image instanceof RunnerImage.Dockerfile dockerfile) {
            return build(dockerfile, listener);
        }
        String reference = image.reference();
        if (imageLabels(reference).isPresent()) {
            return reference;
        }
        pull(reference, listener);
        return reference;
    }

    private Optional<Map<String, String>> imageLabels(String reference) {
        return engine.call("inspect image " + reference, () -> {
            try {
                var config = engine.client().inspectImageCmd(reference).exec().getConfig();
                Map<String, String> labels = config == null || config.getLabels() == null ? Map.of() : config.getLabels();
                return Optional.of(labels);
            } catch (NotFoundException e) {
                return Optional.empty();
            }
        });
    }

    private String build(RunnerImage.Dockerfile image, Consumer<BuildProgress> listener) {
        String tag = image.reference();
        BuildContext context = BuildContext.scan(image);
        String hash = context.hash(image.buildArgs(), image.target());
        if (!image.noCache()) {
            Optional<Map<String, String>> existing = imageLabels(tag);
            if (existing.isPresent() && hash.equals(existing.get().get(BUILD_HASH_LABEL))) {
                emit(listener, new BuildProgress(0, 0, "", "image " + tag + " is up to date (context and build args unchanged)"));
                return tag;
            }
        }
        Path tar;
        try {
            tar = Files.createTempFile("runnerfleet-context-", ".tar");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary file for the build context of " + tag, e);
        }
        try {
            try (OutputStream out = Files.newOutputStream(tar)) {
                context.writeTar(out);
            }
            BuildOutput output = new BuildOutput(listener);
            AtomicReference<String> error = new AtomicReference<>();
            try (InputStream in = Files.newInputStream(tar)) {
                var cmd = engine.client().buildImageCmd()
                        .withTarInputStream(in)
                        .withDockerfilePath(context.dockerfile())
                        .withTags(Set.of(tag))
                        .withLabels(Map.of(BUILD_HASH_LABEL, hash))
                        .withNoCache(image.noCache())
                        .withPull(false)
                        .withRemove(true)
                        .withForcerm(true);
                image.buildArgs().forEach(cmd::withBuildArg);
                if (image.target() != null) {
                    cmd.withTarget(image.target());
                }
                ResultCallback.Adapter<BuildResponseItem> callback = new ResultCallback.Adapter<>() {
                    @Override
                    public void onNext(BuildResponseItem item) {
                        output.accept(item.getStream());
                        if (item.isErrorIndicated()) {
                            String message = item.getErrorDetail() != null && item.getErrorDetail().getMessage() != null
                                    ? item.getErrorDetail().getMessage() : item.getError();
                            error.compareAndSet(null, message);
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        // Reported through the exception below, not docker-java's ERROR log.
                        error.compareAndSet(null, t.getMessage());
                        Engine.closeQuietly(this);
                    }
                };
                stream("build image " + tag, "building image " + tag, () -> cmd.exec(callback));
            } catch (DockerEngineException e) {
                error.compareAndSet(null, e.engineMessage());
            }
            output.finish();
            if (error.get() == null) {
                Optional<Map<String, String>> built = imageLabels(tag);
                if (built.isEmpty() || !hash.equals(built.get().get(BUILD_HASH_LABEL))) {
                    error.set("the engine reported no error but image " + tag + " was not tagged");
                }
            }
            if (error.get() != null) {
                throw buildFailure(tag, image, output, error.get());
            }
            return tag;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot pack the build context of " + tag, e);
        } finally {
            try {
                Files.deleteIfExists(tar);
            } catch (IOException ignored) {
                // A leftover temp file holds only the context the user gave us.
            }
        }
    }

    private static ImageException buildFailure(String tag, RunnerImage.Dockerfile image, BuildOutput output, String error) {
        StringBuilder m = new StringBuilder("building image ").append(tag).append(" from ").append(image.context())
                .append(" failed");
        if (output.step() > 0) {
            m.append(" at step ").append(output.step()).append('/').append(output.totalSteps())
                    .append(" (").append(output.instruction()).append(')');
        }
        m.append(": ").append(error.strip());
        List<String> last = output.lastLines();
        if (!last.isEmpty()) {
            m.append("\nlast output:");
            for (String line : last) {
                m.append("\n  | ").append(line);
            }
        }
        m.append("\nfix the Dockerfile and prepare again; the failed build was not recorded");
        return new ImageException(tag, output.step(), output.instruction(), last, m.toString(), null);
    }

    private void pull(String reference, Consumer<BuildProgress> listener) {
        AtomicReference<String> error = new AtomicReference<>();
        try {
            stream("pull image " + reference, "pulling image " + reference, () -> {
                var cmd = engine.client().pullImageCmd(reference);
                if (auth != null) {
                    cmd.withAuthConfig(auth);
                }
                return cmd.exec(new ResultCallback.Adapter<PullResponseItem>() {
                    @Override
                    public void onNext(PullResponseItem item) {
                        if (item.isErrorIndicated()) {
                            error.compareAndSet(null, item.getErrorDetail() != null
                                    ? item.getErrorDetail().getMessage() : item.getError());
                            return;
                        }
                        String line = (item.getId() == null ? "" : item.getId() + ": ")
                                + (item.getStatus() == null ? "" : item.getStatus())
                                + (item.getProgress() == null ? "" : " " + item.getProgress());
                        emit(listener, new BuildProgress(0, 0, "pull " + reference, line));
                    }

                    @Override
                    public void onError(Throwable t) {
                        error.compareAndSet(null, t.getMessage());
                        Engine.closeQuietly(this);
                    }
                });
            });
        } catch (DockerEngineException e) {
            error.compareAndSet(null, e.engineMessage());
        } catch (DockerClientException e) {
            error.compareAndSet(null, e.getMessage());
        }
        if (error.get() == null && imageLabels(reference).isEmpty()) {
            error.set("the engine finished the pull without the image");
        }
        if (error.get() != null) {
            throw new ImageException(reference, "image " + reference + " is not on engine " + engine.endpoint()
                    + " and pulling it failed: " + error.get().strip() + ". If the registry is unreachable (offline),"
                    + " build the image locally (RunnerImage.dockerfile(...)) or load it with 'docker load';"
                    + " if it is private, give registry credentials to DockerBackend.builder().registryAuth(...)", null);
        }
    }

    // Runs a streaming engine call (its callback collects what the engine says) until the stream ends.
    private void stream(String what, String doing, Supplier<? extends ResultCallback.Adapter<?>> exec) {
        engine.call(what, () -> {
            try {
                exec.get().awaitCompletion();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RunnerFleetException("interrupted while " + doing, e);
            }
            return null;
        });
    }

    private static void emit(Consumer<BuildProgress> listener, BuildProgress p) {
        try {
            listener.accept(p);
        } catch (RuntimeException ignored) {
            // A progress listener's bug must not fail the operation.
        }
    }
}
