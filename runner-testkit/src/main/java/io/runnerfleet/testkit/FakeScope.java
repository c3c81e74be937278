package io.runnerfleet.testkit;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.testkit.internal.Engine;
import java.util.List;
import java.util.Optional;

/**
 * An organization or repository of a {@link FakeGitHub}: where runners register and jobs run.
 *
 * <pre>{@code
 * FakeScope acme = fake.organization("acme");
 * FakeScope widgets = acme.repository("widgets");         // private
 * String url = acme.url();                                // config.sh --url
 * acme.runners();                                         // what GET /orgs/acme/actions/runners shows
 * }</pre>
 *
 * <p>Repositories are private unless made with {@link #publicRepository}: the {@code Default}
 * runner group does not admit public repositories, as on GitHub.
 */
public final class FakeScope {
    private final FakeGitHub fake;
    private final Engine engine;
    private final Object state;

    FakeScope(FakeGitHub fake, Engine engine, Object state) {
        this.fake = fake;
        this.engine = engine;
        this.state = state;
    }

    /** {@code acme} or {@code acme/widgets}. */
    public String name() {
        return Engine.scopeName(state);
    }

    /** Whether this is an organization (else a repository). */
    public boolean isOrganization() {
        return Engine.parentOrg(state) == state;
    }

    /** The scope's web URL, what {@code config.sh --url} takes: {@code http://127.0.0.1:<port>/acme}. */
    public String url() {
        return fake.base() + Engine.scopePath(state);
    }

    /** A private repository of this organization, created when new. */
    public FakeScope repository(String name) {
        return repository(name, true);
    }

    /** A public repository of this organization, created when new. */
    public FakeScope publicRepository(String name) {
        return repository(name, false);
    }

    private FakeScope repository(String name, boolean isPrivate) {
        if (!isOrganization()) {
            throw new InvalidSpecException(name() + " is a repository; repositories belong to organizations");
        }
        return new FakeScope(fake, engine, engine.repository(state, name, isPrivate));
    }

    /** The runners registered in this scope (not those of its repositories). */
    public List<FakeRunnerView> runners() {
        return engine.runnerViews(state);
    }

    /** The runner called {@code name}, if registered here. */
    public Optional<FakeRunnerView> runner(String name) {
        return runners().stream().filter(r -> r.name().equalsIgnoreCase(name)).findFirst();
    }

    Object state() {
        return state;
    }

    @Override
    public String toString() {
        return "FakeScope[" + name() + "]";
    }
}
