/** Runner Fleet's Docker backend: docker-java stays inside this module. */
module io.runnerfleet.docker {
    // The exported package is @NullMarked; why static transitive: see runner-core's module-info.
    requires static transitive org.jspecify;
    requires transitive io.runnerfleet.core;
    requires com.github.dockerjava.api;
    requires com.github.dockerjava.core;
    requires com.github.dockerjava.transport;
    requires com.github.dockerjava.transport.zerodep;
    requires org.slf4j;
    requires org.apache.commons.compress;

    exports io.runnerfleet.docker;

}
