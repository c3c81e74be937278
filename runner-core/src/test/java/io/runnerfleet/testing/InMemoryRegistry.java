package io.runnerfleet.testing;

import io.runnerfleet.LabelSet;
import io.runnerfleet.RegistrationException;
import io.runnerfleet.RunnerBusyException;
import io.runnerfleet.Secret;
import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RegistrationToken;
import io.runnerfleet.spi.RunnerNameConflictException;
import io.runnerfleet.spi.RunnerRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;

/**
 * A {@link RunnerRegistry} held in memory: GitHub's runner registrations for one organization, with
 * hooks that play the runner's part (configure with a token, connect with a JIT config, go busy or
 * offline) and failure injection for the fleet's tests.
 *
 * <pre>{@code
 * MutableClock clock = MutableClock.standard();
 * InMemoryRegistry registry = InMemoryRegistry.builder().organization("acme").clock(clock).build();
 * JitConfig jit = registry.jitConfig(new JitRequest("f-p-1", LabelSet.of("self-hosted"), 1, null));
 * registry.connect(jit.encodedConfig());      // the runner came online: Idle
 * registry.markBusy("f-p-1");                 // it took a job: Active
 * registry.faults().failNext(InMemoryRegistry.Operation.RUNNERS, 1, () -> new RegistrationException("injected"));
 * }</pre>
 *
 * <p>Thread-safe. Like GitHub: registration tokens live one hour (by the injected clock), runner ids
 * start at 1 and grow, names are unique case-insensitively, JIT runners are ephemeral and start
 * offline, deleting a busy runner fails with {@link RunnerBusyException}, and deleting a missing one
 * is not an error. Runner names are compared case-insensitively, as GitHub does.
 */
public final class InMemoryRegistry implements RunnerRegistry {
    /** The operations failures and delays can be injected into. */
    public enum Operation { REGISTRATION_TOKEN, JIT_CONFIG, RUNNERS, DELETE }

    /** How long GitHub's registration tokens live. */
    public static final Duration TOKEN_LIFETIME = Duration.ofHours(1);

    private final String organization;
    private final Clock clock;
    private final Faults<Operation> faults;
    private final Random random;
    private final Map<String, Entry> runners = new LinkedHashMap<>();   // key: lower-cased name
    private final Map<String, Instant> tokens = new HashMap<>();        // token value -> expiry
    private final Map<String, String> jitConfigs = new HashMap<>();     // encoded config -> runner key
    private long nextId = 1;

    private static final class Entry {
        final long id;
        final String name;
        final LabelSet labels;
        final boolean ephemeral;
        boolean online;
        boolean busy;

        Entry(long id, String name, LabelSet labels, boolean ephemeral) {
            this.id = id;
            this.name = name;
            this.labels = labels;
            this.ephemeral = ephemeral;
        }

        RegisteredRunner snapshot() {
            return new RegisteredRunner(id, name, "Linux", online, busy, labels, ephemeral);
        }
    }

    private InMemoryRegistry(Builder b) {
        this.organization = b.organization;
        this.clock = b.clock;
        this.faults = new Faults<>(Operation.class, b.sleeper);
        this.random = new Random(b.seed);
    }

    /** A builder; defaults: organization {@code tck-org}, the system UTC clock, delays really sleep. */
    public static Builder builder() {
        return new Builder();
    }

    /** Failure injection and call counts. */
    public Faults<Operation> faults() {
        return faults;
    }

    @Override
    public String scope() {
        return "organization " + organization;
    }

    @Override
    public String registrationUrl() {
        return "https://github.com/" + organization;
    }

    @Override
    public RegistrationToken registrationToken() {
        faults.enter(Operation.REGISTRATION_TOKEN);
        synchronized (this) {
            String value = "AAREG" + randomToken(24);
            Instant expiresAt = clock.instant().plus(TOKEN_LIFETIME);
            tokens.put(value, expiresAt);
            return new RegistrationToken(Secret.of(value), expiresAt);
        }
    }

    @Override
    public JitConfig jitConfig(JitRequest request) {
        Objects.requireNonNull(request, "request");
        faults.enter(Operation.JIT_CONFIG);
        synchronized (this) {
            String key = key(request.name());
            if (runners.containsKey(key)) {
                throw new RunnerNameConflictException(request.name(), "a runner named '" + request.name()
                        + "' already exists in " + scope() + "; delete it first or choose another name");
            }
            Entry entry = new Entry(nextId++, request.name(), request.labels(), true);
            runners.put(key, entry);
            String encoded = Base64.getEncoder().encodeToString(
                    ("{\".runner\":\"" + entry.id + "\",\".credentials\":\"" + randomToken(16) + "\"}")
                            .getBytes(StandardCharsets.UTF_8));
            jitConfigs.put(encoded, key);
            return new JitConfig(entry.id, entry.name, Secret.of(encoded));
        }
    }

    @Override
    public List<RegisteredRunner> runners() {
        faults.enter(Operation.RUNNERS);
        synchronized (this) {
            List<RegisteredRunner> list = new ArrayList<>();
            runners.values().forEach(e -> list.add(e.snapshot()));
            list.sort(Comparator.comparingLong(RegisteredRunner::id));
            return List.copyOf(list);
        }
    }

