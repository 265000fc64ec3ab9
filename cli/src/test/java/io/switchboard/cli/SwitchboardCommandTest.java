package io.switchboard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.TypeConversionException;

/** The command in this JVM, on the in-memory transport: exit codes, argument parsing and the in-process demo. */
class SwitchboardCommandTest {
    @Test
    void readsDurationsInEveryDocumentedSpelling() {
        DurationConverter c = new DurationConverter();
        assertEquals(Duration.ofSeconds(10), c.convert("10s"));
        assertEquals(Duration.ofMillis(500), c.convert("500ms"));
        assertEquals(Duration.ofMinutes(2), c.convert("2m"));
        assertEquals(Duration.ofSeconds(10), c.convert("PT10S"));
        assertEquals(Duration.ofHours(1), c.convert("1h"));
        assertEquals(Duration.ofMillis(1500), c.convert("1.5"));
        TypeConversionException e = assertThrows(TypeConversionException.class, () -> c.convert("soon"));
        assertTrue(e.getMessage().contains("'soon'"), e.getMessage());
    }

    @Test
    void everyDurationOptionOfEveryCommandReadsTheShortForms() {
        int checked = 0;
        for (List<String> path : commandPaths(SwitchboardCommand.commandLine(), new ArrayList<>())) {
            CommandLine command = find(SwitchboardCommand.commandLine(), path);
            for (OptionSpec option : command.getCommandSpec().options()) {
                if (option.type() != Duration.class) {
                    continue;
                }
                for (String[] spelling : new String[][] {{"5s", "PT5S"}, {"1500ms", "PT1.5S"}, {"2m", "PT2M"}, {"PT10S", "PT10S"}}) {
                    CommandLine root = SwitchboardCommand.commandLine();
                    List<String> args = new ArrayList<>(path);
                    args.add(option.longestName() + "=" + spelling[0]);
                    for (PositionalParamSpec p : find(root, path).getCommandSpec().positionalParameters()) {
                        if (p.required()) {
                            args.add("x");
                        }
                    }
                    root.parseArgs(args.toArray(new String[0]));
                    Duration parsed = find(root, path).getCommandSpec().findOption(option.longestName()).getValue();
                    assertEquals(Duration.parse(spelling[1]), parsed, String.join(" ", args));
                }
                checked++;
            }
        }
        assertTrue(checked >= 7, "expected the duration options of pub, sub, cache set, cache incr, doctor, bench and demo; found " + checked);
    }

    private static List<List<String>> commandPaths(CommandLine command, List<String> prefix) {
        List<List<String>> paths = new ArrayList<>();
        paths.add(prefix);
        for (Map.Entry<String, CommandLine> sub : command.getSubcommands().entrySet()) {
            List<String> p = new ArrayList<>(prefix);
            p.add(sub.getKey());
            paths.addAll(commandPaths(sub.getValue(), p));
        }
        return paths;
    }

    private static CommandLine find(CommandLine root, List<String> path) {
        CommandLine c = root;
        for (String name : path) {
            c = c.getSubcommands().get(name);
        }
        return c;
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(SwitchboardCommand.USAGE, SwitchboardCommand.run("pub"));
        assertEquals(SwitchboardCommand.USAGE, SwitchboardCommand.run("bench", "--size", "3", "--transport", "memory"));
        assertEquals(SwitchboardCommand.USAGE, SwitchboardCommand.run("no-such-command"));
    }

