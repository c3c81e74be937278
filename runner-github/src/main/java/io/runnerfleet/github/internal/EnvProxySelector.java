package io.runnerfleet.github.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Chooses the proxy from {@code HTTPS_PROXY}/{@code https_proxy} (falling back to {@code HTTP_PROXY})
 * and skips it for hosts matching {@code NO_PROXY} (comma-separated host names, domain suffixes with
 * or without a leading dot, or {@code *}). A {@code user:password@} in the proxy URL is used for
 * proxy authentication (Basic).
 */
public final class EnvProxySelector extends ProxySelector {
    private final Proxy proxy;
    private final List<String> noProxy;
    private final String userInfo;

    private EnvProxySelector(Proxy proxy, List<String> noProxy, String userInfo) {
        this.proxy = proxy;
        this.noProxy = noProxy;
        this.userInfo = userInfo;
    }

    /** The proxy's {@code user:password} from the URL (decoded), or {@code null}; never print it. */
    public String userInfo() {
        return userInfo;
    }

    /** The selector for this environment, or {@code null} when no proxy variable is set. */
    public static EnvProxySelector fromEnvironment(Map<String, String> env) {
        String url = first(env, "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy");
        if (url == null || url.isBlank()) {
            return null;
        }
        URI uri = URI.create(url.contains("://") ? url : "http://" + url);
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("HTTPS_PROXY is not a proxy URL such as http://proxy:3128");
        }
        int port = uri.getPort() > 0 ? uri.getPort() : 80;
        List<String> skip = new ArrayList<>();
        String no = first(env, "NO_PROXY", "no_proxy");
        if (no != null) {
            for (String part : no.split(",")) {
                String p = part.trim().toLowerCase(Locale.ROOT);
                if (!p.isEmpty()) {
                    skip.add(p.startsWith(".") ? p.substring(1) : p);
                }
            }
        }
        return new EnvProxySelector(new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(uri.getHost(), port)),
                List.copyOf(skip), uri.getUserInfo());
    }

    private static String first(Map<String, String> env, String... names) {
        for (String n : names) {
            String v = env.get(n);
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }

    /** Whether {@code host} bypasses the proxy: loopback always does (as in curl and Go), then {@code NO_PROXY}. */
    public boolean bypasses(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (loopback(h)) {
            return true;
        }
        for (String p : noProxy) {
            if (p.equals("*") || h.equals(p) || h.endsWith("." + p)) {
                return true;
            }
        }
        return false;
    }

    // A proxy elsewhere cannot reach this machine's own 127.0.0.1 (a GHES tunnel, a fake GitHub in tests).
    private static boolean loopback(String h) {
        String bare = h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
        return bare.equals("localhost") || bare.endsWith(".localhost") || bare.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")
                || bare.equals("::1") || bare.equals("0:0:0:0:0:0:0:1");
    }

    @Override
    public List<Proxy> select(URI uri) {
        return uri.getHost() != null && bypasses(uri.getHost()) ? List.of(Proxy.NO_PROXY) : List.of(proxy);
    }

    @Override
    public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
        // OkHttp reports the failure to the caller; nothing to remember here.
    }
}
