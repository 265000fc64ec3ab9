package io.switchboard.cli;

import io.switchboard.Switchboard;
import io.switchboard.internal.ConfigResolver;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * The options every command shares: which transport and cache, and extra settings. Anything not
 * given here comes from the library's usual sources: system properties, {@code SWITCHBOARD_*}
 * environment variables and {@code switchboard.properties}.
 */
final class ConnectionOptions {
    /** Environment variable carrying a parent's settings to a child process; not SWITCHBOARD_*, which the library reads as settings. */
    static final String CHILD_SETTINGS = "SB_CLI_CHILD_SETTINGS";

    @Option(names = "--transport", paramLabel = "NAME",
            description = "Transport provider: memory, redis, redis-streams, rabbitmq (default: switchboard.transport from the environment).")
    String transport;

    @Option(names = "--cache", paramLabel = "NAME",
            description = "Cache provider: memory, redis, memcached (default: switchboard.cache from the environment; "
                    + "with --transport alone: redis for redis and redis-streams, memory for memory, memcached otherwise).")
    String cache;

    @Option(names = {"-D", "--property"}, paramLabel = "KEY=VALUE",
            description = "A Switchboard setting, e.g. -D switchboard.redis.uri=redis://127.0.0.1:6379 (repeatable).")
    Map<String, String> properties = new LinkedHashMap<>();

    /**
     * The CLI's connect timeout, shorter than the libraries' (a service may wait for its broker; a
     * person at a prompt should not), for each provider's key unless the user set that key.
     */
    static final Map<String, String> CONNECT_TIMEOUTS = Map.of(
            "switchboard.redis.connect-timeout", "3s",
            "switchboard.redis-streams.connect-timeout", "3s",
            "switchboard.rabbitmq.connection-timeout", "3s",
            "switchboard.memcached.connect-timeout", "3s");

    /** The settings given on the command line, and the CLI's connect timeouts where the user set none. */
    Map<String, Object> settings() {
        Map<String, Object> props = new LinkedHashMap<>(properties);
        Set<String> setElsewhere = setOutsideTheCommandLine(CONNECT_TIMEOUTS.keySet());
        CONNECT_TIMEOUTS.forEach((key, value) -> {
            if (!setElsewhere.contains(key)) {
                props.putIfAbsent(key, value);
            }
        });
        if (transport != null) {
            props.put("switchboard.transport", transport);
        }
        if (cache != null) {
            props.put("switchboard.cache", cache);
        } else if (transport != null && !props.containsKey("switchboard.cache") && System.getProperty("switchboard.cache") == null
                && System.getenv("SWITCHBOARD_CACHE") == null) {
            props.put("switchboard.cache", defaultCache(transport));
        }
        return props;
    }

    /** Those of {@code keys} that system properties, environment variables or switchboard.properties set. */
    static Set<String> setOutsideTheCommandLine(Collection<String> keys) {
        ConfigResolver r = ConfigResolver.collect(Map.of(), System.getProperties(), System.getenv(),
                ConnectionOptions.class.getClassLoader(), new ArrayList<>());
        r.alignEnvironmentKeys(keys);
        Set<String> set = new HashSet<>();
        for (String k : keys) {
            if (r.raw(k) != null) {
                set.add(k);
            }
        }
        return set;
    }

    /**
     * The cache used with a transport named on the command line when no cache is named anywhere:
     * the transport's own server when it has a cache (memory, redis), else memcached.
     */
    static String defaultCache(String transport) {
        switch (transport) {
            case "memory":
            case "redis":
                return transport;
            case "redis-streams":
                return "redis";
            default:
                return "memcached";
        }
    }

    /**
     * The settings as {@code key=value} lines, to hand to a child process through its environment
     * ({@value #CHILD_SETTINGS}) rather than its command line, where any user could read a password.
     */
    String forChild() {
        StringBuilder sb = new StringBuilder();
        settings().forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        return sb.toString();
    }

    /** Takes the settings a parent passed with {@link #forChild()}, under those given on this command line. */
    void inheritFromParent() {
        String inherited = System.getenv(CHILD_SETTINGS);
        if (inherited == null) {
            return;
        }
        for (String line : inherited.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                properties.putIfAbsent(line.substring(0, eq), line.substring(eq + 1));
            }
        }
    }

    /** Opens a Switchboard with these settings on top of the environment's. */
    Switchboard open() {
        return Switchboard.open(settings());
    }

    /**
     * Opens a Switchboard for a command that publishes or subscribes; on the memory transport,
     * first warns on {@code err} that {@code whatIsLost} (nothing crosses to or from another process).
     */
    Switchboard openForMessages(PrintWriter err, String whatIsLost) {
        Switchboard sb = open();
        if ("memory".equals(sb.transportName())) {
            err.println("warning: the memory transport delivers only within this process, so " + whatIsLost
                    + "; use --transport redis or --transport rabbitmq to reach other processes.");
            err.flush();
        }
        return sb;
    }

    /**
     * Opens a Switchboard for cache commands: the cache of these settings, and the memory
     * transport whatever transport is configured, since a cache command publishes nothing and
     * should neither need a broker nor wait for one.
     */
    Switchboard openForCache() {
        Map<String, Object> props = settings();
        props.put("switchboard.transport", "memory");
        return Switchboard.open(props);
    }
}
