package io.runnerfleet.examples.cli;

import io.runnerfleet.DeviceMapping;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerName;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Scaling;
import io.runnerfleet.examples.EngineSettings;
import io.runnerfleet.examples.RunnerShSettings;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.spi.RunnerBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The fleet runner.sh's settings describe: its name (from {@code RUNNER_NAME_PREFIX}), a generic pool
 * {@code runner} with {@code RUNNER_LABELS}, and one pool {@code board-<i>} of one runner per board.
 *
 * <p>Sharp edge: fleet names are limited to lower-case letters, digits and inner dashes, at most 24
 * characters, so the prefix is lower-cased, other characters become dashes and it is truncated;
 * {@link #nameNote()} says so when that changed it.
 */
final class FleetConfig {
    static final String GENERIC_POOL = "runner";
    static final String BOARD_POOL = "board-";

    private final RunnerShSettings settings;
    private final EngineSettings engines;
    private final String fleetName;
    private final FleetNames fleets;

    FleetConfig(RunnerShSettings settings) {
        this(settings, new EngineSettings(List.of(), List.of(), java.util.Map.of(), null));
    }

    FleetConfig(RunnerShSettings settings, EngineSettings engines) {
        this(settings, engines, List.of());
    }

    /** @param scaleSetPools the pools serve drives by a runner scale set, each in a fleet of its own */
    FleetConfig(RunnerShSettings settings, EngineSettings engines, List<String> scaleSetPools) {
        this.settings = settings;
        this.engines = engines;
        this.fleetName = fleetName(settings.namePrefix());
        this.fleets = FleetNames.of(fleetName, scaleSetPools);
    }

    /** The engines of {@code RUNNERFLEET_ENGINES}; none configured means the one engine of {@code DOCKER_HOST}. */
    EngineSettings engines() {
        return engines;
    }

    /**
     * The backend the commands use: every configured engine with each pool placed on its engines, else
     * {@code single}'s one engine.
     */
    RunnerBackend backend(Supplier<RunnerBackend> single) {
        return engines.configured() ? engines.backend(GENERIC_POOL, BOARD_POOL, EngineSettings::connect) : single.get();
    }

    RunnerShSettings settings() {
        return settings;
    }

    String fleetName() {
        return fleetName;
    }

    /** This fleet and its scale-set pools' fleets: where the commands that act on existing runners look. */
    FleetNames fleets() {
        return fleets;
    }

    /** A note when the fleet name differs from {@code RUNNER_NAME_PREFIX}, or empty. */
    String nameNote() {
        return fleetName.equals(settings.namePrefix()) ? ""
                : "fleet name '" + fleetName + "' derived from RUNNER_NAME_PREFIX '" + settings.namePrefix()
                + "' (lower-case letters, digits and inner dashes, at most " + RunnerName.MAX_PART + " characters)";
    }

    /** A valid fleet name from any prefix: lower-cased, invalid characters replaced, truncated. */
    static String fleetName(String prefix) {
        String name = prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("-{2,}", "-")
                .replaceAll("^-+", "");
        if (name.length() > RunnerName.MAX_PART) {
            name = name.substring(0, RunnerName.MAX_PART);
        }
        name = name.replaceAll("-+$", "");
        if (name.isEmpty()) {
            throw new InvalidSpecException("RUNNER_NAME_PREFIX '" + prefix + "' has no letter or digit to name the fleet;"
                    + " set RUNNER_NAME_PREFIX to something like 'myhost-acme'");
        }
        return RunnerName.validatePart("fleet", name);
    }

    /** The image every pool runs: {@code RUNNER_IMAGE}. */
    RunnerImage image() {
        return RunnerImage.of(settings.image());
    }

    /** The pools with {@code generic} runners in the generic pool and one runner per board. */
    List<RunnerPool.Builder> pools(int generic) {
        if (generic < 0) {
            throw new InvalidSpecException("the runner count " + generic + " is negative; pass init -n 0 or more");
        }
        List<RunnerPool.Builder> pools = new ArrayList<>();
        pools.add(common(RunnerPool.builder(GENERIC_POOL)).labels(settings.labels()).scaling(Scaling.fixed(generic)));
        for (RunnerShSettings.Board board : settings.boards()) {
            RunnerPool.Builder pool = common(RunnerPool.builder(BOARD_POOL + board.index())).labels(board.labels())
                    .devices(board.devices().toArray(String[]::new)).groups(board.groups().toArray(String[]::new))
                    .bindMounts(board.volumes().toArray(String[]::new)).env(board.env()).scaling(Scaling.fixed(1));
            pools.add(pool);
        }
        return pools;
    }

    /** The pools with each pool's scaling and ephemeral setting from {@code serve}'s settings. */
    List<RunnerPool.Builder> pools(ServeSettings serve) {
        ServeSettings.PoolScaling generic = serve.pools().get(GENERIC_POOL);
        List<RunnerPool.Builder> pools = pools(generic.scaling().min());
        for (int i = 0; i < pools.size(); i++) {
            String name = i == 0 ? GENERIC_POOL : BOARD_POOL + settings.boards().get(i - 1).index();
            ServeSettings.PoolScaling scaling = serve.pools().get(name);
            pools.get(i).scaling(scaling.scaling()).ephemeral(scaling.ephemeral());
        }
        return pools;
    }

    /**
     * Checks that every board's devices exist on this host (a device, or a link such as
     * {@code /dev/serial/by-id/...} that resolves to one), so that a missing board fails the command before
     * a token is minted or any runner is created, instead of after the other pools' runners were.
     *
     * @throws InvalidSpecException naming each missing device, its pool and the variable to fix
     */
    void requireDevices() {
        if (engines.configured()) {
            return;   // the boards may be on other hosts: each engine checks them there, naming the engines checked
        }
        List<String> problems = new ArrayList<>();
        for (RunnerShSettings.Board board : settings.boards()) {
            for (String spec : board.devices()) {
                String host = DeviceMapping.parse(spec).hostPath();
                Path path = Path.of(host);
                if (Files.exists(path)) {
                    continue;
                }
                String what = Files.isSymbolicLink(path) ? "links to " + target(path) + ", which does not exist" : "does not exist";
                problems.add("device " + host + " of pool " + BOARD_POOL + board.index() + " " + what
                        + " (BOARD_RUNNER_DEVICES_" + board.index() + ", else BOARD_RUNNER_DEVICES)");
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidSpecException(String.join("; ", problems) + ". Nothing was created: plug the board in, or"
                    + " correct the device list in .env (a /dev/serial/by-id/... path stays stable across replugging;"
                    + " an empty BOARD_RUNNER_DEVICES_<i>= gives that board no devices), or set RUNNER_BOARD_COUNT to the"
                    + " boards present");
        }
    }

    private static String target(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            return "an unreadable target";
        }
    }

    private RunnerPool.Builder common(RunnerPool.Builder pool) {
        pool.image(image()).runnerGroup(settings.runnerGroup()).disableUpdate(settings.disableAutoUpdate())
                .env(settings.proxy());
        if (!settings.workDir().isEmpty()) {
            pool.workDirectory(settings.workDir());
        }
        return pool;
    }

    /** The organization, or the repository when {@code REPO} is set. */
    RunnerScope scope() {
        return settings.repository().isEmpty() ? RunnerScope.organization(settings.organization())
                : RunnerScope.repository(settings.organization(), settings.repository());
    }

    /** The custom labels of pool {@code pool}: {@code RUNNER_LABELS}, or the board's. */
    List<String> labels(String pool) {
        io.runnerfleet.LabelSet labels = settings.labels();
        for (RunnerShSettings.Board board : settings.boards()) {
            if (pool.equals(BOARD_POOL + board.index())) {
                labels = board.labels();
            }
        }
        List<String> out = new ArrayList<>();
        labels.forEach(out::add);
        return out;
    }

    /** The GitHub registry of the settings' scope and credentials. */
    GitHubRegistry registry(String githubUrl) {
        RunnerScope scope = scope();
        GitHubCredentials credentials;
        if (settings.pat().isPresent()) {
            credentials = GitHubCredentials.token(settings.pat().get());
        } else if (settings.app().isPresent()) {
            RunnerShSettings.App app = settings.app().get();
            credentials = app.installationId().isEmpty() ? GitHubCredentials.app(app.appId(), app.privateKeyPem(), scope)
                    : GitHubCredentials.app(app.appId(), app.privateKeyPem(), Long.parseLong(app.installationId()));
        } else {
            throw new InvalidSpecException("no GitHub credentials: set GH_PAT, or GH_APP_ID with GH_APP_PRIVATE_KEY_FILE");
        }
        String web = githubUrl.equals("https://api.github.com") ? "https://github.com" : githubUrl;
        return GitHubRegistry.builder(scope).baseUrl(githubUrl).webUrl(web).credentials(credentials).build();
    }
}
