package io.runnerfleet.docker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.InvalidSpecException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostGroupsTest {
    private final HostGroups groups = HostGroups.parse(String.join("\n",
            "# local groups", "root:x:0:", "dialout:x:20:pi,ci", "kvm:x:994:", "broken-line", "bad:x:notanumber:",
            "kvm:x:1000:", ""), "/etc/group");

    @Test
    void namesResolveToHostGidsInOrderAndNumbersPassThrough() {
        assertThat(groups.resolve(List.of("kvm", "dialout", "4242"), "r1")).containsExactly("994", "20", "4242");
    }

    @Test
    void unknownGroupsAreNamedWithTheRunnerAndTheFix() {
        assertThatThrownBy(() -> groups.resolve(List.of("kvm", "plugdev", "bad"), "acme-board-1"))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("acme-board-1").hasMessageContaining("[plugdev, bad]")
                .hasMessageContaining("/etc/group").hasMessageContaining("groupadd");
        assertThatThrownBy(() -> groups.resolve(List.of(" "), "r1")).isInstanceOf(InvalidSpecException.class);
    }

    @Test
    void aMissingGroupFileKnowsOnlyNumbers() {
        HostGroups none = HostGroups.read(Path.of("/nonexistent/group"));
        assertThat(none.resolve(List.of("5"), "r1")).containsExactly("5");
        assertThatThrownBy(() -> none.resolve(List.of("kvm"), "r1")).isInstanceOf(InvalidSpecException.class);
    }
}
