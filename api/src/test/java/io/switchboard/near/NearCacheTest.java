package io.switchboard.near;

import static io.switchboard.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.Health;
import io.switchboard.NearCache;
import io.switchboard.NearCacheOptions;
import io.switchboard.Switchboard;
import io.switchboard.near.GatedCacheProvider.GatedDriver;
import io.switchboard.near.LossyTransportProvider.LossyTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NearCacheTest {
    private static final NearCacheOptions DEFAULTS = NearCacheOptions.defaults();
    private final NearFixture fx = NearFixture.lossy();

    @AfterEach
    void closeAll() {
        fx.close();
    }

    @Test
    void reportsItsCountersInTheSwitchboardsHealthUntilClosed() {
        Switchboard sb = fx.open();
        NearCache<String> near = fx.near(sb, String.class, DEFAULTS);
        near.put("k", "v");
        near.get("k");
        String component = "near-cache:" + near.name();
        Health h = sb.health().components().get(component);
        assertEquals(Health.Status.UP, h.status(), sb.health().toString());
        assertEquals(1L, h.details().get("hits"));
        assertEquals(1L, h.details().get("invalidationsSent"));
        near.close();
        assertNull(sb.health().components().get(component), "a closed near cache leaves the health report");
    }

    @Test
    void refusesKeysWithUnpairedSurrogatesOnEveryOperation() {
        NearCache<String> near = fx.near(fx.open(), String.class, DEFAULTS);
        for (String key : List.of("\uD800", "k\uDC00")) {
            assertThrows(IllegalArgumentException.class, () -> near.put(key, "v"), key);
            assertThrows(IllegalArgumentException.class, () -> near.get(key));
            assertThrows(IllegalArgumentException.class, () -> near.peek(key));
            assertThrows(IllegalArgumentException.class, () -> near.remove(key));
            assertThrows(IllegalArgumentException.class, () -> near.getOrLoad(key, () -> "v"));
        }
        assertEquals(0, near.stats().invalidationsSent(), "nothing announced");
    }

    @Test
    void aTypeRefGivesLocalCopiesTheirFullGenericType() {
        io.switchboard.TypeRef<List<Long>> longs = new io.switchboard.TypeRef<>() {
        };
        Switchboard writer = fx.open();
        Switchboard reader = fx.open();
        NearCache<List<Long>> a = writer.nearCache("typed", longs, NearCacheOptions.defaults().sync(NearCacheOptions.Sync.UPDATE));
        NearCache<List<Long>> b = reader.nearCache("typed", longs, NearCacheOptions.defaults().sync(NearCacheOptions.Sync.UPDATE));
        a.put("k", List.of(1L, 2L));
        // Read after the announcement: a read racing it is rightly not kept (docs/near-cache.md).
        awaitReceived(b, 1);
        assertEquals(Long.valueOf(2), b.get("k").get(1));
        a.put("k", List.of(3L));
        await(() -> List.of(3L).equals(b.peek("k")), "the update announcement decodes to List<Long>: " + b.peek("k"));
        assertEquals(Long.class, b.peek("k").get(0).getClass());
        a.close();
        b.close();
    }

    @Test
    void servesRepeatedReadsFromLocalMemory() {
        NearCache<String> a = fx.near(fx.open(), String.class, DEFAULTS);
        a.put("k", "v1");
        NearCache<String> b = fx.near(fx.open(), String.class, DEFAULTS);
        assertEquals("v1", b.get("k"));
        assertEquals("v1", b.get("k"));
        assertEquals("v1", b.get("k"));
        assertEquals(1, b.stats().misses());
        assertEquals(2, b.stats().hits());
        assertNull(b.get("absent"));
        assertEquals(1, b.localSize(), "absent keys are not remembered");
    }

    @Test
    void writeOnOneInstanceEvictsEveryOtherCopy() {
        List<NearCache<String>> fleet = fx.instances(3, String.class, DEFAULTS);
        fleet.get(0).put("k", "v1");
        awaitReceived(fleet.get(1), 1);
        awaitReceived(fleet.get(2), 1);
        fleet.forEach(n -> assertEquals("v1", n.get("k")));
        fleet.get(1).put("k", "v2");
        for (NearCache<String> n : fleet) {
            await(() -> "v2".equals(n.get("k")), n + " still reads " + n.peek("k"));
        }
        awaitReceived(fleet.get(0), 1);
        awaitReceived(fleet.get(2), 2);
        assertEquals(1, fleet.get(1).stats().invalidationsReceived(), "the writer ignores its own announcement");
        assertEquals(1, fleet.get(0).stats().invalidationsReceived(), "the writer ignores its own announcement");
        assertEquals(1, fleet.get(1).stats().invalidationsSent());
    }

    @Test
    void updateStrategyReplacesCopiesWithoutAMiss() {
        NearCacheOptions update = DEFAULTS.sync(NearCacheOptions.Sync.UPDATE);
        List<NearCache<Map>> fleet = fx.instances(2, Map.class, update);
        fleet.get(0).put("k", Map.of("price", 1));
        awaitReceived(fleet.get(1), 1);
        assertEquals(Map.of("price", 1), fleet.get(1).get("k"));
        fleet.get(0).put("k", Map.of("price", 2));
        await(() -> Map.of("price", 2).equals(fleet.get(1).peek("k")), "update did not reach instance 2: " + fleet.get(1).peek("k"));
        assertEquals(1, fleet.get(1).stats().misses(), "the new value arrived in the announcement");
    }

    @Test
    void readsItsOwnWritesAtOnce() {
        NearCache<String> a = fx.near(fx.open(), String.class, DEFAULTS);
        for (int i = 0; i < 100; i++) {
            a.put("k", "v" + i);
            assertEquals("v" + i, a.get("k"));
        }
        assertEquals(0, a.stats().misses());
    }

    @Test
    void removeEvictsEveryCopy() {
        List<NearCache<String>> fleet = fx.instances(2, String.class, DEFAULTS);
        fleet.get(0).put("k", "v");
        assertEquals("v", fleet.get(1).get("k"));
        assertTrue(fleet.get(0).remove("k"));
        await(() -> fleet.get(1).get("k") == null, "instance 2 still holds the deleted key");
        assertFalse(fleet.get(0).remove("k"));
    }

    @Test
    void concurrentWritersOnDifferentInstancesConvergeToTheSharedValue() throws Exception {
        for (NearCacheOptions.Sync sync : NearCacheOptions.Sync.values()) {
            List<NearCache<String>> fleet = fx.instances(3, String.class, DEFAULTS.sync(sync).channel("near.converge." + sync.name().toLowerCase()));
            fleet.forEach(n -> n.get("k"));
            CountDownLatch start = new CountDownLatch(1);
            List<CompletableFuture<Void>> writers = new ArrayList<>();
            for (int w = 0; w < 6; w++) {
                NearCache<String> n = fleet.get(w % 3);
                int writer = w;
                writers.add(CompletableFuture.runAsync(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    for (int i = 0; i < 50; i++) {
                        n.put("k", "w" + writer + "-" + i);
                        n.get("k");
                    }
                }));
            }
            start.countDown();
            CompletableFuture.allOf(writers.toArray(new CompletableFuture[0])).get();
            Switchboard any = fx.open();
            for (NearCache<String> n : fleet) {
                await(() -> any.cache(fx.cacheName()).get("k", String.class).equals(n.get("k")),
                        sync + ": " + n + " holds " + n.peek("k") + " but the shared cache holds " + any.cache(fx.cacheName()).get("k", String.class));
            }
        }
    }

    @Test
    void readRacingAnInvalidationDoesNotInstallTheOldValue() throws Exception {
        try (NearFixture gated = NearFixture.gated()) {
            Switchboard sbA = gated.open();
            Switchboard sbB = gated.open();
            NearCache<String> a = gated.near(sbA, String.class, DEFAULTS);
            NearCache<String> b = gated.near(sbB, String.class, DEFAULTS);
            a.put("race", "old");
            awaitReceived(b, 1);
            GatedDriver driver = sbB.cache(gated.cacheName()).unwrap(GatedDriver.class);
            driver.gateNextRead("race");
            CompletableFuture<String> slowRead = CompletableFuture.supplyAsync(() -> b.get("race"));
            driver.awaitGatedRead();
            a.put("race", "new");
            await(() -> b.stats().invalidationsReceived() == 2, "instance B did not receive the invalidation");
            driver.open();
            assertEquals("old", slowRead.get(), "the read began before the write and may return the old value");
            assertNull(b.peek("race"), "but it must not keep it after the invalidation");
            assertEquals(1, b.stats().staleLoadsDiscarded());
            assertEquals("new", b.get("race"));
        }
    }

    @Test
    void lostConnectionDropsLocalCopiesAndNoStaleReadFollowsRecovery() {
        Switchboard sbA = fx.open();
        Switchboard sbB = fx.open();
        NearCache<String> a = fx.near(sbA, String.class, DEFAULTS);
        NearCache<String> b = fx.near(sbB, String.class, DEFAULTS);
        a.put("k", "v1");
        awaitReceived(b, 1);
        assertEquals("v1", b.get("k"));
        LossyTransport bLink = NearFixture.lossy(sbB);
        bLink.disconnect();
        await(() -> b.localSize() == 0, "local copies were not dropped on LOST");
        a.put("k", "v2");
        assertEquals("v2", b.get("k"), "while disconnected reads go to the shared cache");
        assertEquals(0, b.localSize(), "and are not kept, since invalidations cannot arrive");
        a.put("k", "v3");
        bLink.reconnect();
        await(() -> b.stats().gapsRecovered() == 1, "RECOVERED was not handled");
        assertEquals("v3", b.get("k"));
        assertEquals("v3", b.get("k"));
        assertEquals(1, b.localSize(), "after recovery copies are kept again");
    }

    @Test
    void recoveryWithPossibleGapDropsCopiesEvenWithoutALostEvent() {
        Switchboard sbB = fx.open();
        NearCache<String> a = fx.near(fx.open(), String.class, DEFAULTS);
        NearCache<String> b = fx.near(sbB, String.class, DEFAULTS);
        a.put("k", "v1");
        awaitReceived(b, 1);
        assertEquals("v1", b.get("k"));
        NearFixture.lossy(sbB).dropSilently(1);
        a.put("k", "v2");
        NearFixture.lossy(sbB).reportGap();
        await(() -> "v2".equals(b.get("k")), "stale after a reported gap: " + b.peek("k"));
    }

    @Test
    void missingAnnouncementFoundBySequenceNumberDropsCopies() {
        Switchboard sbB = fx.open();
        NearCache<String> a = fx.near(fx.open(), String.class, DEFAULTS);
        NearCache<String> b = fx.near(sbB, String.class, DEFAULTS);
        a.put("k1", "v1");
        a.put("k2", "v1");
        assertEquals("v1", b.get("k1"));
        assertEquals("v1", b.get("k2"));
        await(() -> b.stats().invalidationsReceived() == 2, "announcements of the first writes");
        NearFixture.lossy(sbB).dropSilently(1);
        a.put("k1", "v2");
        a.put("k3", "v1");
        await(() -> b.stats().sequenceGaps() == 1, "the missing announcement was not noticed");
        assertNull(b.peek("k1"));
        assertNull(b.peek("k2"), "every copy is dropped: the lost announcement could have been about any key");
        assertEquals("v2", b.get("k1"));
    }

    @Test
    void failedAnnouncementMakesEveryInstanceDropCopiesOnceTheWriterReconnects() {
        Switchboard sbA = fx.open();
        NearCache<String> a = fx.near(sbA, String.class, DEFAULTS);
        NearCache<String> b = fx.near(fx.open(), String.class, DEFAULTS);
        a.put("k", "v1");
        awaitReceived(b, 1);
        assertEquals("v1", b.get("k"));
        NearFixture.lossy(sbA).disconnect();
        a.put("k", "v2");
        await(() -> a.stats().publishFailures() == 1, "the failed announcement was not counted");
        assertEquals("v1", b.peek("k"), "B cannot know yet");
        NearFixture.lossy(sbA).reconnect();
        await(() -> b.peek("k") == null, "B kept a copy whose invalidation was lost on the writer's side");
        assertEquals("v2", b.get("k"));
    }

    @Test
    void localSizeStaysWithinTheBound() {
        NearCache<String> a = fx.near(fx.open(), String.class, DEFAULTS.maxEntries(10));
        for (int i = 0; i < 50; i++) {
            a.put("k" + i, "v" + i);
        }
        for (int i = 0; i < 50; i++) {
            assertEquals("v" + i, a.get("k" + i));
            assertTrue(a.localSize() <= 10, "local size " + a.localSize());
        }
        assertTrue(a.stats().evictions() >= 40, "evictions " + a.stats().evictions());
        for (int i = 0; i < 5; i++) {
            a.get("k49");
        }
        assertEquals("v49", a.peek("k49"), "the most recently used entry stays");
    }

    @Test
    void writeTtlAppliesLocallyAndInTheSharedCache() {
        NearCache<String> a = fx.near(fx.open(), String.class, DEFAULTS);
        NearCache<String> b = fx.near(fx.open(), String.class, DEFAULTS);
        a.put("k", "short", Duration.ofMillis(300));
        assertEquals("short", b.get("k"));
        await(() -> a.peek("k") == null && b.peek("k") == null, "local copies outlived the TTL");
        assertNull(a.get("k"));
        assertNull(b.get("k"));
    }

    @Test
    void localTtlBoundsCopiesOfValuesChangedBehindTheNearCache() {
        Switchboard sb = fx.open();
        NearCache<String> a = fx.near(sb, String.class, DEFAULTS.localTtl(Duration.ofMillis(200)));
        sb.cache(fx.cacheName()).put("k", "v1");
        assertEquals("v1", a.get("k"));
        sb.cache(fx.cacheName()).put("k", "v2");
        await(() -> "v2".equals(a.get("k")), "the local copy outlived localTtl");
    }

    @Test
    void getOrLoadLoadsOnceAndAnnounces() throws Exception {
        NearCache<String> a = fx.near(fx.open(), String.class, DEFAULTS);
        NearCache<String> b = fx.near(fx.open(), String.class, DEFAULTS);
        AtomicInteger loads = new AtomicInteger();
        List<CompletableFuture<String>> callers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            callers.add(CompletableFuture.supplyAsync(() -> a.getOrLoad("k", () -> {
                loads.incrementAndGet();
                Thread.sleep(50);
                return "loaded";
            })));
        }
        for (CompletableFuture<String> c : callers) {
            assertEquals("loaded", c.get());
        }
        assertEquals(1, loads.get());
        assertEquals("loaded", b.get("k"));
    }

    @Test
    void closeUnsubscribesAndRefusesUse() {
        Switchboard sbB = fx.open();
        NearCache<String> a = fx.near(fx.open(), String.class, DEFAULTS);
        NearCache<String> b = fx.near(sbB, String.class, DEFAULTS);
        assertEquals(1, openSubscriptions(sbB));
        b.close();
        b.close();
        assertEquals(0, openSubscriptions(sbB));
        assertTrue(b.isClosed());
        assertThrows(IllegalStateException.class, () -> b.get("k"));
        a.put("k", "v");
        assertEquals(0, b.stats().invalidationsReceived());
    }

    @Test
    void refusesBadArgumentsNamingThem() {
        NearCache<String> a = fx.near(fx.open(), String.class, DEFAULTS);
        assertThrows(NullPointerException.class, () -> a.put("k", null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DEFAULTS.maxEntries(0));
        assertTrue(e.getMessage().contains("maxEntries"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DEFAULTS.channel("bad channel"));
        assertTrue(e.getMessage().contains("bad channel"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> a.put("bad key", "v"));
        assertTrue(e.getMessage().contains("bad key"), e.getMessage());
    }

    static void awaitReceived(NearCache<?> n, long count) {
        await(() -> n.stats().invalidationsReceived() >= count, n + " received " + n.stats().invalidationsReceived() + " of " + count + " announcements");
    }

    private static int openSubscriptions(Switchboard sb) {
        return ((Number) sb.health().components().get("subscriptions").details().get("open")).intValue();
    }
}
