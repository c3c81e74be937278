/** Runner Fleet metrics for Micrometer: depends on runner-core and micrometer-core only. */
module io.runnerfleet.micrometer {
    requires transitive io.runnerfleet.core;
    requires transitive micrometer.core;
    requires static transitive org.jspecify;

    exports io.runnerfleet.micrometer;
}
