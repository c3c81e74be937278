package io.runnerfleet.examples.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.api.model.SwarmNode;
import com.github.dockerjava.api.model.Task;
import com.github.dockerjava.api.model.TaskState;
import io.runnerfleet.Runner;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.RunnerState;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.docker.SwarmBackend;
import io.runnerfleet.docker.testing.DockerEngine;
import io.runnerfleet.docker.testing.SwarmRig;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.testing.Await;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeJob;
import io.runnerfleet.testkit.FakeRunnerImage;
import io.runnerfleet.testkit.FakeRunnerView;
import io.runnerfleet.testkit.FakeScope;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A real {@link RunnerFleet} on a 3-node swarm from {@code scripts/swarm-rig.sh} (rig {@code rfsw},
 * 198.18.3.0/24), registered at the fake GitHub, which listens on the rig's host address so the
 * runners on every node reach it. Runs wherever the rig can be made (root, network namespaces);
 * skips with a printed reason elsewhere, or with {@code RUNNERFLEET_SWARM_IT=0}.
 *
 * <p>The node-failure test kills node 3 for good, so it runs last.
 */
@ExtendWith(DockerEngine.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SwarmFleetIT {
    private static final Duration PATIENCE = Duration.ofSeconds(120);
    private static SwarmRig rig;

    // A fake per test, on real time plus what the test skips: the fake enforces GitHub's secondary
    // limit of 80 content-creating requests a minute over every client, the runners' own included.
    private final AtomicReference<Duration> skipped = new AtomicReference<>(Duration.ZERO);
    private final Clock clock = new Clock() {
        @Override
        public Instant instant() {
            return Instant.now().plus(skipped.get());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    };
    private FakeGitHub github;
    private FakeScope acme;
    private Secret pat;

    private final String fleetName = "sw" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
    private final Set<String> handedSecrets = ConcurrentHashMap.newKeySet();
    private SwarmBackend swarm;
    private RunnerFleet fleet;

    @BeforeAll
    static void rigAndFake() throws Exception {
        rig = SwarmRig.up("rfsw", "198.18.3", 3);
        try (DockerBackend docker = DockerBackend.fromEnvironment()) {
            DockerEngine.busyboxImage();
            docker.prepare(RunnerImage.dockerfile(FakeRunnerImage.writeContext(Files.createTempDirectory("swarm-fake-runner")))
                    .tag(FakeRunnerImage.TAG), p -> { });
        }
        // No registry here: the image goes onto every node (a real swarm pulls it from a registry).
        rig.load(FakeRunnerImage.TAG);
    }

    @AfterAll
    static void tearDown() {
        if (rig != null) {
            rig.close();
        }
    }

    @BeforeEach
    void fakeGitHub() {
        github = FakeGitHub.builder().clock(clock).bindAddress(rig.hostAddress()).offlineAfter(Duration.ofSeconds(10))
                .build().start();
        acme = github.organization("acme");
        pat = github.newToken("admin:org", "repo");
    }

    @AfterEach
    void removeAndCheckNothingIsLeft() {
        try {
            if (fleet != null) {
                fleet.removeNow();
            }
            DockerClient manager = manager();
            assertThat(manager.listServicesCmd().withLabelFilter(Map.of(DockerBackend.FLEET_LABEL, fleetName)).exec())
                    .as("services left").isEmpty();
            assertThat(manager.listSecretsCmd().withLabelFilter(Map.of(DockerBackend.FLEET_LABEL, fleetName)).exec())
                    .as("secrets left").isEmpty();
            for (String node : readyNodes()) {
                Await.until(PATIENCE, "containers of " + fleetName + " gone from " + node, () -> rig.nodeClient(node)
                        .listContainersCmd().withShowAll(true).withLabelFilter(Map.of(DockerBackend.FLEET_LABEL, fleetName))
                        .exec().isEmpty());
            }
            assertThat(acme.runners()).as("registrations left at the fake GitHub").isEmpty();
        } finally {
            if (swarm != null) {
                swarm.close();
            }
            github.close();
        }
    }

    private RunnerFleet start(RunnerPool.Builder pool) {
        swarm = SwarmBackend.builder().dockerHost(rig.managerHost()).pollInterval(Duration.ofMillis(500)).build();
        GitHubRegistry registry = GitHubRegistry.builder(RunnerScope.organization("acme")).baseUrl(github.url())
                .webUrl(github.url()).credentials(GitHubCredentials.token(pat)).clock(clock).build();
        fleet = RunnerFleet.builder().name(fleetName).registry(registry).backend(recording(swarm, handedSecrets))
                .pollInterval(Duration.ofMillis(500)).reconcileInterval(Duration.ofSeconds(2))
                .registrationTimeout(PATIENCE).startTimeout(PATIENCE).drainTimeout(Duration.ofSeconds(30))
                .backoff(Duration.ofMillis(200), Duration.ofSeconds(2))
                .pool(pool).build();
        fleet.start();
        return fleet;
    }

    private static RunnerPool.Builder pool(String name, int n) {
        return RunnerPool.builder(name).image(RunnerImage.of(FakeRunnerImage.TAG)).labels(name).scaling(Scaling.fixed(n));
    }

    @Test
    @Order(1)
    void ephemeralRunnersTakeAJobEachAreReplacedAndNoSecretShowsInTheSwarm() {
        start(pool("eph", 3).ephemeral(true));
        List<String> first = names();
        List<FakeJob> jobs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            jobs.add(github.queueJob(acme.repository("widgets"), Duration.ofSeconds(1), "self-hosted", "eph"));
        }
        Await.until(PATIENCE, "three jobs completed", () -> jobs.stream().allMatch(j -> "completed".equals(j.status())));
        assertThat(jobs).extracting(FakeJob::runnerName).containsExactlyInAnyOrderElementsOf(first);
        Await.until(PATIENCE, "three new runners Idle", () -> allIdle(3) && names().stream().noneMatch(first::contains));

        assertThat(handedSecrets).as("the fleet handed JIT configs to the backend").isNotEmpty();
        DockerClient manager = manager();
        List<Service> services = manager.listServicesCmd().withLabelFilter(Map.of(DockerBackend.FLEET_LABEL, fleetName)).exec();
        List<Task> tasks = manager.listTasksCmd().withServiceFilter(services.stream().map(Service::getId).toArray(String[]::new)).exec();
        StringBuilder visible = new StringBuilder();
        for (Service s : services) {
            visible.append(manager.inspectServiceCmd(s.getId()).exec()).append('\n');
            try (LogStream logs = swarm.logs(s.getId(), LogQuery.tail(0))) {
                logs.lines().forEach(l -> visible.append(l).append('\n'));
            }
        }
        visible.append(tasks);
        for (Task t : tasks) {
            if (t.getStatus().getContainerStatus() != null && t.getStatus().getContainerStatus().getContainerID() != null) {
                var c = rig.nodeClient(hostnames().get(t.getNodeId())).inspectContainerCmd(
                        t.getStatus().getContainerStatus().getContainerID()).exec();
                // Null parts are unset: a service's Command becomes the container's entrypoint, with no Cmd.
                Stream.of(c.getConfig().getEnv(), c.getConfig().getEntrypoint(), c.getConfig().getCmd())
                        .filter(Objects::nonNull).flatMap(Stream::of).forEach(part -> visible.append(part).append('\n'));
            }
        }
        assertThat(visible).as("what service inspect, the tasks, their containers and the logs show").isNotEmpty();
        for (String secret : handedSecrets) {
            assertThat(visible.toString()).doesNotContain(secret);
        }
        // The used runners' secrets went with their services: one secret per live runner is left.
        assertThat(manager.listSecretsCmd().withLabelFilter(Map.of(DockerBackend.FLEET_LABEL, fleetName)).exec()).hasSize(3);
        fleet.remove();
    }

    @Test
    @Order(2)
    void twelveRunnersSpreadOverThreeNodesAndAKilledNodesRunnersAreReplacedOnTheOthers() {
        start(pool("gen", 12));
        assertThat(acme.runners()).hasSize(12).allMatch(FakeRunnerView::online);
        Map<String, Long> perNode = placement().values().stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        assertThat(perNode).as("runners per node").containsOnlyKeys(rig.hostname(1), rig.hostname(2), rig.hostname(3))
                .allSatisfy((node, count) -> assertThat(count).as("runners on %s", node).isGreaterThanOrEqualTo(3));

        String dead = rig.hostname(3);
        Set<String> victims = placement().entrySet().stream().filter(e -> e.getValue().equals(dead)).map(Map.Entry::getKey)
                .collect(Collectors.toSet());
        skipped.updateAndGet(d -> d.plusMinutes(1));   // a fresh minute of the fake's secondary limit for the replacements
        rig.kill(3);
        Await.until(PATIENCE, "every runner Idle on the two nodes left, each registered once and online", () -> {
            Map<String, String> now = placement();
            return allIdle(12) && now.size() == 12 && !now.containsValue(dead)
                    && acme.runners().size() == 12 && acme.runners().stream().allMatch(FakeRunnerView::online)
                    && acme.runners().stream().map(FakeRunnerView::name).collect(Collectors.toSet()).equals(Set.copyOf(names()));
        });
        assertThat(victims).isNotEmpty();
        fleet.remove();
    }

    private boolean allIdle(int n) {
        List<Runner> runners = fleet.runners();
        return runners.size() == n && runners.stream().allMatch(r -> r.state() instanceof RunnerState.Idle);
    }

    private List<String> names() {
        return fleet.runners().stream().map(Runner::name).toList();
    }

    private static DockerClient manager() {
        return rig.nodeClient(rig.hostname(1));
    }

    private static Map<String, String> hostnames() {
        return manager().listSwarmNodesCmd().exec().stream()
                .collect(Collectors.toMap(SwarmNode::getId, n -> n.getDescription().getHostname()));
    }

    private static List<String> readyNodes() {
        return manager().listSwarmNodesCmd().exec().stream()
                .filter(n -> n.getStatus() != null && "READY".equals(String.valueOf(n.getStatus().getState())))
                .map(n -> n.getDescription().getHostname()).toList();
    }

    // Runner name -> hostname of the node whose task of it is running.
    private Map<String, String> placement() {
        DockerClient manager = manager();
        Map<String, String> hosts = hostnames();
        Map<String, String> byService = new java.util.HashMap<>();
        List<Service> services = manager.listServicesCmd().withLabelFilter(Map.of(DockerBackend.FLEET_LABEL, fleetName)).exec();
        services.forEach(s -> byService.put(s.getId(), s.getSpec().getLabels().get(DockerBackend.RUNNER_LABEL)));
        if (services.isEmpty()) {
            return Map.of();
        }
        Map<String, String> out = new java.util.HashMap<>();
        List<Task> tasks;
        try {
            tasks = manager.listTasksCmd().withServiceFilter(byService.keySet().toArray(String[]::new)).exec();
        } catch (NotFoundException replacedMeanwhile) {
            return Map.of();   // the fleet removed one of the services since they were listed: look again
        }
        for (Task t : tasks) {
            if (t.getStatus().getState() == TaskState.RUNNING && "running".equalsIgnoreCase(String.valueOf(t.getDesiredState()))) {
                out.put(byService.get(t.getServiceId()), hosts.get(t.getNodeId()));
            }
        }
        return out;
    }

    /** The swarm backend, noting the secret values the fleet hands it (to look for them where they must not be). */
    private static RunnerBackend recording(RunnerBackend delegate, Set<String> secrets) {
        return (RunnerBackend) Proxy.newProxyInstance(RunnerBackend.class.getClassLoader(), new Class<?>[] {RunnerBackend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("launch")) {
                        ((LaunchSpec) args[0]).secrets().values().forEach(secret -> secrets.add(secret.reveal()));
                    }
                    if (method.getName().equals("close")) {
                        return null;   // the test closes the swarm backend itself
                    }
                    try {
                        return method.invoke(delegate, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
