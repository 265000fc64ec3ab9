package io.switchboard.redis.streams;

import static io.switchboard.redis.streams.StreamsTestSupport.await;
import static io.switchboard.redis.streams.StreamsTestSupport.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.Delivery;
import io.switchboard.Message;
import io.switchboard.SubscriptionOptions;
import io.switchboard.Switchboard;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Node.js service using npm {@code redis} (node-redis 4, installed from the npm registry into
 * {@code target/node-interop}) reads Switchboard's streams with {@code XREADGROUP} and writes
 * into them with {@code XADD}, following docs/redis-streams.md; on the shared Redis. Fails
 * (never skips) when node or npm is missing or the install fails: bin/services installs them.
 */
class RedisStreamsNodeInteropIT {
    private static final String NODE_REDIS = "redis@4.7.1";
    private static final Path DIR = Path.of("target", "node-interop").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void installNodeRedis() throws Exception {
        Files.createDirectories(DIR);
        Files.copy(Path.of("src", "test", "node", "interop.mjs"), DIR.resolve("interop.mjs"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        if (!Files.exists(DIR.resolve("package.json"))) {
            Files.writeString(DIR.resolve("package.json"), "{\"name\":\"switchboard-node-interop\",\"private\":true,\"type\":\"module\"}\n");
        }
        if (!Files.isDirectory(DIR.resolve("node_modules").resolve("redis"))) {
            run(List.of("npm", "install", "--no-audit", "--no-fund", "--loglevel=error", NODE_REDIS), 180, "npm install " + NODE_REDIS
                    + " (needs node and npm: bin/services installs them; and the npm registry)");
        }
    }

    private static Map<String, Object> settings() {
        return Map.of("switchboard.transport", "redis-streams", "switchboard.redis-streams.uri", StreamsTestSupport.SHARED_URI);
    }

    @Test
    void nodeReadsWhatSwitchboardPublishesWithXreadgroup() throws Exception {
        String channel = unique("interop.to-node");
        String group = unique("node-billing");
        node(List.of("join", StreamsTestSupport.SHARED_URI, channel, group));
        List<Message> sent = new ArrayList<>();
        try (Switchboard sb = Switchboard.builder().properties(settings()).open()) {
            sent.add(Message.builder().json(Map.of("order", 7)).header("source", "java-shop").header("Mixed-Case", "kept")
                    .header("empty", "").build());
            sent.add(Message.builder().text("grüße, ünïcode").header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
                    .build());
            // The default content type is left out of the entry; Node reads its absence as the default.
            sent.add(Message.builder().payload("plain bytes".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).header("k", "v").build());
            for (Message m : sent) {
                sb.publisher().publishAndWait(channel, m, Duration.ofSeconds(5));
            }
            List<JsonNode> read = new ArrayList<>();
            for (String line : node(List.of("read", StreamsTestSupport.SHARED_URI, channel, group, Integer.toString(sent.size())))) {
                read.add(JSON.readTree(line));
            }
            assertEquals(sent.size(), read.size(), "entries Node read: " + read);
            for (int i = 0; i < sent.size(); i++) {
                Message m = sent.get(i);
                JsonNode n = read.get(i);
                assertEquals(m.id(), n.get("id").asText(), "id of " + n);
                assertEquals(Long.toString(m.timestamp().toEpochMilli()), n.get("time").asText(), "time of " + n);
                assertEquals(m.contentType(), n.get("contentType").asText(), "content type of " + n);
                assertEquals(m.text(), n.get("payload").asText(), "payload of " + n);
                for (Map.Entry<String, String> h : m.headers().entrySet()) {
                    assertEquals(h.getValue(), n.get("headers").path(h.getKey()).asText(null), "header " + h.getKey() + " of " + n);
                }
                assertEquals(m.headers().size(), n.get("headers").size(), "no other headers in " + n);
            }
            assertTrue(sb.subscriber().deleteDurable(group), "deleteDurable finds the group Node created and registered as documented");
        }
    }

    @Test
    void switchboardReceivesWhatNodeAddsWithXadd() throws Exception {
        String channel = unique("interop.from-node");
        List<Delivery> got = new CopyOnWriteArrayList<>();
        try (Switchboard sb = Switchboard.builder().properties(settings()).open()) {
            String name = unique("from-node");
            sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), got::add);
            long before = System.currentTimeMillis();
            node(List.of("publish", StreamsTestSupport.SHARED_URI, channel, "3"));
            await(Duration.ofSeconds(10), () -> got.size() >= 4, "the 4 entries Node added delivered; got " + got);
            for (int i = 0; i < 3; i++) {
                Message m = got.get(i).message();
                assertEquals(Message.JSON, m.contentType(), "content type of " + m);
                assertEquals("{\"order\":" + i + "}", m.text(), "payload of " + m);
                assertEquals(Map.of("source", "node-checkout", "Mixed-Case", "kept"), m.headers(), "headers of " + m);
                assertEquals(36, m.id().length(), "the UUID Node gave as id: " + m.id());
                assertTrue(!m.timestamp().isBefore(Instant.ofEpochMilli(before - 1000)), "timestamp from 'time': " + m.timestamp());
                assertEquals(channel, got.get(i).channel(), "channel of " + m);
                assertEquals(1, got.get(i).attempt(), "attempt of " + m);
            }
            Message bare = got.get(3).message();
            assertEquals("bare", bare.text(), "payload-only entry");
            assertTrue(bare.id().matches("\\d+-\\d+"), "a payload-only entry's id is its entry id: " + bare.id());
            assertEquals(Message.OCTET_STREAM, bare.contentType());
            sb.subscriber().deleteDurable(name);
        }
    }

    private static List<String> node(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("node");
        cmd.add(DIR.resolve("interop.mjs").toString());
        cmd.addAll(args);
        return run(cmd, 60, "node interop.mjs " + args.get(0));
    }

    private static List<String> run(List<String> cmd, int seconds, String what) throws Exception {
        Path out = Files.createTempFile(DIR, "out-", ".txt");
        Path err = Files.createTempFile(DIR, "err-", ".txt");
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(DIR.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        } catch (IOException e) {
            throw new AssertionError(what + ": cannot start " + cmd.get(0) + " (" + e.getMessage() + "); run bin/services to install it", e);
        }
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(what + " did not finish within " + seconds + " s; stderr: " + Files.readString(err));
        }
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError(what + " failed with exit " + p.exitValue() + ": " + stderr);
        }
        return Files.readAllLines(out, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
    }
}
