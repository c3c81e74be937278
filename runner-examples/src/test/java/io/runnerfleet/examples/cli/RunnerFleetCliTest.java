package io.runnerfleet.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.BackendUnavailableException;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.LabelSet;
import io.runnerfleet.RegistrationException;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.examples.RunnerShSettings;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.InstanceState;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RunnerBackend;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Argument parsing, configuration, confirmation and exit codes, without Docker or GitHub. */
class RunnerFleetCliTest {
    private static final Supplier<RunnerBackend> NO_DOCKER = () -> {
        throw new BackendUnavailableException("no Docker in unit tests");
    };

    @TempDir
    Path dir;

    private int run(TestTerminal t, Map<String, String> env, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--env-file";
        all[1] = dir.resolve(".env").toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return RunnerFleetCli.run(all, t, env, NO_DOCKER, Duration.ofSeconds(5));
    }

    private RunnerFleetCli cli(TestTerminal t, Map<String, String> env, String... args) {
        RunnerFleetCli cli = new RunnerFleetCli(t, env, NO_DOCKER, Duration.ofSeconds(5));
        CommandLine.ParseResult parsed = RunnerFleetCli.commandLine(cli).parseArgs(args);
        assertThat(parsed).isNotNull();
        return cli;
    }

    @Test
    void helpListsEveryCommandAndTheExitCodesWithoutDocker() {
        TestTerminal t = TestTerminal.none();
        assertThat(run(t, Map.of(), "help")).isEqualTo(0);
        assertThat(t.out.toString()).contains("init", "compose", "register", "start", "stop", "restart", "log", "ps",
                "rm", "purge", "image", "match", "demo", "Exit codes: 0 ok");
    }

    @Test
    void noCommandPrintsUsageAndExitsTwo() {
        TestTerminal t = TestTerminal.none();
        assertThat(run(t, Map.of())).isEqualTo(ExitCode.USAGE);
        assertThat(t.out.toString()).contains("Usage: runnerfleet");
    }

    @Test
    void usageErrorsExitTwo() {
        assertThat(run(TestTerminal.none(), Map.of(), "init")).isEqualTo(ExitCode.USAGE);
        assertThat(run(TestTerminal.none(), Map.of(), "init", "-n", "x")).isEqualTo(ExitCode.USAGE);
        assertThat(run(TestTerminal.none(), Map.of(), "frobnicate")).isEqualTo(ExitCode.USAGE);
        assertThat(run(TestTerminal.none(), Map.of(), "log")).isEqualTo(ExitCode.USAGE);
    }

    @Test
    void aCommandLineForOneSubcommandHoldsOnlyThatOne() {
        RunnerFleetCli cli = new RunnerFleetCli(TestTerminal.none(), Map.of(), NO_DOCKER, Duration.ofSeconds(1));
        assertThat(RunnerFleetCli.commandLine(cli, new String[] {"--env-file", "x.env", "ps", "--json"}).getSubcommands())
                .containsOnlyKeys("ps", "ls", "list", "status");
        assertThat(RunnerFleetCli.commandLine(cli, new String[] {"--version"}).getSubcommands()).isEmpty();
        for (String[] args : List.of(new String[0], new String[] {"--help"}, new String[] {"help", "ps"},
                new String[] {"pss"})) {
            assertThat(RunnerFleetCli.commandLine(cli, args).getSubcommands()).as(String.join(" ", args))
                    .containsKeys("init", "ps", "rm", "serve", "systemd", "demo", "help")
                    .hasSize(RunnerFleetCli.commandLine(cli).getSubcommands().size());
        }
    }

    @Test
    void versionHelpOfACommandAndAMisspeltCommandStillWork() {
        TestTerminal version = TestTerminal.none();
        assertThat(run(version, Map.of(), "--version")).isZero();
        assertThat(version.out.toString()).contains("runnerfleet 0.1.0");
        TestTerminal help = TestTerminal.none();
        assertThat(run(help, Map.of(), "help", "ps")).isZero();
        assertThat(help.out.toString()).contains("Usage: runnerfleet ps").contains("--json");
        TestTerminal misspelt = TestTerminal.none();
        assertThat(run(misspelt, Map.of(), "pss")).isEqualTo(ExitCode.USAGE);
        assertThat(misspelt.err.toString()).contains("pss").contains("ps");
        TestTerminal usage = TestTerminal.none();
        assertThat(run(usage, Map.of(), "init", "-n", "x")).isEqualTo(ExitCode.USAGE);
        assertThat(usage.err.toString()).contains("-n").contains("Usage: runnerfleet init");
    }

