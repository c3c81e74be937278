package io.runnerfleet.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Decoding a JIT config into the files the runner's listener would write. */
class JitConfigTest {
    private static final String RUNNER = "{\n  \"agentId\": 7,\n  \"agentName\": \"eph-1\"\n}\n";
    private static final String CREDENTIALS = "{\"scheme\":\"OAuth\",\"data\":{\"clientId\":\"c-secret-id\"}}";

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** A JIT config in the real runner's format: base64 of {"file": "base64 content", ...}. */
    static Secret encode(Map<String, String> files) {
        StringBuilder json = new StringBuilder("{");
        files.forEach((k, v) -> json.append(json.length() > 1 ? "," : "").append('"').append(k).append("\":\"")
                .append(b64(v)).append('"'));
        return Secret.of(b64(json.append('}').toString()));
    }

    private static String decoded(Secret base64) {
        return new String(Base64.getDecoder().decode(base64.reveal()), StandardCharsets.UTF_8);
    }

    @Test
    void filesAreTheNamesAndBase64ContentsOfTheConfigInOrder() {
        Map<String, Secret> files = JitConfig.files(encode(Map.of(".runner", RUNNER)));
        assertThat(files).containsOnlyKeys(".runner");
        assertThat(decoded(files.get(".runner"))).isEqualTo(RUNNER);

        String json = "{ \".runner\" : \"" + b64(RUNNER) + "\",\n \".credentials\":\"" + b64(CREDENTIALS).replace("/", "\\/")
                + "\", \".credentials_rsaparams\": \"" + b64("rsa") + "\" }";
        files = JitConfig.files(Secret.of(b64(json)));
        assertThat(files.keySet()).containsExactly(".runner", ".credentials", ".credentials_rsaparams");
        assertThat(decoded(files.get(".credentials"))).isEqualTo(CREDENTIALS);
        assertThat(files.get(".runner").toString()).doesNotContain("agent");
    }

    @Test
    void aConfigNotInTheRunnersFormatIsRefusedWithoutEchoingIt() {
        String secretPart = "c-secret-id";
        for (String bad : new String[] {
            "not base64 " + secretPart,
            b64("[\"" + secretPart + "\"]"),
            b64("{}"),
            b64("{\".runner\": 1}"),
            b64("{\".runner\": \"" + secretPart + "!\"}"),
            b64("{\"../escape\": \"" + b64(secretPart) + "\"}"),
            b64("{\"runner\": \"" + b64(secretPart) + "\"}"),
            b64("{\".runner\": \"" + b64(secretPart) + "\", \".runner\": \"" + b64(secretPart) + "\"}"),
            b64("{\".runner\": \"" + b64(secretPart) + "\"} trailing"),
            b64("{\".runner\": \"" + b64(secretPart)),
        }) {
            assertThatThrownBy(() -> JitConfig.files(Secret.of(bad))).as(bad)
                    .isInstanceOf(InvalidSpecException.class)
                    .hasMessageContaining("JIT config").hasMessageContaining("generate-jitconfig")
                    .hasMessageNotContaining(secretPart).hasMessageNotContaining(b64(secretPart));
        }
    }
}
