package io.runnerfleet.testkit;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.testkit.internal.Engine;
import io.runnerfleet.testkit.internal.Scope;
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
    private final Scope state;

    FakeScope(FakeGitHub fake, Engine engine, Scope state) {
        this.fake = fake;
        this.engine = engine;
        this.state = state;
    }

    /** {@code acme} or {@code acme/widgets}. */
    public String name() {
        return state.fullName();
    }

    /** Whether this is an organization (else a repository). */
    public boolean isOrganization() {
        return state.isOrganization();
    }

    /** The scope's web URL, what {@code config.sh --url} takes: {@code http://127.0.0.1:<port>/acme}. */
    public String url() {
        return fake.base() + state.path();
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

    /**
     * Makes the listener of runner {@code name} exit with the runner's exit code {@code code} at its next
     * call to the service (a waiting long poll answers at once; a job in hand is finished first), and
     * the runner goes offline. What the fake {@code run.sh} then does follows the real
     * {@code run-helper.sh}: 1 (terminated) ends it with 0; 2 (retryable), 3 and 4 (updating) relaunch
     * the listener after {@code FAKE_RUNNER_RELAUNCH_SECONDS} (default 5) so it comes back online;
     * 5 (session conflict) and 6 (configuration refreshed) end it with that code; 7 (version
     * deprecated) ends it with 7 only when its environment has
     * {@code ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1}, otherwise as 1.
     *
     * <pre>{@code
     * acme.exitListener("ci-generic-1", 5);   // run.sh exits 5: "session conflict"
     * }</pre>
     *
     * @throws InvalidSpecException when {@code code} is not 1 to 7 or this scope has no runner called {@code name}
     */
    public void exitListener(String name, int code) {
        if (code < 1 || code > 7) {
            throw new InvalidSpecException("exit code " + code + " for runner " + name
                    + " is not one the runner's listener uses; give 1 to 7 (see RunnerExit)");
        }
        if (!engine.exitListener(state, name, code)) {
            throw new InvalidSpecException(name() + " has no runner called '" + name + "'; its runners: "
                    + runners().stream().map(FakeRunnerView::name).toList());
        }
    }

    /** The runner scale sets of this scope, as its Actions service holds them. */
    public List<FakeScaleSetView> scaleSets() {
        return engine.scaleSets().views(state);
    }

    /** The scale set called {@code name} (case-insensitive), if this scope has one. */
    public Optional<FakeScaleSetView> scaleSet(String name) {
        return scaleSets().stream().filter(s -> s.name().equalsIgnoreCase(name)).findFirst();
    }

    /**
     * Deletes the scale set called {@code name} on GitHub's side, as GitHub does with one that has not
     * connected for days: its session ends (the listener's next call answers 404), jobs it acquired but
     * no runner started go back to the queue, and its idle runners are unregistered. A listener must
     * create it again (a new id) with the same name, labels and group.
     *
     * <pre>{@code
     * acme.deleteScaleSet("linux");
     * }</pre>
     *
     * @throws InvalidSpecException when this scope has no scale set called {@code name}
     */
    public void deleteScaleSet(String name) {
        engine.scaleSets().delete(state, name);
    }

    Scope state() {
        return state;
    }

    @Override
    public String toString() {
        return "FakeScope[" + name() + "]";
    }
}
