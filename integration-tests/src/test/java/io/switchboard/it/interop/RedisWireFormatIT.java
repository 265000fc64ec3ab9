package io.switchboard.it.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.Message;
import io.switchboard.SharedCache;
import io.switchboard.Subscription;
import io.switchboard.Switchboard;
import io.switchboard.Versioned;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The Node.js and Python snippets of {@code docs/wire-format-redis.md}, run as they stand in the
 * doc, exchange messages both ways with a Switchboard instance on the shared Redis: every byte
 * 0x00-0xFF, JSON, headers (case, non-ASCII) and content types arrive unchanged. The cache-version
 * snippets compute the versions Switchboard's compare-and-set uses, and their put takes part in it.
 */
@DisplayName("docs/wire-format-redis.md: the Node.js and Python snippets talk to Switchboard")
class RedisWireFormatIT {
    static final String DOC = "wire-format-redis.md";
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration WAIT = Duration.ofSeconds(20);

    private static Switchboard sb;

    @BeforeAll
    static void open() {
        sb = Switchboard.open(Map.of("switchboard.transport", "redis", "switchboard.cache", "memory",
                "switchboard.redis.uri", "redis://127.0.0.1:" + redisPort()));
    }

    @AfterAll
    static void close() {
        if (sb != null) {
            sb.close();
        }
    }

    /** The shared server's port, as bin/services starts it. */
    static String redisPort() {
        return "6379";
    }

    @Test
    @DisplayName("ioredis (messageBuffer) reads and answers binary and JSON messages")
    void ioredis() throws Exception {
        Path dir = Runtimes.node();
        DocSnippets.write(DOC, "sb1.js", dir);
        Path script = DocSnippets.write(DOC, "ioredis-service.js", dir);
        exchange("ioredis", dir, "node", script.toString());
    }

    @Test
    @DisplayName("node-redis (subscribe with bufferMode true) reads and answers binary and JSON messages")
    void nodeRedis() throws Exception {
        Path dir = Runtimes.node();
        DocSnippets.write(DOC, "sb1.js", dir);
        Path script = DocSnippets.write(DOC, "node-redis-service.js", dir);
        exchange("node-redis", dir, "node", script.toString());
    }

    @Test
    @DisplayName("redis-py reads and answers binary and JSON messages")
    void redisPy() throws Exception {
        String python = Runtimes.python("redis", "python3-redis");
        Path dir = Path.of("target", "python").toAbsolutePath();
        Path script = DocSnippets.write(DOC, "redis_service.py", dir);
        exchange("redis-py", dir, python, script.toString());
    }

    @Test
    @DisplayName("redis-py computes the compare-and-set version Switchboard uses, and its put takes part")
    void redisPyCacheVersions() throws Exception {
        String python = Runtimes.python("redis", "python3-redis");
        Path dir = Path.of("target", "python").toAbsolutePath();
        DocSnippets.write(DOC, "redis_cache_version.py", dir);
        String driver = String.join("\n", "import json, sys, redis",
                "from redis_cache_version import version, put",
                "r = redis.Redis.from_url(sys.argv[1])",
                "print(json.dumps({'before': version(r, sys.argv[2]), 'absent': version(r, sys.argv[2] + ':absent')}), flush=True)",
                "put(r, sys.argv[2], sys.argv[3].encode('utf-8'), 60000)",
                "print(json.dumps({'after': version(r, sys.argv[2])}), flush=True)");
        versions("redis-py", dir, python, "-c", driver);
    }

    @Test
    @DisplayName("ioredis computes the compare-and-set version Switchboard uses, and its put takes part")
    void ioredisCacheVersions() throws Exception {
        Path dir = Runtimes.node();
        DocSnippets.write(DOC, "redis-cache-version.js", dir);
        String driver = String.join("\n", "const Redis = require('ioredis');",
                "const { version, put } = require('./redis-cache-version.js');",
                "const [url, key, value] = process.argv.slice(1);",
                "(async () => {",
                "  const r = new Redis(url);",
                "  const show = (v) => (v === null ? null : v.toString());",
                "  console.log(JSON.stringify({ before: show(await version(r, key)), absent: show(await version(r, key + ':absent')) }));",
                "  await put(r, key, value, 60000);",
                "  console.log(JSON.stringify({ after: show(await version(r, key)) }));",
                "  r.disconnect();",
                "})().catch((e) => { console.error(e); process.exit(1); });");
        versions("ioredis", dir, "node", "-e", driver);
    }