    @Test
    void exitCodesFollowTheKindOfFailure() {
        assertThat(ExitCode.of(new InvalidSpecException("x"))).isEqualTo(3);
        assertThat(ExitCode.of(new RegistrationException("x"))).isEqualTo(4);
        assertThat(ExitCode.of(new BackendUnavailableException("x"))).isEqualTo(5);
        assertThat(ExitCode.of(new ExitCode.RefusedException("x"))).isEqualTo(6);
        assertThat(ExitCode.of(new IllegalStateException("x"))).isEqualTo(1);
    }

    @Test
    void aDockerCommandWithoutAnEngineExitsFive() {
        TestTerminal t = TestTerminal.none();
        assertThat(run(t, Map.of("ORG", "acme", "GH_PAT", "ghp_x"), "stop")).isEqualTo(ExitCode.DOCKER);
        assertThat(t.err.toString()).contains("no Docker");
    }

    @Test
    void defect13_yesIsHonouredAnywhereNotOnlyAsTheFirstArgument() {
        RmCommand after = (RmCommand) RunnerFleetCli.commandLine(new RunnerFleetCli(TestTerminal.none(),
                Map.of(), NO_DOCKER, Duration.ofSeconds(1))).parseArgs("rm", "a", "-y", "b").subcommand().commandSpec().userObject();
        assertThat(after.yes).isTrue();
        assertThat(after.names).containsExactly("a", "b");
        PurgeCommand purge = (PurgeCommand) RunnerFleetCli.commandLine(new RunnerFleetCli(TestTerminal.none(),
                Map.of(), NO_DOCKER, Duration.ofSeconds(1))).parseArgs("purge", "--yes").subcommand().commandSpec().userObject();
        assertThat(purge.yes).isTrue();
    }

    @Test
    void aliasesOfPsAndRmParse() {
        for (String alias : List.of("ps", "ls", "list", "status")) {
            assertThat(RunnerFleetCli.commandLine(new RunnerFleetCli(TestTerminal.none(), Map.of(), NO_DOCKER,
                    Duration.ofSeconds(1))).parseArgs(alias, "--json").subcommand().commandSpec().userObject())
                    .isInstanceOf(PsCommand.class);
        }
        for (String alias : List.of("rm", "remove", "delete")) {
            assertThat(RunnerFleetCli.commandLine(new RunnerFleetCli(TestTerminal.none(), Map.of(), NO_DOCKER,
                    Duration.ofSeconds(1))).parseArgs(alias).subcommand().commandSpec().userObject())
                    .isInstanceOf(RmCommand.class);
        }
    }

    @Test
    void confirmationRefusesWithoutATerminalAndAsksOnOne() {
        RunnerFleetCli none = new RunnerFleetCli(TestTerminal.none(), Map.of(), NO_DOCKER, Duration.ofSeconds(1));
        assertThatThrownBy(() -> none.confirm(false, "remove 2 runners")).isInstanceOf(ExitCode.RefusedException.class)
                .hasMessageContaining("pass -y");
        none.confirm(true, "remove 2 runners");

        RunnerFleetCli no = new RunnerFleetCli(new TestTerminal(true, "n"), Map.of(), NO_DOCKER, Duration.ofSeconds(1));
        assertThatThrownBy(() -> no.confirm(false, "remove 2 runners")).isInstanceOf(ExitCode.RefusedException.class)
                .hasMessageContaining("not confirmed");
        RunnerFleetCli yes = new RunnerFleetCli(new TestTerminal(true, "yes"), Map.of(), NO_DOCKER, Duration.ofSeconds(1));
        yes.confirm(false, "remove 2 runners");
    }

    @Test
    void missingOrgAndPatWithoutATerminalIsAClearErrorNamingTheVariables() {
        TestTerminal t = TestTerminal.none();
        assertThat(run(t, Map.of(), "ps")).isEqualTo(ExitCode.CONFIGURATION);
        assertThat(t.err.toString()).contains("ORG").contains("GH_PAT").contains("no terminal");
    }

