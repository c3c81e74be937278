package io.runnerfleet.examples;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.LabelSet;
import io.runnerfleet.Secret;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Every setting the seed's {@code runner.sh} reads from its environment and {@code .env}, plus GitHub
 * App credentials and the GitHub API URL, read into typed values.
 *
 * <pre>{@code
 * RunnerShSettings s = RunnerShSettings.from(EnvFile.load(Path.of(".env")).overriddenBy(System.getenv()), "myhost");
 * s.organization();          // ORG
 * s.boards().get(0).devices(); // BOARD_RUNNER_DEVICES_1, else BOARD_RUNNER_DEVICES, else runner.sh's default
 * }</pre>
 *
 * <p>Differences from {@code runner.sh}, on purpose: a per-board variable {@code NAME_<i>} that is set
 * but empty overrides the shared value with empty (runner.sh could not express that);
 * {@code DISABLE_AUTO_UPDATE} accepts {@code 1}, {@code true} and {@code yes} everywhere; a malformed
 * number or list entry, and a list of only empty entries ({@code RUNNER_LABELS=" , ,"}), is an
 * {@link InvalidSpecException} naming the variable. {@code toString()} never
 * shows the PAT or the App key.
 *
 * @param organization {@code ORG}: the organization (or user) that owns the runners, or empty when not given
 * @param repository {@code REPO}: a repository of it for repository-scoped runners, or empty
 * @param pat {@code GH_PAT}, if given
 * @param app GitHub App credentials ({@code GH_APP_ID} or {@code GH_APP_CLIENT_ID}, {@code GH_APP_PRIVATE_KEY} or
 *            {@code GH_APP_PRIVATE_KEY_FILE}, {@code GH_APP_INSTALLATION_ID}), if given
 * @param githubUrl {@code RUNNERFLEET_GITHUB_URL} or {@code GITHUB_API_URL}, default {@code https://api.github.com}
 * @param namePrefix {@code RUNNER_NAME_PREFIX} without a trailing {@code -}, default {@code <host>-<org>[-<repo>]}
 * @param image {@code RUNNER_IMAGE}, default {@code ghcr.io/actions/actions-runner:latest}
 * @param customImage {@code RUNNER_CUSTOM_IMAGE}: the tag a local Dockerfile is built as, default {@code qc-actions-runner:v0.0.1}
 * @param runnerGroup {@code RUNNER_GROUP}, default {@code Default}
 * @param workDir {@code RUNNER_WORKDIR}, or empty for the runner's default
 * @param labels {@code RUNNER_LABELS} of generic runners, default {@code intel}
 * @param boards one entry per board runner ({@code RUNNER_BOARD_COUNT}, legacy {@code RUNNER_BOARD}, default 2)
 * @param disableAutoUpdate {@code DISABLE_AUTO_UPDATE}
 * @param proxy the proxy variables that are set ({@code HTTP_PROXY}, {@code HTTPS_PROXY}, {@code NO_PROXY} and lower-case forms)
 */
public record RunnerShSettings(String organization, String repository, Optional<Secret> pat, Optional<App> app,
                               String githubUrl, String namePrefix, String image, String customImage,
                               String runnerGroup, String workDir, LabelSet labels, List<Board> boards,
                               boolean disableAutoUpdate, Map<String, String> proxy) {

    /** The default image, as in runner.sh. */
    public static final String DEFAULT_IMAGE = "ghcr.io/actions/actions-runner:latest";
    /** Devices a board runner gets when nothing is configured, as in runner.sh. */
    public static final String DEFAULT_BOARD_DEVICES = "/dev/loop-control,/dev/loop0,/dev/loop1,/dev/loop2,/dev/loop3,/dev/kvm";

    /** Copies the collections. */
    public RunnerShSettings {
        boards = List.copyOf(boards);
        proxy = Map.copyOf(proxy);
    }

    /**
     * GitHub App credentials.
     *
     * @param appId the App's id or client id
     * @param privateKeyPem the PEM private key (never printed)
     * @param installationId the installation id, or empty to look it up for the organization or repository
     */
    public record App(String appId, Secret privateKeyPem, String installationId) {
        @Override
        public String toString() {
            return "App[" + appId + ", key ****, installation " + (installationId.isEmpty() ? "lookup" : installationId) + "]";
        }
    }

    /**
     * One board runner's settings; each comes from {@code NAME_<index>} when set, else {@code NAME}, else the default.
     *
     * @param index from 1
     * @param labels {@code BOARD_RUNNER_LABELS}, default {@code board}
     * @param devices {@code BOARD_RUNNER_DEVICES}, comma-separated {@code host[:container[:perms]]}
     * @param groups {@code BOARD_RUNNER_GROUP_ADD}, comma-separated, default {@code dialout}
     * @param volumes {@code BOARD_RUNNER_VOLUMES}, semicolon-separated {@code source:target[:ro]}
     * @param env {@code BOARD_RUNNER_ENV}, semicolon-separated {@code KEY=VALUE}
     * @param command {@code BOARD_RUNNER_COMMAND}, or empty for the runner's own
     */
    public record Board(int index, LabelSet labels, List<String> devices, List<String> groups, List<String> volumes,
                        Map<String, String> env, String command) {
        /** Copies the collections. */
        public Board {
            devices = List.copyOf(devices);
            groups = List.copyOf(groups);
            volumes = List.copyOf(volumes);
            env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env));
        }
    }

    /** Reads the settings from merged variables ({@code .env} overridden by the environment). */
    public static RunnerShSettings from(Map<String, String> vars, String hostName) {
        Reader r = new Reader(vars);
        String org = r.get("ORG", "");
        String repo = r.get("REPO", "");
        Optional<Secret> pat = r.nonBlank("GH_PAT").map(Secret::of);
        Optional<App> app = app(r);
        String url = r.nonBlank("RUNNERFLEET_GITHUB_URL").or(() -> r.nonBlank("GITHUB_API_URL")).orElse("https://api.github.com");
        String defaultPrefix = hostName + (org.isEmpty() ? "" : "-" + org) + (repo.isEmpty() ? "" : "-" + repo);
        String prefix = r.get("RUNNER_NAME_PREFIX", defaultPrefix).replaceAll("-+$", "");
        int boardCount = r.number("RUNNER_BOARD_COUNT", r.number("RUNNER_BOARD", 2));
        List<Board> boards = new ArrayList<>();
        for (int i = 1; i <= boardCount; i++) {
            boards.add(new Board(i,
                    labels(r.indexed("BOARD_RUNNER_LABELS", i, "board"), r.indexedName("BOARD_RUNNER_LABELS", i)),
                    list(r.indexed("BOARD_RUNNER_DEVICES", i, DEFAULT_BOARD_DEVICES), ",", r.indexedName("BOARD_RUNNER_DEVICES", i)),
                    list(r.indexed("BOARD_RUNNER_GROUP_ADD", i, "dialout"), ",", r.indexedName("BOARD_RUNNER_GROUP_ADD", i)),
                    list(r.indexed("BOARD_RUNNER_VOLUMES", i, ""), ";", r.indexedName("BOARD_RUNNER_VOLUMES", i)),
                    pairs(r.indexed("BOARD_RUNNER_ENV", i, ""), r.indexedName("BOARD_RUNNER_ENV", i)),
                    r.indexed("BOARD_RUNNER_COMMAND", i, "")));
        }
        Map<String, String> proxy = new LinkedHashMap<>();
        for (String name : List.of("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")) {
            r.nonBlank(name).ifPresent(v -> proxy.put(name, v));
        }
        String disable = r.get("DISABLE_AUTO_UPDATE", "false").trim().toLowerCase(Locale.ROOT);
        return new RunnerShSettings(org, repo, pat, app, url, prefix, r.get("RUNNER_IMAGE", DEFAULT_IMAGE),
                r.get("RUNNER_CUSTOM_IMAGE", "qc-actions-runner:v0.0.1"), r.get("RUNNER_GROUP", "Default"),
                r.get("RUNNER_WORKDIR", ""), labels(r.get("RUNNER_LABELS", "intel"), "RUNNER_LABELS"), boards,
                List.of("1", "true", "yes", "on").contains(disable), proxy);
    }

    /** The runners' URL scope: {@code https://github.com/ORG[/REPO]} on github.com. */
    public String scopeDescription() {
        return repository.isEmpty() ? "organization " + organization : "repository " + organization + "/" + repository;
    }

    @Override
    public String toString() {
        return "RunnerShSettings[" + scopeDescription() + ", github " + githubUrl + ", pat " + (pat.isPresent() ? "****" : "none")
                + ", app " + app.map(App::toString).orElse("none") + ", prefix " + namePrefix + ", image " + image
                + ", labels " + labels + ", boards " + boards.size() + "]";
    }

    private static Optional<App> app(Reader r) {
        Optional<String> id = r.nonBlank("GH_APP_ID").or(() -> r.nonBlank("GH_APP_CLIENT_ID"));
        if (id.isEmpty()) {
            return Optional.empty();
        }
        Optional<String> pem = r.nonBlank("GH_APP_PRIVATE_KEY");
        if (pem.isEmpty()) {
            Optional<String> file = r.nonBlank("GH_APP_PRIVATE_KEY_FILE");
            if (file.isEmpty()) {
                throw new InvalidSpecException("GH_APP_ID is set but neither GH_APP_PRIVATE_KEY nor GH_APP_PRIVATE_KEY_FILE is:"
                        + " give the App's PEM private key");
            }
            try {
                pem = Optional.of(java.nio.file.Files.readString(java.nio.file.Path.of(file.get())));
            } catch (java.io.IOException e) {
                throw new InvalidSpecException("GH_APP_PRIVATE_KEY_FILE: cannot read " + file.get() + ": " + e.getMessage());
            }
        }
        return Optional.of(new App(id.get(), Secret.of(pem.get()), r.get("GH_APP_INSTALLATION_ID", "")));
    }

    private static LabelSet labels(String value, String variable) {
        List<String> labels = list(value, ",", variable);
        try {
            return LabelSet.of(labels);
        } catch (InvalidSpecException e) {
            throw new InvalidSpecException(variable + ": " + e.getMessage());
        }
    }

    /**
     * The entries of a list variable, stripped, empty entries dropped (as the runner's {@code --labels}
     * does). An empty value is an empty list; a value of separators and spaces only ({@code " , ,"}) is
     * refused: it was meant to list something and would silently leave the runners without it.
     */
    private static List<String> list(String value, String separator, String variable) {
        List<String> out = new ArrayList<>();
        for (String part : value.split(java.util.regex.Pattern.quote(separator))) {
            if (!part.isBlank()) {
                out.add(part.strip());
            }
        }
        if (out.isEmpty() && !value.isBlank()) {
            // The value is not shown: BOARD_RUNNER_ENV may hold secrets.
            throw new InvalidSpecException(variable + " has only empty entries after splitting at '" + separator + "';"
                    + " list at least one, e.g. " + variable + "=" + example(variable)
                    + ", or set " + variable + "= (nothing after '=') for none");
        }
        return out;
    }

    private static String example(String variable) {
        return variable.startsWith("BOARD_RUNNER_DEVICES") ? "/dev/ttyUSB0"
                : variable.startsWith("BOARD_RUNNER_GROUP_ADD") ? "dialout"
                : variable.startsWith("BOARD_RUNNER_VOLUMES") ? "/opt/images:/images:ro"
                : variable.startsWith("BOARD_RUNNER_ENV") ? "BAUD=115200" : "intel,kvm";
    }

    private static Map<String, String> pairs(String value, String variable) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : list(value, ";", variable)) {
            int eq = pair.indexOf('=');
            if (eq <= 0 || !pair.substring(0, eq).strip().matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new InvalidSpecException(variable + ": '" + (eq <= 0 ? pair : pair.substring(0, eq))
                        + "' is not KEY=VALUE; separate pairs with ';', e.g. BAUD=115200;PORT=/dev/ttyUSB0");
            }
            out.put(pair.substring(0, eq).strip(), pair.substring(eq + 1));
        }
        return out;
    }

    private record Reader(Map<String, String> vars) {
        String get(String name, String fallback) {
            String v = vars.get(name);
            return v == null ? fallback : v;
        }

        Optional<String> nonBlank(String name) {
            return Optional.ofNullable(vars.get(name)).filter(v -> !v.isBlank());
        }

        /** The variable {@link #indexed} reads: {@code NAME_<i>} when set, else {@code NAME}. */
        String indexedName(String name, int index) {
            return vars.containsKey(name + "_" + index) ? name + "_" + index : name;
        }

        // NAME_<i> when set (even empty), else NAME when set, else the default.
        String indexed(String name, int index, String fallback) {
            String specific = vars.get(name + "_" + index);
            return specific != null ? specific : get(name, fallback);
        }

        int number(String name, int fallback) {
            String v = vars.get(name);
            if (v == null || v.isBlank()) {
                return fallback;
            }
            try {
                int n = Integer.parseInt(v.strip());
                if (n < 0 || n > 1000) {
                    throw new NumberFormatException();
                }
                return n;
            } catch (NumberFormatException e) {
                throw new InvalidSpecException(name + " must be a whole number from 0 to 1000, got '" + v + "'");
            }
        }
    }
}
