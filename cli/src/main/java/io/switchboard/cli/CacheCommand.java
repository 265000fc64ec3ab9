package io.switchboard.cli;

import io.switchboard.SharedCache;
import io.switchboard.Switchboard;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Reads and writes the shared cache. */
@Command(name = "cache", mixinStandardHelpOptions = true,
        description = {"Reads and writes the shared cache.", "Keys and encoding are those of SharedCache; values are UTF-8 text here."},
        subcommands = {CacheCommand.Get.class, CacheCommand.Set.class, CacheCommand.Del.class, CacheCommand.Incr.class})
final class CacheCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw SwitchboardCommand.missingCommand(spec.commandLine());
    }

    /** Options shared by the cache subcommands. */
    static final class Target {
        @Mixin
        ConnectionOptions connection;

        @Option(names = "--name", paramLabel = "CACHE", description = "Named cache (keys prefixed NAME:), as Switchboard.cache(NAME); default: the default cache.")
        String name;

        @Spec(Spec.Target.MIXEE)
        CommandSpec command;

        /** Opens the cache's Switchboard; warns that a memory cache ends with this command. */
        Switchboard open() {
            Switchboard sb = connection.openForCache();
            if ("memory".equals(sb.cacheName())) {
                PrintWriter err = command.commandLine().getErr();
                err.println("warning: the memory cache lives in this process only, so nothing stored here outlives this command; "
                        + "use --cache redis or --cache memcached for a shared cache.");
                err.flush();
            }
            return sb;
        }

        SharedCache cache(Switchboard sb) {
            return name == null ? sb.cache() : sb.cache(name);
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true,
            description = {"Prints the value of KEY as UTF-8 text.", "Exits 1, printing nothing on standard output, if KEY is absent."})
    static final class Get implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Target target;
        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Override
        public Integer call() {
            try (Switchboard sb = target.open()) {
                byte[] value = target.cache(sb).get(key, byte[].class);
                if (value == null) {
                    spec.commandLine().getErr().println("(absent) " + key);
                    spec.commandLine().getErr().flush();
                    return SwitchboardCommand.FAILED;
                }
                PrintWriter out = spec.commandLine().getOut();
                out.println(new String(value, StandardCharsets.UTF_8));
                out.flush();
                return 0;
            }
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true, description = "Stores VALUE (UTF-8 text) under KEY.")
    static final class Set implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Target target;
        @Parameters(index = "0", paramLabel = "KEY")
        String key;
        @Parameters(index = "1", paramLabel = "VALUE")
        String value;
        @Option(names = "--ttl", paramLabel = "DURATION",
                description = "Expiry (10s, 5m, 1h or PT1H); default: switchboard.cache.default-ttl.")
        Duration ttl;

        @Override
        public Integer call() {
            try (Switchboard sb = target.open()) {
                if (ttl == null) {
                    target.cache(sb).put(key, value);
                } else {
                    target.cache(sb).put(key, value, ttl);
                }
                spec.commandLine().getOut().println("OK");
                spec.commandLine().getOut().flush();
                return 0;
            }
        }
    }

    @Command(name = "del", mixinStandardHelpOptions = true, description = {"Deletes KEY and prints 1 if it existed, 0 if not.", "Exits 0 either way."})
    static final class Del implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Target target;
        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Override
        public Integer call() {
            try (Switchboard sb = target.open()) {
                spec.commandLine().getOut().println(target.cache(sb).delete(key) ? "1" : "0");
                spec.commandLine().getOut().flush();
                return 0;
            }
        }
    }

    @Command(name = "incr", mixinStandardHelpOptions = true,
            description = {"Adds DELTA (default 1, may be negative) to the counter KEY and prints the new value.",
                    "A new counter starts at --initial (default: DELTA, as Redis INCRBY)."})
    static final class Incr implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Target target;
        @Parameters(index = "0", paramLabel = "KEY")
        String key;
        @Parameters(index = "1", arity = "0..1", paramLabel = "DELTA", defaultValue = "1")
        long delta;
        @Option(names = "--initial", paramLabel = "N", description = "Value when the counter is created (default: DELTA).")
        Long initial;
        @Option(names = "--ttl", paramLabel = "DURATION", description = "Expiry when created (default none).")
        Duration ttl;

        @Override
        public Integer call() {
            try (Switchboard sb = target.open()) {
                long v = target.cache(sb).increment(key, delta, initial != null ? initial : delta, ttl == null ? Duration.ZERO : ttl);
                spec.commandLine().getOut().println(v);
                spec.commandLine().getOut().flush();
                return 0;
            }
        }
    }
}
