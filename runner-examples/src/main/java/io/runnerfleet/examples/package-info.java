/** The runnerfleet command line tool, the demo, and benchmarks. */
package io.runnerfleet.examples;
