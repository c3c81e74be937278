package io.runnerfleet.github.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Link headers, proxy environment variables and PEM edge cases. */
class InternalsTest {
    @Test
    void linkHeaderFindsRelationsInAnyOrder() {
        String header = "<https://api.github.com/resource?page=2>; rel=\"next\", "
                + "<https://api.github.com/resource?page=5>; rel=\"last\"";
        assertThat(LinkHeader.find(header, "next")).isEqualTo("https://api.github.com/resource?page=2");
        assertThat(LinkHeader.find(header, "last")).isEqualTo("https://api.github.com/resource?page=5");
        assertThat(LinkHeader.find(header, "prev")).isNull();
        assertThat(LinkHeader.find(null, "next")).isNull();
        assertThat(LinkHeader.find("<https://x/?a=1,2>; rel=\"prev first\", <https://x/?p=3>; rel=next", "next"))
                .isEqualTo("https://x/?p=3");
        assertThat(LinkHeader.find("<https://x/?a=1>; rel=\"prev first\"", "first")).isEqualTo("https://x/?a=1");
    }

    @Test
    void proxyComesFromHttpsProxyAndNoProxyIsHonoured() {
        EnvProxySelector s = EnvProxySelector.fromEnvironment(Map.of("HTTPS_PROXY", "http://proxy.corp:3128",
                "NO_PROXY", "localhost, .internal.example,127.0.0.1"));
        Proxy proxy = s.select(URI.create("https://api.github.com/")).get(0);
        assertThat(proxy.type()).isEqualTo(Proxy.Type.HTTP);
        InetSocketAddress address = (InetSocketAddress) proxy.address();
        assertThat(address.getHostString()).isEqualTo("proxy.corp");
        assertThat(address.getPort()).isEqualTo(3128);
        assertThat(s.select(URI.create("http://127.0.0.1:8080/"))).containsExactly(Proxy.NO_PROXY);
        assertThat(s.select(URI.create("https://ghes.internal.example/api/v3"))).containsExactly(Proxy.NO_PROXY);
        assertThat(s.bypasses("internal.example")).isTrue();
        assertThat(s.bypasses("notinternal.example")).isFalse();
        assertThat(EnvProxySelector.fromEnvironment(Map.of("https_proxy", "proxy:8080")).select(
                URI.create("https://api.github.com")).get(0).address().toString()).contains("proxy").contains("8080");
        assertThat(EnvProxySelector.fromEnvironment(Map.of())).isNull();
        assertThat(EnvProxySelector.fromEnvironment(Map.of("HTTPS_PROXY", "http://p:1", "NO_PROXY", "*"))
                .select(URI.create("https://api.github.com"))).containsExactly(Proxy.NO_PROXY);
    }

    @Test
    void loopbackNeverGoesThroughTheProxyEvenWhenNoProxyDoesNotNameIt() {
        EnvProxySelector s = EnvProxySelector.fromEnvironment(Map.of("HTTPS_PROXY", "http://proxy.corp:3128",
                "NO_PROXY", ".internal.example"));
        for (String url : new String[] {"http://127.0.0.1:8080/", "http://127.1.2.3/", "http://localhost:9/",
                "http://[::1]:8080/", "http://api.localhost/"}) {
            assertThat(s.select(URI.create(url))).as(url).containsExactly(Proxy.NO_PROXY);
        }
        assertThat(s.select(URI.create("https://api.github.com/")).get(0).type()).isEqualTo(Proxy.Type.HTTP);
        assertThat(s.bypasses("127.example.com")).as("a name, not an address").isFalse();
    }

    @Test
    void pemProblemsAreNamed() {
        assertThatThrownBy(() -> Pem.rsaPrivateKey("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----"))
                .hasMessageContaining("encrypted");
        assertThatThrownBy(() -> Pem.rsaPrivateKey("-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----"))
                .hasMessageContaining("base64");
        assertThatThrownBy(() -> Pem.rsaPrivateKey("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----"))
                .hasMessageContaining("not an RSA private key");
    }
}