    @Test
    void defect1_valuesAskedOnATerminalAreKeptAndThePatIsStoredOnlyWithConsentIn0600() throws Exception {
        String pat = "ghp_entered_secret_123";
        TestTerminal t = new TestTerminal(true, "acme", pat, "y");
        RunnerFleetCli cli = cli(t, Map.of(), "--env-file", dir.resolve(".env").toString(), "ps");
        FleetConfig config = cli.config(true);
        assertThat(config.settings().organization()).isEqualTo("acme");
        assertThat(config.settings().pat().orElseThrow().reveal()).isEqualTo(pat);
        Path stored = dir.resolve(".runnerfleet-credentials");
        assertThat(Files.getPosixFilePermissions(stored))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThat(t.all()).doesNotContain(pat);
        // the next invocation finds them without asking
        FleetConfig again = cli(TestTerminal.none(), Map.of(), "--env-file", dir.resolve(".env").toString(), "ps").config(true);
        assertThat(again.settings().pat().orElseThrow().reveal()).isEqualTo(pat);
    }

    @Test
    void withoutConsentNothingIsStored() {
        TestTerminal t = new TestTerminal(true, "acme", "ghp_x", "n");
        cli(t, Map.of(), "--env-file", dir.resolve(".env").toString(), "ps").config(true);
        assertThat(dir.resolve(".runnerfleet-credentials")).doesNotExist();
    }

    @Test
    void defect2_dotEnvWithSpacesInlineCommentsQuotesAndExportWorksAndTheEnvironmentWins() throws Exception {
        Files.writeString(dir.resolve(".env"), """
                export ORG=acme # the organization
                GH_PAT="ghp_from_file"
                RUNNER_LABELS='intel, kvm'
                RUNNER_BOARD_COUNT=1
                BOARD_RUNNER_LABELS_1=phytiumpi
                BOARD_RUNNER_ENV_1="BOARD_POWER_ON=mbpoll -m rtu -a 1 -r 1 -t 0 -b 38400 -P none -v /dev/ttyUSB1 1;BAUD=115200"
                RUNNER_NAME_PREFIX=fromfile
                """);
        FleetConfig config = cli(TestTerminal.none(), Map.of("RUNNER_NAME_PREFIX", "fromenv"),
                "--env-file", dir.resolve(".env").toString(), "ps").config(true);
        assertThat(config.settings().organization()).isEqualTo("acme");
        assertThat(config.fleetName()).isEqualTo("fromenv");
        assertThat(config.settings().labels()).isEqualTo(LabelSet.of("intel", "kvm"));
        assertThat(config.settings().boards().get(0).env()).containsEntry("BOARD_POWER_ON",
                "mbpoll -m rtu -a 1 -r 1 -t 0 -b 38400 -P none -v /dev/ttyUSB1 1");
    }

    @Test
    void fleetNamesAreDerivedSafelyFromThePrefix() {
        assertThat(FleetConfig.fleetName("MyHost_Acme.Org")).isEqualTo("myhost-acme-org");
        assertThat(FleetConfig.fleetName("a-very-long-host-name-with-org-and-repo")).hasSizeLessThanOrEqualTo(24)
                .doesNotEndWith("-");
        assertThatThrownBy(() -> FleetConfig.fleetName("___")).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("RUNNER_NAME_PREFIX");
        FleetConfig config = new FleetConfig(RunnerShSettings.from(Map.of("ORG", "acme", "RUNNER_NAME_PREFIX", "Big_Host"), "h"));
        assertThat(config.nameNote()).contains("big-host").contains("Big_Host");
    }

