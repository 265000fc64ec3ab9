package io.switchboard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchboard.CodecException;
import io.switchboard.JsonCodec;
import io.switchboard.SharedCache;
import io.switchboard.Switchboard;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Reads and writes the shared cache. */
@Command(name = "cache", mixinStandardHelpOptions = true,
        description = {"Reads and writes the shared cache.",
                "Keys and encoding are those of SharedCache: text, JSON or bytes, readable by every Switchboard and by other languages."},
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
            description = {"Prints the value of KEY and, on standard error, how it reads: text, json or bytes, and its size.",
                    "Text and JSON print as they are, bytes as base64:...; --raw writes the stored bytes unchanged.",
                    "Exits 1, printing nothing on standard output, if KEY is absent."})
    static final class Get implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Target target;
        @Parameters(index = "0", paramLabel = "KEY")
        String key;
        @Option(names = "--raw", description = "Write the stored bytes to standard output unchanged, without a newline.")
        boolean raw;

        @Override
        public Integer call() {
            try (Switchboard sb = target.open()) {
                byte[] value = target.cache(sb).get(key, byte[].class);
                PrintWriter err = spec.commandLine().getErr();
                if (value == null) {
                    err.println("(absent) " + key);
                    err.flush();
                    return SwitchboardCommand.FAILED;
                }
                ValueFormat format = ValueFormat.of(value);
                if (raw) {
                    System.out.write(value, 0, value.length);
                    System.out.flush();
                } else {
                    PrintWriter out = spec.commandLine().getOut();
                    out.println(format == ValueFormat.BYTES ? "base64:" + Base64.getEncoder().encodeToString(value)
                            : new String(value, StandardCharsets.UTF_8));
                    out.flush();
                }
                err.println(key + ": " + format.label() + ", " + value.length + (value.length == 1 ? " byte" : " bytes") + " (inferred from the bytes)");
                err.flush();
                return 0;
            }
        }
    }

    @Command(name = "set", aliases = "put", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Stores a value under KEY.",
                    "VALUE is stored as UTF-8 text; --file FILE ('-' for standard input) stores the file's bytes as they are.",
                    "--json checks that the value is JSON and stores it as JSON; --text and --bytes store text or raw bytes.",
                    "The format is what the library writes for a String, a JSON value or a byte[] (memcached records it in the item's flags)."})
    static final class Set implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Target target;
        @Parameters(index = "0", paramLabel = "KEY")
        String key;
        @Parameters(index = "1", arity = "0..1", paramLabel = "VALUE", description = "The value (UTF-8 text unless --json or --bytes).")
        String value;
        @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Store the bytes of FILE ('-' for standard input) instead of VALUE.")
        String file;
        @Option(names = "--json", description = "Store as JSON, after checking that the value is JSON.")
        boolean json;
        @Option(names = "--text", description = "Store as UTF-8 text (the default for VALUE; a file must be valid UTF-8).")
        boolean text;
        @Option(names = "--bytes", description = "Store the raw bytes (the default for --file).")
        boolean bytes;
        @Option(names = "--ttl", paramLabel = "DURATION", description = "Expiry (10s, 5m, 1h or PT1H); default: switchboard.cache.default-ttl.")
        Duration ttl;

        @Override
        public Integer call() throws IOException {
            if ((value == null) == (file == null)) {
                throw new ParameterException(spec.commandLine(), value == null ? "give VALUE or --file" : "give VALUE or --file, not both");
            }
            if ((json ? 1 : 0) + (text ? 1 : 0) + (bytes ? 1 : 0) > 1) {
                throw new ParameterException(spec.commandLine(), "give one of --json, --text and --bytes");
            }
            byte[] raw = value != null ? value.getBytes(StandardCharsets.UTF_8) : file.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(file));
            String source = value != null ? "VALUE" : file.equals("-") ? "standard input" : "file " + file;
            Object stored;
            if (json) {
                try {
                    // A JsonNode is stored as JSON (the facade encodes it), even a JSON string, which a String would store as text.
                    stored = JsonCodec.defaults().decode(raw, JsonNode.class);
                } catch (CodecException e) {
                    throw new ParameterException(spec.commandLine(), source + " is not valid JSON (--json): " + e.getMessage());
                }
            } else if (bytes || (file != null && !text)) {
                stored = raw;
            } else {
                String decoded = SubCommand.utf8(raw);
                if (decoded == null) {
                    throw new ParameterException(spec.commandLine(), source + " is not valid UTF-8 text (--text); store it with --bytes");
                }
                stored = decoded;
            }
            try (Switchboard sb = target.open()) {
                if (ttl == null) {
                    target.cache(sb).put(key, stored);
                } else {
                    target.cache(sb).put(key, stored, ttl);
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