    @Test
    void aUsageErrorIsOneLineNamingTheCulpritWithADidYouMean() {
        assertUsageLine(exec("doctr"), "unknown command 'doctr'", "Did you mean 'doctor'?");
        assertUsageLine(exec("pbu", "ch", "x"), "unknown command 'pbu'", "Did you mean 'pub'?");
        assertUsageLine(exec("nosuch"), "unknown command 'nosuch'", "pub, sub, cache");
        assertUsageLine(exec("cache", "gt", "k"), "unknown command 'gt'", "Did you mean 'get'?");
        assertUsageLine(exec("pub", "--tmeout", "5s", "ch", "x"), "unknown option '--tmeout'", "Did you mean '--timeout'?");
        assertUsageLine(exec("sub", "ch", "--conut=3"), "unknown option '--conut'", "Did you mean '--count'?");
        assertUsageLine(exec("--trnasport", "redis"), "unknown option '--trnasport'", "go after the command: switchboard COMMAND --transport");
        assertUsageLine(exec("pub", "ch", "x", "y"), "unexpected argument 'y'", "switchboard pub --help");
        assertUsageLine(exec("pub"), "CHANNEL", "switchboard pub --help");
        assertUsageLine(exec("pub", "ch", "x", "--timeout", "soon"), "'soon' is not a duration", "--timeout");
        assertUsageLine(exec("sub", "ch", "--count", "0", "--transport", "memory"), "--count must be at least 1", "switchboard sub --help");
        assertUsageLine(exec(), "name a command", "pub, sub, cache");
        assertUsageLine(exec("cache"), "name a command", "get, set, del");
    }

    private static void assertUsageLine(String[] result, String... expected) {
        String err = result[1];
        assertEquals(String.valueOf(SwitchboardCommand.USAGE), result[0], err);
        assertEquals(1, err.lines().filter(l -> !l.isBlank()).count(), "one line expected:\n" + err);
        assertTrue(!err.contains("Usage:"), err);
        for (String e : expected) {
            assertTrue(err.contains(e), "'" + e + "' missing from: " + err);
        }
    }

    /** Runs the command in this JVM; returns the exit code, standard error and standard output. */
    private static String[] exec(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        CommandLine cl = SwitchboardCommand.commandLine();
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        int code = cl.execute(args);
        return new String[] {String.valueOf(code), err.toString(), out.toString()};
    }