    @Test
    void settingsMapToAGenericPoolAndOneBoardPoolPerBoard() {
        RunnerShSettings s = RunnerShSettings.from(Map.of("ORG", "acme", "RUNNER_LABELS", "intel,kvm",
                "RUNNER_BOARD_COUNT", "2", "BOARD_RUNNER_LABELS_1", "phytiumpi", "BOARD_RUNNER_DEVICES_1", "/dev/null:/dev/ttyUSB0",
                "BOARD_RUNNER_LABELS_2", "roc-rk3568-pc", "BOARD_RUNNER_DEVICES_2", "/dev/null:/dev/ttyUSB3",
                "RUNNER_IMAGE", "my-runner:1", "DISABLE_AUTO_UPDATE", "1"), "host");
        List<RunnerPool> pools = new FleetConfig(s).pools(3).stream().map(RunnerPool.Builder::build).toList();
        assertThat(pools).extracting(RunnerPool::name).containsExactly("runner", "board-1", "board-2");
        assertThat(pools.get(0).scaling().min()).isEqualTo(3);
        assertThat(pools.get(0).template().labels()).isEqualTo(LabelSet.of("intel", "kvm"));
        assertThat(pools.get(1).template().labels()).isEqualTo(LabelSet.of("phytiumpi"));
        assertThat(pools.get(1).template().devices().get(0).toString()).contains("/dev/ttyUSB0");
        assertThat(pools.get(2).scaling().min()).isEqualTo(1);
        assertThat(pools.get(0).template().image().orElseThrow().toString()).contains("my-runner:1");
        assertThatThrownBy(() -> new FleetConfig(s).pools(-1)).isInstanceOf(InvalidSpecException.class);
    }

    private int runWith(Supplier<RunnerBackend> backends, TestTerminal t, Map<String, String> env, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--env-file";
        all[1] = dir.resolve(".env").toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return RunnerFleetCli.run(all, t, env, backends, Duration.ofSeconds(5));
    }

    @Test
    void issue17_initAndRegisterWithAMissingBoardDeviceExitThreeBeforeTouchingDockerOrGitHub() {
        String missing = "/dev/runnerfleet-test-missing-" + UUID.randomUUID();
        AtomicInteger backendsAsked = new AtomicInteger();
        Supplier<RunnerBackend> backends = () -> {
            backendsAsked.incrementAndGet();
            throw new BackendUnavailableException("the engine must not be reached");
        };
        // GitHub on a port nothing listens on: any token request would fail with the GitHub code (4), not 3
        Map<String, String> env = Map.of("ORG", "acme", "GH_PAT", "ghp_x", "RUNNERFLEET_GITHUB_URL", "http://127.0.0.1:9",
                "RUNNER_BOARD_COUNT", "2", "BOARD_RUNNER_DEVICES_1", "/dev/null:/dev/ttyUSB0",
                "BOARD_RUNNER_DEVICES_2", missing + ":/dev/ttyUSB1");
        for (List<String> command : List.of(List.of("init", "-n", "2"), List.of("register"))) {
            TestTerminal t = TestTerminal.none();
            assertThat(runWith(backends, t, env, command.toArray(String[]::new))).as(command + ": " + t.all())
                    .isEqualTo(ExitCode.CONFIGURATION);
            assertThat(t.err.toString()).contains("device " + missing + " of pool board-2 does not exist")
                    .contains("BOARD_RUNNER_DEVICES_2").contains("Nothing was created").contains("plug the board in")
                    .doesNotContain("/dev/null");
        }
        assertThat(backendsAsked).hasValue(0);
    }

