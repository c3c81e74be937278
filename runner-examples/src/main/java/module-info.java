/** The runnerfleet command line tool, the demo and the benchmarks. */
module io.runnerfleet.examples {
    requires io.runnerfleet.core;
    requires io.runnerfleet.github;
    requires io.runnerfleet.docker;
    requires io.runnerfleet.testkit;
    // Only the benchmarks' direct-to-Docker floors use docker-java; the library's types stay in runner-docker.
    requires com.github.dockerjava.api;
    requires com.github.dockerjava.core;
    requires com.github.dockerjava.transport;
    requires com.github.dockerjava.transport.zerodep;
    requires info.picocli;
    requires org.slf4j;
    requires io.runnerfleet.micrometer;
    requires micrometer.registry.prometheus;
    requires jdk.httpserver;
    requires jdk.unsupported;
    requires java.net.http;

    exports io.runnerfleet.examples;
    exports io.runnerfleet.examples.cli;
    opens io.runnerfleet.examples.cli to info.picocli;

}
