package io.runnerfleet.testkit;

/** Talks to the fake's runner side from Java, the way run.sh does, to drive a runner without a process. */
final class FakeRunnerSession {
    private final Http http;
    private final long id;
    private final String credentials;

    private FakeRunnerSession(FakeGitHub fake, long id, String credentials) {
        this.http = new Http(fake.url());
        this.id = id;
        this.credentials = credentials;
    }

    static FakeRunnerSession fromJitConfig(FakeGitHub fake, String encoded) throws Exception {
        String runner = SpecConformanceTest.decodeJitFile(encoded, ".runner");
        String credentials = SpecConformanceTest.decodeJitFile(encoded, ".credentials");
        long id = SpecValidator.MAPPER.readTree(runner).get("agentId").asLong();
        return new FakeRunnerSession(fake, id, credentials);
    }

    String connect() {
        return http.send("POST", "/_fake/runners/" + id + "/connect?version=2.329.0", credentials).body();
    }

    String poll() {
        return http.send("POST", "/_fake/runners/" + id + "/poll", credentials).body();
    }

    String renew(long job) {
        return http.send("POST", "/_fake/runners/" + id + "/renew?job=" + job, credentials).body();
    }

    String finish(long job) {
        return http.send("POST", "/_fake/runners/" + id + "/finish?job=" + job, credentials).body();
    }

    String disconnect() {
        return http.send("POST", "/_fake/runners/" + id + "/disconnect", credentials).body();
    }
}
