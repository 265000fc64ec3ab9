package io.switchboard.cli;

import io.switchboard.Switchboard;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options every command shares: which transport and cache, and extra settings. Anything not
 * given here comes from the library's usual sources: system properties, {@code SWITCHBOARD_*}
 * environment variables and {@code switchboard.properties}.
 */
final class ConnectionOptions {
    @Option(names = "--transport", paramLabel = "NAME",
            description = "Transport provider: memory, redis, rabbitmq (default: switchboard.transport from the environment).")
    String transport;

    @Option(names = "--cache", paramLabel = "NAME",
            description = "Cache provider: memory, redis, memcached (default: switchboard.cache from the environment).")
    String cache;

    @Option(names = {"-D", "--property"}, paramLabel = "KEY=VALUE",
            description = "A Switchboard setting, e.g. -D switchboard.redis.uri=redis://127.0.0.1:6379 (repeatable).")
    Map<String, String> properties = new LinkedHashMap<>();

    /** The settings given on the command line. */
    Map<String, Object> settings() {
        Map<String, Object> props = new LinkedHashMap<>(properties);
        if (transport != null) {
            props.put("switchboard.transport", transport);
        }
        if (cache != null) {
            props.put("switchboard.cache", cache);
        }
        return props;
    }

    /** As command-line arguments, to pass on to a child process. */
    java.util.List<String> asArguments() {
        java.util.List<String> args = new java.util.ArrayList<>();
        if (transport != null) {
            args.add("--transport=" + transport);
        }
        if (cache != null) {
            args.add("--cache=" + cache);
        }
        properties.forEach((k, v) -> args.add("-D" + k + "=" + v));
        return args;
    }

    /** Opens a Switchboard with these settings on top of the environment's. */
    Switchboard open() {
        return Switchboard.open(settings());
    }
}
