package io.switchboard.tck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.SharedCache;
import io.switchboard.Versioned;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The session-store contract: what an Express-style session store needs of a cache (sliding
 * expiry with {@code touch}, and {@code delete}). Extend it as {@link CacheContract}, returning
 * settings that name the cache under test from {@link #properties()}, and JUnit 5 runs every rule
 * E1, E2, ... of {@code tck/CONTRACT.md}.
 *
 * <pre>{@code
 * class RedisSessionCacheContractIT extends SessionCacheContract {
 *     protected Map<String, Object> properties() {
 *         return Map.of("switchboard.transport", "memory", "switchboard.cache", "redis",
 *                 "switchboard.redis.uri", "redis://127.0.0.1:6379");
 *     }
 * }
 * }</pre>
 *
 * <p>Keys are random per rule, so a shared server is fine. The rules wait for expiry, so each
 * takes a few seconds (servers may count in whole seconds). Every rule carries its number as a
 * JUnit tag. Not thread-safe: JUnit runs one rule at a time per instance.
 */
public abstract class SessionCacheContract extends Contract {
    /** For subclasses; {@link #properties()} must set {@code switchboard.cache} (and a transport, for example {@code memory}). */
    protected SessionCacheContract() {
        super("switchboard.cache");
    }

    SharedCache cache() {
        return open().cache();
    }

    static String key(String what) {
        return "tck:sess-" + what + ":" + Kit.token();
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

    /** Waits until {@code key} reads as absent, at most {@code seconds}. */
    private void awaitGone(SharedCache cache, String key, int seconds, String what) {
        Kit.await(Duration.ofSeconds(seconds), () -> cache.get(key, String.class) == null, () -> what + ": still readable after "
                + seconds + " s");
    }

    @Nested
    @DisplayName("Sliding expiry")
    class Touch {
        /**
         * E1: touching a key again and again keeps it alive past its first TTL, each touch
         * returning {@code true}; once the touches stop it expires within a few seconds. A touch
         * also shortens: a key without expiry touched with 1 s expires. If this fails, check that
         * the driver's touch sets the TTL anew from now (Redis {@code PEXPIRE}, memcached
         * {@code touch}), rather than doing nothing or adding to the old TTL.
         */
        @Test
        @Tag("E1")
        @DisplayName("E1 touch extends a key's life from now; it expires once the touches stop")
        void touchExtendsLife() {
            SharedCache cache = cache();
            String k = key("slide");
            Duration ttl = Duration.ofSeconds(2);
            cache.put(k, "session", ttl);
            long start = System.nanoTime();
            // Twice the first TTL, touching every 500 ms: only the touches keep it alive.
            while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(4)) {
                assertTrue(cache.touch(k, ttl), "touch of a live key returns true");
                assertEquals("session", cache.get(k, String.class), () -> "touched every 500 ms with a 2 s TTL, yet gone after "
                        + (System.nanoTime() - start) / 1_000_000 + " ms");
                Kit.sleep(500);
            }
            awaitGone(cache, k, 6, "a key no longer touched (TTL 2 s)");
            String forever = key("shorten");
            cache.put(forever, "kept", Duration.ZERO);
            assertTrue(join(cache.touchAsync(forever, Duration.ofSeconds(1))), "touchAsync of a key without expiry");
            awaitGone(cache, forever, 5, "a key without expiry touched with a 1 s TTL");
        }

        /**
         * E2: touching a key that was never written, or was deleted, returns {@code false} and
         * creates nothing: the key still reads as absent and {@code putIfAbsent} then writes. If
         * this fails, check that the driver maps the server's not-found reply to {@code false} (not
         * an error, not {@code true}) and does not write the key to touch it.
         */
        @Test
        @Tag("E2")
        @DisplayName("E2 touch of a missing key returns false and creates nothing")
        void touchOfMissingKey() {
            SharedCache cache = cache();
            String never = key("never");
            assertFalse(cache.touch(never, Duration.ofSeconds(30)), "touch of a key never written");
            assertFalse(join(cache.touchAsync(never, Duration.ZERO)), "touchAsync with Duration.ZERO of a key never written");
            assertNull(cache.get(never, byte[].class), "touch created the key");
            assertNull(cache.getVersioned(never, String.class), "touch created the key (getVersioned)");
            assertTrue(cache.putIfAbsent(never, "first", Duration.ofSeconds(30)), "putIfAbsent after touching a missing key writes");
            String deleted = key("deleted");
            cache.put(deleted, "x", Duration.ofSeconds(30));
            assertTrue(cache.delete(deleted));
            assertFalse(cache.touch(deleted, Duration.ofSeconds(30)), "touch of a deleted key");
            assertEquals(Map.of(), cache.getAll(List.of(never + "-other", deleted), String.class), "touch created a deleted key");
        }

        /**
         * E3: a touch changes neither the value nor its version: {@code byte[]} (all 256 byte
         * values), {@link String} and JSON values read back the same, a version read before the
         * touch is still current, so {@code compareAndSet} with it succeeds. If this fails, check
         * that the driver's touch does not rewrite the value (a get and a put would change the
         * version, lose the format and race with other writers) and, where the version is kept
         * beside the value, that it keeps that too.
         */
        @Test
        @Tag("E3")
        @DisplayName("E3 touch changes neither the value nor its version")
        void touchKeepsValueAndVersion() {
            SharedCache cache = cache();
            byte[] all = Kit.allByteValues();
            String kb = key("bytes");
            cache.put(kb, all, Duration.ofSeconds(30));
            String ks = key("text");
            cache.put(ks, "grüße ✓", Duration.ofSeconds(30));
            String kj = key("json");
            Map<String, Object> json = Map.of("user", "ada", "visits", 3);
            cache.put(kj, json, Duration.ofSeconds(30));
            Versioned<String> before = cache.getVersioned(ks, String.class);
            assertNotNull(before);
            for (String k : List.of(kb, ks, kj)) {
                assertTrue(cache.touch(k, Duration.ofSeconds(60)), () -> "touch of " + k);
            }
            assertArrayEquals(all, cache.get(kb, byte[].class), "bytes after touch");
            assertEquals("grüße ✓", cache.get(ks, String.class), "text after touch");
            assertEquals(json, cache.get(kj, Map.class), "JSON after touch");
            Versioned<String> after = cache.getVersioned(ks, String.class);
            assertEquals(before.version(), after.version(), "the version after a touch");
            assertTrue(cache.compareAndSet(ks, before.version(), "replaced", Duration.ofSeconds(30)),
                    "compareAndSet with the version read before the touch");
            assertEquals("replaced", cache.get(ks, String.class));
            Versioned<String> replaced = cache.getVersioned(ks, String.class);
            assertTrue(cache.touch(ks, Duration.ZERO), "touch with Duration.ZERO");
            assertEquals(replaced.version(), cache.getVersioned(ks, String.class).version(), "the version after a touch with Duration.ZERO");
        }

        /**
         * E4: a touch honours every TTL as a write does: with 400 ms the key is readable at once
         * and gone within a few seconds; with 31 days, and with {@link Duration#ZERO} (no expiry),
         * a key first written with a 1 s TTL is still there after a sibling with 1 s has expired.
         * If this fails, check the driver's TTL conversion on the touch path: round up (never send
         * a sub-second TTL as 0, which Redis refuses or deletes on and memcached reads as no
         * expiry), convert over 30 days for memcached, and remove the expiry for ZERO.
         */
        @Test
        @Tag("E4")
        @DisplayName("E4 touch honours sub-second TTLs, TTLs over 30 days and Duration.ZERO")
        void touchHonoursEveryTtl() {
            SharedCache cache = cache();
            String sub = key("sub");
            cache.put(sub, "short", Duration.ofMinutes(5));
            assertTrue(cache.touch(sub, Duration.ofMillis(400)), "touch with 400 ms");
            String month = key("month");
            cache.put(month, "long", Duration.ofSeconds(1));
            assertTrue(cache.touch(month, Duration.ofDays(31)), "touch with 31 days");
            String never = key("zero");
            cache.put(never, "forever", Duration.ofSeconds(1));
            assertTrue(cache.touch(never, Duration.ZERO), "touch with Duration.ZERO");
            String sibling = key("sibling");
            cache.put(sibling, "one second", Duration.ofSeconds(1));
            awaitGone(cache, sub, 6, "a key touched with a 400 ms TTL");
            awaitGone(cache, sibling, 6, "the sibling written with a 1 s TTL");
            assertEquals("long", cache.get(month, String.class), "a key touched with 31 days expired early (memcached reads a relative "
                    + "expiry over 30 days as an absolute Unix time)");
            assertEquals("forever", cache.get(never, String.class), "a key touched with Duration.ZERO expired");
        }

        /**
         * E5: once a key has expired a touch returns {@code false} and does not bring it back.
         * If this fails, check that the driver asks the server (which knows the key expired)
         * rather than a local record of keys it wrote.
         */
        @Test
        @Tag("E5")
        @DisplayName("E5 touch of an expired key returns false and does not revive it")
        void touchOfExpiredKey() {
            SharedCache cache = cache();
            String k = key("expired");
            cache.put(k, "old", Duration.ofSeconds(1));
            awaitGone(cache, k, 6, "a key written with a 1 s TTL");
            assertFalse(cache.touch(k, Duration.ofSeconds(60)), "touch of an expired key");
            assertNull(cache.get(k, String.class), "touch revived an expired key");
        }
    }

    @Nested
    @DisplayName("Ending a session")
    class Destroy {
        /**
         * E6: {@code delete} (a session store's {@code destroy}) removes a touched key at once,
         * returns {@code true} then {@code false}, and a touch after it returns {@code false};
         * the asynchronous forms agree. If this fails, check that delete and touch address the
         * same server key, and that delete also removes anything stored beside the value.
         */
        @Test
        @Tag("E6")
        @DisplayName("E6 delete removes a touched key; a touch after it returns false")
        void deleteEndsSession() {
            SharedCache cache = cache();
            String k = key("destroy");
            cache.put(k, "session", Duration.ofSeconds(30));
            assertTrue(cache.touch(k, Duration.ofSeconds(60)));
            assertTrue(cache.delete(k), "delete of a touched key");
            assertNull(cache.get(k, String.class), "value after delete");
            assertNull(cache.getVersioned(k, String.class), "versioned value after delete");
            assertFalse(cache.delete(k), "second delete");
            assertFalse(cache.touch(k, Duration.ofSeconds(60)), "touch after delete");
            String a = key("destroy-async");
            join(cache.putAsync(a, "session", Duration.ofSeconds(30)));
            assertTrue(join(cache.touchAsync(a, Duration.ofSeconds(60))), "touchAsync");
            assertTrue(join(cache.deleteAsync(a)), "deleteAsync of a touched key");
            assertFalse(join(cache.touchAsync(a, Duration.ofSeconds(60))), "touchAsync after deleteAsync");
            assertTrue(cache.putIfAbsent(a, "new session", Duration.ofSeconds(30)), "a deleted key can be created again");
        }
    }
}
