/** GitHub side of Runner Fleet: credentials, the token and runner APIs, webhooks. */
package io.runnerfleet.github;
