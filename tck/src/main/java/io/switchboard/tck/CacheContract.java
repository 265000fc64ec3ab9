package io.switchboard.tck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.CacheException;
import io.switchboard.PayloadTooLargeException;
import io.switchboard.SharedCache;
import io.switchboard.Switchboard;
import io.switchboard.Versioned;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The shared-cache contract: extend it, return the settings of a Switchboard whose cache is the
 * one under test from {@link #properties()}, and JUnit 5 runs every rule C1, C2, ... of
 * {@code tck/CONTRACT.md} against it.
 *
 * <pre>{@code
 * class MemcachedCacheContractIT extends CacheContract {
 *     protected Map<String, Object> properties() {
 *         return Map.of("switchboard.transport", "memory", "switchboard.cache", "memcached",
 *                 "switchboard.memcached.servers", "127.0.0.1:11211");
 *     }
 * }
 * }</pre>
 *
 * <p>Keys are random per rule, so a shared server is fine. Not thread-safe: JUnit runs one rule
 * at a time per instance.
 */
public abstract class CacheContract {
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private final List<Switchboard> opened = new CopyOnWriteArrayList<>();

    /** Settings for a Switchboard whose cache is the one under test; must include switchboard.cache (and a transport, e.g. switchboard.transport=memory). */
    protected abstract Map<String, Object> properties();

    @AfterEach
    void closeEverythingOpened() {
        opened.forEach(sb -> sb.close(Duration.ofSeconds(5)));
        opened.clear();
    }

    /** Opens a Switchboard with the cache under test, closed after the rule; {@code extra} settings override. */
    Switchboard open(Map<String, Object> extra) {
        Map<String, Object> props = new LinkedHashMap<>(Objects.requireNonNull(properties(), "properties()"));
        if (!props.containsKey("switchboard.cache")) {
            throw new IllegalStateException(getClass().getName() + ".properties() must set switchboard.cache");
        }
        props.putAll(extra);
        Switchboard sb = Switchboard.open(props);
        opened.add(sb);
        return sb;
    }

    SharedCache cache() {
        return open(Map.of()).cache();
    }

    /** A key unique to one rule run. */
    static String key(String what) {
        return "tck:" + what + ":" + Kit.token();
    }

    /** A small JSON-mapped value. */
    static final class Point {
        public String name;
        public int x;
        public List<String> tags;

        Point() {
        }

        Point(String name, int x, List<String> tags) {
            this.name = name;
            this.x = x;
            this.tags = tags;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Point && Objects.equals(((Point) o).name, name) && ((Point) o).x == x && Objects.equals(((Point) o).tags, tags);
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, x, tags);
        }

        @Override
        public String toString() {
            return "Point[" + name + ", " + x + ", " + tags + "]";
        }
    }

    @Nested
    @DisplayName("Values")
    class Values {
        /**
         * C1: a {@code byte[]} value is read back byte for byte (all 256 byte values), through
         * the blocking and the asynchronous forms; an absent key reads as {@code null}. If this
         * fails, check that the driver stores values as raw bytes, with no charset conversion.
         */
        @Test
        @DisplayName("C1 byte[] values come back byte for byte; absent keys read as null")
        void bytesRoundTrip() {
            SharedCache cache = cache();
            byte[] all = Kit.allByteValues();
            String k = key("bytes");
            cache.put(k, all);
            assertArrayEquals(all, cache.get(k, byte[].class));
            String k2 = key("bytes-async");
            cache.putAsync(k2, new byte[0]).toCompletableFuture().join();
            assertArrayEquals(new byte[0], cache.getAsync(k2, byte[].class).toCompletableFuture().join(), "empty value");
            assertNull(cache.get(key("absent"), byte[].class), "absent key");
            assertNull(cache.getAsync(key("absent"), String.class).toCompletableFuture().join(), "absent key, async");
        }

        /**
         * C2: a {@link String} (with non-ASCII text) and JSON values (an object and a map) are
         * read back equal. If this fails, check that the driver returns the stored bytes unchanged
         * (the facade does the encoding).
         */
        @Test
        @DisplayName("C2 String and JSON values come back equal")
        void stringAndJsonRoundTrip() {
            SharedCache cache = cache();
            String text = "héllo wörld ✓ 日本 \"quoted\"";
            String k = key("string");
            cache.put(k, text);
            assertEquals(text, cache.get(k, String.class));
            Point p = new Point("north", 42, List.of("a", "b"));
            String kp = key("json");
            cache.put(kp, p);
            assertEquals(p, cache.get(kp, Point.class));
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("id", 7);
            map.put("name", "seven");
            String km = key("map");
            cache.put(km, map);
            assertEquals(map, cache.get(km, Map.class));
        }

        /**
         * C3: a value written as a String reads as its UTF-8 bytes, and bytes read as a String,
         * so other languages' clients interoperate. If this fails, check that the driver does not
         * wrap values (no serialization headers, no type prefix in the stored bytes).
         */
        @Test
        @DisplayName("C3 a String reads back as its UTF-8 bytes, and bytes as a String")
        void stringAndBytesInterchange() {
            SharedCache cache = cache();
            String text = "grüße ✓";
            String k = key("s2b");
            cache.put(k, text);
            assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), cache.get(k, byte[].class));
            String k2 = key("b2s");
            cache.put(k2, "plain ascii and ✓".getBytes(StandardCharsets.UTF_8));
            assertEquals("plain ascii and ✓", cache.get(k2, String.class));
        }

        /**
         * C4: {@code getAll} returns the present keys with their values and leaves absent ones
         * out. If this fails, check that the driver's multi-get maps results back to the right
         * keys (with the namespace prefix removed) and drops misses.
         */
        @Test
        @DisplayName("C4 getAll returns present keys and leaves absent ones out")
        void getAllWithSomeAbsent() {
            SharedCache cache = cache();
            String a = key("a");
            String b = key("b");
            String missing = key("missing");
            cache.put(a, "A");
            cache.put(b, "B");
            Map<String, String> got = cache.getAll(List.of(a, missing, b), String.class);
            assertEquals(Map.of(a, "A", b, "B"), got);
        }

        /**
         * C5: {@code delete} removes a key and reports whether it existed. If this fails, check
         * the driver's delete result mapping (not-found is {@code false}, not an error).
         */
        @Test
        @DisplayName("C5 delete removes a key and tells whether it existed")
        void deleteRemoves() {
            SharedCache cache = cache();
            String k = key("delete");
            cache.put(k, "x");
            assertTrue(cache.delete(k), "delete of a present key");
            assertNull(cache.get(k, String.class), "value after delete");
            assertFalse(cache.delete(k), "delete of an absent key");
        }
    }

    @Nested
    @DisplayName("Expiry")
    class Expiry {
        /**
         * C6: a value written with a 1 s TTL is readable at once and gone within a few seconds
         * (servers may round up to whole seconds), while one written with
         * {@link Duration#ZERO} at the same time is still there. If this fails, check the TTL
         * conversion (seconds rounded up, never 0 for a positive TTL, 0 meaning no expiry).
         */
        @Test
        @DisplayName("C6 a value with a TTL expires; Duration.ZERO never expires")
        void ttlExpires() {
            SharedCache cache = cache();
            String expiring = key("ttl");
            String forever = key("no-ttl");
            cache.put(expiring, "short-lived", Duration.ofSeconds(1));
            cache.put(forever, "kept", Duration.ZERO);
            assertEquals("short-lived", cache.get(expiring, String.class), "readable before its TTL");
            Kit.await(Duration.ofSeconds(5), () -> cache.get(expiring, String.class) == null,
                    () -> "a value written with a 1 s TTL is gone within 5 s");
            assertEquals("kept", cache.get(forever, String.class), "a value written with Duration.ZERO does not expire");
        }
    }

    @Nested
    @DisplayName("Conditional writes")
    class Conditional {
        /**
         * C7: {@code putIfAbsent} writes only when the key is absent and says whether it wrote.
         * If this fails, check that the driver uses the server's atomic add (not get-then-set).
         */
        @Test
        @DisplayName("C7 putIfAbsent writes only when absent")
        void putIfAbsent() {
            SharedCache cache = cache();
            String k = key("pia");
            assertTrue(cache.putIfAbsent(k, "first", Duration.ZERO), "first putIfAbsent writes");
            assertFalse(cache.putIfAbsent(k, "second", Duration.ZERO), "second putIfAbsent does not");
            assertEquals("first", cache.get(k, String.class));
        }

        /**
         * C8: {@code compareAndSet} with the version just read succeeds; with a stale version
         * (the value changed since) it fails and leaves the value alone; on an absent key it
         * fails. If this fails, check that versions change on every write and that the driver
         * uses the server's atomic compare-and-set.
         */
        @Test
        @DisplayName("C8 compareAndSet succeeds with the current version and fails with a stale one")
        void compareAndSet() {
            SharedCache cache = cache();
            String k = key("cas");
            cache.put(k, "v1");
            Versioned<String> v1 = cache.getVersioned(k, String.class);
            assertNotNull(v1, "getVersioned of a present key");
            assertEquals("v1", v1.value());
            assertTrue(cache.compareAndSet(k, v1.version(), "v2", Duration.ZERO), "CAS with the current version");
            assertEquals("v2", cache.get(k, String.class));
            assertFalse(cache.compareAndSet(k, v1.version(), "v3", Duration.ZERO), "CAS with a stale version");
            assertEquals("v2", cache.get(k, String.class), "value after a failed CAS");
            Versioned<String> v2 = cache.getVersioned(k, String.class);
            cache.put(k, "changed behind");
            assertFalse(cache.compareAndSet(k, v2.version(), "v4", Duration.ZERO), "CAS after another write");
            assertNull(cache.getVersioned(key("absent"), String.class), "getVersioned of an absent key");
            assertFalse(cache.compareAndSet(key("absent"), v2.version(), "x", Duration.ZERO), "CAS on an absent key");
        }

        /**
         * C9: {@code increment} creates an absent counter with its initial value, adds
         * positive and negative deltas (staying at or above 0), stores the counter as decimal
         * text, and fails with {@link CacheException} on a value that is not a counter. If this
         * fails, check the driver's incr/decr mapping and its create-if-absent step.
         */
        @Test
        @DisplayName("C9 increment creates, adds, subtracts, and refuses non-counters")
        void increment() {
            SharedCache cache = cache();
            String k = key("counter");
            assertEquals(10, cache.increment(k, 5, 10, Duration.ZERO), "an absent counter is created with its initial value");
            assertEquals(15, cache.increment(k, 5, 10, Duration.ZERO), "delta added");
            assertEquals(12, cache.increment(k, -3, 10, Duration.ZERO), "negative delta");
            assertEquals(13, cache.increment(k, 1));
            assertEquals("13", cache.get(k, String.class), "counters are stored as decimal text");
            String text = key("not-a-counter");
            cache.put(text, "hello");
            assertThrows(CacheException.class, () -> cache.increment(text, 1, 0, Duration.ZERO), "increment of a non-counter");
            CompletionException async = assertThrows(CompletionException.class,
                    () -> cache.incrementAsync(text, 1, 0, Duration.ZERO).toCompletableFuture().join());
            assertTrue(async.getCause() instanceof CacheException, () -> "incrementAsync fails with CacheException: " + async.getCause());
        }

        /**
         * C10: {@code getOrLoad} from 8 threads at once on an absent key calls the loader once,
         * and every caller gets its value, which is then stored; on a present key the loader is
         * not called. If this fails, check that the driver's get reports absence as {@code null}
         * (the single-flight is the facade's).
         */
        @Test
        @DisplayName("C10 getOrLoad loads once for many concurrent callers")
        void getOrLoadSingleFlight() throws Exception {
            SharedCache cache = cache();
            String k = key("load");
            int n = 8;
            AtomicInteger loads = new AtomicInteger();
            CountDownLatch arrived = new CountDownLatch(n);
            ExecutorService pool = Executors.newFixedThreadPool(n);
            try {
                List<Future<String>> results = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    results.add(pool.submit(() -> {
                        arrived.countDown();
                        return cache.getOrLoad(k, String.class, Duration.ZERO, () -> {
                            loads.incrementAndGet();
                            // Hold the load until every caller is on its way, so they overlap it.
                            arrived.await(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
                            return "loaded";
                        });
                    }));
                }
                for (Future<String> f : results) {
                    assertEquals("loaded", f.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(1, loads.get(), "loader calls");
            assertEquals("loaded", cache.get(k, String.class), "the loaded value is stored");
            assertEquals("loaded", cache.getOrLoad(k, String.class, Duration.ZERO, () -> {
                throw new AssertionError("loader called for a present key");
            }));
        }
    }

    @Nested
    @DisplayName("Isolation")
    class Isolation {
        /**
         * C11: Switchboards with different {@code switchboard.cache.namespace} values do not see
         * each other's keys, and named caches ({@code cache("a")}, {@code cache("b")}, the
         * default) are kept apart too. If this fails, check that the driver uses the key it is
         * given as is (the facade adds the prefix) and strips nothing in multi-get results.
         */
        @Test
        @DisplayName("C11 namespaces and named caches do not see each other's keys")
        void namespacesAndNamedCachesAreIsolated() {
            String token = Kit.token();
            SharedCache a = open(Map.of("switchboard.cache.namespace", "tck-a-" + token + ":")).cache();
            SharedCache b = open(Map.of("switchboard.cache.namespace", "tck-b-" + token + ":")).cache();
            String k = key("shared-name");
            a.put(k, "from a");
            assertNull(b.get(k, String.class), "another namespace does not see the key");
            b.put(k, "from b");
            assertEquals("from a", a.get(k, String.class), "writes in another namespace do not touch it");
            assertEquals(Map.of(k, "from b"), b.getAll(List.of(k), String.class), "getAll keys are the caller's, without the namespace");

            Switchboard sb = open(Map.of());
            SharedCache named1 = sb.cache("a");
            SharedCache named2 = sb.cache("b");
            SharedCache dflt = sb.cache();
            named1.put(k, "named a");
            assertNull(named2.get(k, String.class), "cache(\"b\") does not see cache(\"a\")'s key");
            assertNull(dflt.get(k, String.class), "the default cache does not see cache(\"a\")'s key");
            assertEquals("a", named1.name());
        }
    }

    @Nested
    @DisplayName("Bad input and closing")
    class BadInput {
        /**
         * C12: keys with a space, a control character, or one byte over
         * {@link SharedCache#maxKeyLength()} are refused with {@link IllegalArgumentException}
         * naming the key; a key of exactly the limit works. If this fails, check the driver's
         * {@code maxKeyLength()} (the facade validates against it).
         */
        @Test
        @DisplayName("C12 invalid keys are refused, naming the key; a key at the limit works")
        void invalidKeysRefused() {
            SharedCache cache = cache();
            for (String bad : List.of("has space", "ctl\u0001char", "tab\tkey", "new\nline")) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cache.put(bad, "x"), "key '" + bad + "'");
                String named = bad.substring(0, 3);
                assertTrue(e.getMessage().contains(named), () -> "message names key '" + bad + "': " + e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> cache.get(bad, String.class), "get of key '" + bad + "'");
            }
            assertThrows(IllegalArgumentException.class, () -> cache.put("", "x"), "empty key");
            String atLimit = ("tck-" + Kit.token() + "-").concat("k".repeat(cache.maxKeyLength())).substring(0, cache.maxKeyLength());
            cache.put(atLimit, "at the limit");
            assertEquals("at the limit", cache.get(atLimit, String.class), "a key of exactly maxKeyLength() bytes");
            String tooLong = atLimit + "x";
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cache.put(tooLong, "x"));
            assertTrue(e.getMessage().contains(tooLong.substring(0, 20)), () -> "message names the key: " + e.getMessage());
        }

        /**
         * C13: a value of {@link SharedCache#maxValueSize()} + 1 bytes is refused with
         * {@link PayloadTooLargeException} giving size and limit, and nothing is stored; a value
         * of exactly the limit is stored. If this fails, check the driver's
         * {@code maxValueSize()}: it must be what the server really accepts (memcached counts
         * its item overhead against its limit).
         */
        @Test
        @DisplayName("C13 an oversize value is refused and not stored; a value at the limit is stored")
        void oversizeValueRefused() {
            SharedCache cache = cache();
            int limit = cache.maxValueSize();
            assertTrue(limit > 0 && limit <= 64 * 1024 * 1024, () -> "maxValueSize() is positive and at most 64 MiB: " + limit);
            String k = key("big");
            PayloadTooLargeException e = assertThrows(PayloadTooLargeException.class, () -> cache.put(k, new byte[limit + 1]));
            assertEquals(limit + 1, e.size(), "size");
            assertEquals(limit, e.limit(), "limit");
            assertNull(cache.get(k, byte[].class), "nothing stored");
            cache.put(k, new byte[limit]);
            assertEquals(limit, cache.get(k, byte[].class).length, "a value of exactly maxValueSize() is stored");
        }

        /**
         * C14: after the Switchboard is closed, the cache it handed out throws
         * {@link IllegalStateException}, and so does {@code cache()}. If this fails, check the
         * facade's close sequence.
         */
        @Test
        @DisplayName("C14 a closed Switchboard's cache throws IllegalStateException")
        void closedSwitchboardRefusesCache() {
            Switchboard sb = open(Map.of());
            SharedCache cache = sb.cache();
            sb.close();
            assertThrows(IllegalStateException.class, () -> cache.get(key("x"), String.class), "get");
            assertThrows(IllegalStateException.class, () -> cache.put(key("x"), "v"), "put");
            assertThrows(IllegalStateException.class, sb::cache, "cache()");
        }
    }
}
