package io.switchboard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code switchboard} as a user would, one JVM process per command, against the Redis,
 * RabbitMQ and Memcached of {@code bin/services}, and against a private redis-server started with a
 * password on a free port.
 */
class CliProcessIT {
    private static final String REDIS = "switchboard.redis.uri=redis://127.0.0.1:6379";
    private static Process privateRedis;
    private static int privateRedisPort;
    private static Path work;

    @BeforeAll
    static void startPrivateRedis() throws Exception {
        work = Files.createTempDirectory("cli-it");
        privateRedisPort = freePort();
        privateRedis = new ProcessBuilder("redis-server", "--port", String.valueOf(privateRedisPort), "--bind", "127.0.0.1",
                "--requirepass", "right-password", "--save", "", "--appendonly", "no")
                .redirectErrorStream(true).redirectOutput(work.resolve("redis.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!accepts(privateRedisPort)) {
            if (System.nanoTime() > deadline || !privateRedis.isAlive()) {
                fail("private redis-server on port " + privateRedisPort + " did not start: " + Files.readString(work.resolve("redis.log")));
            }
            Thread.sleep(20);
        }
    }

    @AfterAll
    static void stopPrivateRedis() throws Exception {
        if (privateRedis != null) {
            privateRedis.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void publishesFromArgumentsAndStandardInputToASubscriberOnRedis() throws Exception {
        pubSubRoundTrip("redis", "-D" + REDIS);
    }

    @Test
    void publishesFromArgumentsAndStandardInputToASubscriberOnRabbitMq() throws Exception {
        pubSubRoundTrip("rabbitmq", "--cache=memcached");
    }

    private void pubSubRoundTrip(String transport, String extra) throws Exception {
        String channel = "it.cli." + UUID.randomUUID().toString().substring(0, 8);
        Cli sub = Cli.start(work, null, "sub", channel + ".#", "--transport=" + transport, extra, "--count=3", "--timeout=60s", "--json");
        sub.awaitStderr("subscribed to", Duration.ofSeconds(60));
        Cli pub = Cli.run(work, null, "pub", channel + ".a", "héllo ✓", "--transport=" + transport, extra, "-H", "tenant=acme");
        assertEquals(0, pub.exit, pub.describe());
        Cli lines = Cli.run(work, "line one\nline two\n", "pub", channel + ".b", "--transport=" + transport, extra);
        assertEquals(0, lines.exit, lines.describe());
        assertTrue(lines.stdout.contains("published 2 messages"), lines.describe());
        sub.await(Duration.ofSeconds(60));
        assertEquals(0, sub.exit, sub.describe());
        List<String> got = sub.stdout.lines().toList();
        assertEquals(3, got.size(), sub.describe());
        assertTrue(got.get(0).contains("\"channel\":\"" + channel + ".a\"") && got.get(0).contains("\"payload\":\"héllo ✓\"")
                && got.get(0).contains("\"tenant\":\"acme\""), got.get(0));
        assertTrue(got.get(1).contains("\"payload\":\"line one\""), got.get(1));
        assertTrue(got.get(2).contains("\"payload\":\"line two\""), got.get(2));
    }

    @Test
    void publishesAFileOrStandardInputAsOneBinaryMessageWithAnIdAndJsonWithItsContentTypeOnRedis() throws Exception {
        publishesFilesIdsAndJson("redis", "-D" + REDIS);
    }

    @Test
    void publishesAFileOrStandardInputAsOneBinaryMessageWithAnIdAndJsonWithItsContentTypeOnRabbitMq() throws Exception {
        publishesFilesIdsAndJson("rabbitmq", "--cache=memcached");
    }

    private void publishesFilesIdsAndJson(String transport, String extra) throws Exception {
        String channel = "it.cli.files." + UUID.randomUUID().toString().substring(0, 8);
        byte[] binary = new byte[256 * 4];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) i;
        }
        Path file = work.resolve(channel + ".bin");
        Files.write(file, binary);
        Path lines = work.resolve(channel + ".txt");
        Files.writeString(lines, "first\nsecond\n");
        Cli sub = Cli.start(work, null, "sub", channel, "--transport=" + transport, extra, "--count=5", "--timeout=60s", "--json");
        sub.awaitStderr("subscribed to", Duration.ofSeconds(60));
        Cli fromFile = Cli.run(work, null, "pub", channel, "--file=" + file, "--id=file-1", "--transport=" + transport, extra);
        assertEquals(0, fromFile.exit, fromFile.describe());
        assertTrue(fromFile.stdout.contains("published 1 message"), fromFile.describe());
        Cli fromStdin = Cli.run(work, "line a\nline b\n", "pub", channel, "--file=-", "--transport=" + transport, extra);
        assertEquals(0, fromStdin.exit, fromStdin.describe());
        Cli json = Cli.run(work, null, "pub", channel, "{\"id\":42}", "--json", "--id=json-1", "--transport=" + transport, extra);
        assertEquals(0, json.exit, json.describe());
        Cli byLine = Cli.run(work, null, "pub", channel, "--file=" + lines, "--lines", "--transport=" + transport, extra);
        assertEquals(0, byLine.exit, byLine.describe());
        assertTrue(byLine.stdout.contains("published 2 messages"), byLine.describe());
        sub.await(Duration.ofSeconds(60));
        assertEquals(0, sub.exit, sub.describe());
        List<String> got = sub.stdout.lines().toList();
        assertEquals(5, got.size(), sub.describe());
        String base64 = java.util.Base64.getEncoder().encodeToString(binary);
        assertTrue(got.get(0).contains("\"id\":\"file-1\"") && got.get(0).contains("\"payloadBase64\":\"" + base64 + "\"")
                && got.get(0).contains("\"contentType\":\"application/octet-stream\""), got.get(0));
        assertTrue(got.get(1).contains("\"payload\":\"line a\\nline b\\n\""), got.get(1));
        assertTrue(got.get(2).contains("\"id\":\"json-1\"") && got.get(2).contains("\"contentType\":\"application/json\"")
                && got.get(2).contains("\"payload\":\"{\\\"id\\\":42}\""), got.get(2));
        assertTrue(got.get(3).contains("\"payload\":\"first\"") && got.get(4).contains("\"payload\":\"second\""), sub.describe());
    }

    @Test
    void pubAndSubOnTheMemoryTransportWarnThatNothingCrossesProcesses() throws Exception {
        String channel = "it.cli.memory." + UUID.randomUUID().toString().substring(0, 8);
        Cli sub = Cli.start(work, null, "sub", channel, "--transport=memory", "--timeout=20s", "--count=1");
        sub.awaitStderr("subscribed to", Duration.ofSeconds(60));
        Cli pub = Cli.run(work, null, "pub", channel, "lost", "--transport=memory");
        assertEquals(0, pub.exit, pub.describe());
        assertEquals(1, pub.stderr.lines().count(), pub.describe());
        assertTrue(pub.stderr.startsWith("warning: the memory transport delivers only within this process"), pub.describe());
        sub.await(Duration.ofSeconds(60));
        assertEquals(1, sub.exit, "nothing can cross from another process: " + sub.describe());
        assertTrue(sub.stderr.lines().findFirst().orElse("").startsWith("warning: the memory transport delivers only within this process"),
                sub.describe());
    }

    @Test
    void subscriberWithoutEnoughMessagesExitsOne() throws Exception {
        Cli sub = Cli.run(work, null, "sub", "it.cli.silent." + UUID.randomUUID().toString().substring(0, 8), "--transport=redis", "-D" + REDIS,
                "--count=1", "--timeout=1s");
        assertEquals(1, sub.exit, sub.describe());
    }

    @Test
    void cacheCommandsOnRedisAndMemcached() throws Exception {
        for (String[] pair : new String[][] {{"redis", "redis"}, {"rabbitmq", "memcached"}}) {
            String key = "it-cli-" + UUID.randomUUID();
            String[] conn = {"--transport=" + pair[0], "--cache=" + pair[1]};
            assertEquals("OK", ok(cmd("cache", "set", key, "välue", "--ttl=60s"), conn).trim());
            assertEquals("välue", ok(cmd("cache", "get", key), conn).trim());
            assertEquals("1", ok(cmd("cache", "del", key), conn).trim());
            Cli absent = Cli.run(work, null, concat(cmd("cache", "get", key), conn));
            assertEquals(1, absent.exit, "get of an absent key: " + absent.describe());
            assertEquals("0", ok(cmd("cache", "del", key), conn).trim());
            String counter = key + "-n";
            assertEquals("5", ok(cmd("cache", "incr", counter, "5", "--ttl=60s"), conn).trim());
            assertEquals("7", ok(cmd("cache", "incr", counter, "2"), conn).trim());
            ok(cmd("cache", "del", counter), conn);
        }
    }

    @Test
    void cacheCommandsWorkWithOnlyACacheGivenAndNoNoise() throws Exception {
        for (String cache : List.of("redis", "memcached")) {
            String key = "it-cli-only-cache-" + UUID.randomUUID();
            for (String[] args : new String[][] {{"cache", "set", key, "v", "--ttl=60s"}, {"cache", "del", key}}) {
                Cli c = Cli.run(work, null, concat(args, new String[] {"--cache=" + cache}));
                assertEquals(0, c.exit, c.describe());
                assertEquals("", c.stderr, "nothing on standard error expected: " + c.describe());
            }
        }
        Cli memory = Cli.run(work, null, "cache", "set", "k", "v", "--cache=memory");
        assertEquals(0, memory.exit, memory.describe());
        assertEquals(1, memory.stderr.lines().count(), memory.describe());
        assertTrue(memory.stderr.startsWith("warning: the memory cache lives in this process"), memory.describe());
    }

    @Test
    void cacheCommandsNeedOnlyACacheAndShowHowAValueWasStored() throws Exception {
        byte[] binary = new byte[1024];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) (255 - i);
        }
        Path file = work.resolve("value-" + UUID.randomUUID() + ".bin");
        Files.write(file, binary);
        for (String cache : List.of("redis", "memcached")) {
            String[] conn = {"--cache=" + cache};
            String key = "it-cli-format-" + UUID.randomUUID();
            Cli json = Cli.run(work, null, concat(cmd("cache", "set", key + "-json", "{\"a\": [1, 2]}", "--json", "--ttl=60s"), conn));
            assertEquals(0, json.exit, json.describe());
            assertEquals("", json.stderr, "no noise without a transport: " + json.describe());
            Cli getJson = Cli.run(work, null, concat(cmd("cache", "get", key + "-json"), conn));
            assertEquals(0, getJson.exit, getJson.describe());
            assertEquals("{\"a\":[1,2]}", getJson.stdout.trim(), getJson.describe());
            assertTrue(getJson.stderr.contains("json, 11 bytes"), getJson.describe());

            assertEquals(0, Cli.run(work, null, concat(cmd("cache", "set", key + "-bin", "--file=" + file, "--ttl=60s"), conn)).exit);
            Cli getBin = Cli.run(work, null, concat(cmd("cache", "get", key + "-bin"), conn));
            assertEquals(0, getBin.exit, getBin.describe());
            assertEquals("base64:" + java.util.Base64.getEncoder().encodeToString(binary), getBin.stdout.trim(), getBin.describe());
            assertTrue(getBin.stderr.contains("bytes, 1024 bytes"), getBin.describe());
            Cli raw = Cli.run(work, null, concat(cmd("cache", "get", key + "-bin", "--raw"), conn));
            assertEquals(0, raw.exit, raw.describe());
            assertTrue(java.util.Arrays.equals(binary, raw.stdoutBytes()), "--raw must write the stored bytes unchanged: " + raw.describe());

            assertEquals(0, Cli.run(work, "plain words", concat(cmd("cache", "put", key + "-text", "--file=-", "--text", "--ttl=60s"), conn)).exit);
            Cli getText = Cli.run(work, null, concat(cmd("cache", "get", key + "-text"), conn));
            assertEquals("plain words", getText.stdout.trim(), getText.describe());
            assertTrue(getText.stderr.contains("text, 11 bytes"), getText.describe());

            Cli bad = Cli.run(work, null, concat(cmd("cache", "set", key + "-bad", "{nope", "--json"), conn));
            assertEquals(2, bad.exit, bad.describe());
            assertTrue(bad.stderr.contains("not valid JSON"), bad.describe());
            for (String suffix : List.of("-json", "-bin", "-text")) {
                assertEquals("1", ok(cmd("cache", "del", key + suffix), conn).trim());
            }
        }
    }

    @Test
    void deletesADurableSubscriptionOnRabbitMqAndSaysWhenThereIsNone() throws Exception {
        String name = "it-cli-durable-" + UUID.randomUUID().toString().substring(0, 8);
        String channel = "it.cli.durable." + name;
        Cli sub = Cli.run(work, null, "sub", channel, "--durable=" + name, "--timeout=1s", "--transport=rabbitmq", "--cache=memory");
        assertEquals(0, sub.exit, sub.describe());
        assertEquals(0, Cli.run(work, null, "pub", channel, "kept", "--transport=rabbitmq", "--cache=memory").exit);
        Cli delete = Cli.run(work, null, "durable", "delete", name, "--transport=rabbitmq", "--cache=memory");
        assertEquals(0, delete.exit, delete.describe());
        assertTrue(delete.stdout.contains("deleted durable subscription '" + name + "'"), delete.describe());
        Cli again = Cli.run(work, null, "durable", "delete", name, "--transport=rabbitmq", "--cache=memory");
        assertEquals(1, again.exit, again.describe());
        assertTrue(again.stderr.contains("no durable subscription '" + name + "'"), again.describe());
    }

    @Test
    void deletingADurableSubscriptionOnRedisIsAConfigurationError() throws Exception {
        Cli delete = Cli.run(work, null, "durable", "delete", "anything", "--transport=redis", "-D" + REDIS);
        assertEquals(3, delete.exit, delete.describe());
        assertTrue(delete.stderr.contains("durable"), delete.describe());
        assertEquals(1, delete.stderr.lines().count(), delete.describe());
    }

    @Test
    void doctorReportsVersionsAndLatencyOnAHealthySetup() throws Exception {
        Cli doctor = Cli.run(work, null, "doctor", "--transport=redis", "-D" + REDIS);
        assertEquals(0, doctor.exit, doctor.describe());
        assertTrue(doctor.stdout.contains("serverVersion") && doctor.stdout.contains("pub/sub round trip: median")
                && doctor.stdout.contains("cache set+get: median") && doctor.stdout.contains("result: OK"), doctor.describe());
    }

    @Test
    void doctorDiagnosesAWrongPassword() throws Exception {
        Cli doctor = Cli.run(work, null, "doctor", "--transport=redis",
                "-Dswitchboard.redis.uri=redis://:wrong-password@127.0.0.1:" + privateRedisPort);
        assertEquals(3, doctor.exit, doctor.describe());
        assertTrue(doctor.stdout.contains("refused the credentials"), doctor.describe());
        assertTrue(!doctor.stdout.contains("wrong-password") && !doctor.stderr.contains("wrong-password"), "the password leaked: " + doctor.describe());
        Cli right = Cli.run(work, null, "doctor", "--transport=redis", "-Dswitchboard.redis.uri=redis://:right-password@127.0.0.1:" + privateRedisPort);
        assertEquals(0, right.exit, right.describe());
    }

    @Test
    void doctorDiagnosesAClosedPort() throws Exception {
        int closed = freePort();
        Cli doctor = Cli.run(work, null, "doctor", "--transport=redis", "-Dswitchboard.redis.uri=redis://127.0.0.1:" + closed);
        assertEquals(4, doctor.exit, doctor.describe());
        assertTrue(doctor.stdout.contains("nothing accepts connections on 127.0.0.1:" + closed), doctor.describe());
    }

    @Test
    void doctorNamesAnUnknownProvider() throws Exception {
        Cli doctor = Cli.run(work, null, "doctor", "--transport=redsi", "--cache=redis");
        assertEquals(3, doctor.exit, doctor.describe());
        assertTrue(doctor.stdout.contains("Did you mean 'redis'"), doctor.describe());
    }

    /** The CLI's own connect timeout (docs/cli.md), and what a loaded machine may add to it beyond a JVM start. */
    private static final Duration CLI_CONNECT_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration SLACK = Duration.ofSeconds(4);

    @Test
    void aClosedRabbitMqPortFailsWithinTheCliConnectTimeoutWithOneDiagnosis() throws Exception {
        failsFast("within (PT3S|3000 ms)", "pub", "it.cli.fast", "x", "--transport=rabbitmq", "--cache=memory",
                "-Dswitchboard.rabbitmq.uri=amqp://guest:guest@127.0.0.1:" + freePort());
    }

    @Test
    void aRedisPortGivenToRabbitMqFailsWithinTheCliConnectTimeoutWithoutLibraryLogLines() throws Exception {
        failsFast("within (PT3S|3000 ms)", "pub", "it.cli.fast", "x", "--transport=rabbitmq", "--cache=memory",
                "-Dswitchboard.rabbitmq.uri=amqp://guest:guest@127.0.0.1:6379");
    }

    @Test
    void aRabbitMqPortGivenToRedisFailsWithinTheCliConnectTimeoutWithoutLibraryLogLines() throws Exception {
        failsFast("does not speak the Redis protocol", "sub", "it.cli.fast", "--transport=redis", "--timeout=30s",
                "-Dswitchboard.redis.uri=redis://127.0.0.1:5672");
    }

    @Test
    void aClosedMemcachedPortFailsWithinTheCliConnectTimeoutWithoutReconnectLines() throws Exception {
        failsFast("within (PT3S|3000 ms)", "cache", "get", "k", "--transport=memory", "--cache=memcached",
                "-Dswitchboard.memcached.servers=127.0.0.1:" + freePort());
    }

    @Test
    void aConnectTimeoutGivenByTheUserWins() throws Exception {
        long baseline = baselineMillis();
        long start = System.nanoTime();
        Cli c = Cli.run(work, null, "pub", "it.cli.fast", "x", "--transport=rabbitmq", "--cache=memory",
                "-Dswitchboard.rabbitmq.uri=amqp://guest:guest@127.0.0.1:" + freePort(), "-Dswitchboard.rabbitmq.connection-timeout=6s");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(4, c.exit, c.describe());
        assertTrue(c.stderr.contains("within PT6S"), c.describe());
        assertTrue(millis - baseline >= 5000, "took " + millis + " ms (JVM start " + baseline + " ms), the user's 6 s were not used: " + c.describe());
    }

    /**
     * Runs a command that must fail to connect (exit 4) within the CLI's connect timeout, with one
     * diagnosis and no library log lines; {@code expected} (a regex) is in the message (for most providers
     * the timeout it used, which the wall-clock bound, loose on a loaded machine, cannot tell apart).
     */
    private void failsFast(String expected, String... args) throws Exception {
        long baseline = baselineMillis();
        long start = System.nanoTime();
        Cli c = Cli.run(work, null, args);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(4, c.exit, c.describe());
        long bound = baseline + CLI_CONNECT_TIMEOUT.toMillis() + SLACK.toMillis();
        assertTrue(millis <= bound, "took " + millis + " ms, bound " + bound + " ms (JVM start " + baseline + " ms): " + c.describe());
        List<String> lines = c.stderr.lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.stream().filter(l -> l.startsWith("connection error: ")).count(), c.describe());
        assertEquals(1, lines.stream().filter(l -> l.contains("diagnosis: ")).count(), c.describe());
        assertTrue(java.util.regex.Pattern.compile(expected).matcher(c.stderr).find(), "'" + expected + "' not found: " + c.describe());
        assertEquals(2, lines.size(), "only the error and its diagnosis expected on standard error: " + c.describe());
        System.out.println("switchboard " + String.join(" ", args) + ": failed after " + millis + " ms (JVM start " + baseline + " ms)");
    }

    /** How long this machine takes just now to start the command and run a trivial subcommand. */
    private long baselineMillis() throws Exception {
        long start = System.nanoTime();
        Cli c = Cli.run(work, null, "config", "--provider=core");
        assertEquals(0, c.exit, c.describe());
        return (System.nanoTime() - start) / 1_000_000;
    }

    @Test
    void usageErrorsExitTwo() throws Exception {
        assertEquals(2, Cli.run(work, null, "pub").exit);
        assertEquals(2, Cli.run(work, null, "pub", "bad channel", "x", "--transport=memory").exit);
        Cli help = Cli.run(work, null, "cache", "incr", "--help");
        assertEquals(0, help.exit);
        assertTrue(help.stdout.contains("Usage: switchboard cache incr"), help.describe());
    }

    @Test
    void multiProcessDemoPassesItsConsistencyCheckOnRedis() throws Exception {
        Cli demo = Cli.run(work, null, "demo", "--transport=redis", "-D" + REDIS, "--changes=6");
        assertEquals(0, demo.exit, demo.describe());
        assertTrue(demo.stdout.contains("one JVM process each") && demo.stdout.contains("rolling restart")
                && demo.stdout.contains("PASS"), demo.describe());
    }

    @Test
    void multiProcessDemoPassesItsConsistencyCheckOnRabbitMqAndMemcached() throws Exception {
        Cli demo = Cli.run(work, null, "demo", "--transport=rabbitmq", "--cache=memcached", "--changes=6");
        assertEquals(0, demo.exit, demo.describe());
        assertTrue(demo.stdout.contains("PASS"), demo.describe());
    }

    private String ok(String[] args, String[] conn) throws Exception {
        Cli c = Cli.run(work, null, concat(args, conn));
        assertEquals(0, c.exit, c.describe());
        return c.stdout;
    }

    private static String[] cmd(String... args) {
        return args;
    }

    private static String[] concat(String[] a, String[] b) {
        List<String> all = new ArrayList<>(List.of(a));
        all.addAll(List.of(b));
        return all.toArray(new String[0]);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** One run of the command in its own JVM, output captured in files. */
    static final class Cli {
        private final Process process;
        private final Path out;
        private final Path err;
        private final List<String> args;
        int exit = -1;
        String stdout = "";
        String stderr = "";

        private Cli(Process process, Path out, Path err, List<String> args) {
            this.process = process;
            this.out = out;
            this.err = err;
            this.args = args;
        }

        static Cli start(Path work, String stdin, String... args) throws IOException {
            Path base = Path.of(System.getProperty("basedir", "."));
            String classpath = base.resolve("target/classes") + java.io.File.pathSeparator
                    + Files.readString(base.resolve("target/classpath.txt")).trim();
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> cmd = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-cp", classpath, SwitchboardCommand.class.getName()));
            cmd.addAll(List.of(args));
            String id = UUID.randomUUID().toString();
            Path out = work.resolve(id + ".out");
            Path err = work.resolve(id + ".err");
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (stdin != null) {
                p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            p.getOutputStream().close();
            return new Cli(p, out, err, List.of(args));
        }

        static Cli run(Path work, String stdin, String... args) throws Exception {
            Cli c = start(work, stdin, args);
            c.await(Duration.ofSeconds(120));
            return c;
        }

        void awaitStderr(String text, Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!Files.readString(err).contains(text)) {
                if (System.nanoTime() > deadline || !process.isAlive()) {
                    collect();
                    fail("'" + text + "' did not appear on standard error: " + describe());
                }
                Thread.sleep(20);
            }
        }

        void await(Duration timeout) throws Exception {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                collect();
                fail("switchboard " + args + " did not finish within " + timeout + ": " + describe());
            }
            exit = process.exitValue();
            collect();
        }

        private void collect() throws IOException {
            // Leniently: --raw may write bytes that are not UTF-8.
            stdout = new String(Files.readAllBytes(out), StandardCharsets.UTF_8);
            stderr = new String(Files.readAllBytes(err), StandardCharsets.UTF_8);
        }

        byte[] stdoutBytes() throws IOException {
            return Files.readAllBytes(out);
        }

        String describe() {
            return "switchboard " + args + " exit " + exit + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }
}
