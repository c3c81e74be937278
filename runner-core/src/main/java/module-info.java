/** Runner Fleet core: the facade, the domain model and the SPIs. Depends on slf4j-api (and JSpecify's annotations) only. */
module io.runnerfleet.core {
    // JSpecify's nullness annotations (@NullMarked packages): transitive, so that code reading this module
    // sees them when it compiles (JSpecify: never hide them from users); static, so that a runtime without the
    // 4 KB jar still resolves (Maven brings it: compile scope).
    requires static transitive org.jspecify;
    requires org.slf4j;

    exports io.runnerfleet;
    exports io.runnerfleet.spi;
}