    @Test
    void everyCommandListSummaryIsAWholeSentence() {
        int summaries = 0;
        for (List<String> path : commandPaths(SwitchboardCommand.commandLine(), new ArrayList<>())) {
            CommandLine command = find(SwitchboardCommand.commandLine(), path);
            if (command.getSubcommands().isEmpty()) {
                continue;
            }
            String help = command.getUsageMessage(CommandLine.Help.Ansi.OFF);
            String list = help.substring(help.indexOf("Commands:") + "Commands:".length());
            Map<String, StringBuilder> byCommand = new java.util.LinkedHashMap<>();
            String current = null;
            for (String line : list.lines().toList()) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("^  ([^\\s,]+)(?:, \\S+)*\\s+(.*)$").matcher(line);
                if (m.matches() && command.getSubcommands().containsKey(m.group(1))) {
                    current = m.group(1);
                    byCommand.put(current, new StringBuilder(m.group(2).trim()));
                } else if (current != null && !line.isBlank()) {
                    byCommand.get(current).append(' ').append(line.trim());
                }
            }
            assertEquals(UsageErrors.visibleSubcommands(command), new ArrayList<>(byCommand.keySet()), help);
            for (Map.Entry<String, StringBuilder> e : byCommand.entrySet()) {
                String summary = e.getValue().toString();
                assertTrue(summary.endsWith(".") && !summary.endsWith(":."), "summary of '" + e.getKey() + "' is cut: " + summary);
                summaries++;
            }
        }
        assertTrue(summaries >= 12, "expected the summaries of the commands and the cache subcommands, found " + summaries);
    }

    @Test
    void everyCommandsHelpShowsItsWholeDescription() {
        for (List<String> path : commandPaths(SwitchboardCommand.commandLine(), new ArrayList<>())) {
            CommandLine command = find(SwitchboardCommand.commandLine(), path);
            String help = command.getUsageMessage(CommandLine.Help.Ansi.OFF).replaceAll("\\s+", " ");
            String[] description = command.getCommandSpec().usageMessage().description();
            assertTrue(description.length > 0, "no description: " + path);
            for (String line : description) {
                String text = CommandLine.Help.Ansi.OFF.string(String.format(line)).replaceAll("\\s+", " ").trim();
                assertTrue(help.contains(text), path + ": '" + text + "' missing from its help:\n" + help);
                assertTrue(text.endsWith("."), path + ": description line is not a whole sentence: " + text);
            }
        }
    }

    @Test
    void setsTheCliConnectTimeoutsUnlessTheUserSetThem() {
        ConnectionOptions plain = new ConnectionOptions();
        assertEquals("3s", plain.settings().get("switchboard.rabbitmq.connection-timeout"));
        assertEquals("3s", plain.settings().get("switchboard.redis.connect-timeout"));
        assertEquals("3s", plain.settings().get("switchboard.memcached.connect-timeout"));
        ConnectionOptions given = new ConnectionOptions();
        given.properties.put("switchboard.rabbitmq.connection-timeout", "20s");
        assertEquals("20s", given.settings().get("switchboard.rabbitmq.connection-timeout"));
        System.setProperty("switchboard.redis.connect-timeout", "7s");
        try {
            assertTrue(!new ConnectionOptions().settings().containsKey("switchboard.redis.connect-timeout"),
                    "a system property must win over the CLI's default");
        } finally {
            System.clearProperty("switchboard.redis.connect-timeout");
        }
    }

    @Test
    void clientLibraryLoggersAreSilentWhileSwitchboardWarningsShow() throws Exception {
        java.util.Properties p = new java.util.Properties();
        try (java.io.InputStream in = SwitchboardCommand.class.getResourceAsStream("/simplelogger.properties")) {
            p.load(in);
        }
        assertEquals("warn", p.getProperty("org.slf4j.simpleLogger.defaultLogLevel"));
        for (String library : List.of("com.rabbitmq", "net.spy", "redis.clients")) {
            String level = p.getProperty("org.slf4j.simpleLogger.log." + library);
            assertTrue("off".equals(level) || "error".equals(level), library + " logs at " + level);
        }
        assertTrue(p.stringPropertyNames().stream().noneMatch(k -> k.startsWith("org.slf4j.simpleLogger.log.io.switchboard")), p.toString());
    }

    @Test
    void pubRefusesInvalidJsonAndAnIdForManyMessagesBeforeConnecting() {
        assertUsageLine(exec("pub", "ch", "{\"a\":", "--json", "--transport", "memory"), "not valid JSON");
        assertUsageLine(exec("pub", "ch", "--lines", "--id", "m-1", "--transport", "memory"), "--id");
        assertUsageLine(exec("pub", "ch", "x", "--json", "--content-type", "text/csv", "--transport", "memory"), "--json", "--content-type");
        assertUsageLine(exec("pub", "ch", "x", "--file", "-", "--transport", "memory"), "DATA", "--file");
        assertUsageLine(exec("pub", "ch", "x", "--lines", "--transport", "memory"), "--lines");
    }

    @Test
    void cacheSetRefusesAmbiguousOrInvalidValuesBeforeConnecting() {
        assertUsageLine(exec("cache", "set", "k", "{nope", "--json", "--cache", "memory"), "VALUE is not valid JSON");
        assertUsageLine(exec("cache", "set", "k", "v", "--file", "-", "--cache", "memory"), "VALUE or --file");
        assertUsageLine(exec("cache", "set", "k", "--cache", "memory"), "VALUE or --file");
        assertUsageLine(exec("cache", "set", "k", "v", "--json", "--bytes", "--cache", "memory"), "--json", "--bytes");
    }

    @Test
    void cacheValuesReadAsTextJsonOrBytes() {
        assertEquals(ValueFormat.TEXT, ValueFormat.of("hello".getBytes(StandardCharsets.UTF_8)));
        assertEquals(ValueFormat.TEXT, ValueFormat.of("42".getBytes(StandardCharsets.UTF_8)));
        assertEquals(ValueFormat.TEXT, ValueFormat.of("{not json".getBytes(StandardCharsets.UTF_8)));
        assertEquals(ValueFormat.JSON, ValueFormat.of("{\"a\":[1,2]}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(ValueFormat.JSON, ValueFormat.of("\"quoted\"".getBytes(StandardCharsets.UTF_8)));
        assertEquals(ValueFormat.BYTES, ValueFormat.of(new byte[] {(byte) 0xff, 0, 1}));
    }

    @Test
    void aRefusalOfTheMomentIsOneLineWithoutAStackTrace() {
        java.io.StringWriter err = new java.io.StringWriter();
        int code = Errors.report(new IllegalStateException("durable subscription 'audit' is in use by 1 subscriber"), new java.io.PrintWriter(err));
        assertEquals(SwitchboardCommand.FAILED, code);
        assertEquals("failed: durable subscription 'audit' is in use by 1 subscriber", err.toString().strip());
    }

    @Test
    void configNamesAnUnknownProviderAndListsTheKnownOnes() {
        assertUsageLine(exec("config", "--provider", "redsi"), "no provider 'redsi'", "Did you mean 'redis'?", "core, memory, redis, redis-streams, rabbitmq, memcached");
        assertUsageLine(exec("config", "--provider", "nope"), "no provider 'nope'", "core, memory, redis, redis-streams, rabbitmq, memcached");
        String[] redis = exec("config", "--provider", "redis");
        assertEquals("0", redis[0], redis[1]);
        assertTrue(redis[2].startsWith("[redis]"), redis[2]);
    }

    @Test
    void plainConfigOutputIsPlainAndOnlyMarkdownEscapes() {
        String[] plain = exec("config", "--provider", "core");
        assertTrue(plain[2].contains("(at-most-once | at-least-once"), plain[2]);
        assertTrue(!plain[2].contains("\\|"), "a Markdown escape in plain output:\n" + plain[2]);
        String[] markdown = exec("config", "--provider", "core", "--markdown");
        assertTrue(markdown[2].contains("at-most-once \\| at-least-once"), markdown[2]);
    }

    @Test
    void unknownProviderExitsThreeNamingTheKey() {
        String[] err = new String[1];
        int code = capture(err, () -> SwitchboardCommand.run("cache", "get", "k", "--transport", "memory", "--cache", "memcahced"));
        assertEquals(SwitchboardCommand.CONFIGURATION, code);
        assertTrue(err[0].contains("switchboard.cache") && err[0].contains("memcached"), err[0]);
    }

    @Test
    void doctorPassesOnTheMemoryTransport() {
        assertEquals(0, SwitchboardCommand.run("doctor", "--transport", "memory", "--rounds", "2"));
    }

    @Test
    void inProcessDemoPassesItsConsistencyCheck() {
        assertEquals(0, SwitchboardCommand.run("demo", "--changes", "4"));
    }

    @Test
    void benchDeliversEveryMessageOnTheMemoryTransport() {
        String[] r = exec("bench", "--transport", "memory", "-n", "2000", "--warmup", "100ms", "-c", "2", "--no-progress");
        assertEquals("0", r[0], r[1] + r[2]);
        assertTrue(r[2].contains("delivered   4,000 of 4,000"), r[2]);
    }

    @Test
    void benchWarmsUpThenMeasuresForItsDurationAndSaysHowLong() {
        String[] r = exec("bench", "--transport", "memory", "--warmup", "1s", "--duration", "2s", "--no-progress");
        assertEquals("0", r[0], r[1] + r[2]);
        java.util.regex.Matcher warm = java.util.regex.Pattern.compile("warm-up +([0-9.]+) s: ([0-9,]+) messages published and not measured").matcher(r[2]);
        java.util.regex.Matcher measured = java.util.regex.Pattern.compile("measured +([0-9.]+) s of publishing after the warm-up").matcher(r[2]);
        assertTrue(warm.find() && measured.find(), r[2]);
        double warmed = Double.parseDouble(warm.group(1));
        double seconds = Double.parseDouble(measured.group(1));
        assertTrue(warmed >= 1.0 && warmed < 5, "warmed up " + warmed + " s: " + r[2]);
        assertTrue(seconds >= 2.0 && seconds < 4, "measured " + seconds + " s: " + r[2]);
        assertTrue(Long.parseLong(warm.group(2).replace(",", "")) > 0, r[2]);
        // The JVM it measured in: its collectors and heap move the figures by 10% or more.
        String collector = java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().get(0).getName();
        assertTrue(r[2].contains("\njvm ") && r[2].contains(collector) && r[2].contains("max heap"), r[2]);
    }

    @Test
    void benchResendsPublishesRefusedAsBackpressureInsteadOfFailing() {
        String[] r = exec("bench", "--transport", "memory", "--warmup", "0s", "--messages", "20000", "--in-flight", "1000", "--no-progress",
                "-D", "switchboard.memory.queue-capacity=50");
        assertEquals("0", r[0], r[1] + r[2]);
        assertTrue(r[2].contains("delivered   20,000 of 20,000"), r[2]);
        assertTrue(r[2].contains("backpressure"), "a 50-message queue under a 1,000 window refuses some publishes: " + r[2]);
    }

    @Test
    void benchPublishesAndSubscribesInOneInstanceByDefaultAndSaysSo() {
        String[] shared = exec("bench", "--transport", "memory", "-n", "1000", "--warmup", "0s", "-p", "2", "-c", "3", "--no-progress");
        assertEquals("0", shared[0], shared[1] + shared[2]);
        assertTrue(shared[2].contains("publisher k and subscriber k in one instance (3 instance(s))"), shared[2]);
        assertTrue(shared[2].contains("delivered   3,000 of 3,000"), shared[2]);
        String[] separate = exec("bench", "--transport", "memory", "-n", "1000", "--warmup", "0s", "-p", "2", "-c", "3", "--separate-instances",
                "--no-progress");
        assertEquals("0", separate[0], separate[1] + separate[2]);
        assertTrue(separate[2].contains("3 subscriber(s) each in its own instance"), separate[2]);
        assertTrue(separate[2].contains("delivered   3,000 of 3,000"), separate[2]);
    }

    @Test
    void benchTimesOneMessageInLatencyEveryAndEveryOneWhenAskedTo() {
        String[] sampled = exec("bench", "--transport", "memory", "-n", "6400", "--warmup", "0s", "-c", "2", "--no-progress");
        assertEquals("0", sampled[0], sampled[1] + sampled[2]);
        assertTrue(sampled[2].contains("(200 deliveries timed, 1 in 64)"), "6,400 publishes, 1 in 64 timed, 2 subscribers: " + sampled[2]);
        String[] all = exec("bench", "--transport", "memory", "-n", "3000", "--warmup", "0s", "-c", "2", "--latency-every", "1", "--no-progress");
        assertEquals("0", all[0], all[1] + all[2]);
        assertTrue(all[2].contains("(6,000 deliveries timed, 1 in 1)"), all[2]);
        assertEquals(SwitchboardCommand.USAGE, SwitchboardCommand.run("bench", "--transport", "memory", "--latency-every", "0"));
    }

    @Test
    void benchDefaultsWarmUpForSecondsAndMeasureLongerThanTheHarnessTrials() {
        CommandLine.Model.CommandSpec bench = SwitchboardCommand.commandLine().getSubcommands().get("bench").getCommandSpec();
        assertEquals("5s", bench.findOption("--warmup").defaultValue());
        assertEquals("10s", bench.findOption("--duration").defaultValue());
    }

    @Test
    void latencyPercentilesAreWithinTheirBucketPrecision() {
        LatencyHistogram h = new LatencyHistogram();
        for (long micros = 1; micros <= 100_000; micros++) {
            h.record(micros * 1000);
        }
        assertEquals(100_000, h.count());
        for (double p : new double[] {50, 90, 99, 99.9}) {
            double expected = p * 1000 / 1000.0;
            double got = h.percentileMillis(p);
            assertTrue(Math.abs(got - expected) / expected < 0.016, "p" + p + ": " + got + " ms, expected " + expected + " ms");
        }
        assertEquals(100.0, h.maxMillis(), 1e-9);
        assertEquals(100.0, h.percentileMillis(100), 1e-9);
        for (long v : new long[] {0, 1, 127, 128, 129, 255, 256, 1L << 40, Long.MAX_VALUE}) {
            int i = LatencyHistogram.index(v);
            assertTrue(LatencyHistogram.upperBound(i) >= v && (i == 0 || LatencyHistogram.upperBound(i - 1) < v), "bucket of " + v);
        }
    }

    private static int capture(String[] err, java.util.function.IntSupplier run) {
        PrintStream previous = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            return run.getAsInt();
        } finally {
            System.setErr(previous);
            err[0] = buffer.toString(StandardCharsets.UTF_8);
        }
    }
}
