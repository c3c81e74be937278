package io.runnerfleet.github.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads RFC 8288 {@code Link} headers as GitHub sends them. */
public final class LinkHeader {
    private static final Pattern LINK = Pattern.compile("<([^>]*)>\\s*((?:;\\s*[^;,]+)*)");
    private static final Pattern REL = Pattern.compile("rel\\s*=\\s*\"?([^\";]+)\"?");

    private LinkHeader() {
    }

    /** The URL with the relation {@code rel}, or {@code null}. */
    public static String find(String header, String rel) {
        if (header == null) {
            return null;
        }
        Matcher m = LINK.matcher(header);
        while (m.find()) {
            Matcher r = REL.matcher(m.group(2));
            if (r.find()) {
                for (String value : r.group(1).trim().split("\\s+")) {
                    if (value.equals(rel)) {
                        return m.group(1);
                    }
                }
            }
        }
        return null;
    }
}
