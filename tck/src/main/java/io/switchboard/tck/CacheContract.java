package io.switchboard.tck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.switchboard.CacheException;
import io.switchboard.PayloadTooLargeException;
import io.switchboard.SharedCache;
import io.switchboard.Switchboard;
import io.switchboard.SwitchboardException;
import io.switchboard.Versioned;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
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
 * <p>Keys are random per rule, in mixed case, so a shared server is fine except for the fault
 * rules, which need {@link #faults()} on a private server. Every rule carries its number as a
 * JUnit tag. Not thread-safe: JUnit runs one rule at a time per instance.
 */
public abstract class CacheContract extends Contract {
    /** More than 30 days: memcached reads a relative expiry above that as an absolute Unix time. */
    private static final Duration OVER_30_DAYS = Duration.ofDays(31);

    /** For subclasses; {@link #properties()} must set {@code switchboard.cache} (and a transport, for example {@code memory}). */
    protected CacheContract() {
        super("switchboard.cache");
    }

    SharedCache cache() {
        return open().cache();
    }

    /** A key unique to one rule run. */
    static String key(String what) {
        return "tck:" + what + ":" + Kit.token();
    }

    <T> T join(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof RuntimeException ? (RuntimeException) c : new CompletionException(c);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("a cache stage did not complete within " + timeout(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Runs {@code n} tasks at once (released together by a barrier) and returns their results. */
    <T> List<T> race(int n, java.util.function.IntFunction<Callable<T>> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CyclicBarrier start = new CyclicBarrier(n);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Callable<T> c = task.apply(i);
                futures.add(pool.submit(() -> {
                    start.await(timeout().toMillis(), TimeUnit.MILLISECONDS);
                    return c.call();
                }));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                try {
                    results.add(f.get(timeout().toMillis() * 2, TimeUnit.MILLISECONDS));
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
                }
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
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
        @Tag("C1")
        @DisplayName("C1 byte[] values come back byte for byte; absent keys read as null")
        void bytesRoundTrip() {
            SharedCache cache = cache();
            byte[] all = Kit.allByteValues();
            String k = key("bytes");
            cache.put(k, all);
            assertArrayEquals(all, cache.get(k, byte[].class));
            String k2 = key("bytes-async");
            join(cache.putAsync(k2, new byte[0]));
            assertArrayEquals(new byte[0], join(cache.getAsync(k2, byte[].class)), "empty value");
            assertNull(cache.get(key("absent"), byte[].class), "absent key");
            assertNull(join(cache.getAsync(key("absent"), String.class)), "absent key, async");
        }

        /**
         * C2: a {@link String} (with non-ASCII text) and JSON values (an object and a map) are
         * read back equal. If this fails, check that the driver returns the stored bytes unchanged
         * (the facade does the encoding).
         */
        @Test
        @Tag("C2")
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
        @Tag("C3")
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
         * C4: {@code getAll} returns exactly the present keys, each with its own value, keyed as
         * the caller named them: 24 present keys (among them keys differing only in case or in
         * their last character, and values of several sizes) asked for in shuffled order with 12
         * absent ones between them, through the blocking and the asynchronous forms. If this
         * fails, check that the driver's multi-get maps each result back to its own key (by key,
         * never by position: servers answer in their own order and skip misses), removes the
         * namespace prefix, and leaves misses out rather than returning them empty.
         */
        @Test
        @Tag("C4")
        @DisplayName("C4 getAll returns exactly the present keys, each with its own value")
        void getAllWithSomeAbsent() {
            SharedCache cache = cache();
            String base = key("Many");
            Map<String, String> present = new LinkedHashMap<>();
            for (int i = 0; i < 8; i++) {
                present.put(base + "-k" + i, "lower " + i + "x".repeat(i * 100));
                present.put(base + "-K" + i, "upper " + i);
                present.put(base + "-k" + i + "b", "");
            }
            present.put(base + "-k7b", "last byte differs");
            present.forEach(cache::put);
            List<String> asked = new ArrayList<>(present.keySet());
            for (int i = 0; i < 12; i++) {
                asked.add(base + "-absent" + i);
            }
            Collections.shuffle(asked, new java.util.Random(7));
            assertEquals(present, cache.getAll(asked, String.class), "getAll of present and absent keys");
            assertEquals(present, join(cache.getAllAsync(asked, String.class)), "getAllAsync of present and absent keys");
            assertEquals(Map.of(), cache.getAll(List.of(base + "-absent0", base + "-absent1"), String.class), "getAll of absent keys only");
        }

        /**
         * C5: {@code delete} removes a key and reports whether it existed. If this fails, check
         * the driver's delete result mapping (not-found is {@code false}, not an error).
         */
        @Test
        @Tag("C5")
        @DisplayName("C5 delete removes a key and tells whether it existed")
        void deleteRemoves() {
            SharedCache cache = cache();
            String k = key("delete");
            cache.put(k, "x");
            assertTrue(cache.delete(k), "delete of a present key");
            assertNull(cache.get(k, String.class), "value after delete");
            assertFalse(cache.delete(k), "delete of an absent key");
        }

        /**
         * C15: keys are exact: keys differing only in case, keys differing only in their last
         * byte, keys of exactly {@link SharedCache#maxKeyLength()} bytes and one less (ASCII, and
         * with two-byte UTF-8 characters), all in a named cache under a namespace, each hold their
         * own value, and deleting one leaves the others. If this fails, check that the driver
         * neither folds case nor truncates or hashes keys lossily, and that its
         * {@code maxKeyLength()} is what the server accepts.
         */
        @Test
        @Tag("C15")
        @DisplayName("C15 keys differing only in case or in their last byte are distinct, up to the length limit")
        void keysAreExact() {
            SharedCache cache = open(Map.of("switchboard.cache.namespace", "tck-Ns-" + Kit.token(6) + ":")).cache("Named");
            int max = cache.maxKeyLength();
            String t = Kit.token();
            List<String> keys = new ArrayList<>(List.of("tck:Case:" + t, "tck:case:" + t, "TCK:CASE:" + t.toUpperCase(java.util.Locale.ROOT) + "!"));
            for (int length : List.of(max, max - 1)) {
                String ascii = ("tck:" + t + ":").concat("k".repeat(max)).substring(0, length - 1);
                keys.add(ascii + "a");
                keys.add(ascii + "b");
                keys.add(ascii + "A");
                StringBuilder wide = new StringBuilder("tck:" + t + ":w");
                while (wide.toString().getBytes(StandardCharsets.UTF_8).length + 2 <= length - 1) {
                    wide.append('é');
                }
                while (wide.toString().getBytes(StandardCharsets.UTF_8).length < length - 1) {
                    wide.append('x');
                }
                keys.add(wide + "1");
                keys.add(wide + "2");
            }
            Map<String, String> values = new LinkedHashMap<>();
            for (String k : keys) {
                values.put(k, "value of " + k.getBytes(StandardCharsets.UTF_8).length + "-byte key ending " + k.substring(k.length() - 1)
                        + " " + k.hashCode());
                cache.put(k, values.get(k));
            }
            for (String k : keys) {
                assertEquals(values.get(k), cache.get(k, String.class), () -> "value of the " + k.getBytes(StandardCharsets.UTF_8).length
                        + "-byte key " + k);
            }
            assertEquals(values, cache.getAll(keys, String.class), "getAll of the similar keys");
            assertTrue(cache.delete(keys.get(0)), "delete of " + keys.get(0));
            for (String k : keys.subList(1, keys.size())) {
                assertEquals(values.get(k), cache.get(k, String.class), () -> "deleting " + keys.get(0) + " left " + k + " alone");
            }
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
        @Tag("C6")
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

        /**
         * C16: every write that takes a TTL honours it: {@code put}, {@code putAsync},
         * {@code putIfAbsent}, {@code compareAndSet}, {@code increment} (creating the counter),
         * {@code getOrLoad}, and {@code put} without a TTL under
         * {@code switchboard.cache.default-ttl}. With a sub-second TTL (400 ms) each entry is
         * readable at once and gone within a few seconds; with 1.5 s each is still there while
         * less than its TTL has passed; an incremented counter keeps its TTL; with a TTL over 30
         * days (31 days) each is still there when the others have expired. If this fails, check
         * the TTL conversion on every write path: round up, never down or to zero; never send a
         * sub-second TTL as 0 (no expiry); convert TTLs over 30 days for a server that reads them
         * as absolute time; keep the TTL when incrementing.
         */
        @Test
        @Tag("C16")
        @DisplayName("C16 every write with a TTL honours it: sub-second, seconds, and over 30 days")
        void everyWriteHonoursItsTtl() {
            SharedCache cache = open(Map.of("switchboard.cache.default-ttl", "1500ms")).cache();
            Map<String, Supplier<Object>> shortLived = writeAll(cache, "Short", Duration.ofMillis(400));
            shortLived.forEach((what, read) -> assertNotNull(read.get(), () -> what + " is readable right after the write"));
            long start = System.nanoTime();
            Map<String, Supplier<Object>> seconds = writeAll(cache, "Secs", Duration.ofMillis(1500));
            String viaDefault = key("Default");
            cache.put(viaDefault, "default ttl");
            seconds.put("put without a TTL (switchboard.cache.default-ttl=1500ms)", () -> cache.get(viaDefault, String.class));
            String counter = key("Counter");
            cache.increment(counter, 1, 10, Duration.ofMillis(1500));
            cache.increment(counter, 1, 10, Duration.ofMillis(1500));
            seconds.put("a counter incremented after creation", () -> cache.get(counter, String.class));
            Map<String, Supplier<Object>> longLived = writeAll(cache, "Long", OVER_30_DAYS);
            longLived.forEach((what, read) -> assertNotNull(read.get(), () -> what + " is readable right after the write"));
            // An entry lives at least its TTL: read the 1.5 s ones while less than that has passed since before they were written.
            while ((System.nanoTime() - start) / 1_000_000 < 1_300) {
                for (Map.Entry<String, Supplier<Object>> e : seconds.entrySet()) {
                    Object value = e.getValue().get();
                    long age = (System.nanoTime() - start) / 1_000_000;
                    assertTrue(value != null || age >= 1_450, () -> e.getKey() + " with a TTL of 1.5 s is gone after less than " + age
                            + " ms: an entry lives at least its TTL");
                }
                Kit.sleep(100);
            }
            for (Map<String, Supplier<Object>> group : List.of(shortLived, seconds)) {
                group.forEach((what, read) -> Kit.await(Duration.ofSeconds(6), () -> read.get() == null,
                        () -> what + " still readable long after its TTL"));
            }
            longLived.forEach((what, read) -> assertNotNull(read.get(), () -> what + " with a TTL of 31 days expired early (memcached "
                    + "reads a relative expiry over 30 days as an absolute Unix time)"));
        }

        /** Writes one entry through each write path with {@code ttl}; returns how to read each back. */
        private Map<String, Supplier<Object>> writeAll(SharedCache cache, String what, Duration ttl) {
            Map<String, Supplier<Object>> reads = new LinkedHashMap<>();
            String put = key(what + "Put");
            cache.put(put, "put", ttl);
            reads.put("put(" + ttl + ")", () -> cache.get(put, String.class));
            String async = key(what + "Async");
            join(cache.putAsync(async, "putAsync", ttl));
            reads.put("putAsync(" + ttl + ")", () -> cache.get(async, String.class));
            String pia = key(what + "Pia");
            assertTrue(cache.putIfAbsent(pia, "putIfAbsent", ttl), "putIfAbsent on an absent key writes");
            reads.put("putIfAbsent(" + ttl + ")", () -> cache.get(pia, String.class));
            String cas = key(what + "Cas");
            cache.put(cas, "before CAS", Duration.ZERO);
            Versioned<String> v = cache.getVersioned(cas, String.class);
            assertTrue(cache.compareAndSet(cas, v.version(), "compareAndSet", ttl), "CAS with the current version");
            reads.put("compareAndSet(" + ttl + ")", () -> cache.get(cas, String.class));
            String inc = key(what + "Inc");
            assertEquals(5, cache.increment(inc, 1, 5, ttl), "increment creating a counter");
            reads.put("increment creating a counter(" + ttl + ")", () -> cache.get(inc, String.class));
            String load = key(what + "Load");
            assertEquals("loaded", cache.getOrLoad(load, String.class, ttl, () -> "loaded"));
            reads.put("getOrLoad(" + ttl + ")", () -> cache.get(load, String.class));
            return reads;
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
        @Tag("C7")
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
        @Tag("C8")
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
         * C17: a version must change on every write: with a version read before an A-B-A rewrite
         * ({@code A}, then {@code B}, then {@code A} again), {@code compareAndSet} fails, even
         * though the value is what it was; the same after the value is rewritten unchanged, and
         * after {@code delete} and a new {@code put}. If this fails, check where the driver's
         * versions come from: a digest of the value cannot tell an A-B-A rewrite from no write;
         * use the server's CAS token or a counter bumped on every write.
         */
        @Test
        @Tag("C17")
        @DisplayName("C17 a version changes on every write: CAS with a version read before an A-B-A rewrite fails")
        void versionChangesOnEveryWrite() {
            SharedCache cache = cache();
            String k = key("Aba");
            cache.put(k, "A");
            Versioned<String> before = cache.getVersioned(k, String.class);
            cache.put(k, "B");
            cache.put(k, "A");
            assertFalse(cache.compareAndSet(k, before.version(), "C", Duration.ZERO), "CAS with a version read before an A-B-A rewrite");
            assertEquals("A", cache.get(k, String.class), "value after the refused CAS");
            Versioned<String> again = cache.getVersioned(k, String.class);
            cache.put(k, "A");
            assertFalse(cache.compareAndSet(k, again.version(), "C", Duration.ZERO), "CAS after the same value was written again");
            Versioned<String> beforeDelete = cache.getVersioned(k, String.class);
            cache.delete(k);
            cache.put(k, "A");
            assertFalse(cache.compareAndSet(k, beforeDelete.version(), "C", Duration.ZERO), "CAS after delete and a new put of the same value");
        }

        /**
         * C9: {@code increment} creates an absent counter with its initial value, adds
         * positive and negative deltas (staying at or above 0), stores the counter as decimal
         * text, and fails with {@link CacheException} on a value that is not a counter. If this
         * fails, check the driver's incr/decr mapping and its create-if-absent step.
         */
        @Test
        @Tag("C9")
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
        @Tag("C10")
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
                            arrived.await(timeout().toMillis(), TimeUnit.MILLISECONDS);
                            return "loaded";
                        });
                    }));
                }
                for (Future<String> f : results) {
                    assertEquals("loaded", f.get(timeout().toMillis(), TimeUnit.MILLISECONDS));
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
    @DisplayName("Raced from several threads and instances")
    class Races {
        /**
         * C18: 2,000 increments of one counter raced from 8 threads over two Switchboards,
         * starting on an absent key: exactly one creates it (returning the initial value 0), the
         * others add 1, every call returns a different value, and the counter ends at 1999. If
         * this fails, check that increment is one atomic server operation (incr, INCRBY, or a
         * script) and that creating an absent counter races safely (an atomic add, and on
         * failure incr again), never read-modify-write.
         */
        @Test
        @Tag("C18")
        @DisplayName("C18 increments raced from several threads and instances sum exactly")
        void racedIncrementsSumExactly() throws Exception {
            List<SharedCache> caches = List.of(cache(), cache());
            String k = key("Race");
            int threads = 8;
            int each = 250;
            List<List<Long>> results = race(threads, t -> () -> {
                SharedCache c = caches.get(t % 2);
                List<Long> mine = new ArrayList<>(each);
                for (int i = 0; i < each; i++) {
                    mine.add(c.increment(k, 1, 0, Duration.ZERO));
                }
                return mine;
            });
            Set<Long> all = new TreeSet<>();
            int calls = 0;
            for (List<Long> r : results) {
                all.addAll(r);
                calls += r.size();
            }
            int n = threads * each;
            assertEquals(n, all.size(), () -> "every increment returns a different value; distinct results " + all.size() + " of " + n);
            assertEquals(0L, ((TreeSet<Long>) all).first(), "exactly one call creates the counter and returns its initial value");
            assertEquals((long) n - 1, ((TreeSet<Long>) all).last(), "the last value");
            assertEquals(Long.toString(n - 1), caches.get(0).get(k, String.class), "the counter after " + calls + " increments");
        }

        /**
         * C19: eight callers over two Switchboards read one version and race
         * {@code compareAndSet} with it: exactly one wins, and the value is the winner's; the
         * same for eight {@code putIfAbsent} calls on an absent key. If this fails, check that
         * compare-and-set and put-if-absent are single atomic server operations (CAS, SET NX, a
         * script), never a read followed by a write.
         */
        @Test
        @Tag("C19")
        @DisplayName("C19 compareAndSet and putIfAbsent raced from several threads and instances have one winner")
        void racedConditionalWritesHaveOneWinner() throws Exception {
            List<SharedCache> caches = List.of(cache(), cache());
            String k = key("CasRace");
            caches.get(0).put(k, "start");
            long version = caches.get(1).getVersioned(k, String.class).version();
            List<Boolean> cas = race(8, t -> () -> caches.get(t % 2).compareAndSet(k, version, "writer-" + t, Duration.ZERO));
            assertEquals(1, cas.stream().filter(b -> b).count(), () -> "CAS winners with one version: " + cas);
            assertEquals("writer-" + cas.indexOf(true), caches.get(1).get(k, String.class), "the value is the CAS winner's");
            String p = key("PiaRace");
            List<Boolean> pia = race(8, t -> () -> caches.get(t % 2).putIfAbsent(p, "writer-" + t, Duration.ZERO));
            assertEquals(1, pia.stream().filter(b -> b).count(), () -> "putIfAbsent winners on one absent key: " + pia);
            assertEquals("writer-" + pia.indexOf(true), caches.get(0).get(p, String.class), "the value is the putIfAbsent winner's");
        }
    }

    @Nested
    @DisplayName("Across instances")
    class Isolation {
        /**
         * C11: Switchboards with different {@code switchboard.cache.namespace} values do not see
         * each other's keys, and named caches ({@code cache("a")}, {@code cache("b")}, the
         * default) are kept apart too. If this fails, check that the driver uses the key it is
         * given as is (the facade adds the prefix) and strips nothing in multi-get results.
         */
        @Test
        @Tag("C11")
        @DisplayName("C11 namespaces and named caches do not see each other's keys")
        void namespacesAndNamedCachesAreIsolated() {
            String token = Kit.token();
            SharedCache a = open(Map.of("switchboard.cache.namespace", "tck-a-" + token + ":")).cache();
            SharedCache b = open(Map.of("switchboard.cache.namespace", "tck-b-" + token + ":")).cache();
            SharedCache upper = open(Map.of("switchboard.cache.namespace", "tck-A-" + token + ":")).cache();
            String k = key("shared-name");
            a.put(k, "from a");
            assertNull(b.get(k, String.class), "another namespace does not see the key");
            assertNull(upper.get(k, String.class), "a namespace differing only in case does not see the key");
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

        /**
         * C20: two Switchboards on one namespace see each other's writes and deletes at once: a
         * value written, overwritten, deleted, or counted by one is read that way by the other on
         * its very next call, blocking or asynchronous. If this fails, check that the driver
         * keeps no local copy of values (the near cache is the facade's, and opt-in) and sends
         * every write before completing its stage.
         */
        @Test
        @Tag("C20")
        @DisplayName("C20 two instances on one namespace see each other's writes and deletes at once")
        void instancesShareOneCache() {
            String ns = "tck-shared-" + Kit.token() + ":";
            SharedCache a = open(Map.of("switchboard.cache.namespace", ns)).cache();
            SharedCache b = open(Map.of("switchboard.cache.namespace", ns)).cache();
            String k = key("Shared");
            assertNull(b.get(k, String.class), "absent at first");
            a.put(k, "one");
            assertEquals("one", b.get(k, String.class), "B reads A's write at once");
            b.put(k, "two");
            assertEquals("two", join(a.getAsync(k, String.class)), "A reads B's overwrite at once");
            assertTrue(a.delete(k), "A deletes");
            assertNull(b.get(k, String.class), "B reads A's delete at once");
            assertTrue(b.putIfAbsent(k, "three", Duration.ZERO), "B's putIfAbsent after A's delete writes");
            assertEquals("three", a.get(k, String.class), "A reads B's putIfAbsent at once");
            String counter = key("SharedCounter");
            assertEquals(1, a.increment(counter, 1, 1, Duration.ZERO));
            assertEquals(2, b.increment(counter, 1, 1, Duration.ZERO), "B increments A's counter");
            assertEquals(Map.of(k, "three", counter, "2"), b.getAll(List.of(counter, k), String.class), "B's getAll sees both");
        }
    }

    @Nested
    @DisplayName("Bad input and closing")
    class BadInput {
        /**
         * C12: keys with a space, a control character, or one byte over
         * {@link SharedCache#maxKeyLength()} (what is left of the driver's limit after the
         * namespace and the cache name) are refused with {@link IllegalArgumentException} naming
         * the key; a key of exactly the limit works, in a named cache under a namespace too. If
         * this fails, check the driver's {@code maxKeyLength()} (the facade validates against
         * it).
         */
        @Test
        @Tag("C12")
        @DisplayName("C12 invalid keys are refused, naming the key; a key at the limit works")
        void invalidKeysRefused() {
            SharedCache plain = cache();
            SharedCache named = open(Map.of("switchboard.cache.namespace", "tck-Limit-" + Kit.token(4) + ":")).cache("Sessions");
            assertTrue(named.maxKeyLength() < plain.maxKeyLength(), "the namespace and cache name count against maxKeyLength()");
            for (SharedCache cache : List.of(plain, named)) {
                for (String bad : List.of("has space", "ctl\u0001char", "tab\tkey", "new\nline")) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cache.put(bad, "x"), "key '" + bad + "'");
                    String shown = bad.substring(0, 3);
                    assertTrue(e.getMessage().contains(shown), () -> "message names key '" + bad + "': " + e.getMessage());
                    assertThrows(IllegalArgumentException.class, () -> cache.get(bad, String.class), "get of key '" + bad + "'");
                }
                assertThrows(IllegalArgumentException.class, () -> cache.put("", "x"), "empty key");
                String atLimit = ("tck-" + Kit.token() + "-").concat("k".repeat(cache.maxKeyLength())).substring(0, cache.maxKeyLength());
                cache.put(atLimit, "at the limit");
                assertEquals("at the limit", cache.get(atLimit, String.class), "a key of exactly maxKeyLength() bytes in " + cache.name());
                String tooLong = atLimit + "x";
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cache.put(tooLong, "x"));
                assertTrue(e.getMessage().contains(tooLong.substring(0, 20)), () -> "message names the key: " + e.getMessage());
            }
        }

        /**
         * C13: a value of {@link SharedCache#maxValueSize()} + 1 bytes is refused with
         * {@link PayloadTooLargeException} giving size and limit, and nothing is stored; a value
         * of exactly the limit is stored. If this fails, check the driver's
         * {@code maxValueSize()}: it must be what the server really accepts (memcached counts
         * its item overhead against its limit).
         */
        @Test
        @Tag("C13")
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
        @Tag("C14")
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

    @Nested
    @DisplayName("While the server is down (needs fault hooks)")
    class FaultRules {
        /**
         * C21: while the cache server is held down ({@code stopServer()}), every operation
         * ({@code get}, {@code getAll}, {@code getVersioned}, {@code put}, {@code putIfAbsent},
         * {@code compareAndSet}, {@code delete}, {@code increment}) fails within
         * {@link #timeout()} with a retryable {@link SwitchboardException} (a
         * {@code ConnectionException}), never by returning "absent", an empty map or
         * {@code false}; after {@code startServer()} every operation works again within
         * {@link #timeout()}. Needs {@code stopServer()}/{@code startServer()}. If this fails,
         * check that the driver tells "server down" from "key absent" on every path (bulk reads
         * included) and bounds every operation by its timeout.
         */
        @Test
        @Tag("C21")
        @Tag("faults")
        @DisplayName("C21 while the server is down every operation fails promptly with a retryable error, never 'absent'; then works again")
        void failsClearlyWhileDown() throws Exception {
            requireHook("C21", Faults.Hook.OUTAGE);
            SharedCache cache = cache();
            String k = key("Down");
            cache.put(k, "before", Duration.ZERO);
            long version = cache.getVersioned(k, String.class).version();
            Map<String, Supplier<Object>> ops = new LinkedHashMap<>();
            ops.put("get", () -> cache.get(k, String.class));
            ops.put("getAll", () -> cache.getAll(List.of(k, key("other")), String.class));
            ops.put("getVersioned", () -> cache.getVersioned(k, String.class));
            ops.put("put", () -> {
                cache.put(key("DownPut"), "x");
                return "written";
            });
            ops.put("putIfAbsent", () -> cache.putIfAbsent(key("DownPia"), "x", Duration.ZERO));
            ops.put("compareAndSet", () -> cache.compareAndSet(k, version, "x", Duration.ZERO));
            ops.put("delete", () -> cache.delete(k));
            ops.put("increment", () -> cache.increment(key("DownInc"), 1, 0, Duration.ZERO));
            Faults f = faults();
            f.stopServer();
            try {
                for (Map.Entry<String, Supplier<Object>> op : ops.entrySet()) {
                    Object result;
                    try {
                        result = assertTimeoutPreemptively(timeout(), () -> op.getValue().get(),
                                () -> "C21: " + op.getKey() + " while the server is down must fail within " + timeout());
                    } catch (SwitchboardException e) {
                        assertTrue(e.isRetryable(), () -> "C21: " + op.getKey() + " while the server is down fails with a retryable "
                                + "exception, not " + e);
                        continue;
                    }
                    fail("C21: " + op.getKey() + " while the server is down returned " + result + " instead of failing: a caller must "
                            + "never mistake 'down' for 'absent'");
                }
            } finally {
                f.startServer();
            }
            String after = key("After");
            untilAnswered(() -> {
                cache.put(after, "after the outage");
                return null;
            }, "put after the server is back");
            assertEquals("after the outage", untilAnswered(() -> cache.get(after, String.class), "get after the server is back"));
            assertEquals(1, (long) untilAnswered(() -> cache.increment(key("AfterInc"), 1, 1, Duration.ZERO), "increment"));
        }

        /**
         * C22: after {@code restartServer()} the cache works again by itself, within
         * {@link #timeout()} (retryable failures in between are allowed): writes and reads
         * succeed, and a value written after the restart reads back. Needs
         * {@code restartServer()}. If this fails, check that the driver reconnects (a pool that
         * replaces broken connections, a client that retries connecting) instead of failing
         * for good.
         */
        @Test
        @Tag("C22")
        @Tag("faults")
        @DisplayName("C22 after a server restart the cache works again by itself")
        void worksAfterRestart() throws Exception {
            requireHook("C22", Faults.Hook.RESTART_SERVER);
            SharedCache cache = cache();
            cache.put(key("Before"), "before");
            faults().restartServer();
            String k = key("Restarted");
            untilAnswered(() -> {
                cache.put(k, "after the restart");
                return null;
            }, "put after the restart");
            assertEquals("after the restart", untilAnswered(() -> cache.get(k, String.class), "get after the restart"));
            Set<String> keys = new HashSet<>(untilAnswered(() -> cache.getAll(List.of(k), String.class), "getAll after the restart").keySet());
            assertEquals(Set.of(k), keys, "getAll after the restart");
        }

        /**
         * C23: for a provider spread over several servers, with one of them held down
         * ({@code stopOneServer()}) nothing written before is read as absent: each {@code get}
         * returns the value written or fails within {@link #timeout()} with a retryable
         * {@link SwitchboardException}, and {@code getAll} returns every key's value or fails so,
         * never a map missing the keys of the server that is down; writes either fail retryably or
         * read back. After {@code startOneServer()} every operation works again within
         * {@link #timeout()}. Needs {@code stopOneServer()}/{@code startOneServer()}. If this
         * fails, check that the driver's bulk read fails when one server's part fails instead of
         * merging the parts that answered, and that it does not send a down server's keys to
         * another server unless configured to.
         */
        @Test
        @Tag("C23")
        @Tag("faults")
        @DisplayName("C23 with one of several servers down no written key reads as absent, and getAll is never partial")
        void oneServerDownIsNeverAbsent() throws Exception {
            requireHook("C23", Faults.Hook.ONE_SERVER_OUTAGE);
            SharedCache cache = cache();
            Map<String, String> written = new LinkedHashMap<>();
            for (int i = 0; i < 64; i++) {
                String k = key("Spread" + i);
                cache.put(k, "value " + i, Duration.ZERO);
                written.put(k, "value " + i);
            }
            Faults f = faults();
            f.stopOneServer();
            try {
                for (Map.Entry<String, String> e : written.entrySet()) {
                    String read;
                    try {
                        read = assertTimeoutPreemptively(timeout(), () -> cache.get(e.getKey(), String.class),
                                () -> "C23: get while one server is down must answer or fail within " + timeout());
                    } catch (SwitchboardException ex) {
                        assertTrue(ex.isRetryable(), () -> "C23: get while one server is down fails with a retryable exception, not " + ex);
                        continue;
                    }
                    assertEquals(e.getValue(), read, () -> "C23: get of '" + e.getKey() + "' while one server is down returned "
                            + "something else than the value written: a caller must never mistake 'down' for 'absent'");
                }
                try {
                    Map<String, String> all = assertTimeoutPreemptively(timeout(), () -> cache.getAll(written.keySet(), String.class),
                            () -> "C23: getAll while one server is down must answer or fail within " + timeout());
                    assertEquals(written, all, () -> "C23: getAll while one server is down returned " + all.size() + " of "
                            + written.size() + " keys instead of failing: a partial result reads as 'absent'");
                } catch (SwitchboardException ex) {
                    assertTrue(ex.isRetryable(), () -> "C23: getAll while one server is down fails with a retryable exception, not " + ex);
                }
                String k = key("DuringOne");
                try {
                    assertTimeoutPreemptively(timeout(), () -> cache.put(k, "during", Duration.ZERO),
                            () -> "C23: put while one server is down must answer or fail within " + timeout());
                    assertEquals("during", cache.get(k, String.class), "C23: a put that succeeded while one server is down reads back");
                } catch (SwitchboardException ex) {
                    assertTrue(ex.isRetryable(), () -> "C23: put while one server is down fails with a retryable exception, not " + ex);
                }
            } finally {
                f.startOneServer();
            }
            List<String> after = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                after.add(key("AfterOne" + i));
            }
            for (String k : after) {
                untilAnswered(() -> {
                    cache.put(k, "after");
                    return null;
                }, "put after the server is back");
            }
            Map<String, String> back = untilAnswered(() -> cache.getAll(after, String.class), "getAll after the server is back");
            assertEquals(after.size(), back.size(), "C23: getAll after the server is back reads every key written after it");
        }

        /** Repeats an operation that fails with a retryable error, for up to {@link #timeout()}. */
        private <T> T untilAnswered(Supplier<T> operation, String what) {
            long deadline = System.nanoTime() + timeout().toNanos();
            Map<String, Integer> failures = new ConcurrentHashMap<>();
            while (true) {
                try {
                    return operation.get();
                } catch (SwitchboardException e) {
                    failures.merge(e.getClass().getSimpleName(), 1, Integer::sum);
                    if (!e.isRetryable() || System.nanoTime() - deadline > 0) {
                        throw new AssertionError(what + " did not succeed within " + timeout() + "; failures " + failures, e);
                    }
                    Kit.sleep(50);
                }
            }
        }
    }
}
