package io.switchboard.memcached;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.switchboard.SharedCache;
import io.switchboard.Switchboard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Conditional writes raced from many threads over the binary protocol, round after round. With
 * spymemcached's own optimisation, consecutive stores to one server are merged into one batch of
 * quiet stores, and a batch holding a refused compare-and-set or add loses track of its answers:
 * the operations after it never complete and time out (kit rule C19 failed that way now and then).
 * The driver lets spymemcached merge gets only; here every round must finish in time with one winner.
 * Counters created by several clients at once all count: memcached refuses all but one create
 * (NOT_STORED), and the driver sends the losers' increments again.
 */
class MemcachedRacedWritesIT {
    @RegisterExtension
    static final MemcachedKitServer MEMCACHED = new MemcachedKitServer();

    private static final int THREADS = 16;
    private static final int ROUNDS = 150;
    private static Switchboard first;
    private static Switchboard second;
    private static ExecutorService pool;

    @BeforeAll
    static void open() {
        first = Switchboard.open(MEMCACHED.properties("binary"));
        second = Switchboard.open(MEMCACHED.properties("binary"));
        pool = Executors.newFixedThreadPool(THREADS);
    }

    @AfterAll
    static void close() {
        pool.shutdownNow();
        first.close();
        second.close();
    }

    @Test
    void everyRacedCompareAndSetCompletesWithOneWinner() throws Exception {
        List<SharedCache> caches = List.of(first.cache(), second.cache());
        for (int round = 0; round < ROUNDS; round++) {
            String k = "cas-race-" + round;
            caches.get(0).put(k, "start");
            long version = caches.get(1).getVersioned(k, String.class).version();
            List<Boolean> won = race(t -> () -> caches.get(t % 2).compareAndSet(k, version, "writer-" + t, Duration.ZERO));
            assertEquals(1, won.stream().filter(b -> b).count(), "round " + round + ": CAS winners " + won);
        }
    }

    @Test
    void everyRacedPutIfAbsentCompletesWithOneWinner() throws Exception {
        List<SharedCache> caches = List.of(first.cache(), second.cache());
        for (int round = 0; round < ROUNDS; round++) {
            String k = "pia-race-" + round;
            List<Boolean> won = race(t -> () -> caches.get(t % 2).putIfAbsent(k, "writer-" + t, Duration.ZERO));
            assertEquals(1, won.stream().filter(b -> b).count(), "round " + round + ": putIfAbsent winners " + won);
        }
    }

    @Test
    void racedMixedWritesAllComplete() throws Exception {
        SharedCache cache = first.cache();
        for (int round = 0; round < ROUNDS; round++) {
            String k = "mixed-race-" + round;
            cache.put(k, "start");
            long version = cache.getVersioned(k, String.class).version();
            List<Boolean> done = race(t -> () -> switch (t % 4) {
                case 0 -> cache.compareAndSet(k, version, "cas-" + t, Duration.ZERO);
                case 1 -> cache.putIfAbsent(k, "pia-" + t, Duration.ZERO);
                case 2 -> { cache.put(k + "-" + t, "plain", Duration.ofMinutes(1)); yield false; }
                default -> { cache.increment(k + "-n", 1, 1, Duration.ofMinutes(1)); yield false; }
            });
            assertEquals(THREADS, done.size());
            assertEquals((long) (THREADS / 4), cache.increment(k + "-n", 0), "round " + round + ": increments");
        }
    }

    private static List<Boolean> race(java.util.function.IntFunction<Callable<Boolean>> task) throws Exception {
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<Future<Boolean>> futures = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            Callable<Boolean> c = task.apply(t);
            futures.add(pool.submit(() -> {
                start.await(10, TimeUnit.SECONDS);
                return c.call();
            }));
        }
        List<Boolean> results = new ArrayList<>();
        for (Future<Boolean> f : futures) {
            results.add(f.get(30, TimeUnit.SECONDS));
        }
        return results;
    }
}
