package io.runnerfleet.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Device;
import io.runnerfleet.Runner;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.RunnerState;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.docker.testing.DockerEngine;
import io.runnerfleet.docker.testing.HostStandIns;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeRunnerImage;
import io.runnerfleet.testkit.FakeRunnerView;
import io.runnerfleet.testkit.FakeScope;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7's "done when": the STYLE.md example ({@link StyleExample}), pointed at the fake GitHub by nothing but
 * environment variables, runs unchanged in a child JVM.
 */
@ExtendWith(DockerEngine.class)
class StyleExampleIT {
    private static final String FLEET = "s1lqc";
    private static final String ORG = "arceos-hypervisor";
    private static final String SERIAL = "/dev/serial/by-id/usb-FTDI-if00-port0";
    private static final Duration CHILD_PATIENCE = Duration.ofMinutes(3);
    /** Stand-ins for the host devices and group the example needs, where this host lacks them. */
    private static final HostStandIns host = new HostStandIns("StyleExampleIT");
    private static final String IMAGE = "s1lqc-runner:1";
    /** Whether the example's image was there before: if not, the child builds it and {@code @AfterAll} removes it. */
    private static boolean imageWasThere = true;

    @TempDir
    Path workDir;
    private FakeGitHub github;
    private FakeScope org;
    private Secret pat;

    @BeforeAll
    static void standInsAndImages() {
        // The example maps /dev/kvm and a USB serial adapter and adds the dialout group: stand in for whichever
        // this host lacks (the containers only map them, nothing opens them), and remove exactly those after.
        host.characterDevice("/dev/kvm", 10, 232);
        host.symbolicLink(SERIAL, "/dev/null");
        host.group("dialout");
        System.out.println(host);
        DockerEngine.busyboxImage();
        imageWasThere = DockerEngine.client().listImagesCmd().withImageNameFilter(IMAGE).exec().stream()
                .anyMatch(i -> i.getRepoTags() != null && Arrays.asList(i.getRepoTags()).contains(IMAGE));
    }

    @AfterAll
    static void removeWhatTheTestMade() {
        try {
            if (!imageWasThere && DockerEngine.client().listImagesCmd().withImageNameFilter(IMAGE).exec().size() > 0) {
                DockerEngine.client().removeImageCmd(IMAGE).exec();
            }
        } catch (ConflictException e) {
            // Another project's container uses the same content-addressed image: leave it rather than force.
        } finally {
            host.close();
        }
    }

    @BeforeEach
    void fakeGitHubAndWorkingDirectory() {
        github = FakeGitHub.create().start();
        org = github.organization(ORG);
        pat = github.newToken("admin:org");
        FakeRunnerImage.writeContext(workDir.resolve("runner-image"));
    }