    /** Runs {@code command} with the Redis URL, a full key and a JSON value, and checks the versions it prints against Switchboard's. */
    private void versions(String who, Path dir, String... command) throws Exception {
        String namespace = "it-" + UUID.randomUUID().toString().substring(0, 8) + ":";
        try (Switchboard cacheSb = Switchboard.open(Map.of("switchboard.transport", "memory", "switchboard.cache", "redis",
                "switchboard.redis.uri", "redis://127.0.0.1:" + redisPort(), "switchboard.cache.namespace", namespace))) {
            SharedCache cache = cacheSb.cache();
            cache.put("order:1", Map.of("orderId", 1), Duration.ofMinutes(1));
            Versioned<Map> first = cache.getVersioned("order:1", Map.class);
            String[] full = Arrays.copyOf(command, command.length + 3);
            full[command.length] = "redis://127.0.0.1:" + redisPort();
            full[command.length + 1] = namespace + "order:1";
            full[command.length + 2] = "{\"orderId\":2}";
            try (ForeignProcess p = ForeignProcess.start(who, dir, Map.of(), full)) {
                JsonNode before = JSON.readTree(p.awaitLine("first versions", WAIT, l -> l.contains("\"before\"")));
                assertEquals(first.version(), before.get("before").asLong(), who + " version of what Switchboard wrote");
                assertTrue(before.get("absent").isNull(), who + " version of an absent key: " + before);
                JsonNode after = JSON.readTree(p.awaitLine("version after put", WAIT, l -> l.contains("\"after\"")));
                assertEquals(0, p.awaitExit(WAIT), who + " exit code; stderr:\n" + p.errors());
                Versioned<Map> second = cache.getVersioned("order:1", Map.class);
                assertEquals(Map.of("orderId", 2), second.value(), "Switchboard reads what " + who + " put");
                assertEquals(second.version(), after.get("after").asLong(), who + " version of its own put");
                assertTrue(second.version() != first.version(), "the put changed the version");
                assertFalse(cache.compareAndSet("order:1", first.version(), Map.of("orderId", 3), Duration.ofMinutes(1)),
                        "a compare-and-set with the version from before " + who + "'s put fails");
                assertTrue(cache.compareAndSet("order:1", second.version(), Map.of("orderId", 3), Duration.ofMinutes(1)),
                        "a compare-and-set with the version " + who + " computed succeeds");
            } finally {
                cache.delete("order:1");
            }
        }
    }

    private void exchange(String who, Path dir, String... command) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String inbox = "interop." + run + ".created";
        String outbox = "interop." + run + ".seen";
        BlockingQueue<Message> answers = new LinkedBlockingQueue<>();
        try (ForeignProcess p = ForeignProcess.start(who, dir, Runtimes.env("REDIS_URL", "redis://127.0.0.1:" + redisPort(),
                "IN_CHANNEL", inbox, "OUT_CHANNEL", outbox), command);
                Subscription s = sb.subscriber().subscribe(outbox, d -> answers.add(d.message()))) {
            p.awaitLine("'subscribed to' line", WAIT, l -> l.startsWith("subscribed to"));

            byte[] bytes = WireFormats.everyByte();
            Map<String, String> headers = Map.of("trace", "t1", "X-Request-ID", "Ab-1", "x-request-id", "lower", "note", "😀 grüße\nzwei Zeilen");
            Message binary = Message.builder().payload(bytes).headers(headers).build();
            sb.publisher().publishAndWait(inbox, binary, WAIT);
            JsonNode seen = JSON.readTree(p.awaitLine("line for the binary message", WAIT, l -> l.startsWith("{")));
            assertEquals(inbox, seen.get("channel").asText(), who + " channel");
            assertEquals(binary.id(), seen.get("id").asText(), who + " id");
            assertEquals(binary.timestamp().toEpochMilli(), seen.get("timestamp").asLong(), who + " timestamp");
            assertEquals("application/octet-stream", seen.get("contentType").asText(), who + " content type (omitted on the wire: the default)");
            assertEquals(headers, WireFormats.strings(seen.get("headers")), who + " headers");
            assertArrayEquals(bytes, Base64.getDecoder().decode(seen.get("payload").asText()), who + " payload");

            Message json = Message.builder().json(Map.of("orderId", 42, "note", "grüße")).header("trace", "t2").build();
            sb.publisher().publishAndWait(inbox, json, WAIT);
            seen = JSON.readTree(p.awaitLine("line for the JSON message", WAIT, l -> l.startsWith("{")));
            assertEquals(json.id(), seen.get("id").asText(), who + " id");
            assertEquals(Message.JSON, seen.get("contentType").asText(), who + " content type");
            assertEquals(Map.of("trace", "t2"), WireFormats.strings(seen.get("headers")), who + " headers");
            assertEquals(Map.of("orderId", 42, "note", "grüße"), JSON.readValue(Base64.getDecoder().decode(seen.get("payload").asText()), Map.class));

            Map<String, Message> byType = new HashMap<>();
            for (int i = 0; i < 2; i++) {
                Message m = answers.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                assertNotNull(m, who + " sent " + i + " of 2 answers within " + WAIT + "; it printed:\n" + p.output() + "\n" + p.errors());
                byType.put(m.contentType(), m);
            }
            Message binaryAnswer = byType.get("application/octet-stream");
            assertNotNull(binaryAnswer, "binary answer among " + byType);
            assertArrayEquals(bytes, binaryAnswer.payload(), who + " answered the bytes unchanged");
            Map<String, String> expected = new HashMap<>(headers);
            expected.put("seen-by", who);
            assertEquals(expected, binaryAnswer.headers(), who + " answer headers");
            Message jsonAnswer = byType.get(Message.JSON);
            assertNotNull(jsonAnswer, "JSON answer among " + byType);
            assertEquals(Map.of("orderId", 42, "note", "grüße", "seenBy", who), jsonAnswer.json(Map.class), who + " JSON answer");
            assertEquals(Map.of("trace", "t2", "seen-by", who), jsonAnswer.headers(), who + " answer headers");
        }
    }
}
