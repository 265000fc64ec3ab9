package io.switchboard.tck.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.switchboard.ConnectionEvent;
import io.switchboard.NearCache;
import io.switchboard.NearCacheOptions;
import io.switchboard.Switchboard;
import io.switchboard.SwitchboardException;
import io.switchboard.tck.Contract;
import io.switchboard.tck.Faults;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The cache-sync contract: extend it, return the settings of a Switchboard with the transport and
 * cache under test from {@link #properties()}, and JUnit 5 checks every rule S1, S2, ... of
 * {@code tck/SYNC-CONTRACT.md}: that a {@link NearCache} stays coherent across instances on that
 * pair. Offer {@link #faults()} on the transport's private server to run the gap rules.
 *
 * <pre>{@code
 * class RedisCacheSyncIT extends CacheSyncContract {
 *     protected Map<String, Object> properties() {
 *         return Map.of("switchboard.transport", "redis", "switchboard.cache", "redis",
 *                 "switchboard.redis.uri", "redis://127.0.0.1:6379");
 *     }
 * }
 * }</pre>
 *
 * <p>Each rule opens one Switchboard per simulated service instance and closes them afterwards;
 * cache names are random per rule, so a shared server is fine except for the gap rules. Every
 * rule carries its number as a JUnit tag. Not thread-safe: JUnit runs one rule at a time per
 * instance.
 */
public abstract class CacheSyncContract extends Contract {
    /** For subclasses; {@link #properties()} must set {@code switchboard.transport} and {@code switchboard.cache}. */
    protected CacheSyncContract() {
        super("switchboard.transport", "switchboard.cache");
    }

    /** {@code n} instances of one near cache, each on its own Switchboard. */
    List<NearCache<String>> fleet(int n, String name, NearCacheOptions options) {
        List<NearCache<String>> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(open().nearCache(name, String.class, options));
        }
        return list;
    }

    static String name(String what) {
        StringBuilder sb = new StringBuilder("tck-sync-").append(what).append('-');
        for (int i = 0; i < 8; i++) {
            sb.append("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".charAt(ThreadLocalRandom.current().nextInt(62)));
        }
        return sb.toString();
    }

    void awaitReceived(NearCache<?> n, long count) {
        await(() -> n.stats().invalidationsReceived() >= count,
                () -> n + " received " + n.stats().invalidationsReceived() + " of " + count + " announcements");
    }

    @Nested
    @DisplayName("A write")
    class Writes {
        /**
         * S1: a write on one instance makes every other instance read the new value. If this
         * fails, check that the transport delivers to every subscriber of the near cache's channel
         * and keeps the nearcache-* headers.
         */
        @Test
        @Tag("S1")
        @DisplayName("S1 reaches every other instance")
        void invalidationReachesEveryInstance() {
            List<NearCache<String>> fleet = fleet(3, name("s1"), NearCacheOptions.defaults());
            fleet.get(0).put("k", "v1");
            awaitReceived(fleet.get(1), 1);
            awaitReceived(fleet.get(2), 1);
            fleet.forEach(n -> assertEquals("v1", n.get("k")));
            fleet.get(2).put("k", "v2");
            for (NearCache<String> n : fleet) {
                await(() -> "v2".equals(n.get("k")), () -> n + " still holds " + n.peek("k"));
            }
        }

        /**
         * S2: the writer reads its own write at once and ignores its own announcement. If this
         * fails, check that the transport keeps header values unchanged.
         */
        @Test
        @Tag("S2")
        @DisplayName("S2 is read back at once by its writer, which ignores its own announcement")
        void readYourWrites() {
            List<NearCache<String>> fleet = fleet(2, name("s2"), NearCacheOptions.defaults());
            for (int i = 0; i < 20; i++) {
                fleet.get(0).put("k", "v" + i);
                assertEquals("v" + i, fleet.get(0).get("k"));
            }
            awaitReceived(fleet.get(1), 20);
            fleet.get(1).put("other", "x");
            awaitReceived(fleet.get(0), 1);
            assertEquals(1, fleet.get(0).stats().invalidationsReceived(), "the writer applied its own announcements");
        }

        /**
         * S3: writers on different instances writing one key at once end with every instance
         * reading the shared cache's final value, in both sync strategies. If this fails, check
         * that the transport delivers a channel's messages from one publisher in order.
         */
        @Test
        @Tag("S3")
        @DisplayName("S3 from concurrent writers on several instances converges to the shared cache's value")
        void concurrentWritersConverge() throws Exception {
            for (NearCacheOptions.Sync sync : NearCacheOptions.Sync.values()) {
                String name = name("s3");
                List<NearCache<String>> fleet = fleet(3, name, NearCacheOptions.defaults().sync(sync));
                fleet.forEach(n -> n.get("k"));
                CountDownLatch start = new CountDownLatch(1);
                List<CompletableFuture<Void>> writers = new ArrayList<>();
                for (int w = 0; w < 3; w++) {
                    NearCache<String> n = fleet.get(w);
                    int writer = w;
                    writers.add(CompletableFuture.runAsync(() -> {
                        try {
                            start.await();
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                        for (int i = 0; i < 20; i++) {
                            n.put("k", "w" + writer + "-" + i);
                            n.get("k");
                        }
                    }));
                }
                start.countDown();
                CompletableFuture.allOf(writers.toArray(new CompletableFuture[0])).get();
                Switchboard observer = open();
                for (NearCache<String> n : fleet) {
                    await(() -> Objects.equals(observer.cache(name).get("k", String.class), n.get("k")),
                            () -> sync + ": " + n + " holds " + n.peek("k") + ", the shared cache " + observer.cache(name).get("k", String.class));
                }
            }
        }

        /**
         * S4: with {@code Sync.UPDATE} an instance holding the key takes the new value from the
         * announcement, non-ASCII text and values of several KiB included. If this fails, check
         * that the payload crosses the transport unchanged.
         */
        @Test
        @Tag("S4")
        @DisplayName("S4 with the UPDATE strategy replaces the other instances' copies")
        void updateReplacesCopies() {
            List<NearCache<String>> fleet = fleet(2, name("s4"), NearCacheOptions.defaults().sync(NearCacheOptions.Sync.UPDATE));
            fleet.get(0).put("k", "v1");
            awaitReceived(fleet.get(1), 1);
            assertEquals("v1", fleet.get(1).get("k"));
            fleet.get(0).put("k", "v2 ✓");
            await(() -> "v2 ✓".equals(fleet.get(1).peek("k")), () -> "instance 2 holds " + fleet.get(1).peek("k"));
            String big = "grüße ✓ ".repeat(1_000);
            fleet.get(0).put("k", big);
            await(() -> big.equals(fleet.get(1).peek("k")), () -> "instance 2 holds a value of " + String.valueOf(fleet.get(1).peek("k")).length()
                    + " characters, not the " + big.length() + " written");
        }

        /**
         * S5: a TTL given to a write applies to the shared cache and to every local copy. If this
         * fails, check that the cache honours TTLs (rounding up to whole seconds is allowed).
         */
        @Test
        @Tag("S5")
        @DisplayName("S5 with a TTL expires locally and in the shared cache")
        void ttlAppliesEverywhere() {
            List<NearCache<String>> fleet = fleet(2, name("s5"), NearCacheOptions.defaults());
            fleet.get(0).put("k", "short", java.time.Duration.ofSeconds(2));
            awaitReceived(fleet.get(1), 1);
            assertEquals("short", fleet.get(1).get("k"));
            await(() -> fleet.get(0).get("k") == null && fleet.get(1).get("k") == null,
                    () -> "still readable after its TTL: " + fleet.get(0).peek("k") + " / " + fleet.get(1).peek("k"));
        }

        /**
         * S9: keys are exact across instances: keys in mixed case, keys differing only in case or
         * in their last character, and keys as long as the shared cache allows (whose
         * announcements carry them in a header), each written on one instance, are read with
         * their own new value by the others. If this fails, check that the transport keeps
         * header values whole and case-sensitive (a key cut short or folded invalidates the wrong
         * entry, and the right one stays stale).
         */
        @Test
        @Tag("S9")
        @DisplayName("S9 keys differing only in case or in their last character, up to the key limit, stay coherent")
        void keysStayDistinct() {
            String name = name("s9");
            List<NearCache<String>> fleet = fleet(3, name, NearCacheOptions.defaults());
            int max = open().cache(name).maxKeyLength();
            String longKey = "Key-".concat("LongKey".repeat(max)).substring(0, max - 1);
            List<String> keys = List.of("Key", "key", "KEY", "key1", "key2", longKey + "a", longKey + "b", longKey + "A");
            for (String k : keys) {
                fleet.get(0).put(k, "old " + k);
            }
            for (NearCache<String> n : fleet.subList(1, 3)) {
                for (String k : keys) {
                    await(() -> ("old " + k).equals(n.get(k)), () -> n + " reads " + n.peek(k) + " for key " + k);
                }
            }
            Map<String, String> fresh = new LinkedHashMap<>();
            for (String k : keys) {
                fresh.put(k, "new " + k.getBytes(StandardCharsets.UTF_8).length + " " + k);
                fleet.get(0).put(k, fresh.get(k));
            }
            for (NearCache<String> n : fleet.subList(1, 3)) {
                for (String k : keys) {
                    await(() -> fresh.get(k).equals(n.get(k)), () -> n + " still reads '" + n.peek(k) + "' for the "
                            + k.length() + "-character key ending '" + k.substring(k.length() - 1) + "'");
                }
            }
        }
    }

    @Nested
    @DisplayName("After a connection gap (needs fault hooks)")
    class Gaps {
        /**
         * S6: after every client connection of the transport's server is cut and comes back
         * ({@code cutConnections()}), the transport reports {@code RECOVERED} for the reader, and
         * no instance reads a value older than the shared cache's, although announcements sent
         * meanwhile were lost; a write after that reaches the reader again. Needs
         * {@code cutConnections()}. If this fails, check that the transport reports LOST and
         * RECOVERED with {@code possibleGap=true} around every reconnection, and reports
         * RECOVERED only once its subscriptions are re-established.
         */
        @Test
        @Tag("S6")
        @Tag("faults")
        @DisplayName("S6 no instance reads a stale value once the transport has recovered from cut connections")
        void noStaleReadAfterCut() throws Exception {
            requireHook("S6", Faults.Hook.CUT_CONNECTIONS);
            noStaleReadAfter("S6", w -> faults().cutConnections(), "cutConnections()");
        }

        /**
         * S10: as S6, after the transport's server restarts ({@code restartServer()}; when the
         * cache lives on the same server it may come back empty). Needs {@code restartServer()}.
         * If this fails, check as for S6, and that the cache reconnects too.
         */
        @Test
        @Tag("S10")
        @Tag("faults")
        @DisplayName("S10 no instance reads a stale value once the transport has recovered from a server restart")
        void noStaleReadAfterRestart() throws Exception {
            requireHook("S10", Faults.Hook.RESTART_SERVER);
            noStaleReadAfter("S10", w -> faults().restartServer(), "restartServer()");
        }

        /**
         * S11: while the transport's server is held down ({@code stopServer()}), a write on one
         * instance either succeeds in the shared cache or fails with a retryable error; once the
         * server is back ({@code startServer()}) and the reader's transport has reported
         * {@code RECOVERED}, no instance reads a value older than the shared cache's. Needs
         * {@code stopServer()}/{@code startServer()}. If this fails, check that the transport
         * reports {@code LOST} while down and {@code RECOVERED} with {@code possibleGap=true}
         * after, even when announcements were published into the outage and failed.
         */
        @Test
        @Tag("S11")
        @Tag("faults")
        @DisplayName("S11 no instance reads a stale value after an outage of the transport's server, with writes during it")
        void noStaleReadAfterOutage() throws Exception {
            requireHook("S11", Faults.Hook.OUTAGE);
            Faults f = faults();
            noStaleReadAfter("S11", writer -> {
                f.stopServer();
                try {
                    try {
                        writer.put("k", "written-while-down");
                    } catch (SwitchboardException e) {
                        assertTrue(e.isRetryable(), () -> "S11: a write while the server is down fails with a retryable error, not " + e);
                    }
                } finally {
                    f.startServer();
                }
            }, "stopServer()/startServer()");
        }

        private void noStaleReadAfter(String rule, Fault fault, String what) throws Exception {
            String name = name(rule.toLowerCase(java.util.Locale.ROOT));
            Switchboard writerSb = open();
            Switchboard readerSb = open();
            NearCache<String> writer = writerSb.nearCache(name, String.class, NearCacheOptions.defaults());
            NearCache<String> reader = readerSb.nearCache(name, String.class, NearCacheOptions.defaults());
            writer.put("k", "before");
            awaitReceived(reader, 1);
            assertEquals("before", reader.get("k"));
            List<ConnectionEvent> events = new CopyOnWriteArrayList<>();
            readerSb.addConnectionListener(events::add);

            fault.apply(writer);
            String written = untilAnswered(() -> {
                writer.put("k", "after-" + what);
                return "after-" + what;
            }, rule + ": the write after " + what);

            await(() -> events.stream().anyMatch(e -> e.type() == ConnectionEvent.Type.RECOVERED && e.component().equals("transport")),
                    () -> rule + ": the reader's transport did not report RECOVERED after " + what + "; events: " + events);
            assertEquals(written, untilAnswered(() -> reader.get("k"), rule + ": the read after recovery"), rule + ": stale read after recovery");
            assertTrue(reader.stats().gapsRecovered() >= 1, () -> rule + ": the gap was not counted: " + reader.stats());
            untilAnswered(() -> {
                writer.put("k", "later");
                return null;
            }, rule + ": a write after recovery");
            await(() -> "later".equals(reader.get("k")), () -> rule + ": a write after RECOVERED does not reach the reader, which still "
                    + "reads '" + reader.peek("k") + "': the transport must have re-subscribed before reporting RECOVERED");
        }

        /** A fault applied while the writer may write. */
        private interface Fault {
            void apply(NearCache<String> writer) throws Exception;
        }

        /** Repeats an operation that fails with a retryable error (a pool still holding connections from before the gap). */
        private <T> T untilAnswered(Supplier<T> operation, String what) {
            long deadline = System.nanoTime() + timeout().toNanos();
            while (true) {
                try {
                    return operation.get();
                } catch (SwitchboardException e) {
                    if (!e.isRetryable() || System.nanoTime() - deadline > 0) {
                        fail(what + " did not succeed within " + timeout() + " after the fault", e);
                    }
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        fail("interrupted");
                    }
                }
            }
        }
    }

    @Nested
    @DisplayName("Locally")
    class Local {
        /**
         * S7: an instance never holds more entries than its bound. If this fails, the near cache
         * itself is broken; report it.
         */
        @Test
        @Tag("S7")
        @DisplayName("S7 an instance holds at most maxEntries entries")
        void boundedLocalSize() {
            NearCache<String> n = open().nearCache(name("s7"), String.class, NearCacheOptions.defaults().maxEntries(5));
            for (int i = 0; i < 30; i++) {
                n.put("k" + i, "v" + i);
                assertEquals("v" + i, n.get("k" + i));
                assertTrue(n.localSize() <= 5, "local size " + n.localSize());
            }
        }

        /**
         * S8: closing a near cache unsubscribes from its channel (one subscription fewer in
         * {@code health()}) and refuses further use; the shared cache keeps the values. If this
         * fails, check that the transport's subscription close stops deliveries.
         */
        @Test
        @Tag("S8")
        @DisplayName("S8 close unsubscribes and refuses further use")
        void closeUnsubscribes() {
            Switchboard sb = open();
            int before = openSubscriptions(sb);
            String name = name("s8");
            NearCache<String> n = sb.nearCache(name, String.class, NearCacheOptions.defaults());
            assertEquals(before + 1, openSubscriptions(sb));
            n.put("k", "kept");
            n.close();
            assertEquals(before, openSubscriptions(sb), "close() left the subscription open");
            assertThrows(IllegalStateException.class, () -> n.get("k"));
            assertEquals("kept", sb.cache(name).get("k", String.class));
            assertNull(sb.cache(name).get("absent", String.class));
        }

        private int openSubscriptions(Switchboard sb) {
            return ((Number) sb.health().components().get("subscriptions").details().get("open")).intValue();
        }
    }
}
