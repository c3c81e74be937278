package io.runnerfleet;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The image a runner instance starts from: an existing image reference, or a Dockerfile context
 * that the backend builds.
 *
 * <pre>{@code
 * RunnerImage.of("ghcr.io/actions/actions-runner:2.330.0");
 * RunnerImage.dockerfile(Path.of("runner-image")).tag("s1lqc-runner:1").buildArg("RUNNER_VERSION", "2.330.0");
 * }</pre>
 *
 * <p>A backend makes the image ready before it launches runners; a Dockerfile image is rebuilt only
 * when its context or build arguments change.
 */
public sealed interface RunnerImage {

    /** The image reference runners are started from (the tag, for a Dockerfile image). */
    String reference();

    /** An existing image, by reference ({@code name[:tag]} or {@code name@sha256:...}). */
    static Reference of(String reference) {
        return new Reference(reference);
    }

    /** An image built from a Dockerfile context directory; give it a tag with {@link Dockerfile#tag}. */
    static Dockerfile dockerfile(Path context) {
        return new Dockerfile(context, "Dockerfile", null, Map.of(), null, false);
    }

    /** An existing image reference. */
    record Reference(String reference) implements RunnerImage {
        /** Validates the reference. */
        public Reference {
            reference = validateReference(reference);
        }

        @Override
        public String toString() {
            return reference;
        }
    }

    /**
     * An image built from a Dockerfile context.
     *
     * @param context the build context directory ({@code .dockerignore} is honoured)
     * @param dockerfile the Dockerfile's path relative to the context, default {@code Dockerfile}
     * @param tag the tag the built image gets; required before a backend can build it
     * @param buildArgs build arguments
     * @param target the stage to build; the last one if absent
     * @param noCache whether to build without the layer cache
     */
    record Dockerfile(Path context, String dockerfile, @Nullable String tag, Map<String, String> buildArgs,
                      @Nullable String target,
                      boolean noCache) implements RunnerImage {
        /** Validates and copies. */
        public Dockerfile {
            Objects.requireNonNull(context, "context");
            if (dockerfile == null || dockerfile.isBlank()) {
                throw new InvalidSpecException("the Dockerfile name must not be blank (default: Dockerfile)");
            }
            if (tag != null) {
                tag = validateReference(tag);
            }
            buildArgs = Map.copyOf(buildArgs);
        }

        /** The same build with this tag. */
        public Dockerfile tag(String tag) {
            return new Dockerfile(context, dockerfile, tag, buildArgs, target, noCache);
        }

        /** The same build with this Dockerfile (relative to the context). */
        public Dockerfile dockerfile(String dockerfile) {
            return new Dockerfile(context, dockerfile, tag, buildArgs, target, noCache);
        }

        /** The same build with one more build argument. */
        public Dockerfile buildArg(String name, String value) {
            Map<String, String> args = new LinkedHashMap<>(buildArgs);
            args.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return new Dockerfile(context, dockerfile, tag, args, target, noCache);
        }

        /** The same build, stopping at this stage. */
        public Dockerfile target(String target) {
            return new Dockerfile(context, dockerfile, tag, buildArgs, target, noCache);
        }

        /** The same build with or without the layer cache. */
        public Dockerfile noCache(boolean noCache) {
            return new Dockerfile(context, dockerfile, tag, buildArgs, target, noCache);
        }

        @Override
        public String reference() {
            if (tag == null) {
                throw new InvalidSpecException("the Dockerfile image built from " + context
                        + " has no tag; give it one with .tag(\"name:version\")");
            }
            return tag;
        }

        @Override
        public String toString() {
            return "Dockerfile[" + context + (tag == null ? "" : " -> " + tag) + "]";
        }
    }

    private static String validateReference(String reference) {
        if (reference == null || reference.isBlank()) {
            throw new InvalidSpecException("an image reference must not be blank, e.g. 'ghcr.io/actions/actions-runner:latest'");
        }
        // Docker's grammar, loosely: lower-case path components, optional registry host:port, tag or digest.
        if (!reference.matches("[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?")) {
            throw new InvalidSpecException("'" + reference + "' is not a valid image reference: use lower-case "
                    + "[registry/]name[:tag] or name@sha256:<digest>, e.g. 'my-runner:1'");
        }
        return reference;
    }
}