    @Override
    public void delete(RegisteredRunner runner) {
        Objects.requireNonNull(runner, "runner");
        faults.enter(Operation.DELETE);
        synchronized (this) {
            Optional<Entry> found = runners.values().stream().filter(e -> e.id == runner.id()).findFirst();
            if (found.isEmpty()) {
                return;
            }
            Entry entry = found.get();
            if (entry.busy) {
                throw new RunnerBusyException(entry.name, "runner '" + entry.name + "' in " + scope()
                        + " is running a job and cannot be deregistered; drain it and try again after the job");
            }
            runners.remove(key(entry.name));
            jitConfigs.values().removeIf(k -> k.equals(key(entry.name)));
        }
    }

    // ---- the runner's side ----

    /**
     * Plays {@code config.sh --unattended --replace}: registers {@code name} with exactly
     * {@code labels} (pass the default labels too when the runner would have them).
     *
     * @throws RegistrationException if the token was never issued here or has expired
     */
    public synchronized RegisteredRunner configure(String name, LabelSet labels, Secret token, boolean ephemeral) {
        Instant expiry = tokens.get(token.reveal());
        if (expiry == null) {
            throw new RegistrationException("registration of '" + name + "' refused: the token was not issued by " + scope());
        }
        if (!clock.instant().isBefore(expiry)) {
            throw new RegistrationException("registration of '" + name + "' refused: the token expired at " + expiry);
        }
        Entry old = runners.remove(key(name));   // --replace
        Entry entry = new Entry(nextId++, name, labels, ephemeral);
        if (old != null) {
            jitConfigs.values().removeIf(k -> k.equals(key(name)));
        }
        runners.put(key(name), entry);
        return entry.snapshot();
    }

    /**
     * Plays {@code run.sh --jitconfig}: the runner of that config connects and is Idle.
     *
     * @throws RegistrationException if the config is unknown (never issued, or its runner was deleted)
     */
    public synchronized RegisteredRunner connect(Secret jitConfig) {
        String key = jitConfigs.get(jitConfig.reveal());
        if (key == null || !runners.containsKey(key)) {
            throw new RegistrationException("the JIT config is unknown to " + scope() + " (never issued, or its runner was deleted)");
        }
        Entry entry = runners.get(key);
        entry.online = true;
        return entry.snapshot();
    }

    /** The runner is connected and not busy (GitHub: Idle). */
    public void markOnline(String name) {
        update(name, e -> {
            e.online = true;
            e.busy = false;
        });
    }

    /** The runner is connected and running a job (GitHub: Active). */
    public void markBusy(String name) {
        update(name, e -> {
            e.online = true;
            e.busy = true;
        });
    }

    /** The runner lost its connection (GitHub: Offline); a job it ran is no longer busy. */
    public void markOffline(String name) {
        update(name, e -> {
            e.online = false;
            e.busy = false;
        });
    }

    /**
     * The runner finished its job: an ephemeral runner is deregistered by GitHub, a persistent one is
     * Idle again.
     */
    public synchronized void completeJob(String name) {
        Entry entry = entry(name);
        if (entry.ephemeral) {
            runners.remove(key(name));
        } else {
            entry.busy = false;
        }
    }

    /** The registration of {@code name}, if there is one (no fault injection, no call counted). */
    public synchronized Optional<RegisteredRunner> runner(String name) {
        Entry entry = runners.get(key(name));
        return entry == null ? Optional.empty() : Optional.of(entry.snapshot());
    }

    private synchronized void update(String name, java.util.function.Consumer<Entry> change) {
        change.accept(entry(name));
    }

    private Entry entry(String name) {
        Entry entry = runners.get(key(name));
        if (entry == null) {
            throw new IllegalArgumentException("no runner named '" + name + "' is registered in " + scope()
                    + "; registered: " + runners.values().stream().map(e -> e.name).toList());
        }
        return entry;
    }

    private String randomToken(int length) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        StringBuilder b = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            b.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    private static String key(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    @Override
    public synchronized String toString() {
        return "InMemoryRegistry[" + scope() + ", " + runners.size() + " runners]";
    }

    /** Builds an {@link InMemoryRegistry}. */
    public static final class Builder {
        private String organization = "tck-org";
        private Clock clock = Clock.systemUTC();
        private Faults.Sleeper sleeper = Faults.Sleeper.real();
        private long seed = 42;

        private Builder() {
        }

        /** The organization; default {@code tck-org}. */
        public Builder organization(String organization) {
            if (organization == null || !organization.matches("[A-Za-z0-9][A-Za-z0-9-]*")) {
                throw new IllegalArgumentException("not a GitHub organization name: '" + organization + "'");
            }
            this.organization = organization;
            return this;
        }

        /** The clock token expiry is computed from; default the system UTC clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** How injected delays are spent; default really sleeping. */
        public Builder sleeper(Faults.Sleeper sleeper) {
            this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
            return this;
        }

        /** The seed of the token generator; default 42. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Builds the registry. */
        public InMemoryRegistry build() {
            return new InMemoryRegistry(this);
        }
    }
}
