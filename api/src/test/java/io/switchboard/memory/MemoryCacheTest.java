package io.switchboard.memory;

import static io.switchboard.testing.Await.await;
import static io.switchboard.testing.Await.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.CacheException;
import io.switchboard.SharedCache;
import io.switchboard.Switchboard;
import io.switchboard.Versioned;
import io.switchboard.spi.ValueFormat;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MemoryCacheTest {
    private String broker;
    private Switchboard a;
    private Switchboard b;

    @BeforeEach
    void open() {
        broker = unique("cache");
        Map<String, String> props = Map.of("switchboard.transport", "memory", "switchboard.memory.broker", broker);
        a = Switchboard.open(props);
        b = Switchboard.open(props);
    }

    @AfterEach
    void close() {
        a.close();
        b.close();
    }

    @Test
    void instancesOnTheSameBrokerShareEntries() {
        a.cache().put("greeting", "hello");
        assertEquals("hello", b.cache().get("greeting", String.class));
        assertEquals("memory", a.cacheName());
    }

    @Test
    void entriesExpireAfterTheirTtl() {
        SharedCache cache = a.cache();
        cache.put("short", "x", Duration.ofMillis(50));
        cache.put("forever", "y", Duration.ZERO);
        assertEquals("x", cache.get("short", String.class));
        await(() -> cache.get("short", String.class) == null, "entry with 50ms TTL expires");
        assertEquals("y", cache.get("forever", String.class));
    }

    @Test
    void putIfAbsentWritesOnlyOnceButOverAnExpiredEntry() {
        SharedCache cache = a.cache();
        assertTrue(cache.putIfAbsent("once", "first", Duration.ZERO));
        assertFalse(cache.putIfAbsent("once", "second", Duration.ZERO));
        assertEquals("first", cache.get("once", String.class));
        cache.put("brief", "old", Duration.ofMillis(20));
        await(() -> cache.get("brief", String.class) == null, "brief entry expires");
        assertTrue(cache.putIfAbsent("brief", "new", Duration.ZERO));
    }

    @Test
    void compareAndSetSucceedsOnlyWithTheCurrentVersion() {
        SharedCache cache = a.cache();
        cache.put("cas", "v1");
        Versioned<String> v1 = cache.getVersioned("cas", String.class);
        assertTrue(cache.compareAndSet("cas", v1.version(), "v2", Duration.ZERO));
        assertFalse(cache.compareAndSet("cas", v1.version(), "v3", Duration.ZERO), "stale version must lose");
        Versioned<String> v2 = b.cache().getVersioned("cas", String.class);
        assertEquals("v2", v2.value());
        assertNotEquals(v1.version(), v2.version());
        assertFalse(cache.compareAndSet("absent", v2.version(), "x", Duration.ZERO));
    }

    @Test
    void incrementCreatesWithInitialThenAdds() {
        SharedCache cache = a.cache();
        assertEquals(10, cache.increment("hits", 5, 10, Duration.ZERO));
        assertEquals(15, cache.increment("hits", 5, 10, Duration.ZERO));
        assertEquals(12, b.cache().increment("hits", -3, 0, Duration.ZERO));
        assertEquals("12", cache.get("hits", String.class));
    }

    @Test
    void incrementOfANonCounterFailsWithCacheException() {
        SharedCache cache = a.cache();
        cache.put("word", "hello");
        assertThrows(CacheException.class, () -> cache.increment("word", 1, 0, Duration.ZERO));
        assertEquals("hello", cache.get("word", String.class));
    }

    @Test
    void getAllReturnsOnlyPresentKeysAndDeleteReportsExistence() {
        SharedCache cache = a.cache();
        cache.put("k1", "a");
        cache.put("k2", "b");
        assertEquals(Map.of("k1", "a", "k2", "b"), cache.getAll(List.of("k1", "k2", "k3"), String.class));
        assertTrue(cache.delete("k1"));
        assertFalse(cache.delete("k1"));
        assertNull(cache.get("k1", String.class));
    }

    @Test
    void limitsMatchMemcachedDefaults() {
        assertEquals(250, a.cache().maxKeyLength());
        assertEquals(1024 * 1024, a.cache().maxValueSize());
    }

    @Test
    void storeSweepsExpiredEntries() {
        MemoryCacheStore store = MemoryBroker.named(broker).cache();
        store.put("sweep-me", "x".getBytes(StandardCharsets.UTF_8), ValueFormat.TEXT, Duration.ofMillis(1));
        int before = store.size();
        await(() -> store.size() < before, "expired entry swept without being read");
    }
}
