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
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The cache-sync contract: extend it, return the settings of a Switchboard with the transport and
 * cache under test from {@link #properties()}, and JUnit 5 checks every rule S1, S2, ... of
 * {@code tck/SYNC-CONTRACT.md}: that a {@link NearCache} stays coherent across instances on that
 * pair. Offer {@link #faults()} to run the gap rule against a private server.
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
 * cache names are random per rule, so a shared server is fine except for the gap rule.
 */
public abstract class CacheSyncContract {
    private final List<Switchboard> opened = new CopyOnWriteArrayList<>();

    /** Settings for a Switchboard on the transport and cache under test; must set switchboard.transport and switchboard.cache. */
    protected abstract Map<String, Object> properties();

    /** The gap hook; default {@link SyncFaults#none()}: the gap rule is an announced skip. */
    protected SyncFaults faults() {
        return SyncFaults.none();
    }

    /** How long the kit waits for an announcement or a recovery before failing (default 15 s). */
    protected Duration syncTimeout() {
        return Duration.ofSeconds(15);
    }

    @AfterEach
    void closeEverythingOpened() {
        opened.forEach(sb -> sb.close(Duration.ofSeconds(5)));
        opened.clear();
    }

    /** Opens one simulated service instance. */
    Switchboard open() {
        Map<String, Object> props = new LinkedHashMap<>(Objects.requireNonNull(properties(), "properties()"));
        if (!props.containsKey("switchboard.transport") || !props.containsKey("switchboard.cache")) {
            throw new IllegalStateException(getClass().getName() + ".properties() must set switchboard.transport and switchboard.cache");
        }
        Switchboard sb = Switchboard.open(props);
        opened.add(sb);
        return sb;
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
            sb.append("abcdefghijklmnopqrstuvwxyz0123456789".charAt(ThreadLocalRandom.current().nextInt(36)));
        }
        return sb.toString();
    }

    void await(BooleanSupplier condition, Supplier<String> message) {
        long deadline = System.nanoTime() + syncTimeout().toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("gave up after " + syncTimeout().toMillis() + " ms: " + message.get());
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted while waiting: " + message.get());
            }
        }
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
         * S4: with {@code Sync.UPDATE} an instance that holds the key takes the new value from the
         * announcement. If this fails, check that the payload crosses the transport unchanged.
         */
        @Test
        @DisplayName("S4 with the UPDATE strategy replaces the other instances' copies")
        void updateReplacesCopies() {
            List<NearCache<String>> fleet = fleet(2, name("s4"), NearCacheOptions.defaults().sync(NearCacheOptions.Sync.UPDATE));
            fleet.get(0).put("k", "v1");
            awaitReceived(fleet.get(1), 1);
            assertEquals("v1", fleet.get(1).get("k"));
            fleet.get(0).put("k", "v2 ✓");
            await(() -> "v2 ✓".equals(fleet.get(1).peek("k")), () -> "instance 2 holds " + fleet.get(1).peek("k"));
        }

        /**
         * S5: a TTL given to a write applies to the shared cache and to every local copy. If this
         * fails, check that the cache honours TTLs (rounding up to whole seconds is allowed).
         */
        @Test
        @DisplayName("S5 with a TTL expires locally and in the shared cache")
        void ttlAppliesEverywhere() {
            List<NearCache<String>> fleet = fleet(2, name("s5"), NearCacheOptions.defaults());
            fleet.get(0).put("k", "short", Duration.ofSeconds(2));
            awaitReceived(fleet.get(1), 1);
            assertEquals("short", fleet.get(1).get("k"));
            await(() -> fleet.get(0).get("k") == null && fleet.get(1).get("k") == null,
                    () -> "still readable after its TTL: " + fleet.get(0).peek("k") + " / " + fleet.get(1).peek("k"));
        }
    }

    @Nested
    @DisplayName("After a connection gap")
    class Gaps {
        /**
         * S6: after the transport's connections are dropped and come back, no instance reads a
         * value older than the shared cache's, even though announcements sent meanwhile were lost.
         * Needs {@link SyncFaults#interrupt()}. If this fails, check that the transport reports
         * LOST and RECOVERED (with a possible gap) around every reconnection.
         */
        @Test
        @DisplayName("S6 no instance reads a stale value once the transport has recovered")
        void noStaleReadAfterRecovery() throws Exception {
            SyncFaults faults = faults();
            Assumptions.assumeTrue(faults.canInterrupt(), "S6 needs the interrupt() hook, which " + faults + " does not offer");
            String name = name("s6");
            Switchboard writerSb = open();
            Switchboard readerSb = open();
            NearCache<String> writer = writerSb.nearCache(name, String.class, NearCacheOptions.defaults());
            NearCache<String> reader = readerSb.nearCache(name, String.class, NearCacheOptions.defaults());
            writer.put("k", "before");
            awaitReceived(reader, 1);
            assertEquals("before", reader.get("k"));
            List<ConnectionEvent> events = new CopyOnWriteArrayList<>();
            readerSb.addConnectionListener(events::add);

            faults.interrupt();
            String written = untilAnswered(() -> {
                writer.put("k", "during-gap");
                return "during-gap";
            }, "the write after the interruption");

            await(() -> events.stream().anyMatch(e -> e.type() == ConnectionEvent.Type.RECOVERED && e.component().equals("transport")),
                    () -> "the reader's transport did not report RECOVERED after the interruption; events: " + events);
            assertEquals(written, untilAnswered(() -> reader.get("k"), "the read after recovery"), "stale read after recovery");
            assertTrue(reader.stats().gapsRecovered() >= 1, "the gap was not counted: " + reader.stats());
        }

        /** Repeats an operation that fails with a retryable error (a pool still holding connections from before the gap). */
        private <T> T untilAnswered(Supplier<T> operation, String what) {
            long deadline = System.nanoTime() + syncTimeout().toNanos();
            while (true) {
                try {
                    return operation.get();
                } catch (SwitchboardException e) {
                    if (!e.isRetryable() || System.nanoTime() - deadline > 0) {
                        fail(what + " did not succeed within " + syncTimeout() + " after the interruption", e);
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
         * S8: closing a near cache unsubscribes from its channel and refuses further use; the
         * shared cache keeps the values. If this fails, check that the transport's subscription
         * close stops deliveries.
         */
        @Test
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
