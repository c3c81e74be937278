package io.runnerfleet.testkit.internal;

import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The fake's mutable state records; every field is guarded by the {@link Engine}'s monitor. */
final class Model {
    private Model() {
    }

    /** An organization, the scope of org runners and runner groups. */
    static final class Org implements Scope {
        final long id;
        final String login;
        final Map<String, Repo> repos = new LinkedHashMap<>();
        final Map<Long, Group> groups = new LinkedHashMap<>();
        long nextGroupId = 2;

        Org(long id, String login) {
            this.id = id;
            this.login = login;
        }

        @Override
        public String fullName() {
            return login;
        }

        @Override
        public boolean isOrganization() {
            return true;
        }
    }

    /** A repository, the scope of repo runners, workflow runs and jobs. */
    static final class Repo implements Scope {
        final long id;
        final Org owner;
        final String name;
        final boolean isPrivate;

        Repo(long id, Org owner, String name, boolean isPrivate) {
            this.id = id;
            this.owner = owner;
            this.name = name;
            this.isPrivate = isPrivate;
        }

        @Override
        public String fullName() {
            return owner.login + "/" + name;
        }

        @Override
        public boolean isOrganization() {
            return false;
        }
    }

    /** A runner group of an organization. */
    static final class Group {
        final long id;
        String name;
        String visibility = "all";
        final boolean isDefault;
        boolean allowsPublicRepositories;
        boolean restrictedToWorkflows;
        List<String> selectedWorkflows = new ArrayList<>();
        final Set<Long> repositoryIds = new LinkedHashSet<>();

        Group(long id, String name, boolean isDefault) {
            this.id = id;
            this.name = name;
            this.isDefault = isDefault;
        }
    }

    /** A runner label with its id and type. */
    record Label(long id, String name, boolean readOnly) {
    }

    /** A runner registration in an organization or a repository. */
    static final class Runner {
        final long id;
        final Scope scope;
        final String name;
        String os = "unknown";
        final List<Label> labels = new ArrayList<>();
        long groupId = 1;
        boolean ephemeral;
        String version;
        boolean connected;
        Instant lastSeen;
        Job job;
        String session;
        String workFolder = "_work";
        /** An exit code the runner's listener is told to exit with at its next call; null when none. */
        Integer pendingExit;

        Runner(long id, Scope scope, String name) {
            this.id = id;
            this.scope = scope;
            this.name = name;
        }

        Org org() {
            return Engine.parentOrg(scope);
        }
    }

    /** A queued, running or finished job (one job per workflow run). */
    static final class Job {
        final long id;
        final long runId;
        final Repo repo;
        final List<String> labels;
        final String name;
        final Instant createdAt;
        String status = "queued";
        String conclusion;
        Instant startedAt;
        Instant completedAt;
        Runner runner;
        String runnerName;
        Long runnerGroupId;
        String runnerGroupName;

        Job(long id, long runId, Repo repo, List<String> labels, String name, Instant createdAt) {
            this.id = id;
            this.runId = runId;
            this.repo = repo;
            this.labels = List.copyOf(labels);
            this.name = name;
            this.createdAt = createdAt;
        }
    }

    /**
     * A credential: a personal access token (grants are classic scopes such as {@code admin:org}, or
     * fine-grained permissions such as {@code organization_self_hosted_runners:write}) or an installation
     * token (grants are the installation's permissions, limited to its organization).
     */
    static final class Credential {
        final Set<String> grants;
        final Instant expiresAt;
        final Org onlyOrg;
        final Bucket bucket;
        final boolean installation;

        Credential(Set<String> grants, Instant expiresAt, Org onlyOrg, Bucket bucket, boolean installation) {
            this.grants = grants;
            this.expiresAt = expiresAt;
            this.onlyOrg = onlyOrg;
            this.bucket = bucket;
            this.installation = installation;
        }
    }

    /** A registration or remove token issued for a scope. */
    record ScopedToken(Scope scope, Instant expiresAt, boolean remove) {
    }

    /** A GitHub App: its id, client id and the public half of its key. */
    record App(long id, String clientId, PublicKey key, Map<Long, Installation> installations) {
    }

    /** An installation of an app on an organization, with the permissions it grants. */
    record Installation(long id, App app, Org org, Map<String, String> permissions) {
    }

    /** One primary rate-limit bucket. */
    static final class Bucket {
        final int limit;
        int used;
        Instant resetAt;

        Bucket(int limit, Instant resetAt) {
            this.limit = limit;
            this.resetAt = resetAt;
        }
    }
}
