package io.runnerfleet.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FakeGitHubExtension.class)
class FakeGitHubExtensionTest {
    private FakeGitHub fromBeforeEach;

    @BeforeEach
    void remember(FakeGitHub github) {
        fromBeforeEach = github;
    }

    @Test
    void injectsAStartedFakeSharedWithBeforeEach(FakeGitHub github) {
        assertThat(github).isSameAs(fromBeforeEach);
        assertThat(github.url()).startsWith("http://127.0.0.1:");
        github.organization("acme");
        Http http = new Http(github.url()).token(github.newToken("admin:org").reveal());
        assertThat(http.get("/orgs/acme/actions/runners").status()).isEqualTo(200);
    }

    @Test
    void eachTestGetsAFreshFake(FakeGitHub github) {
        assertThat(github.organization("acme").runners()).isEmpty();
    }
}
