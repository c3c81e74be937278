package io.runnerfleet.spi.tck;

import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RegistrationToken;
import io.runnerfleet.spi.RunnerRegistry;
import java.util.List;
import java.util.Objects;

/**
 * A {@link RunnerRegistry} that passes every call to another one. Override a method to watch what the
 * registry under test issues (a contract run that plays GitHub's side needs the JIT configurations) or
 * to plant one bug (the TCK's self-test):
 *
 * <pre>{@code
 * RunnerRegistry watched = new ForwardingRegistry<>(fake.registry(acme, token)) {
 *     @Override
 *     public JitConfig jitConfig(JitRequest request) {
 *         JitConfig jit = super.jitConfig(request);
 *         issued.put(jit.name(), jit);
 *         return jit;
 *     }
 * };
 * }</pre>
 *
 * <p>Thread-safe when the delegate is. {@link #toString()} is the delegate's.
 *
 * @param <R> the delegate's type, so subclasses can reach its own methods (a fake's {@code markBusy})
 */
public class ForwardingRegistry<R extends RunnerRegistry> implements RunnerRegistry {
    /** The registry every call goes to. */
    protected final R delegate;

    /** A registry that forwards to {@code delegate}. */
    public ForwardingRegistry(R delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    public String scope() {
        return delegate.scope();
    }

    @Override
    public String registrationUrl() {
        return delegate.registrationUrl();
    }

    @Override
    public RegistrationToken registrationToken() {
        return delegate.registrationToken();
    }

    @Override
    public JitConfig jitConfig(JitRequest request) {
        return delegate.jitConfig(request);
    }

    @Override
    public long runnerGroupId(String groupName) {
        return delegate.runnerGroupId(groupName);
    }

    @Override
    public List<RegisteredRunner> runners() {
        return delegate.runners();
    }

    @Override
    public void delete(RegisteredRunner runner) {
        delegate.delete(runner);
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
