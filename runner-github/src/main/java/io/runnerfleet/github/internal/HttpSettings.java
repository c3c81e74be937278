package io.runnerfleet.github.internal;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.github.RetrySettings;
import java.net.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import okhttp3.OkHttpClient;

/**
 * The connection settings that {@code GitHubClient.Builder} and {@code ScaleSetClient.Builder} share:
 * timeouts, proxy, retries, clock, sleeper and User-Agent, validated here once, and the OkHttp client
 * made from them. The builders' public setters delegate here, so both say and check the same thing.
 */
public final class HttpSettings {
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration readTimeout;
    private Duration callTimeout = Duration.ofSeconds(60);
    private Proxy proxy;
    private Map<String, String> environment = System.getenv();
    private RetrySettings retry = RetrySettings.defaults();
    private Clock clock = Clock.systemUTC();
    private Sleeper sleeper = Sleeper.SYSTEM;
    private String userAgent;

    /**
     * Settings with the defaults: connect timeout 10 s, call timeout 60 s, no explicit proxy (the
     * environment's), {@link RetrySettings#defaults()}, the system UTC clock, real sleeping.
     *
     * @param readTimeout the default gap allowed between bytes; {@code null}: the call timeout
     */
    public HttpSettings(String userAgent, Duration readTimeout) {
        this.userAgent = userAgent;
        this.readTimeout = readTimeout;
    }

    /** The connect timeout. */
    public void connectTimeout(Duration timeout) {
        this.connectTimeout = Checks.positive("connectTimeout", timeout);
    }

    /** The read (and write) timeout between bytes. */
    public void readTimeout(Duration timeout) {
        this.readTimeout = Checks.positive("readTimeout", timeout);
    }

    /** The timeout of one whole request attempt. */
    public void callTimeout(Duration timeout) {
        this.callTimeout = Checks.positive("callTimeout", timeout);
    }

    /** An explicit proxy, instead of the environment's. */
    public void proxy(Proxy proxy) {
        this.proxy = Objects.requireNonNull(proxy, "proxy");
    }

    /** The environment the proxy variables are read from (tests). */
    public void environment(Map<String, String> env) {
        this.environment = Map.copyOf(env);
    }

    /** How to retry. */
    public void retry(RetrySettings settings) {
        this.retry = Objects.requireNonNull(settings, "settings");
    }

    /** The clock. */
    public void clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** How to wait between attempts (tests replace it). */
    public void sleeper(Sleeper sleeper) {
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    }

    /** The {@code User-Agent}. */
    public void userAgent(String userAgent) {
        if (userAgent == null || userAgent.isBlank()) {
            throw new InvalidSpecException("the User-Agent must not be blank");
        }
        this.userAgent = userAgent;
    }

    /** The explicit proxy, or {@code null} for the environment's. */
    public Proxy proxy() {
        return proxy;
    }

    public Map<String, String> environment() {
        return environment;
    }

    public RetrySettings retry() {
        return retry;
    }

    public Clock clock() {
        return clock;
    }

    public Sleeper sleeper() {
        return sleeper;
    }

    public String userAgent() {
        return userAgent;
    }

    /**
     * An OkHttp client with these timeouts and the proxy: the explicit one, else {@code HTTPS_PROXY} /
     * {@code NO_PROXY} with Basic proxy authentication from a {@code user:password@} in the URL.
     *
     * @throws InvalidSpecException when a proxy variable is not a usable URL
     */
    public OkHttpClient okHttp() {
        Duration read = readTimeout != null ? readTimeout : callTimeout;
        OkHttpClient.Builder ok = new OkHttpClient.Builder()
                .connectTimeout(connectTimeout)
                .readTimeout(read)
                .writeTimeout(read)
                .callTimeout(callTimeout)
                // Retries are ours, so that a POST is never repeated behind our back.
                .retryOnConnectionFailure(false);
        if (proxy != null) {
            return ok.proxy(proxy).build();
        }
        EnvProxySelector selector;
        try {
            selector = EnvProxySelector.fromEnvironment(environment);
        } catch (IllegalArgumentException e) {
            throw new InvalidSpecException(e.getMessage());
        }
        if (selector != null) {
            ok.proxySelector(selector);
            String userInfo = selector.userInfo();
            if (userInfo != null) {
                int colon = userInfo.indexOf(':');
                String basic = okhttp3.Credentials.basic(colon < 0 ? userInfo : userInfo.substring(0, colon),
                        colon < 0 ? "" : userInfo.substring(colon + 1));
                ok.proxyAuthenticator((route, response) ->
                        response.request().header("Proxy-Authorization") != null ? null
                                : response.request().newBuilder().header("Proxy-Authorization", basic).build());
            }
        }
        return ok.build();
    }
}