    @Test
    void aBoardDeviceLinkCountsWhenItResolvesToADevice() throws Exception {
        Path shm = Path.of("/dev/shm");
        Assumptions.assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "needs a writable /dev/shm for links under /dev");
        Path byId = Files.createTempDirectory(shm, "runnerfleet-by-id-");
        try {
            Path good = Files.createSymbolicLink(byId.resolve("usb-good-if00-port0"), Path.of("/dev/null"));
            Path dangling = Files.createSymbolicLink(byId.resolve("usb-gone-if00-port0"), byId.resolve("ttyUSB-gone"));
            FleetConfig ok = new FleetConfig(RunnerShSettings.from(Map.of("ORG", "acme", "RUNNER_BOARD_COUNT", "1",
                    "BOARD_RUNNER_DEVICES", good + ":/dev/ttyUSB0"), "h"));
            ok.requireDevices();
            FleetConfig gone = new FleetConfig(RunnerShSettings.from(Map.of("ORG", "acme", "RUNNER_BOARD_COUNT", "1",
                    "BOARD_RUNNER_DEVICES", dangling + ":/dev/ttyUSB0"), "h"));
            assertThatThrownBy(gone::requireDevices).isInstanceOf(InvalidSpecException.class)
                    .hasMessageContaining("device " + dangling + " of pool board-1 links to " + byId.resolve("ttyUSB-gone")
                            + ", which does not exist");
        } finally {
            try (Stream<Path> paths = Files.list(byId)) {
                for (Path p : paths.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(byId);
        }
    }

    @Test
    void matchExplainsWhyNobodyCanTakeAJobAndExitsOne() {
        TestTerminal t = TestTerminal.none();
        Map<String, String> env = Map.of("ORG", "acme", "RUNNER_BOARD_COUNT", "1", "BOARD_RUNNER_LABELS", "phytiumpi");
        assertThat(run(t, env, "match", "--runs-on", "self-hosted,linux,riscv-board", "--repo", "acme/fw")).isEqualTo(1);
        assertThat(t.out.toString()).contains("riscv-board").contains("phytiumpi");
        TestTerminal ok = TestTerminal.none();
        assertThat(run(ok, env, "match", "--runs-on", "self-hosted,linux,phytiumpi")).isEqualTo(0);
        assertThat(ok.out.toString()).contains("board-1");
    }

    @Test
    void issue17_matchCanSayTheRepositoryIsPublicAndTheDefaultGroupThenRefusesTheJob() {
        Map<String, String> env = Map.of("ORG", "acme", "RUNNER_BOARD_COUNT", "1", "BOARD_RUNNER_LABELS", "phytiumpi");
        TestTerminal t = TestTerminal.none();
        assertThat(run(t, env, "match", "--runs-on", "self-hosted,linux,phytiumpi", "--repo", "acme/fw", "--public"))
                .as(t.all()).isEqualTo(ExitCode.FAILURE);
        assertThat(t.out.toString()).contains("public").contains("board-1").doesNotContain("note: runner group");
        TestTerminal named = TestTerminal.none();
        assertThat(run(named, Map.of("ORG", "acme", "RUNNER_GROUP", "boards", "RUNNER_BOARD_COUNT", "0"),
                "match", "--runs-on", "self-hosted,intel", "--public")).isEqualTo(ExitCode.FAILURE);
        assertThat(named.out.toString()).contains("note: runner group 'boards' (RUNNER_GROUP)");
        TestTerminal privateRepo = TestTerminal.none();
        assertThat(run(privateRepo, env, "match", "--runs-on", "self-hosted,linux,phytiumpi", "--repo", "acme/fw"))
                .isEqualTo(ExitCode.OK);
    }

    @Test
    void issue17_aDotEnvThatIsNotUtf8AndAListOfEmptyEntriesExitThreeNamingTheProblem() throws Exception {
        Files.write(dir.resolve(".env"), "ORG=acme\nRUNNER_LABELS=caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        TestTerminal latin1 = TestTerminal.none();
        assertThat(run(latin1, Map.of(), "match", "--runs-on", "self-hosted")).isEqualTo(ExitCode.CONFIGURATION);
        assertThat(latin1.err.toString()).contains(dir.resolve(".env") + ":2:").contains("must be UTF-8");
        Files.writeString(dir.resolve(".env"), "ORG=acme\nRUNNER_LABELS=\" , ,\"\n");
        TestTerminal empty = TestTerminal.none();
        assertThat(run(empty, Map.of(), "match", "--runs-on", "self-hosted")).isEqualTo(ExitCode.CONFIGURATION);
        assertThat(empty.err.toString()).contains("RUNNER_LABELS has only empty entries");
    }

    /**
     * Runs {@code runnerfleet stop} in a child JVM (slf4j reads its levels once per JVM) against an "engine"
     * that accepts connections and closes them unanswered, which makes docker-java's HTTP client log a retry
     * at INFO; returns the child's error output.
     */
    private String stopAgainstAnEngineThatHangsUp(String... jvmOptions) throws Exception {
        try (ServerSocket engine = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread hangUp = new Thread(() -> {
                while (!engine.isClosed()) {
                    try (Socket s = engine.accept()) {
                        s.getInputStream().read(new byte[4096]);
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "engine-that-hangs-up");
            hangUp.setDaemon(true);
            hangUp.start();
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            command.addAll(List.of(jvmOptions));
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), RunnerFleetCli.class.getName(),
                    "--env-file", dir.resolve(".env").toString(), "stop"));
            Path err = dir.resolve("stderr-" + UUID.randomUUID() + ".txt");
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("ORG", "acme");
            pb.environment().put("RUNNER_NAME_PREFIX", "quiet-logs");
            pb.environment().put("DOCKER_HOST", "tcp://127.0.0.1:" + engine.getLocalPort());
            Process child = pb.start();
            if (!child.waitFor(2, TimeUnit.MINUTES)) {
                child.destroyForcibly();
                throw new AssertionError("runnerfleet stop did not end within 2 minutes");
            }
            assertThat(child.exitValue()).as(Files.readString(err)).isEqualTo(ExitCode.DOCKER);
            return Files.readString(err);
        }
    }

    @Test
    void issue17_thirdPartyInfoLinesStayOffTheErrorOutputUnlessAskedFor() throws Exception {
        String quiet = stopAgainstAnEngineThatHangsUp();
        assertThat(quiet).contains("runnerfleet: cannot ping").doesNotContain("INFO com.github.dockerjava");
        String verbose = stopAgainstAnEngineThatHangsUp("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
        assertThat(verbose).as("-D still wins").contains("INFO com.github.dockerjava");
    }

    @Test
    void defect7_theJoinedTableShowsMoreThanAHundredRunnersInNaturalOrder() {
        List<InstanceInfo> instances = new ArrayList<>();
        List<RegisteredRunner> registered = new ArrayList<>();
        for (int i = 1; i <= 150; i++) {
            String name = "fl-runner-" + i;
            if (i != 150) {
                instances.add(new InstanceInfo("id" + i, name, "fl", "runner", name, "h", InstanceState.RUNNING, null, false, null, null, Map.of()));
            }
            registered.add(new RegisteredRunner(i, name, "linux", i != 150, i == 7, LabelSet.of("intel"), false));
        }
        registered.add(new RegisteredRunner(999, "other-runner-1", "linux", true, false, LabelSet.of("x"), false));
        List<RunnerTable.Row> rows = RunnerTable.rows("fl", instances, registered);
        assertThat(rows).hasSize(150);
        assertThat(rows.get(1).runner()).isEqualTo("fl-runner-2");
        assertThat(rows.get(6).busy()).isTrue();
        assertThat(rows.get(149).container()).isEqualTo("-");
        assertThat(RunnerTable.table(rows).lines().count()).isEqualTo(151);
        assertThat(RunnerTable.json(rows)).startsWith("[").contains("\"runner\":\"fl-runner-150\"");
    }

    @Test
    void psShowsEachRunnersEngineWhenTheFleetSpansSeveral() {
        List<InstanceInfo> instances = List.of(
                new InstanceInfo("a1@local", "fl-runner-1", "fl", "runner", "fl-runner-1", "h", InstanceState.RUNNING, null,
                        false, null, null, Map.of(), "local"),
                new InstanceInfo("b1@lab", "fl-board-1-1", "fl", "board-1", "fl-board-1-1", "h", InstanceState.RUNNING, null,
                        false, null, null, Map.of(), "lab"));
        List<RunnerTable.Row> rows = RunnerTable.rows("fl", instances, List.of());
        String table = RunnerTable.table(rows);
        assertThat(table.lines().findFirst().orElseThrow()).contains("CONTAINER  ENGINE  GITHUB");
        assertThat(table).containsPattern("fl-board-1-1 +board-1 +running +lab ");
        assertThat(RunnerTable.json(rows)).contains("\"engine\":\"lab\"");
        List<RunnerTable.Row> single = RunnerTable.rows("fl", List.of(new InstanceInfo("c1", "fl-runner-1", "fl",
                "runner", "fl-runner-1", "h", InstanceState.RUNNING, null, false, null, null, Map.of())), List.of());
        assertThat(RunnerTable.table(single)).doesNotContain("ENGINE");
    }

    @Test
    void theDemoWithoutAnEngineSaysHowToStartOneAndExitsFive() {
        TestTerminal t = TestTerminal.none();
        assertThat(run(t, Map.of(), "demo")).isEqualTo(ExitCode.DOCKER);
        assertThat(t.err.toString()).contains("bash scripts/docker-engine.sh").contains("no Docker in unit tests");
    }

    @Test
    void progressBarsDrawOnlyOnATerminal() {
        assertThat(PrintWriterProgress.bar("image", 3, 6)).contains("3/6").contains("#".repeat(15));
        TestTerminal none = TestTerminal.none();
        try (PrintWriterProgress bar = new PrintWriterProgress(none, "x")) {
            bar.update(1, 2);
        }
        assertThat(none.err.toString()).isEmpty();
    }
}
