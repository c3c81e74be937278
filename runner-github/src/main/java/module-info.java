/** Runner Fleet's GitHub registry: okhttp, moshi and resilience4j stay inside this module. */
module io.runnerfleet.github {
    // The exported package is @NullMarked; why static transitive: see runner-core's module-info.
    requires static transitive org.jspecify;
    requires transitive io.runnerfleet.core;
    requires okhttp3;
    requires okio;
    requires com.squareup.moshi;
    requires io.github.resilience4j.retry;
    requires io.github.resilience4j.core;
    requires org.slf4j;
    requires jdk.httpserver;

    exports io.runnerfleet.github;
    exports io.runnerfleet.github.scaleset;
}
