/** Runner Fleet's test kit: FakeGitHub, the fake runner and JUnit 5 helpers. */
module io.runnerfleet.testkit {
    // The exported package is @NullMarked; why static transitive: see runner-core's module-info.
    requires static transitive org.jspecify;
    requires transitive io.runnerfleet.core;
    requires mockwebserver3;
    requires okhttp3;
    requires okio;
    requires org.slf4j;
    requires org.junit.jupiter.api;

    exports io.runnerfleet.testkit;
}
