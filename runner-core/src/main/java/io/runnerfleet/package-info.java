/** Runner Fleet: the RunnerFleet facade, pools, label matching and the runner lifecycle. */
package io.runnerfleet;
