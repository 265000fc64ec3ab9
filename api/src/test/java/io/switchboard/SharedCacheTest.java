package io.switchboard;

import static io.switchboard.testing.Await.await;
import static io.switchboard.testing.Await.unique;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The cache facade (encoding, keys, namespaces, single flight) over the in-memory cache. */
class SharedCacheTest {
    private String broker;
    private final List<Switchboard> open = new ArrayList<>();

    @BeforeEach
    void newBroker() {
        broker = unique("cache-facade");
    }

    @AfterEach
    void closeAll() {
        open.forEach(Switchboard::close);
    }

    private Switchboard open(String... kv) {
        Map<String, Object> props = new java.util.HashMap<>();
        props.put("switchboard.transport", "memory");
        props.put("switchboard.memory.broker", broker);
        for (int i = 0; i < kv.length; i += 2) {
            props.put(kv[i], kv[i + 1]);
        }
        Switchboard sb = Switchboard.open(props);
        open.add(sb);
        return sb;
    }

    /** A JSON-encoded value type. */
    public static final class Point {
        public int x;
        public int y;

        public Point() {
        }

        Point(int x, int y) {
            this.x = x;
            this.y = y;
        }
    }

    @Test
    void bytesReadBackAreTheCallersOwnCopy() {
        SharedCache c = open().cache();
        c.put("owned", new byte[] {1, 2});
        byte[] first = c.get("owned", byte[].class);
        first[0] = 9;
        assertArrayEquals(new byte[] {1, 2}, c.get("owned", byte[].class), "a driver that keeps its bytes gets them copied");
        assertArrayEquals(new byte[] {1, 2}, c.getAsync("owned", byte[].class).toCompletableFuture().join());
    }

    @Test
    void bytesAreRawStringsAreUtf8AndEverythingElseIsJson() {
        SharedCache c = open().cache();
        c.put("bytes", new byte[] {0, (byte) 0xff});
        c.put("text", "héllo");
        c.put("point", new Point(1, 2));
        assertArrayEquals(new byte[] {0, (byte) 0xff}, c.get("bytes", byte[].class));
        assertArrayEquals("héllo".getBytes(StandardCharsets.UTF_8), c.get("text", byte[].class));
        assertEquals("{\"x\":1,\"y\":2}", c.get("point", String.class));
        assertEquals(2, c.get("point", Point.class).y);
        assertThrows(CodecException.class, () -> c.get("text", Point.class));
    }

    @Test
    void typedReadsGiveGenericValuesTheirElementTypes() throws Exception {
        SharedCache c = open().cache();
        TypeRef<List<Point>> points = new TypeRef<>() {
        };
        c.put("pts", List.of(new Point(1, 2), new Point(3, 4)));
        assertTrue(c.get("pts", List.class).get(0) instanceof Map, "a Class reads elements as maps: why TypeRef exists");
        List<Point> got = c.get("pts", points);
        assertEquals(4, got.get(1).y);
        assertEquals(3, c.getAsync("pts", points).toCompletableFuture().get().get(1).x);
        assertEquals(1, c.getAll(List.of("pts", "absent"), points).get("pts").get(0).x);
        Versioned<List<Point>> v = c.getVersioned("pts", points);
        assertEquals(2, v.value().get(0).y);
        assertTrue(c.compareAndSet("pts", v.version(), List.of(new Point(5, 6)), Duration.ZERO));
        assertEquals(5, c.getOrLoad("pts", points, Duration.ZERO, () -> List.of()).get(0).x);
        List<Point> loaded = c.getOrLoadAsync("fresh", points, Duration.ZERO, () -> List.of(new Point(7, 8))).toCompletableFuture().get();
        assertEquals(8, loaded.get(0).y);
        assertEquals(7, c.get("fresh", points).get(0).x);
        TypeRef<Map<String, List<Point>>> byName = new TypeRef<>() {
        };
        c.put("byName", Map.of("a", List.of(new Point(9, 9))));
        assertEquals(9, c.get("byName", byName).get("a").get(0).x);
        assertEquals("{\"x\":5,\"y\":6}", c.get("pts", TypeRef.of(String.class)).substring(1, 14), "String still reads the stored text");
        CodecException e = assertThrows(CodecException.class, () -> c.get("byName", points));
        assertTrue(e.getMessage().contains("cache key 'byName'") && e.getMessage().contains("java.util.List<"), e.getMessage());
    }

    @Test
    void badKeysAreRefusedNamingTheKey() {
        SharedCache c = open().cache();
        IllegalArgumentException space = assertThrows(IllegalArgumentException.class, () -> c.put("a b", "v"));
        assertTrue(space.getMessage().contains("'a b'"), space.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.put("", "v"));
        assertThrows(IllegalArgumentException.class, () -> c.put("k".repeat(251), "v"));
        c.put("k".repeat(250), "v");
        assertThrows(NullPointerException.class, () -> c.put("k", null));
        assertThrows(IllegalArgumentException.class, () -> c.put("k", "v", Duration.ofSeconds(-1)));
    }

    @Test
    void refusesKeysAndTextValuesWithUnpairedSurrogates() {
        SharedCache c = open().cache();
        IllegalArgumentException key = assertThrows(IllegalArgumentException.class, () -> c.put("user:\uD800", "v"));
        assertTrue(key.getMessage().contains("cache key 'user:\\ud800'") && key.getMessage().contains("unpaired surrogate U+D800"),
                key.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.get("user:\uDC00", String.class));
        assertThrows(IllegalArgumentException.class, () -> c.getAll(List.of("ok", "\uDC00"), String.class));
        assertThrows(IllegalArgumentException.class, () -> c.delete("\uD800x"));
        IllegalArgumentException value = assertThrows(IllegalArgumentException.class, () -> c.put("k", "caf\uD800"));
        assertTrue(value.getMessage().contains("value for cache key 'k'"), value.getMessage());
        assertNull(c.get("k", String.class), "nothing was stored");
        c.put("smile:\uD83D\uDE00", "\uD83D\uDE00");
        assertEquals("\uD83D\uDE00", c.get("smile:\uD83D\uDE00", String.class));
    }

