package io.runnerfleet;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The rules of a {@link RunnerTemplate} that span several settings (labels and the platform, the
 * registration mode and ephemerality, the user and the environment, paths of volumes, mounts and
 * devices), checked when it is built so that a template GitHub or the runner would refuse never exists.
 */
final class TemplateRules {
    private TemplateRules() {
    }

    /**
     * Checks {@code t}.
     *
     * @throws InvalidSpecException naming the rule broken and how to fix it
     */
    static void check(RunnerTemplate t) {
        boolean noDefaultLabels = t.noDefaultLabels();
        LabelSet labels = t.labels();
        RegistrationMode registrationMode = t.registrationMode();
        boolean ephemeral = t.ephemeral();
        String user = t.user().orElse(null);
        Map<String, String> env = t.env();
        if (noDefaultLabels && labels.isEmpty()) {
            throw new InvalidSpecException("noDefaultLabels(true) needs at least one custom label: the runner refuses "
                    + "--no-default-labels without --labels; add labels(...) or keep the default labels");
        }
        checkLabelCount(labels, noDefaultLabels, t.platform());
        if (registrationMode == RegistrationMode.JIT && !ephemeral) {
            throw new InvalidSpecException("registration mode JIT needs an ephemeral runner (a just-in-time runner takes "
                    + "one job); set ephemeral(true) or registrationMode(RegistrationMode.TOKEN)");
        }
        if (t.disableUpdate() && registrationMode == RegistrationMode.JIT) {
            throw new InvalidSpecException("disableUpdate(true) is a config.sh option and JIT runners skip config.sh; "
                    + "use registrationMode(RegistrationMode.TOKEN) or pin the runner version in the image");
        }
        if (user != null && (user.equals("root") || user.equals("0") || user.startsWith("root:") || user.startsWith("0:"))
                && !env.containsKey("RUNNER_ALLOW_RUNASROOT")) {
            throw new InvalidSpecException("user '" + user + "' is root and the runner refuses to run as root; "
                    + "use a non-root user (the official image's is 'runner', uid 1001) or set env RUNNER_ALLOW_RUNASROOT=1");
        }
        Set<String> paths = new HashSet<>();
        for (VolumeMount v : t.volumes()) {
            requireUniquePath(paths, v.path(), "volume '" + v.name() + "'");
        }
        for (BindMount m : t.bindMounts()) {
            requireUniquePath(paths, m.path(), "bind mount of '" + m.hostPath() + "'");
        }
        Set<String> devicePaths = new HashSet<>();
        for (DeviceMapping d : t.devices()) {
            if (!devicePaths.add(d.path())) {
                throw new InvalidSpecException("two devices map to " + d.path() + " inside the runner; give each its own path");
            }
        }
        if (t.dockerSocket() && paths.contains("/var/run/docker.sock")) {
            throw new InvalidSpecException("dockerSocket(true) mounts /var/run/docker.sock already; remove the bind mount of it");
        }
    }

    // GitHub's limit counts every label the runner carries, the default ones included: the generate-jitconfig
    // request takes 1 to 100 labels (runners-openapi.json, "labels": maxItems 100, as do the label endpoints).
    // Checked here, where the platform and noDefaultLabels are known, so that a pool too big for GitHub is
    // refused when it is built instead of timing out in config.sh.
    private static void checkLabelCount(LabelSet labels, boolean noDefaultLabels, RunnerPlatform platform) {
        LabelSet defaults = noDefaultLabels ? LabelSet.empty() : platform.defaultLabels();
        int custom = defaults.missing(labels).size(); // a custom 'linux' is the default 'Linux', counted once
        int total = defaults.size() + custom;
        if (total > LabelSet.MAX_LABELS) {
            int extra = total - LabelSet.MAX_LABELS;
            throw new InvalidSpecException("too many labels: the runner would carry " + total + " (" + custom
                    + " custom + " + defaults.size() + " default), but GitHub accepts at most " + LabelSet.MAX_LABELS
                    + " labels per runner, including the " + defaults.size() + " default labels " + defaults
                    + "; remove " + extra + " custom label" + (extra == 1 ? "" : "s")
                    + (noDefaultLabels ? "" : " or set noDefaultLabels(true)"));
        }
    }

    private static void requireUniquePath(Set<String> paths, String path, String what) {
        if (!paths.add(path)) {
            throw new InvalidSpecException(what + " uses " + path + " inside the runner, which another volume or mount "
                    + "uses already; give each its own path");
        }
    }
}