    @AfterEach
    void cleanUp() {
        try {
            // Only reached with containers left when an assertion failed before remove(): clear them for the next run.
            for (Container c : DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, FLEET)) {
                DockerEngine.client().removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
            }
        } finally {
            github.close();
        }
    }

    @Test
    void theStyleExampleRunsUnchangedAgainstTheFakeGitHub() throws Exception {
        assertThat(DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, FLEET))
                .as("containers of fleet %s from an earlier run", FLEET).isEmpty();
        String dialout = HostStandIns.gid("dialout");

        Child child = runExample(Map.of("GH_PAT", pat.reveal(), "GITHUB_API_URL", github.url(),
                "GITHUB_SERVER_URL", github.url()));
        assertThat(child.exit).as(child.output()).isZero();
        System.out.println("StyleExampleIT: child JVM launch to the first printed runner line: "
                + child.firstRunnerLineMillis.get() + " ms (JVM start, image build or reuse, start() of the 5 runners)");
        List<String> lines = child.lines.stream().filter(l -> l.startsWith("Runner[")).toList();
        assertThat(lines).as(child.output()).hasSize(5).allMatch(l -> l.contains(", Idle"));
        // Ephemeral runners carry a suffix per incarnation: s1lqc-qemu-1-66kbv.
        List<String> names = lines.stream().map(l -> l.substring("Runner[".length(), l.indexOf(','))).sorted().toList();
        assertThat(names).as(child.output()).hasSize(5);
        assertThat(names.get(0)).isEqualTo("s1lqc-phytiumpi-1");
        for (int i = 1; i <= 4; i++) {
            assertThat(names.get(i)).matches("s1lqc-qemu-" + i + "-[a-z0-9]+");
        }
        assertThat(child.output()).as("the token in the child's output").doesNotContain(pat.reveal());

        List<FakeRunnerView> registered = org.runners();
        assertThat(registered).hasSize(5).allMatch(FakeRunnerView::online);
        assertThat(registered).filteredOn(r -> r.name().startsWith("s1lqc-qemu-")).hasSize(4)
                .allMatch(r -> r.labels().contains("intel") && !r.labels().contains("phytiumpi"));
        assertThat(registered).filteredOn(r -> r.name().equals("s1lqc-phytiumpi-1")).singleElement()
                .matches(r -> r.labels().contains("phytiumpi") && !r.labels().contains("intel"), "labels " + registered);

        List<Container> containers = DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, FLEET);
        assertThat(containers).hasSize(5).allMatch(c -> "running".equals(c.getState()));
        InspectContainerResponse board = containers.stream()
                .filter(c -> "s1lqc-phytiumpi-1".equals(c.getLabels().get(DockerBackend.RUNNER_LABEL)))
                .map(c -> DockerEngine.client().inspectContainerCmd(c.getId()).exec()).findFirst().orElseThrow();
        Device[] devices = board.getHostConfig().getDevices();
        assertThat(devices).isNotNull();
        assertThat(Arrays.stream(devices).map(Device::getPathInContainer)).contains(SERIAL);
        assertThat(board.getConfig().getEnv()).contains("BOARD_COMM_UART_BAUD=115200");
        assertThat(board.getHostConfig().getGroupAdd()).as("dialout's gid from the host /etc/group").contains(dialout);

        // The example only close()s its fleet; a new one with the same name and pools adopts every runner.
        List<String> before = containers.stream().map(Container::getId).sorted().toList();
        try (GitHubRegistry registry = GitHubRegistry.builder(RunnerScope.organization(ORG))
                .baseUrl(github.url()).webUrl(github.url()).credentials(GitHubCredentials.token(pat)).build();
             DockerBackend backend = DockerBackend.fromEnvironment();
             RunnerFleet fleet = RunnerFleet.builder().name(FLEET).registry(registry).backend(backend)
                     .pool(RunnerPool.builder("qemu")
                             .image(RunnerImage.dockerfile(workDir.resolve("runner-image")).tag(IMAGE))
                             .labels("intel").devices("/dev/kvm").ephemeral(true).scaling(Scaling.fixed(4)))
                     .pool(RunnerPool.builder("phytiumpi").labels("phytiumpi").devices(SERIAL).groups("dialout")
                             .env("BOARD_COMM_UART_BAUD", "115200").scaling(Scaling.fixed(1)))
                     .build()) {
            fleet.start();
            assertThat(fleet.runners()).hasSize(5).allMatch(r -> r.state() instanceof RunnerState.Idle);
            assertThat(fleet.runners().stream().map(Runner::instanceId).sorted().toList()).isEqualTo(before);
            assertThat(DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, FLEET).stream()
                    .map(Container::getId).sorted().toList()).as("containers after adoption").isEqualTo(before);
            fleet.remove();
        }
        DockerEngine.assertNothingLeft(DockerBackend.FLEET_LABEL, FLEET);
        assertThat(org.runners()).as("registrations left at the fake GitHub").isEmpty();
    }

    @Test
    void withoutATokenTheExampleFailsFastNamingGhPatAndCreatesNothing() throws Exception {
        Child child = runExample(Map.of());
        assertThat(child.exit).as(child.output()).isNotZero();
        assertThat(child.output()).contains("InvalidSpecException").contains("GH_PAT");
        assertThat(org.runners()).isEmpty();
        DockerEngine.assertNothingLeft(DockerBackend.FLEET_LABEL, FLEET);
    }

    /** The child's exit code and output lines. */
    private static final class Child {
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong firstRunnerLineMillis = new AtomicLong(-1);
        int exit;

        String output() {
            synchronized (lines) {
                return String.join("\n", lines);
            }
        }
    }

    /**
     * Runs {@link StyleExample} in a child JVM in the working directory, with this JVM's class path and this
     * machine's environment minus every GitHub variable, plus {@code env}.
     */
    private Child runExample(Map<String, String> env) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                StyleExample.class.getName()).directory(workDir.toFile()).redirectErrorStream(true);
        for (String name : List.of("GH_PAT", "GITHUB_TOKEN", "GITHUB_API_URL", "GITHUB_SERVER_URL")) {
            pb.environment().remove(name);
        }
        pb.environment().putAll(env);
        Child child = new Child();
        long launched = System.nanoTime();
        Process process = pb.start();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.startsWith("Runner[")) {
                        child.firstRunnerLineMillis.compareAndSet(-1,
                                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - launched));
                    }
                    child.lines.add(line);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, "style-example-output");
        reader.setDaemon(true);
        reader.start();
        if (!process.waitFor(CHILD_PATIENCE.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            reader.join(Duration.ofSeconds(5).toMillis());
            throw new AssertionError("the example did not exit within " + CHILD_PATIENCE + "; output:\n" + child.output());
        }
        reader.join(Duration.ofSeconds(10).toMillis());
        child.exit = process.exitValue();
        return child;
    }
}
