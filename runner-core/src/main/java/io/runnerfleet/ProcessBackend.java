package io.runnerfleet;

import io.runnerfleet.internal.process.ProcessRunners;
import io.runnerfleet.spi.BuildProgress;
import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.Subscription;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Runs runners as plain processes on this host: the "direct deployment" of a runner, supervised from
 * Java. Each runner gets its own directory under {@link Builder#root(Path) root}, holding a copy of
 * the runner distribution (hard links where the file system allows), and runs
 * {@code ./config.sh ... && ./run.sh ...} there as a child process.
 *
 * <pre>{@code
 * RunnerBackend backend = ProcessBackend.builder()
 *     .distribution(Path.of("/opt/actions-runner"))   // where config.sh and run.sh are
 *     .root(Path.of("/var/lib/runnerfleet"))          // one directory per runner below it
 *     .build();
 * }</pre>
 *
 * <p>What it does and does not do:
 * <ul>
 *   <li>Runners outlive the JVM: their output goes straight to {@code <runner>/.runnerfleet/output.log}
 *       and each directory records its owner, so a new {@code ProcessBackend} on the same root adopts
 *       them (by pid and process start time).
 *   <li>The registration token reaches {@code config.sh} through the process' standard input and is
 *       in no other process' environment or command line (the wrapper shell that outlives config.sh
 *       and starts {@code run.sh} never holds it), so a job cannot read it from {@code /proc}. A JIT
 *       config is never given to {@code run.sh}: the backend writes the files it holds
 *       ({@code .runner}, {@code .credentials}, {@code .credentials_rsaparams}, owner-only) into the
 *       runner's directory, as the runner's listener would, and runs {@code run.sh} from them. The
 *       runner's environment starts empty: only {@code PATH}, {@code HOME}, {@code USER}, {@code LANG}
 *       and the names given to {@link Builder#passEnvironment} come from the JVM's environment, so a
 *       {@code GH_PAT} there never reaches a runner.
 *   <li>It cannot isolate: a spec asking for resource limits, privileged mode, the Docker socket,
 *       another user or a network mode other than {@code host} is refused with
 *       {@link InvalidSpecException}. Devices are checked to exist; volumes live in the runner's
 *       directory.
 *   <li>{@link #logs} honours {@link LogQuery#since()} per run: lines of runs that ended before it are
 *       skipped. The log is rotated (one old file kept) when a run starts past
 *       {@link Builder#maxLogBytes(long)}.
 * </ul>
 * Thread-safe. Instance ids are runner names.
 */
public final class ProcessBackend implements RunnerBackend {
    private final ProcessRunners runners;

    private ProcessBackend(Builder b) {
        this.runners = new ProcessRunners(b.root, b.distribution, b.clock, b.shell, b.passEnvironment,
                b.hostEnvironment, b.maxLogBytes);
    }

    /** Starts a builder; {@code distribution} and {@code root} are required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Checks that the runner distribution is ready; the image itself means nothing to processes and
     * is returned unchanged.
     */
    @Override
    public String prepare(RunnerImage image, Consumer<BuildProgress> progress) {
        runners.checkDistribution();
        progress.accept(new BuildProgress(1, 1, "distribution " + runners.distribution(), "ready"));
        return image.reference();
    }

    @Override
    public InstanceInfo launch(LaunchSpec spec) {
        return runners.launch(spec);
    }

    @Override
    public void start(String instanceId) {
        runners.start(instanceId);
    }

    @Override
    public void stop(String instanceId, Duration grace) {
        runners.stop(instanceId, grace);
    }

    @Override
    public void remove(String instanceId, boolean keepVolumes) {
        runners.remove(instanceId, keepVolumes);
    }

    @Override
    public List<InstanceInfo> instances(String fleet) {
        return runners.instances(fleet);
    }

    @Override
    public LogStream logs(String instanceId, LogQuery query) {
        return runners.logs(instanceId, query);
    }

    @Override
    public Subscription events(String fleet, Consumer<InstanceEvent> listener) {
        return runners.subscribe(fleet, listener);
    }

    /** Stops watching; the runner processes keep running and a later backend adopts them. */
    @Override
    public void close() {
        runners.close();
    }

    @Override
    public String toString() {
        return "ProcessBackend[root " + runners.root() + ", distribution " + runners.distribution() + "]";
    }

    /**
     * Builds a {@link ProcessBackend}. Defaults: shell {@code /bin/sh}, the JVM's clock, logs rotated
     * past 10 MiB, only {@code PATH HOME USER LANG} passed from the JVM's environment.
     */
    public static final class Builder {
        private Path root;
        private Path distribution;
        private Clock clock = Clock.systemUTC();
        private String shell = "/bin/sh";
        private final List<String> passEnvironment = new ArrayList<>(List.of("PATH", "HOME", "USER", "LANG"));
        private java.util.Map<String, String> hostEnvironment = System.getenv();
        private long maxLogBytes = 10L * 1024 * 1024;

        private Builder() {
        }

        /** The directory that holds one directory per runner; created if missing. */
        public Builder root(Path root) {
            this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
            return this;
        }

        /** The runner distribution to copy for each runner: a directory with {@code config.sh} and {@code run.sh}. */
        public Builder distribution(Path distribution) {
            this.distribution = Objects.requireNonNull(distribution, "distribution").toAbsolutePath().normalize();
            return this;
        }

        /** The clock for event and start times. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The POSIX shell that runs the runner's scripts; default {@code /bin/sh}. */
        public Builder shell(String shell) {
            if (shell == null || shell.isBlank()) {
                throw new InvalidSpecException("the shell must not be blank, e.g. '/bin/sh'");
            }
            this.shell = shell;
            return this;
        }

        /** More variable names to pass from the JVM's environment (e.g. the proxy variables). */
        public Builder passEnvironment(String... names) {
            for (String name : names) {
                if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    throw new InvalidSpecException("'" + name + "' is not an environment variable name");
                }
                passEnvironment.add(name);
            }
            return this;
        }

        /** The environment the passed names are read from; default the JVM's (tests give their own). */
        public Builder hostEnvironment(java.util.Map<String, String> hostEnvironment) {
            this.hostEnvironment = java.util.Map.copyOf(hostEnvironment);
            return this;
        }

        /** Rotate a runner's log when a run starts and the log is larger than this; default 10 MiB. */
        public Builder maxLogBytes(long maxLogBytes) {
            if (maxLogBytes < 1024) {
                throw new InvalidSpecException("maxLogBytes must be at least 1024, got " + maxLogBytes);
            }
            this.maxLogBytes = maxLogBytes;
            return this;
        }

        /**
         * Builds the backend.
         *
         * @throws InvalidSpecException if {@code root} or {@code distribution} is missing
         */
        public ProcessBackend build() {
            if (distribution == null) {
                throw new InvalidSpecException("ProcessBackend needs .distribution(path): the directory with the runner's config.sh and run.sh");
            }
            if (root == null) {
                throw new InvalidSpecException("ProcessBackend needs .root(path): the directory that will hold one directory per runner");
            }
            return new ProcessBackend(this);
        }
    }
}
