package io.runnerfleet.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.docker.testing.DockerEngine;
import io.runnerfleet.spi.BuildProgress;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Image builds and pulls on the real engine: progress, skipping, .dockerignore, failures. */
@ExtendWith(DockerEngine.class)
class ImageBuildIT {
    private final String id = UUID.randomUUID().toString().substring(0, 8);
    private final String tag = "runnerfleet-test/build-" + id + ":1";
    private DockerBackend backend;

    @TempDir
    Path dir;

    @BeforeEach
    void setUp() {
        backend = DockerBackend.fromEnvironment();
    }

    @AfterEach
    void tearDown() {
        backend.close();
        try {
            DockerEngine.client().removeImageCmd(tag).withForce(true).exec();
        } catch (com.github.dockerjava.api.exception.NotFoundException alreadyGone) {
            // The test did not build it (or a failure left nothing).
        }
        // Builds run intermediate containers; none may stay behind.
        assertThat(DockerEngine.client().listContainersCmd().withShowAll(true).exec())
                .extracting(c -> c.getImage()).noneMatch(image -> image.contains(id));
        DockerEngine.assertNothingLeft(DockerBackend.FLEET_LABEL, id);
    }

    private Path context(String... dockerfileLines) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("Dockerfile"), "FROM " + DockerEngine.busyboxImage() + "\n"
                + String.join("\n", dockerfileLines) + "\n");
        return dir;
    }

    private static String run(String image, String command) {
        var c = DockerEngine.client();
        String cid = c.createContainerCmd(image).withEntrypoint("/bin/sh", "-c", command).exec().getId();
        try {
            c.startContainerCmd(cid).exec();
            c.waitContainerCmd(cid).start().awaitStatusCode(30, java.util.concurrent.TimeUnit.SECONDS);
            StringBuilder out = new StringBuilder();
            try {
                c.logContainerCmd(cid).withStdOut(true).withStdErr(true)
                        .exec(new com.github.dockerjava.api.async.ResultCallback.Adapter<com.github.dockerjava.api.model.Frame>() {
                            @Override
                            public void onNext(com.github.dockerjava.api.model.Frame f) {
                                out.append(new String(f.getPayload(), java.nio.charset.StandardCharsets.UTF_8));
                            }
                        }).awaitCompletion();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return out.toString();
        } finally {
            c.removeContainerCmd(cid).withForce(true).exec();
        }
    }

    @Test
    void buildsTheStandInRunnerImageWithStepProgressThenSkipsAnUnchangedRebuild() {
        RunnerImage.Dockerfile image = StandInRunner.context(dir).tag(tag);
        List<BuildProgress> progress = new CopyOnWriteArrayList<>();
        assertThat(backend.prepare(image, progress::add)).isEqualTo(tag);

        // The engine appends the build-hash label as a last step.
        assertThat(progress).filteredOn(p -> p.line().isEmpty())
                .extracting(p -> p.step() + "/" + p.totalSteps() + " " + p.instruction())
                .startsWith("1/5 FROM " + DockerEngine.busyboxImage(), "2/5 WORKDIR /home/runner",
                        "3/5 COPY config.sh run.sh ./", "4/5 RUN mkdir -p _work")
                .last().asString().startsWith("5/5 LABEL " + DockerBackend.BUILD_HASH_LABEL);
        assertThat(progress).anyMatch(p -> p.step() == 4 && !p.line().isEmpty());
        assertThat(DockerEngine.client().inspectImageCmd(tag).exec().getConfig().getLabels())
                .containsKey(DockerBackend.BUILD_HASH_LABEL);

        List<BuildProgress> again = new CopyOnWriteArrayList<>();
        backend.prepare(image, again::add);
        assertThat(again).singleElement().extracting(BuildProgress::line).asString().contains("up to date");
    }

    @Test
    void buildArgsTargetAndDockerignoreAreHonouredAndAChangedArgRebuilds() throws IOException {
        Files.writeString(dir.resolve("Dockerfile"), String.join("\n",
                "FROM " + DockerEngine.busyboxImage() + " AS base",
                "ARG GREETING=none",
                "COPY . /ctx/",
                "RUN echo \"greeting=$GREETING\" > /greeting",
                "FROM base AS extra",
                "RUN echo extra > /extra",
                ""));
        Files.writeString(dir.resolve(".dockerignore"), "secrets/\n*.log\n!keep.log\n");
        Files.createDirectories(dir.resolve("secrets"));
        Files.writeString(dir.resolve("secrets/key"), "do-not-send");
        Files.writeString(dir.resolve("noise.log"), "noise");
        Files.writeString(dir.resolve("keep.log"), "kept");
        RunnerImage.Dockerfile image = RunnerImage.dockerfile(dir).tag(tag).buildArg("GREETING", "hello").target("base");

        backend.prepare(image, p -> { });
        String out = run(tag, "cat /greeting; ls -a /ctx; test -e /extra && echo has-extra || echo no-extra");
        assertThat(out).contains("greeting=hello").contains("keep.log").contains("Dockerfile")
                .doesNotContain("noise.log").doesNotContain("secrets").contains("no-extra");

        // An ignored file changing does not rebuild; a build argument changing does.
        Files.writeString(dir.resolve("noise.log"), "more noise");
        List<BuildProgress> skipped = new CopyOnWriteArrayList<>();
        backend.prepare(image, skipped::add);
        assertThat(skipped).singleElement().extracting(BuildProgress::line).asString().contains("up to date");

        List<BuildProgress> rebuilt = new CopyOnWriteArrayList<>();
        backend.prepare(image.buildArg("GREETING", "bye"), rebuilt::add);
        assertThat(rebuilt).anyMatch(p -> p.step() > 0);
        assertThat(run(tag, "cat /greeting")).contains("greeting=bye");

        List<BuildProgress> noCache = new CopyOnWriteArrayList<>();
        backend.prepare(image.buildArg("GREETING", "bye").noCache(true), noCache::add);
        assertThat(noCache).anyMatch(p -> p.step() > 0).noneMatch(p -> p.line().contains("Using cache"));
    }

    @Test
    void aFailingStepRaisesTheStepAndItsLastOutputAndIsNeverRecordedAsDone() throws IOException {
        Path ctx = context("RUN echo preparing-things", "RUN echo about-to-fail && echo broken-detail >&2 && exit 7",
                "RUN echo never");
        RunnerImage.Dockerfile image = RunnerImage.dockerfile(ctx).tag(tag);
        assertThatThrownBy(() -> backend.prepare(image, p -> { }))
                .isInstanceOfSatisfying(ImageException.class, e -> {
                    assertThat(e.step()).isEqualTo(3);
                    assertThat(e.instruction()).contains("exit 7");
                    // stdout and stderr reach the build stream on separate pipes: their order is not defined.
                    assertThat(e.lastLines()).containsExactlyInAnyOrder("about-to-fail", "broken-detail");
                    assertThat(e.image()).isEqualTo(tag);
                })
                .hasMessageContaining("step 3/5").hasMessageContaining("returned a non-zero code: 7")
                .hasMessageContaining("broken-detail").hasMessageContaining(tag);
        assertThat(DockerEngine.client().listImagesCmd().withImageNameFilter(tag).exec()).isEmpty();
        // Not recorded: the same failure again, not a skip.
        assertThatThrownBy(() -> backend.prepare(image, p -> { })).isInstanceOf(ImageException.class);
    }

    @Test
    void aMissingDockerfileOrContextIsAnInvalidSpec() {
        assertThatThrownBy(() -> backend.prepare(RunnerImage.dockerfile(dir).tag(tag), p -> { }))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("no Dockerfile at")
                .hasMessageContaining(dir.toString());
        assertThatThrownBy(() -> backend.prepare(RunnerImage.dockerfile(dir.resolve("nope")).tag(tag), p -> { }))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("not a directory");
        assertThatThrownBy(() -> backend.prepare(RunnerImage.dockerfile(dir), p -> { }))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("has no tag");
    }

    @Test
    void aBrokenDockerfileInstructionIsReported() throws IOException {
        Path ctx = context("NOTANINSTRUCTION foo");
        assertThatThrownBy(() -> backend.prepare(RunnerImage.dockerfile(ctx).tag(tag), p -> { }))
                .isInstanceOf(ImageException.class).hasMessageContaining(tag)
                .hasMessageContaining("unknown instruction: NOTANINSTRUCTION");
    }

    @Test
    void aPresentImageIsNotPulledAndAnUnreachableRegistryGivesAClearMessage() throws IOException {
        String base = DockerEngine.busyboxImage();
        assertThat(backend.prepare(RunnerImage.of(base), p -> { })).isEqualTo(base);

        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        String missing = "127.0.0.1:" + closedPort + "/runnerfleet/never-" + id + ":1";
        List<BuildProgress> progress = new CopyOnWriteArrayList<>();
        assertThatThrownBy(() -> backend.prepare(RunnerImage.of(missing), progress::add))
                .isInstanceOf(ImageException.class).hasMessageContaining(missing)
                .hasMessageContaining("pulling it failed").hasMessageContaining("offline");
    }

    @Test
    void invalidImageReferencesAreRefusedBeforeTheEngineIsAsked() {
        assertThatThrownBy(() -> backend.prepare(RunnerImage.of("UPPER/Case:1"), p -> { }))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("UPPER/Case:1");
        assertThatThrownBy(() -> RunnerImage.dockerfile(dir).tag("bad tag"))
                .isInstanceOf(InvalidSpecException.class);
        assertThat(Map.of()).isEmpty();
    }
}
