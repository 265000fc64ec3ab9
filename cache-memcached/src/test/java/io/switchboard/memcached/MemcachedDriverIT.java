package io.switchboard.memcached;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.CacheException;
import io.switchboard.Health;
import io.switchboard.PayloadTooLargeException;
import io.switchboard.spi.CacheEntry;
import io.switchboard.spi.ValueFormat;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import net.spy.memcached.MemcachedClient;
import net.spy.memcached.MemcachedClientIF;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The driver against the shared memcached on 127.0.0.1:11211 over the binary protocol (the
 * default); the text protocol runs the same tests in {@link MemcachedTextDriverIT}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MemcachedDriverIT {
    static final String HOST = "127.0.0.1";
    static final int PORT = 11211;
    private TestContext context;
    MemcachedCacheDriver driver;

    String protocol() {
        return "binary";
    }

    @BeforeAll
    void connect() {
        context = TestContext.servers(HOST + ":" + PORT, MemcachedCacheProvider.PROTOCOL.name(), protocol());
        driver = context.connect();
    }

    @AfterAll
    void close() {
        if (driver != null) {
            driver.close(Duration.ofSeconds(5));
        }
        context.close();
    }

    static String key(String name) {
        return "it-" + name + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static <T> T join(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException) {
                throw (RuntimeException) e.getCause();
            }
            throw new CompletionException(e.getCause());
        } catch (Exception e) {
            throw new AssertionError("operation did not complete", e);
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void storesEachFormatWithItsDocumentedFlags() throws Exception {
        String text = key("text");
        String json = key("json");
        String bytes = key("bytes");
        join(driver.put(text, utf8("héllo"), ValueFormat.TEXT, Duration.ZERO));
        join(driver.put(json, utf8("{\"a\":1}"), ValueFormat.JSON, Duration.ZERO));
        join(driver.put(bytes, new byte[] {0, (byte) 0xff, 7}, ValueFormat.BYTES, Duration.ZERO));
        try (RawMemcached raw = new RawMemcached(HOST, PORT)) {
            Object[] t = raw.get(text);
            assertEquals(0, t[0]);
            assertArrayEquals(utf8("héllo"), (byte[]) t[1]);
            Object[] j = raw.get(json);
            assertEquals(32, j[0]);
            assertArrayEquals(utf8("{\"a\":1}"), (byte[]) j[1]);
            Object[] b = raw.get(bytes);
            assertEquals(64, b[0]);
            assertArrayEquals(new byte[] {0, (byte) 0xff, 7}, (byte[]) b[1]);
        }
        assertEquals(ValueFormat.JSON, join(driver.get(json)).format());
        assertEquals(ValueFormat.BYTES, join(driver.get(bytes)).format());
    }

    @Test
    void handsOverEachReadsOwnFreshBytes() throws Exception {
        String k = key("fresh");
        join(driver.put(k, new byte[] {1, 2, 3}, ValueFormat.BYTES, Duration.ZERO));
        CacheEntry first = join(driver.get(k));
        CacheEntry second = join(driver.get(k));
        assertTrue(first.isHandedOver() && second.isHandedOver(), "a read's bytes come from the network and nothing keeps them");
        assertTrue(first.value() != second.value(), "two reads must not share an array, or the facade's caller could change another's");
        first.value()[0] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, second.value());
    }

    @Test
    void bytesThatMergedGetsShareAreNeverHandedOver() throws Exception {
        String k = key("merged");
        join(driver.put(k, new byte[] {4, 5, 6}, ValueFormat.BYTES, Duration.ZERO));
        // Plain gets issued back to back go out as one multi-get, whose one reply array every caller gets.
        List<java.util.concurrent.CompletableFuture<java.util.Map<String, CacheEntry>>> reads = new java.util.ArrayList<>();
        for (int i = 0; i < 200; i++) {
            reads.add(driver.getAll(List.of(k)).toCompletableFuture());
        }
        java.util.Set<byte[]> arrays = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        int shared = 0;
        for (java.util.concurrent.CompletableFuture<java.util.Map<String, CacheEntry>> r : reads) {
            CacheEntry e = join(r).get(k);
            assertArrayEquals(new byte[] {4, 5, 6}, e.value());
            if (!arrays.add(e.value())) {
                shared++;
            }
            assertFalse(e.isHandedOver(), "a bulk read's bytes may be another caller's too, so the facade must copy them");
        }
        System.out.println("[measured] " + shared + " of 200 back-to-back bulk reads shared a reply array with another");
    }

    @Test
    void readsPlainValuesWrittenByOtherClients() throws Exception {
        String k = key("foreign");
        try (RawMemcached raw = new RawMemcached(HOST, PORT)) {
            assertEquals("STORED", raw.set(k, 0, utf8("from python")));
        }
        CacheEntry e = join(driver.get(k));
        assertEquals(ValueFormat.TEXT, e.format());
        assertEquals("from python", new String(e.value(), StandardCharsets.UTF_8));
    }

    @Test
    void refusesJavaSerializedValueNamingKeyAndFlag() throws Exception {
        String k = key("serialized");
        try (RawMemcached raw = new RawMemcached(HOST, PORT)) {
            assertEquals("STORED", raw.set(k, 1, new byte[] {(byte) 0xac, (byte) 0xed, 0, 5, 0x73, 0x72}));
        }
        CacheException e = assertThrows(CacheException.class, () -> join(driver.get(k)));
        assertTrue(e.getMessage().contains(k) && e.getMessage().contains("flags 1"), e.getMessage());
        assertTrue(e.getMessage().contains("Java-serialized"), e.getMessage());
        CacheException bulk = assertThrows(CacheException.class, () -> join(driver.getAll(List.of(k))));
        assertTrue(bulk.getMessage().contains(k), bulk.getMessage());
    }

    @Test
    void refusesValueStoredBySpymemcachedsSerializingTranscoder() throws Exception {
        String k = key("spy-serialized");
        MemcachedClient spy = new MemcachedClient(new java.net.InetSocketAddress(HOST, PORT));
        try {
            assertTrue(spy.set(k, 0, new ArrayList<>(List.of("payload"))).get(5, TimeUnit.SECONDS));
        } finally {
            spy.shutdown(1, TimeUnit.SECONDS);
        }
        CacheException e = assertThrows(CacheException.class, () -> join(driver.get(k)));
        assertTrue(e.getMessage().contains(k) && e.getMessage().contains("flags 1"), e.getMessage());
    }

    @Test
    void refusesCompressedAndUnknownFlags() throws Exception {
        String compressed = key("compressed");
        String unknown = key("unknown");
        try (RawMemcached raw = new RawMemcached(HOST, PORT)) {
            raw.set(compressed, 2, new byte[] {0x1f, (byte) 0x8b});
            raw.set(unknown, 0x0800, new byte[] {1, 2, 3, 4});
        }
        CacheException c = assertThrows(CacheException.class, () -> join(driver.get(compressed)));
        assertTrue(c.getMessage().contains("flags 2") && c.getMessage().contains("compressed"), c.getMessage());
        CacheException u = assertThrows(CacheException.class, () -> join(driver.get(unknown)));
        assertTrue(u.getMessage().contains("flags 2048"), u.getMessage());
    }

    @Test
    void compareAndSetSucceedsOnlyWithTheCurrentCasToken() {
        String k = key("cas");
        join(driver.put(k, utf8("v1"), ValueFormat.TEXT, Duration.ZERO));
        long v1 = join(driver.get(k)).version();
        assertTrue(join(driver.compareAndSet(k, v1, utf8("v2"), ValueFormat.TEXT, Duration.ZERO)));
        assertFalse(join(driver.compareAndSet(k, v1, utf8("v3"), ValueFormat.TEXT, Duration.ZERO)));
        CacheEntry now = join(driver.get(k));
        assertEquals("v2", new String(now.value(), StandardCharsets.UTF_8));
        assertNotEquals(v1, now.version());
        assertFalse(join(driver.compareAndSet(key("cas-absent"), v1, utf8("x"), ValueFormat.TEXT, Duration.ZERO)));
    }

    @Test
    void putIfAbsentWritesOnlyWhenAbsent() {
        String k = key("add");
        assertTrue(join(driver.putIfAbsent(k, utf8("first"), ValueFormat.TEXT, Duration.ZERO)));
        assertFalse(join(driver.putIfAbsent(k, utf8("second"), ValueFormat.TEXT, Duration.ZERO)));
        assertEquals("first", new String(join(driver.get(k)).value(), StandardCharsets.UTF_8));
    }

    @Test
    void incrementCreatesWithInitialThenAddsAndDecrementFloorsAtZero() {
        String k = key("counter");
        assertEquals(10L, join(driver.increment(k, 5, 10, Duration.ZERO)));
        assertEquals(15L, join(driver.increment(k, 5, 10, Duration.ZERO)));
        assertEquals(12L, join(driver.increment(k, -3, 10, Duration.ZERO)));
        assertEquals(0L, join(driver.increment(k, -100, 10, Duration.ZERO)));
        assertEquals(7L, join(driver.increment(key("counter-neg"), -1, 7, Duration.ZERO)));
        assertEquals("0", new String(join(driver.get(k)).value(), StandardCharsets.UTF_8).trim(),
                "memcached may pad a decremented counter with spaces");
    }

    @Test
    void incrementOfNonNumericValueFailsWithCacheException() {
        String k = key("not-counter");
        join(driver.put(k, utf8("hello"), ValueFormat.TEXT, Duration.ZERO));
        CacheException e = assertThrows(CacheException.class, () -> join(driver.increment(k, 1, 0, Duration.ZERO)));
        assertTrue(e.getMessage().contains(k), e.getMessage());
        Await.await(Duration.ofSeconds(5), () -> driver.health().status() == Health.Status.UP,
                "the connection must be usable again after an error reply (text protocol reconnects)");
        assertNotNull(join(driver.get(k)));
    }

    @Test
    void deleteReportsWhetherTheKeyExisted() {
        String k = key("delete");
        join(driver.put(k, utf8("x"), ValueFormat.TEXT, Duration.ZERO));
        assertTrue(join(driver.delete(k)));
        assertFalse(join(driver.delete(k)));
        assertNull(join(driver.get(k)));
    }

    @Test
    void getAllReturnsOnlyPresentKeys() {
        String a = key("bulk-a");
        String b = key("bulk-b");
        join(driver.put(a, utf8("A"), ValueFormat.TEXT, Duration.ZERO));
        join(driver.put(b, utf8("{}"), ValueFormat.JSON, Duration.ZERO));
        Map<String, CacheEntry> found = join(driver.getAll(List.of(a, b, key("bulk-missing"))));
        assertEquals(2, found.size());
        assertEquals("A", new String(found.get(a).value(), StandardCharsets.UTF_8));
        assertEquals(ValueFormat.JSON, found.get(b).format());
    }

    @Test
    void getAllReadsHundredsOfKeysInOneCall() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            keys.add(key("bulk-many-" + i));
        }
        for (int i = 0; i < keys.size(); i += 2) {
            join(driver.put(keys.get(i), utf8("v" + i), ValueFormat.TEXT, Duration.ofSeconds(30)));
        }
        Map<String, CacheEntry> found = join(driver.getAll(keys));
        assertEquals(250, found.size());
        assertEquals("v498", new String(found.get(keys.get(498)).value(), StandardCharsets.UTF_8));
    }

    @Test
    void subSecondTtlIsRoundedUpToOneSecondNotForever() {
        String k = key("ttl-short");
        join(driver.put(k, utf8("x"), ValueFormat.TEXT, Duration.ofMillis(1)));
        assertNotNull(join(driver.get(k)), "a 1 ms TTL must not expire at once (rounded up to 1 s)");
        Await.await(Duration.ofSeconds(4), () -> join(driver.get(k)) == null, "value with 1 ms TTL never expired");
    }

    @Test
    void ttlOverThirtyDaysIsSentAsAbsoluteTime() {
        String k = key("ttl-long");
        join(driver.put(k, utf8("x"), ValueFormat.TEXT, Duration.ofDays(31)));
        assertNotNull(join(driver.get(k)), "31 days sent as relative seconds would mean 1970 and expire at once");
        join(driver.putIfAbsent(key("ttl-long-add"), utf8("x"), ValueFormat.TEXT, Duration.ofDays(400)));
    }

    @Test
    void refusesOverlongKeysSpacesAndControlCharacters() {
        String ok = "k".repeat(250);
        join(driver.put(ok, utf8("x"), ValueFormat.TEXT, Duration.ofSeconds(30)));
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class, () -> driver.get("k".repeat(251)));
        assertTrue(tooLong.getMessage().contains("251 bytes"), tooLong.getMessage());
        IllegalArgumentException control = assertThrows(IllegalArgumentException.class,
                () -> driver.put("a\u0001b", utf8("x"), ValueFormat.TEXT, Duration.ZERO));
        assertTrue(control.getMessage().contains("U+0001"), control.getMessage());
        assertThrows(IllegalArgumentException.class, () -> driver.delete("a b"));
        assertThrows(IllegalArgumentException.class, () -> driver.get("a\r\nset x 0 0 1"));
        assertThrows(IllegalArgumentException.class, () -> driver.getAll(List.of("fine", "not fine")));
    }

    @Test
    void refusesValuesOverTheItemLimitBeforeSendingAndStoresOneAtTheLimit() {
        String k = "m".repeat(240) + UUID.randomUUID().toString().substring(0, 8);
        byte[] atLimit = new byte[driver.maxValueSize()];
        join(driver.put(k, atLimit, ValueFormat.BYTES, Duration.ofSeconds(30)));
        assertEquals(atLimit.length, join(driver.get(k)).value().length);
        PayloadTooLargeException e = assertThrows(PayloadTooLargeException.class,
                () -> driver.put(k, new byte[driver.maxValueSize() + 1], ValueFormat.BYTES, Duration.ZERO));
        assertTrue(e.getMessage().contains("item-size-max"), e.getMessage());
    }

    @Test
    void hashModeStoresOverlongKeysUnderTheirSha256() throws Exception {
        String longKey = key("hashed") + "-" + "h".repeat(300);
        try (TestContext ctx = TestContext.servers(HOST + ":" + PORT, MemcachedCacheProvider.PROTOCOL.name(), protocol(),
                MemcachedCacheProvider.KEY_MODE.name(), "hash")) {
            MemcachedCacheDriver hashing = ctx.connect();
            try {
                join(hashing.put(longKey, utf8("long"), ValueFormat.TEXT, Duration.ofSeconds(30)));
                assertEquals("long", new String(join(hashing.get(longKey)).value(), StandardCharsets.UTF_8));
                assertEquals(1, join(hashing.getAll(List.of(longKey))).size());
                try (RawMemcached raw = new RawMemcached(HOST, PORT)) {
                    Object[] stored = raw.get(io.switchboard.memcached.internal.Keys.hashedName(longKey));
                    assertNotNull(stored, "the value must be stored under sha256:<hex of the key>");
                    assertArrayEquals(utf8("long"), (byte[]) stored[1]);
                }
            } finally {
                hashing.close(Duration.ofSeconds(2));
            }
        }
    }

    @Test
    void healthReportsEachServerWithItsVersion() {
        Await.await(Duration.ofSeconds(5), () -> !"unknown".equals(driver.health().details().get(HOST + ":" + PORT + ".version")),
                "server version never appeared in health");
        Health h = driver.health();
        assertEquals(Health.Status.UP, h.status());
        assertEquals(true, h.details().get(HOST + ":" + PORT + ".available"));
        assertEquals(protocol(), h.details().get("protocol"));
    }

    @Test
    void unwrapOffersTheSpymemcachedClientOnly() {
        assertNotNull(driver.unwrap(MemcachedClient.class));
        assertNotNull(driver.unwrap(MemcachedClientIF.class));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> driver.unwrap(String.class));
        assertTrue(e.getMessage().contains(MemcachedClient.class.getName()), e.getMessage());
    }
}
