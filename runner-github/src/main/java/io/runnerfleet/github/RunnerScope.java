package io.runnerfleet.github;

import io.runnerfleet.InvalidSpecException;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Where runners are registered: a repository, an organization or an enterprise.
 *
 * <pre>{@code
 * RunnerScope org = RunnerScope.organization("acme");
 * org.registrationUrl("https://github.com");    // "https://github.com/acme"
 * RunnerScope.repository("acme", "app");        // repository acme/app
 * }</pre>
 *
 * <p>Names are checked when the scope is made: not blank, no {@code /}, no whitespace. Runner groups
 * exist for organizations only here (the enterprise group API is not part of api.github.com).
 */
public final class RunnerScope {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");

    /** The three kinds of scope. */
    public enum Kind {
        /** A single repository. */
        REPOSITORY,
        /** An organization. */
        ORGANIZATION,
        /** A GitHub Enterprise Cloud enterprise. */
        ENTERPRISE
    }

    private final Kind kind;
    private final String owner;
    private final @Nullable String name;

    private RunnerScope(Kind kind, String owner, @Nullable String name) {
        this.kind = kind;
        this.owner = owner;
        this.name = name;
    }

    /** The repository {@code owner/name}. */
    public static RunnerScope repository(String owner, String name) {
        return new RunnerScope(Kind.REPOSITORY, check("repository owner", owner), check("repository name", name));
    }

    /** The organization {@code org}. */
    public static RunnerScope organization(String org) {
        return new RunnerScope(Kind.ORGANIZATION, check("organization", org), null);
    }

    /** The enterprise with the URL slug {@code slug}. */
    public static RunnerScope enterprise(String slug) {
        return new RunnerScope(Kind.ENTERPRISE, check("enterprise", slug), null);
    }

    private static String check(String what, String value) {
        if (value == null || !NAME.matcher(value).matches()) {
            throw new InvalidSpecException(what + " '" + value
                    + "' is not a valid GitHub name: use 1 to 100 letters, digits, '.', '_' or '-' (no '/')");
        }
        return value;
    }

    /** Which kind of scope this is. */
    public Kind kind() {
        return kind;
    }

    /** The organization, enterprise slug or repository owner. */
    public String owner() {
        return owner;
    }

    /** The repository name; absent for organizations and enterprises. */
    public @Nullable String repository() {
        return name;
    }

    /** The REST path segments of the scope, e.g. {@code [orgs, acme]}. */
    List<String> segments() {
        return switch (kind) {
            case REPOSITORY -> List.of("repos", owner, name);
            case ORGANIZATION -> List.of("orgs", owner);
            case ENTERPRISE -> List.of("enterprises", owner);
        };
    }

    /** The REST base path, e.g. {@code /orgs/acme}. */
    public String apiPath() {
        return "/" + String.join("/", segments());
    }

    /**
     * The URL a runner registers with ({@code config.sh --url}) on the given web host, e.g.
     * {@code https://github.com/acme/app} or {@code https://ghes.example.com/enterprises/big}.
     */
    public String registrationUrl(String webUrl) {
        String base = webUrl.endsWith("/") ? webUrl.substring(0, webUrl.length() - 1) : webUrl;
        return switch (kind) {
            case REPOSITORY -> base + "/" + owner + "/" + name;
            case ORGANIZATION -> base + "/" + owner;
            case ENTERPRISE -> base + "/enterprises/" + owner;
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RunnerScope s && s.kind == kind && s.owner.equals(owner) && Objects.equals(s.name, name);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, owner, name);
    }

    /** {@code repository acme/app}, {@code organization acme} or {@code enterprise big}. */
    @Override
    public String toString() {
        return switch (kind) {
            case REPOSITORY -> "repository " + owner + "/" + name;
            case ORGANIZATION -> "organization " + owner;
            case ENTERPRISE -> "enterprise " + owner;
        };
    }
}
