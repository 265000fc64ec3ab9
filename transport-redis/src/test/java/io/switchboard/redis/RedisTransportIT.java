package io.switchboard.redis;

import static io.switchboard.redis.TestSupport.await;
import static io.switchboard.redis.TestSupport.unique;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.Capability;
import io.switchboard.Health;
import io.switchboard.Message;
import io.switchboard.Subscription;
import io.switchboard.SubscriptionOptions;
import io.switchboard.Switchboard;
import io.switchboard.UnsupportedCapabilityException;
import io.switchboard.spi.Channels;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.BinaryJedisPubSub;
import redis.clients.jedis.Jedis;

/** The Redis transport against the shared Redis on 127.0.0.1:6379. */
class RedisTransportIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static Switchboard sb;

    @BeforeAll
    static void open() {
        sb = TestSupport.open(Map.of("switchboard.transport", "redis", "switchboard.redis.uri", TestSupport.SHARED_URI), null);
    }

    @AfterAll
    static void close() {
        if (sb != null) {
            sb.close();
        }
    }

    @Test
    void deliversMessageWithIdHeadersContentTypeAndTimestamp() throws Exception {
        String ch = unique("it.basic");
        List<Message> got = new CopyOnWriteArrayList<>();
        try (Subscription s = sb.subscriber().subscribe(ch, d -> got.add(d.message()))) {
            Message m = Message.builder().payload(new byte[] {0, 1, 2, '\n', (byte) 0xff}).header("k", "v\n\"x\" é")
                    .contentType("application/x-test").timestamp(Instant.ofEpochMilli(1_700_000_000_123L)).build();
            sb.publisher().publish(ch, m).toCompletableFuture().get(5, TimeUnit.SECONDS);
            await(WAIT, () -> got.size() == 1, "one delivery");
            Message r = got.get(0);
            assertEquals(m.id(), r.id());
            assertEquals(ch, r.channel());
            assertArrayEquals(m.payload(), r.payload());
            assertEquals(Map.of("k", "v\n\"x\" é"), r.headers());
            assertEquals("application/x-test", r.contentType());
            assertEquals(m.timestamp(), r.timestamp());
        }
    }

    @Test
    void declaresOnlyPatternsAndOrderingAndRefusesDurableSubscriptions() {
        assertEquals(Set.of(Capability.PATTERN_SUBSCRIPTIONS, Capability.PER_CHANNEL_ORDERING), sb.capabilities().asSet());
        assertThrows(UnsupportedCapabilityException.class, () -> sb.subscriber().subscribe(unique("it.durable"),
                SubscriptionOptions.defaults().durable(unique("d")), d -> { }));
    }

    @Test
    void patternResultsEqualPortableSemantics() {
        String root = unique("pat").replace("-", "");
        List<String> patterns = List.of(root + ".*", root + ".#", root + ".*.c", root + ".#.c", "#.c", root + ".a.#", root + "*x");
        List<String> channels = List.of(root, root + ".a", root + ".a.b", root + ".a.c", root + ".c", root + ".a.b.c",
                root + "x.a", root + ".ab.c", root + "q.c", root + ".a.b.d");
        Map<String, Set<String>> received = new ConcurrentHashMap<>();
        List<Subscription> subs = new ArrayList<>();
        try {
            for (String p : patterns) {
                if (!p.endsWith("*x")) {
                    Set<String> set = ConcurrentHashMap.newKeySet();
                    received.put(p, set);
                    subs.add(sb.subscriber().subscribe(p, d -> set.add(d.channel())));
                }
            }
            assertThrows(IllegalArgumentException.class, () -> sb.subscriber().subscribe(root + "*x", d -> { }));
            for (String c : channels) {
                sb.publisher().publishText(c, "x").toCompletableFuture().join();
            }
            // Per-subscription order holds, so once every marker after the test channels has arrived, so has everything else.
            List<String> markers = List.of(root + ".end", root + ".end.c", root + ".a.end");
            for (String c : markers) {
                sb.publisher().publishText(c, "x").toCompletableFuture().join();
            }
            Map<String, Set<String>> expected = new HashMap<>();
            for (String p : received.keySet()) {
                Set<String> e = new TreeSet<>();
                for (String c : channels) {
                    if (Channels.matches(p, c)) {
                        e.add(c);
                    }
                }
                for (String c : markers) {
                    if (Channels.matches(p, c)) {
                        e.add(c);
                    }
                }
                expected.put(p, e);
            }
            await(WAIT, () -> expected.entrySet().stream().allMatch(e -> received.get(e.getKey()).containsAll(e.getValue())),
                    "every expected delivery");
            for (Map.Entry<String, Set<String>> e : received.entrySet()) {
                Set<String> actual = new TreeSet<>(e.getValue());
                actual.removeIf(c -> !c.startsWith(root));
                assertEquals(expected.get(e.getKey()), actual, "pattern " + e.getKey());
            }
        } finally {
            subs.forEach(Subscription::close);
        }
    }

    @Test
    void rawPublishFromPlainClientIsDeliveredWithExactlyThatPayload() throws Exception {
        String ch = unique("it.raw");
        List<Message> got = new CopyOnWriteArrayList<>();
        try (Subscription s = sb.subscriber().subscribe(ch, d -> got.add(d.message()));
                Jedis jedis = new Jedis("127.0.0.1", 6379)) {
            long malformedBefore = malformedEnvelopes();
            jedis.publish(ch, "{\"a\":1}");
            byte[] binary = {(byte) 0x80, 0, 'S', 'B', '1', '\n'};
            jedis.publish(ch.getBytes(StandardCharsets.UTF_8), binary);
            jedis.publish(ch, "SB1\nnot json\nrest");
            jedis.publish(ch, "SB1\n{\"id\":\"a\",\"timestamp\":\"yesterday\"}\nrest");
            await(WAIT, () -> got.size() == 4, "four deliveries");
            assertEquals("{\"a\":1}", got.get(0).text());
            assertEquals(Message.JSON, got.get(0).contentType());
            assertArrayEquals(binary, got.get(1).payload());
            assertEquals(Message.OCTET_STREAM, got.get(1).contentType());
            assertEquals(Map.of(), got.get(0).headers(), "a foreign message arrives as it is");
            assertEquals(Map.of(), got.get(1).headers());
            assertFalse(got.get(0).id().isEmpty());
            // Starting with SB1 but unreadable: the bytes as they are, flagged with the reason, and counted.
            assertEquals("SB1\nnot json\nrest", got.get(2).text());
            assertTrue(got.get(2).header("sb-malformed-envelope").startsWith("the metadata is not valid JSON"), got.get(2).headers().toString());
            assertEquals("SB1\n{\"id\":\"a\",\"timestamp\":\"yesterday\"}\nrest", got.get(3).text());
            assertEquals("'timestamp' is not an integer", got.get(3).header("sb-malformed-envelope"));
            assertFalse("a".equals(got.get(3).id()), "not the envelope's id: the envelope was not read");
            assertEquals(malformedBefore + 2, malformedEnvelopes());
        }
    }

    @Test
    void aForeignEnvelopeBreakingTheWritersLimitsArrivesRawFlaggedAndCounted() throws Exception {
        String ch = unique("it.limits");
        List<Message> got = new CopyOnWriteArrayList<>();
        try (Subscription s = sb.subscriber().subscribe(ch, d -> got.add(d.message()));
                Jedis jedis = new Jedis("127.0.0.1", 6379)) {
            long malformedBefore = malformedEnvelopes();
            String yearMinus292275055 = "SB1\n{\"id\":\"a\",\"timestamp\":-9223372036854775808}\npayload";
            jedis.publish(ch, yearMinus292275055);
            jedis.publish(ch, "SB1\n{\"id\":\"" + "i".repeat(256) + "\"}\npayload");
            await(WAIT, () -> got.size() == 2, "two deliveries");
            assertEquals(yearMinus292275055, got.get(0).text());
            assertTrue(got.get(0).header("sb-malformed-envelope").contains("outside years 1 to 9999"), got.get(0).headers().toString());
            assertTrue(got.get(1).header("sb-malformed-envelope").contains("message id"), got.get(1).headers().toString());
            assertEquals(malformedBefore + 2, malformedEnvelopes());
        }
        // The writer refuses what the reader would, where the message is built.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Message.builder().text("x").timestamp(Instant.parse("+10000-01-01T00:00:00Z")));
        assertTrue(e.getMessage().contains("outside years 1 to 9999"), e.getMessage());
    }

    private static long malformedEnvelopes() {
        return ((Number) sb.health().components().get("transport").details().get("malformedEnvelopes")).longValue();
    }

    @Test
    void headersTheApiAcceptsArriveByteExact() throws Exception {
        String ch = unique("it.headers");
        StringBuilder big = new StringBuilder();
        while (big.length() < 6 * 1024) {
            big.append("é😀a\u2028\"\\/<\t>\u00a0ß漢");
        }
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        headers.put("X-Request-ID", "Mixed Case Value");
        headers.put("x-request-id", "differs from the one above only in case");
        headers.put("traceParent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        headers.put("rocket-🚀-Ünïcödé", "🚀👩‍👩‍👧‍👦 \uD834\uDD1E");
        headers.put("big", big.toString());
        headers.put("empty", "");
        Message m = Message.builder().text("p").headers(headers).build();
        List<Message> got = new CopyOnWriteArrayList<>();
        CompletableFuture<byte[]> raw = new CompletableFuture<>();
        BinaryJedisPubSub plain = new BinaryJedisPubSub() {
            @Override
            public void onMessage(byte[] channel, byte[] message) {
                raw.complete(message);
                unsubscribe();
            }
        };
        Thread t = new Thread(() -> {
            try (Jedis j = new Jedis("127.0.0.1", 6379)) {
                j.subscribe(plain, ch.getBytes(StandardCharsets.UTF_8));
            }
        });
        t.start();
        long malformedBefore = malformedEnvelopes();
        try (Subscription s = sb.subscriber().subscribe(ch, d -> got.add(d.message()));
                Jedis jedis = new Jedis("127.0.0.1", 6379)) {
            await(WAIT, () -> jedis.pubsubNumSub(ch).get(ch) == 2, "both subscribers");
            sb.publisher().publish(ch, m).toCompletableFuture().get(5, TimeUnit.SECONDS);
            await(WAIT, () -> got.size() == 1, "one delivery");
        }
        Message r = got.get(0);
        assertEquals(m.id(), r.id(), "read as an envelope, not raw");
        assertEquals(headers, r.headers());
        for (Map.Entry<String, String> h : headers.entrySet()) {
            assertArrayEquals(h.getValue().getBytes(StandardCharsets.UTF_8), r.header(h.getKey()).getBytes(StandardCharsets.UTF_8), h.getKey());
        }
        assertEquals(malformedBefore, malformedEnvelopes());
        // What another language's client parses from the wire is the same, byte for byte.
        byte[] bytes = raw.get(10, TimeUnit.SECONDS);
        t.join(5000);
        int first = indexOf(bytes, 0);
        int second = indexOf(bytes, first + 1);
        com.fasterxml.jackson.databind.JsonNode meta = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(java.util.Arrays.copyOfRange(bytes, first + 1, second));
        Map<String, String> onWire = new java.util.LinkedHashMap<>();
        meta.get("headers").fields().forEachRemaining(e -> onWire.put(e.getKey(), e.getValue().textValue()));
        assertEquals(headers, onWire);
    }

    @Test
    void envelopeCanBeParsedByAPlainClientAsDocumented() throws Exception {
        String ch = unique("it.plain");
        CompletableFuture<byte[]> raw = new CompletableFuture<>();
        BinaryJedisPubSub listener = new BinaryJedisPubSub() {
            @Override
            public void onMessage(byte[] channel, byte[] message) {
                raw.complete(message);
                unsubscribe();
            }

            @Override
            public void onSubscribe(byte[] channel, int count) {
                sb.publisher().publish(ch, Message.builder().text("héllo\nworld").header("trace", "t1").build());
            }
        };
        Thread t = new Thread(() -> {
            try (Jedis j = new Jedis("127.0.0.1", 6379)) {
                j.subscribe(listener, ch.getBytes(StandardCharsets.UTF_8));
            }
        });
        t.start();
        byte[] bytes = raw.get(10, TimeUnit.SECONDS);
        t.join(5000);
        int first = indexOf(bytes, 0);
        int second = indexOf(bytes, first + 1);
        assertEquals("SB1", new String(bytes, 0, first, StandardCharsets.UTF_8));
        String meta = new String(bytes, first + 1, second - first - 1, StandardCharsets.UTF_8);
        @SuppressWarnings("unchecked")
        Map<String, Object> json = sb.codec().decode(meta.getBytes(StandardCharsets.UTF_8), Map.class);
        assertEquals(Message.TEXT, json.get("contentType"));
        assertEquals(Map.of("trace", "t1"), json.get("headers"));
        assertTrue(json.get("timestamp") instanceof Number);
        assertTrue(json.get("id") instanceof String);
        assertEquals("héllo\nworld", new String(bytes, second + 1, bytes.length - second - 1, StandardCharsets.UTF_8));
    }

    private static int indexOf(byte[] b, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == '\n') {
                return i;
            }
        }
        throw new AssertionError("no newline after " + from);
    }

    @Test
    void rawModeAndChannelPrefixInteroperateWithPlainClients() throws Exception {
        String prefix = unique("app") + ":";
        String ch = unique("it.prefixed");
        try (Switchboard raw = TestSupport.open(Map.of("switchboard.transport", "redis", "switchboard.redis.uri",
                TestSupport.SHARED_URI, "switchboard.redis.envelope", "false", "switchboard.redis.channel-prefix", prefix), null);
                Jedis jedis = new Jedis("127.0.0.1", 6379)) {
            List<Message> got = new CopyOnWriteArrayList<>();
            try (Subscription s = raw.subscriber().subscribe(ch.substring(0, 2) + ".#", d -> got.add(d.message()))) {
                jedis.publish(prefix + ch, "SB1\n{}\nkept as is");
                jedis.publish(ch, "unprefixed, not for us");
                await(WAIT, () -> got.size() == 1, "one delivery");
                assertEquals("SB1\n{}\nkept as is", got.get(0).text());
                assertEquals(ch, got.get(0).channel());
            }
            CompletableFuture<byte[]> seen = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try (Jedis j = new Jedis("127.0.0.1", 6379)) {
                    j.subscribe(new BinaryJedisPubSub() {
                        @Override
                        public void onMessage(byte[] channel, byte[] message) {
                            seen.complete(message);
                            unsubscribe();
                        }

                        @Override
                        public void onSubscribe(byte[] channel, int count) {
                            raw.publisher().publishText(ch, "just this");
                        }
                    }, (prefix + ch).getBytes(StandardCharsets.UTF_8));
                }
            });
            t.start();
            assertEquals("just this", new String(seen.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
            t.join(5000);
        }
    }

    @Test
    void concurrentPublishersAllCompleteAndOrderPerChannelIsKept() throws Exception {
        String ch = unique("it.order");
        int perPublisher = 5_000;
        int publishers = 4;
        Map<String, List<Integer>> seen = new HashMap<>();
        Object lock = new Object();
        // A buffer for every message: on a loaded machine the handler may fall far behind four
        // publishers, and an overflow drop (at-most-once, counted) is not what this test is about.
        try (Switchboard wide = TestSupport.open(Map.of("switchboard.transport", "redis", "switchboard.redis.uri", TestSupport.SHARED_URI,
                "switchboard.subscriber.buffer-size", Integer.toString(perPublisher * publishers)), null);
                Subscription s = wide.subscriber().subscribe(ch, d -> {
            String[] parts = d.message().text().split(":");
            synchronized (lock) {
                seen.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(Integer.parseInt(parts[1]));
            }
        })) {
            List<Thread> threads = new ArrayList<>();
            List<CompletableFuture<Void>> futures = new CopyOnWriteArrayList<>();
            for (int p = 0; p < publishers; p++) {
                String name = "p" + p;
                Thread t = new Thread(() -> {
                    for (int i = 0; i < perPublisher; i++) {
                        futures.add(wide.publisher().publishText(ch, name + ":" + i).toCompletableFuture());
                    }
                });
                threads.add(t);
                t.start();
            }
            for (Thread t : threads) {
                t.join();
            }
            CompletableFuture.allOf(futures.toArray(new CompletableFuture[0])).get(30, TimeUnit.SECONDS);
            await(WAIT, () -> {
                synchronized (lock) {
                    return seen.values().stream().mapToInt(List::size).sum() == publishers * perPublisher;
                }
            }, "all messages delivered");
            synchronized (lock) {
                for (List<Integer> l : seen.values()) {
                    for (int i = 0; i < l.size(); i++) {
                        assertEquals(i, l.get(i), "order of one publisher's messages");
                    }
                }
            }
            Health h = wide.health().components().get("transport");
            assertEquals(Health.Status.UP, h.status());
            assertEquals("7", String.valueOf(h.details().get("serverVersion")).substring(0, 1));
        }
    }

    @Test
    void closedSubscriptionStopsReceivingWhileOthersOnTheSameChannelContinue() throws Exception {
        String ch = unique("it.share");
        List<String> a = new CopyOnWriteArrayList<>();
        List<String> b = new CopyOnWriteArrayList<>();
        Subscription sa = sb.subscriber().subscribe(ch, d -> a.add(d.message().text()));
        try (Subscription sbb = sb.subscriber().subscribe(ch, d -> b.add(d.message().text()))) {
            sb.publisher().publishText(ch, "1").toCompletableFuture().join();
            await(WAIT, () -> a.size() == 1 && b.size() == 1, "both got 1");
            sa.close();
            sb.publisher().publishText(ch, "2").toCompletableFuture().join();
            await(WAIT, () -> b.size() == 2, "second got 2");
            assertEquals(List.of("1"), a);
        }
    }

    @Test
    void aHandlerKeepingTheReaderThreadHandsReadingOverSoASlowOneStallsNothing() throws Exception {
        // At low rates a handler runs on the subscriber's reader thread, which hands reading to
        // the other reader thread. A handler that then blocks must not stop other subscriptions
        // nor its own later messages, which wait their turn.
        String slow = unique("it.slow");
        String fast = unique("it.fast");
        CountDownLatch release = new CountDownLatch(1);
        List<String> slowSeen = new CopyOnWriteArrayList<>();
        List<String> slowThreads = new CopyOnWriteArrayList<>();
        List<String> fastSeen = new CopyOnWriteArrayList<>();
        try (Subscription s = sb.subscriber().subscribe(slow, d -> {
                    slowThreads.add(Thread.currentThread().getName());
                    release.await(30, TimeUnit.SECONDS);
                    slowSeen.add(d.message().text());
                });
                Subscription f = sb.subscriber().subscribe(fast, d -> fastSeen.add(d.message().text()))) {
            Thread.sleep(20); // a quiet spell (no message for 100 us) is what lets a message keep the reader thread: make one
            sb.publisher().publishText(slow, "1").toCompletableFuture().get(10, TimeUnit.SECONDS);
            await(WAIT, () -> slowThreads.size() == 1, "the slow handler started");
            assertTrue(slowThreads.get(0).contains("-redis-subscriber-"),
                    "a message after a quiet spell is handled on the reader thread: " + slowThreads);
            sb.publisher().publishText(slow, "2").toCompletableFuture().get(10, TimeUnit.SECONDS);
            for (int i = 0; i < 50; i++) {
                sb.publisher().publishText(fast, "f" + i).toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
            await(WAIT, () -> fastSeen.size() == 50, "the other subscription kept receiving while a handler blocked");
            assertEquals(List.of(), slowSeen, "the blocked handler is still running");
            release.countDown();
            await(WAIT, () -> slowSeen.size() == 2, "the slow subscription's second message followed");
            assertEquals(List.of("1", "2"), slowSeen);
        } finally {
            release.countDown();
        }
        assertEquals(Health.Status.UP, sb.health().status(), sb.health().toString());
    }
}
