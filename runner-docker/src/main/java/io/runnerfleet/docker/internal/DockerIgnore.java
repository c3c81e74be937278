package io.runnerfleet.docker.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The rules of a {@code .dockerignore} file: glob patterns ({@code *}, {@code ?}, {@code **},
 * character classes) against context-relative paths, later rules overriding earlier ones, {@code !}
 * re-including. A pattern that matches a directory excludes everything under it, as in Docker.
 */
public final class DockerIgnore {
    private record Rule(Pattern pattern, boolean exclude) {
    }

    private final List<Rule> rules;

    private DockerIgnore(List<Rule> rules) {
        this.rules = rules;
    }

    /** No rules: everything is included. */
    public static DockerIgnore none() {
        return new DockerIgnore(List.of());
    }

    /** Parses the content of a {@code .dockerignore} file. */
    public static DockerIgnore parse(String content) {
        List<Rule> rules = new ArrayList<>();
        for (String raw : content.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            boolean exclude = true;
            if (line.startsWith("!")) {
                exclude = false;
                line = line.substring(1).strip();
            }
            line = clean(line);
            if (line.isEmpty()) {
                continue;
            }
            rules.add(new Rule(Pattern.compile(toRegex(line)), exclude));
        }
        return new DockerIgnore(List.copyOf(rules));
    }

    /** Whether a context-relative path ({@code a/b/c}, forward slashes) is left out of the build context. */
    public boolean excludes(String relativePath) {
        String path = clean(relativePath);
        boolean excluded = false;
        for (Rule rule : rules) {
            if (matchesSelfOrParent(rule.pattern(), path)) {
                excluded = rule.exclude();
            }
        }
        return excluded;
    }

    private static boolean matchesSelfOrParent(Pattern pattern, String path) {
        if (pattern.matcher(path).matches()) {
            return true;
        }
        int slash = path.lastIndexOf('/');
        while (slash > 0) {
            path = path.substring(0, slash);
            if (pattern.matcher(path).matches()) {
                return true;
            }
            slash = path.lastIndexOf('/');
        }
        return false;
    }

    // Like Go's filepath.Clean on a relative path: no leading "/" or "./", no empty or "." segments.
    private static String clean(String path) {
        List<String> parts = new ArrayList<>();
        for (String part : path.replace('\\', '/').split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (!parts.isEmpty()) {
                    parts.remove(parts.size() - 1);
                }
                continue;
            }
            parts.add(part);
        }
        return String.join("/", parts);
    }

    static String toRegex(String glob) {
        StringBuilder re = new StringBuilder();
        int i = 0;
        while (i < glob.length()) {
            char c = glob.charAt(i);
            if (c == '*') {
                if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                    i += 2;
                    if (i < glob.length() && glob.charAt(i) == '/') {
                        re.append("(?:.*/)?");
                        i++;
                    } else {
                        re.append(".*");
                    }
                    continue;
                }
                re.append("[^/]*");
            } else if (c == '?') {
                re.append("[^/]");
            } else if (c == '[') {
                int end = glob.indexOf(']', i + 1);
                if (end < 0) {
                    re.append("\\[");
                } else {
                    String cls = glob.substring(i + 1, end);
                    if (cls.startsWith("^") || cls.startsWith("!")) {
                        cls = "^" + cls.substring(1);
                    }
                    re.append('[').append(cls.replace("\\", "\\\\")).append(']');
                    i = end;
                }
            } else if (c == '\\' && i + 1 < glob.length()) {
                re.append(Pattern.quote(String.valueOf(glob.charAt(++i))));
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
            i++;
        }
        return re.toString();
    }
}
