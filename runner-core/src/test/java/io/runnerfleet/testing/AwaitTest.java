package io.runnerfleet.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The shared wait helper: it returns once its condition holds and fails naming what it waited for. */
class AwaitTest {
    private static final Duration LONG = Duration.ofSeconds(30);

    @Test
    void untilReturnsOnceTheConditionHolds() {
        AtomicInteger calls = new AtomicInteger();
        Await.until(LONG, "the third call", () -> calls.incrementAndGet() == 3);
        assertThat(calls).hasValue(3);
    }

    @Test
    void aTimeoutNamesWhatWasAwaited() {
        assertThatThrownBy(() -> Await.until(Duration.ZERO, "the moon to rise", () -> false))
                .isInstanceOf(AssertionError.class).hasMessage("waited PT0S for: the moon to rise");
    }

    @Test
    void theDescriptionSupplierIsAskedOnlyOnFailureAndShowsTheLastState() {
        AtomicInteger asked = new AtomicInteger();
        AtomicInteger state = new AtomicInteger();
        Await.until(LONG, () -> "asked " + asked.incrementAndGet(), () -> state.incrementAndGet() == 2);
        assertThat(asked).hasValue(0);
        assertThatThrownBy(() -> Await.until(Duration.ZERO, () -> "state " + state.get(), () -> state.incrementAndGet() < 0))
                .isInstanceOf(AssertionError.class).hasMessage("waited PT0S for: state 3");
    }

    @Test
    void valueReturnsWhatTheProbeFound() {
        AtomicInteger calls = new AtomicInteger();
        String found = Await.value(LONG, "a value", () -> calls.incrementAndGet() < 2 ? Optional.empty() : Optional.of("v"));
        assertThat(found).isEqualTo("v");
    }

    @Test
    void untilContainsReturnsTheTextAndShowsTheLastOneOnFailure() {
        AtomicInteger calls = new AtomicInteger();
        assertThat(Await.untilContains(LONG, "ready", () -> calls.incrementAndGet() < 2 ? "starting" : "starting\nready"))
                .isEqualTo("starting\nready");
        assertThatThrownBy(() -> Await.untilContains(Duration.ZERO, "ready", () -> "still starting"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("'ready'").hasMessageContaining("still starting");
    }

    @Test
    void anExceptionFromTheConditionFailsTheWaitAtOnce() {
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> Await.until(LONG, "never", () -> {
            calls.incrementAndGet();
            throw new IllegalStateException("broken");
        })).isInstanceOf(IllegalStateException.class);
        assertThat(calls).hasValue(1);
    }

    @Test
    void untilQuietlyTreatsExceptionsAsNotYet() {
        AtomicInteger calls = new AtomicInteger();
        Await.untilQuietly(LONG, "the server up", () -> {
            if (calls.incrementAndGet() < 3) {
                throw new IOException("connection refused");
            }
            return true;
        });
        assertThat(calls).hasValue(3);
    }

    @Test
    void untilQuietlyFailsWithTheLastExceptionAsItsCause() {
        IOException refused = new IOException("connection refused");
        assertThatThrownBy(() -> Await.untilQuietly(Duration.ZERO, "the server up", () -> {
            throw refused;
        })).isInstanceOf(AssertionError.class).hasMessageContaining("the server up")
                .hasMessageContaining("connection refused").hasCause(refused);
    }

    @Test
    void anInterruptEndsTheWaitAndKeepsTheFlag() {
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> Await.until(LONG, "something", () -> false))
                    .isInstanceOf(AssertionError.class).hasMessageContaining("interrupted while waiting for: something");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }
}
