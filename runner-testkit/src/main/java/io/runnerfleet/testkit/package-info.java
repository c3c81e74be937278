/** Test kit: a stateful fake GitHub, the fake runner and its image, JUnit 5 helpers. */
package io.runnerfleet.testkit;
