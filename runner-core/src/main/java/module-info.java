/** Runner Fleet core: the facade, the domain model and the SPIs. Depends on slf4j-api only. */
module io.runnerfleet.core {
    requires org.slf4j;

    exports io.runnerfleet;
    exports io.runnerfleet.spi;
}
