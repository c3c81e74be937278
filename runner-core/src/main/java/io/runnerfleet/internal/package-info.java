/** Runner Fleet's internals: not exported, may change in any release. */
package io.runnerfleet.internal;
