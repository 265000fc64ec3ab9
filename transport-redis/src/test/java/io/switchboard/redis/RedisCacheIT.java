package io.switchboard.redis;

import static io.switchboard.redis.TestSupport.await;
import static io.switchboard.redis.TestSupport.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.CacheException;
import io.switchboard.Health;
import io.switchboard.SharedCache;
import io.switchboard.Switchboard;
import io.switchboard.Versioned;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** The Redis cache against the shared Redis on 127.0.0.1:6379. */
class RedisCacheIT {
    private static Switchboard sb;
    private static SharedCache cache;
    private static Jedis jedis;

    @BeforeAll
    static void open() {
        sb = TestSupport.open(Map.of("switchboard.transport", "redis", "switchboard.cache", "redis",
                "switchboard.redis.uri", TestSupport.SHARED_URI), null);
        cache = sb.cache();
        jedis = new Jedis("127.0.0.1", 6379);
    }

    @AfterAll
    static void close() {
        if (jedis != null) {
            jedis.close();
        }
        if (sb != null) {
            sb.close();
        }
    }

    @Test
    void storesReadableValuesThatPlainClientsSee() {
        String k = unique("it:text");
        cache.put(k, "hello");
        assertEquals("hello", jedis.get(k));
        cache.put(k + ":json", Map.of("a", 1));
        assertEquals("{\"a\":1}", jedis.get(k + ":json"));
        jedis.set(k + ":fromcli", "written by redis-cli");
        assertEquals("written by redis-cli", cache.get(k + ":fromcli", String.class));
        assertEquals(-1L, jedis.pttl(k));
    }

    @Test
    void expiresWithMillisecondTtl() {
        String k = unique("it:ttl");
        cache.put(k, "v", Duration.ofMillis(300));
        long pttl = jedis.pttl(k);
        assertTrue(pttl > 0 && pttl <= 300, "pttl " + pttl);
        await(Duration.ofSeconds(5), () -> cache.get(k, String.class) == null, "expiry");
    }

    @Test
    void putIfAbsentWritesOnlyOnce() {
        String k = unique("it:pia");
        assertTrue(cache.putIfAbsent(k, "first", Duration.ZERO));
        assertFalse(cache.putIfAbsent(k, "second", Duration.ZERO));
        assertEquals("first", cache.get(k, String.class));
    }

    @Test
    void compareAndSetSucceedsOnlyWithTheCurrentVersion() {
        String k = unique("it:cas");
        cache.put(k, "v1");
        Versioned<String> v1 = cache.getVersioned(k, String.class);
        assertEquals("v1", v1.value());
        assertTrue(cache.compareAndSet(k, v1.version(), "v2", Duration.ZERO));
        assertFalse(cache.compareAndSet(k, v1.version(), "v3", Duration.ZERO));
        Versioned<String> v2 = cache.getVersioned(k, String.class);
        assertNotEquals(v1.version(), v2.version());
        assertEquals("v2", v2.value());
        assertFalse(cache.compareAndSet(unique("it:absent"), v2.version(), "x", Duration.ZERO));
        assertTrue(cache.compareAndSet(k, v2.version(), "v3", Duration.ofSeconds(60)));
        assertTrue(jedis.pttl(k) > 0);
    }

    @Test
    void compareAndSetFailsAfterAnAbaRewrite() {
        String k = unique("it:aba");
        cache.put(k, "A");
        long v = cache.getVersioned(k, String.class).version();
        cache.put(k, "B");
        cache.put(k, "A");
        assertEquals("A", cache.get(k, String.class));
        assertNotEquals(v, cache.getVersioned(k, String.class).version(), "the version changes on every write");
        assertFalse(cache.compareAndSet(k, v, "C", Duration.ZERO), "CAS with the version read before the A-B-A rewrite");
        assertEquals("A", cache.get(k, String.class));

        // The same value written again, and a counter moved away and back, are writes too.
        long again = cache.getVersioned(k, String.class).version();
        cache.put(k, "A");
        assertFalse(cache.compareAndSet(k, again, "C", Duration.ZERO), "CAS after rewriting the same bytes");
        String ctr = unique("it:aba-ctr");
        cache.increment(ctr, 1, 5, Duration.ZERO);
        long five = cache.getVersioned(ctr, Long.class).version();
        cache.increment(ctr, 1, 0, Duration.ZERO);
        cache.increment(ctr, -1, 0, Duration.ZERO);
        assertEquals(5L, cache.get(ctr, Long.class));
        assertFalse(cache.compareAndSet(ctr, five, 9L, Duration.ZERO), "CAS after a counter went 5-6-5");
    }

    @Test
    void versionIsWhatTheWireFormatDocumentSaysOtherClientsCompute() throws Exception {
        String k = unique("it:ver");
        cache.put(k, "hello", Duration.ofSeconds(60));
        byte[] nonce = jedis.get((k + " sbv").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertTrue(nonce != null && nonce.length == 16, "the version token is 16 hex digits at '<key> sbv'");
        long pttl = jedis.pttl(k + " sbv");
        assertTrue(pttl > 55_000 && pttl <= 60_000, "the token expires with the value: " + pttl);
        java.security.MessageDigest sha1 = java.security.MessageDigest.getInstance("SHA-1");
        sha1.update(nonce);
        sha1.update((byte) ':');
        byte[] d = sha1.digest("hello".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        long expected = new java.math.BigInteger(1, java.util.Arrays.copyOf(d, 8)).longValue();
        assertEquals(expected, cache.getVersioned(k, String.class).version());

        // A plain SET by another client changes the version, and keeps the token.
        jedis.set(k, "changed by redis-cli");
        assertFalse(cache.compareAndSet(k, expected, "x", Duration.ZERO));
        assertTrue(cache.delete(k));
        assertFalse(jedis.exists(k + " sbv"), "delete removes the token with the value");
        assertFalse(cache.delete(k));
    }

    @Test
    void incrementCreatesWithInitialThenAddsExactly() {
        String k = unique("it:ctr");
        assertEquals(10L, cache.increment(k, 5, 10, Duration.ZERO));
        assertEquals(15L, cache.increment(k, 5, 10, Duration.ZERO));
        assertEquals("15", jedis.get(k));
        String big = unique("it:big");
        assertEquals(Long.MAX_VALUE - 1, cache.increment(big, 1, Long.MAX_VALUE - 1, Duration.ZERO));
        assertEquals(Long.MAX_VALUE, cache.increment(big, 1, 0, Duration.ZERO));
    }

    @Test
    void incrementOfTextFailsWithCacheException() {
        String k = unique("it:notnum");
        cache.put(k, "abc");
        CompletionException e = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
                () -> cache.incrementAsync(k, 1, 0, Duration.ZERO).toCompletableFuture().join());
        assertTrue(e.getCause() instanceof CacheException, String.valueOf(e.getCause()));
        Health h = sb.health().components().get("cache");
        assertTrue(((Number) h.details().get("errors")).longValue() >= 1);
    }

    @Test
    void getAllReturnsOnlyPresentKeys() {
        String a = unique("it:a");
        String b = unique("it:b");
        cache.put(a, "A");
        Map<String, String> m = cache.getAll(List.of(a, b), String.class);
        assertEquals(Map.of(a, "A"), m);
        assertTrue(cache.delete(a));
        assertFalse(cache.delete(a));
        assertNull(cache.get(a, String.class));
    }
}