    @Test
    void refusesANamespaceWithAnUnpairedSurrogateAtOpen() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> open("switchboard.cache.namespace", "app\uD800:"));
        assertTrue(e.getMessage().contains("switchboard.cache.namespace") && e.getMessage().contains("unpaired surrogate"), e.getMessage());
    }

    @Test
    void aValueTooDeepToReadBackIsRefusedAtThePutNamingTheKeyAndTheLimit() {
        SharedCache c = open().cache();
        Object deep = "leaf";
        for (int i = 0; i < 300; i++) {
            deep = List.of(deep);
        }
        Object value = deep;
        CodecException e = assertThrows(CodecException.class, () -> c.put("deep", value));
        assertTrue(e.getMessage().contains("cache key 'deep'") && e.getMessage().contains("maxNestingDepth=200"), e.getMessage());
        assertNull(c.get("deep", String.class), "nothing was stored");
    }

    @Test
    void oversizeValueIsRefusedBeforeAnythingIsStored() {
        SharedCache c = open("switchboard.cache.max-value-size", "10").cache();
        PayloadTooLargeException e = assertThrows(PayloadTooLargeException.class, () -> c.put("big", "x".repeat(11)));
        assertEquals(11, e.size());
        assertEquals(10, e.limit());
        assertNull(c.get("big", String.class));
    }

    @Test
    void namespacesAndNamedCachesKeepKeysApart() {
        Switchboard billing = open("switchboard.cache.namespace", "billing:");
        Switchboard shipping = open("switchboard.cache.namespace", "shipping:");
        billing.cache().put("k", "b");
        shipping.cache().put("k", "s");
        billing.cache("sessions").put("k", "bs");
        assertEquals("b", billing.cache().get("k", String.class));
        assertEquals("s", shipping.cache().get("k", String.class));
        assertEquals("bs", billing.cache("sessions").get("k", String.class));
        assertEquals(250 - "billing:sessions:".length(), billing.cache("sessions").maxKeyLength());
        assertThrows(IllegalArgumentException.class, () -> billing.cache("no spaces"));
    }

    @Test
    void getOrLoadRunsOneLoadPerKeyAcrossInstancesInTheJvm() throws Exception {
        Switchboard a = open();
        Switchboard b = open();
        AtomicInteger loads = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        List<CompletableFuture<String>> results = new ArrayList<>();
        for (Switchboard sb : List.of(a, b, a, b)) {
            results.add(sb.cache().getOrLoadAsync("expensive", String.class, Duration.ZERO, () -> {
                loads.incrementAndGet();
                release.await(10, TimeUnit.SECONDS);
                return "loaded";
            }).toCompletableFuture());
        }
        await(() -> loads.get() >= 1, "the load started");
        release.countDown();
        for (CompletableFuture<String> r : results) {
            assertEquals("loaded", r.get(10, TimeUnit.SECONDS));
        }
        assertEquals(1, loads.get(), "concurrent callers share one load");
        assertEquals("loaded", b.cache().get("expensive", String.class));
    }

    @Test
    void getOrLoadStoresNothingWhenTheLoaderFails() {
        SharedCache c = open().cache();
        CacheException e = assertThrows(CacheException.class, () -> c.getOrLoad("fails", String.class, Duration.ZERO, () -> {
            throw new java.io.IOException("database down");
        }));
        assertTrue(e.getMessage().contains("database down"), e.getMessage());
        assertNull(c.get("fails", String.class));
        assertEquals("ok", c.getOrLoad("fails", String.class, Duration.ZERO, () -> "ok"));
    }

    @Test
    void defaultTtlAppliesToWritesWithoutOne() {
        SharedCache c = open("switchboard.cache.default-ttl", "50ms").cache();
        c.put("short", "x");
        await(() -> c.get("short", String.class) == null, "default TTL expires the entry");
    }

    @Test
    void touchRefusesBadArgumentsAtTheCallAndKeepsTheValue() {
        Switchboard sb = open("switchboard.cache.namespace", "app:");
        SharedCache c = sb.cache("sessions");
        c.put("s1", new Point(1, 2), Duration.ofMillis(300));
        long version = c.getVersioned("s1", Point.class).version();
        assertThrows(IllegalArgumentException.class, () -> c.touch("s1", Duration.ofSeconds(-1)), "negative TTL");
        assertThrows(NullPointerException.class, () -> c.touch("s1", null));
        assertThrows(NullPointerException.class, () -> c.touchAsync(null, Duration.ZERO));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> c.touch("has space", Duration.ZERO));
        assertTrue(bad.getMessage().contains("has space"), bad.getMessage());
        assertTrue(c.touch("s1", Duration.ZERO), "touch through the namespace and the cache name");
        assertEquals(version, c.getVersioned("s1", Point.class).version(), "the version after touch");
        assertFalse(sb.cache().touch("s1", Duration.ZERO), "the default cache has no key 's1'");
        Switchboard other = open();
        assertNull(other.cache("sessions").get("s1", Point.class), "without the namespace the key is another");
        sb.close();
        assertThrows(IllegalStateException.class, () -> c.touch("s1", Duration.ZERO), "after close");
    }
}
