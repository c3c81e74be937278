/** Docker backend of Runner Fleet: runner images and runner containers. */
package io.runnerfleet.docker;
