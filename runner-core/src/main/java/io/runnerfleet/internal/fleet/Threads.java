package io.runnerfleet.internal.fleet;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Named daemon threads, so a fleet's threads are recognisable in a thread dump and never keep the JVM alive. */
public final class Threads {
    private Threads() {
    }

    public static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, n.getAndIncrement() == 0 ? prefix : prefix + "-" + n.get());
            t.setDaemon(true);
            return t;
        };
    }
}
