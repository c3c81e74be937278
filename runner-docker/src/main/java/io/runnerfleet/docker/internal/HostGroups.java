package io.runnerfleet.docker.internal;

import io.runnerfleet.InvalidSpecException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Resolves supplementary group names to the host's gids. Docker would resolve a name inside the
 * container's own {@code /etc/group}, where {@code kvm} or {@code dialout} may be missing or carry a
 * different gid than the host's device nodes, so names are resolved here, against the host.
 */
public final class HostGroups {
    private final Map<String, Long> gidsByName;
    private final String source;

    private HostGroups(Map<String, Long> gidsByName, String source) {
        this.gidsByName = gidsByName;
        this.source = source;
    }

    /** Reads a group file ({@code /etc/group} format); a missing file knows no names. */
    public static HostGroups read(Path groupFile) {
        if (!Files.isRegularFile(groupFile)) {
            return new HostGroups(Map.of(), groupFile.toString());
        }
        try {
            return parse(Files.readString(groupFile), groupFile.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + groupFile, e);
        }
    }

    /** Parses {@code name:password:gid:members} lines; malformed lines and comments are skipped. */
    public static HostGroups parse(String content, String source) {
        Map<String, Long> gids = new LinkedHashMap<>();
        for (String line : content.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            String[] parts = trimmed.split(":", -1);
            if (parts.length < 3 || parts[0].isEmpty() || !parts[2].matches("[0-9]{1,10}")) {
                continue;
            }
            gids.putIfAbsent(parts[0], Long.parseLong(parts[2]));
        }
        return new HostGroups(Map.copyOf(gids), source);
    }

    /**
     * Resolves each group (a name or a numeric gid) to a gid, in order.
     *
     * @throws InvalidSpecException naming every unknown group and the runner
     */
    public List<String> resolve(List<String> groups, String runnerName) {
        List<String> gids = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        for (String group : groups) {
            if (group == null || group.isBlank()) {
                throw new InvalidSpecException("runner " + runnerName + " has a blank supplementary group; use a group name such as 'kvm' or a gid");
            }
            if (group.matches("[0-9]{1,10}")) {
                gids.add(group);
            } else if (gidsByName.containsKey(group)) {
                gids.add(String.valueOf(gidsByName.get(group)));
            } else {
                unknown.add(group);
            }
        }
        if (!unknown.isEmpty()) {
            throw new InvalidSpecException("runner " + runnerName + ": group(s) " + unknown + " do not exist in " + source
                    + " on this host; create them (groupadd), use a numeric gid, or remove them from the pool");
        }
        return gids;
    }
}
