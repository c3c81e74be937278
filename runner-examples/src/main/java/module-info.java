/** The runnerfleet command line tool, the demo and the benchmarks. */
module io.runnerfleet.examples {
    requires io.runnerfleet.core;
    requires io.runnerfleet.github;
    requires io.runnerfleet.docker;
    requires io.runnerfleet.testkit;
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
