/** Docker backend of Runner Fleet: runner images and runner containers. */
@NullMarked
package io.runnerfleet.docker;

import org.jspecify.annotations.NullMarked;
