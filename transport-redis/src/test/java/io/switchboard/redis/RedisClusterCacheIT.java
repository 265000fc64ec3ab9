package io.switchboard.redis;

import static io.switchboard.redis.TestSupport.await;
import static io.switchboard.redis.TestSupport.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.CacheException;
import io.switchboard.ConnectionException;
import io.switchboard.SharedCache;
import io.switchboard.Switchboard;
import io.switchboard.Versioned;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * The Redis cache through redis-cluster:// on a private six-node cluster (cluster-node-timeout
 * 1000 ms): keys routed by slot, getAll across slots, compare-and-set and increments atomic per
 * key with the version token in its key's slot, and a master killed with SIGKILL under traffic,
 * with the times measured and printed (docs/scale-out.md quotes them).
 */
class RedisClusterCacheIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static RedisClusterProcesses cluster;
    private static Switchboard sb;
    private static SharedCache cache;

    @BeforeAll
    static void start() {
        cluster = RedisClusterProcesses.start();
        sb = TestSupport.open(settings(), null);
        cache = sb.cache();
    }

    @AfterAll
    static void stop() {
        if (sb != null) {
            sb.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void heal() {
        cluster.startAll();
    }

    static Map<String, Object> settings() {
        Map<String, Object> p = new HashMap<>();
        p.put("switchboard.transport", "memory");
        p.put("switchboard.cache", "redis");
        // Two seeds are enough: the rest of the topology is discovered.
        p.put("switchboard.redis.uri", "redis-cluster://" + cluster.nodes().get(0) + "," + cluster.nodes().get(1));
        p.put("switchboard.redis.connect-timeout", "500ms");
        p.put("switchboard.redis.command-timeout", "1s");
        return p;
    }

    /** Keys that hash to {@code n} different slots spread over every master. */
    private static List<String> keysOnEveryMaster(String base, int n) {
        List<String> keys = new ArrayList<>();
        Set<Integer> masters = new HashSet<>();
        for (int i = 0; keys.size() < n || masters.size() < 3; i++) {
            String k = base + "-" + i;
            keys.add(k);
            masters.add(cluster.masterOf(k).port);
        }
        return keys;
    }

    @Test
    void keysAreStoredOnTheirSlotsMasterAsPlainValuesWithTheTokenInTheSameSlot() {
        String key = unique("plain");
        cache.put(key, "hello", Duration.ZERO);
        RedisClusterProcesses.Node master = cluster.masterOf(key);
        try (Jedis j = new Jedis("127.0.0.1", master.port)) {
            assertEquals("hello", j.get(key), "redis-cli -c GET shows the value on the slot's master");
            assertTrue(j.exists("{" + key + "} sbv"), "the version token is on the same node");
        }
        assertEquals(JedisClusterCRC16.getSlot(key), JedisClusterCRC16.getSlot("{" + key + "} sbv"));
        String tagged = "{user-7}:" + unique("profile");
        cache.put(tagged, "x", Duration.ZERO);
        try (Jedis j = new Jedis("127.0.0.1", cluster.masterOf("user-7").port)) {
            assertTrue(j.exists(tagged + " sbv"), "a hash-tagged key keeps '<key> sbv', which has the same tag");
        }
    }

    @Test
    void getAllReadsKeysAcrossSlotsAndNodesInOneCall() {
        List<String> keys = keysOnEveryMaster(unique("many"), 40);
        Map<String, String> written = new HashMap<>();
        for (int i = 0; i < keys.size(); i += 2) {
            cache.put(keys.get(i), "v" + i, Duration.ZERO);
            written.put(keys.get(i), "v" + i);
        }
        Map<String, String> got = cache.getAll(keys, String.class);
        assertEquals(written, got, "every present key, from every master, and no absent one");
    }

    @Test
    void compareAndSetAndIncrementStayAtomicPerKeyUnderConcurrency() throws Exception {
        String counter = unique("counter");
        String doc = unique("doc");
        cache.put(doc, "0", Duration.ZERO);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        cache.increment(counter, 1, 1, Duration.ZERO);
                        while (true) {
                            Versioned<String> v = cache.getVersioned(doc, String.class);
                            if (cache.compareAndSet(doc, v.version(), Integer.toString(Integer.parseInt(v.value()) + 1), Duration.ZERO)) {
                                break;
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(400, cache.increment(counter, 0, 0, Duration.ZERO), "no increment lost");
        assertEquals("400", cache.get(doc, String.class), "no compare-and-set lost or applied twice");
    }

    @Test
    void refusesAKeyWithAClosingBraceButNoHashTagNamingIt() {
        CacheException e = assertThrows(CacheException.class, () -> cache.put("odd}key", "x", Duration.ZERO));
        assertTrue(e.getMessage().contains("cache key 'odd}key' contains '}' but no Redis hash tag"), e.getMessage());
        assertFalse(e.isRetryable());
    }

    @Test
    void unwrapGivesJedisOnTheSameCluster() {
        String key = unique("native");
        cache.put(key, "n", Duration.ZERO);
        assertEquals("n", cache.unwrap(UnifiedJedis.class).get(key));
    }

    @Test
    void cacheCallsFailFastWhenAMasterDiesThenSucceedOnThePromotedReplica() throws Exception {
        String key = unique("failover");
        assertEquals(1, cache.increment(key, 1, 1, Duration.ZERO));
        AtomicBoolean run = new AtomicBoolean(true);
        List<long[]> calls = new CopyOnWriteArrayList<>();
        List<RuntimeException> unexpected = new CopyOnWriteArrayList<>();
        Thread traffic = new Thread(() -> {
            while (run.get()) {
                long s = System.nanoTime();
                boolean ok;
                try {
                    cache.put(key + "-v", "x", Duration.ZERO);
                    ok = "x".equals(cache.get(key + "-v", String.class));
                } catch (ConnectionException e) {
                    ok = false;
                } catch (RuntimeException e) {
                    unexpected.add(e);
                    ok = false;
                }
                calls.add(new long[] {s, System.nanoTime(), ok ? 1 : 0});
            }
        }, "cache-traffic");
        traffic.start();
        long killed;
        long promoted;
        try {
            await(WAIT, () -> calls.size() > 50, "cache traffic before the failover");
            // The value key and its "-v" companion may sit on different masters; kill the one the traffic writes to.
            cluster.failOver(key + "-v");
            promoted = System.nanoTime();
            killed = cluster.killedAtNanos;
            long k = killed;
            await(WAIT, () -> calls.stream().filter(c -> c[0] > k && c[2] == 1).count() >= 20,
                    "cache calls succeeding again after the failover");
        } finally {
            run.set(false);
            traffic.join(5000);
        }
        assertTrue(unexpected.isEmpty(), "every failure during the failover is a retryable ConnectionException: " + unexpected);
        long failed = calls.stream().filter(c -> c[2] == 0).count();
        long slowestFailure = calls.stream().filter(c -> c[2] == 0).mapToLong(c -> c[1] - c[0]).max().orElse(0) / 1_000_000;
        long firstSuccess = calls.stream().filter(c -> c[0] > killed && c[2] == 1).mapToLong(c -> c[1]).min().orElseThrow();
        assertTrue(failed > 0, "the traffic saw the master die");
        assertTrue(slowestFailure <= 2 * 1000 + 500, "a failing cache call returned within twice command-timeout: " + slowestFailure + " ms");
        assertTrue(firstSuccess - promoted < Duration.ofSeconds(6).toNanos(), "calls succeed within 6 s of the promotion (slot map"
                + " renewed after a failure, or every 5 s): " + (firstSuccess - promoted) / 1_000_000 + " ms");
        System.out.printf("[measured] cluster cache failover (cluster-node-timeout %d ms): %d calls failed, slowest failure %d ms"
                + " (command-timeout 1000 ms); master killed -> promoted %d ms -> first success %d ms after the kill%n",
                RedisClusterProcesses.NODE_TIMEOUT_MILLIS, failed, slowestFailure, (promoted - killed) / 1_000_000,
                (firstSuccess - killed) / 1_000_000);
    }
}
