package io.switchboard.redis;

import static io.switchboard.redis.TestSupport.await;
import static io.switchboard.redis.TestSupport.unique;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.ConnectionEvent;
import io.switchboard.ConnectionException;
import io.switchboard.Subscription;
import io.switchboard.Switchboard;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * The transport through redis-cluster:// on a private six-node cluster (cluster-node-timeout
 * 1000 ms): exact channels on sharded pub/sub, patterns through the broadcast, and the master of a
 * streamed channel killed with SIGKILL, with the times measured and printed (docs/scale-out.md
 * quotes them).
 */
class RedisClusterFailoverIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static RedisClusterProcesses cluster;

    @BeforeAll
    static void start() {
        cluster = RedisClusterProcesses.start();
    }

    @AfterAll
    static void stop() {
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
        p.put("switchboard.transport", "redis");
        p.put("switchboard.redis.uri", "redis-cluster://" + cluster.nodes().get(0));
        p.put("switchboard.redis.connect-timeout", "500ms");
        p.put("switchboard.redis.command-timeout", "1s");
        p.put("switchboard.redis.subscriber.ping-interval", "200ms");
        p.put("switchboard.redis.subscriber.dead-after", "1s");
        p.put("switchboard.redis.reconnect.min-backoff", "50ms");
        p.put("switchboard.redis.reconnect.max-backoff", "250ms");
        return p;
    }

    @Test
    void exactChannelsAreShardedAndStayOnTheirShard() {
        String ch = unique("sharded.orders");
        List<String> got = new CopyOnWriteArrayList<>();
        try (Switchboard sb = TestSupport.open(settings(), null); Subscription s = sb.subscriber().subscribe(ch, d -> got.add(d.message().text()))) {
            RedisClusterProcesses.Node owner = cluster.masterOf(ch);
            for (RedisClusterProcesses.Node n : cluster.nodes()) {
                try (Jedis j = new Jedis("127.0.0.1", n.port)) {
                    List<String> shardChannels = j.pubsubShardChannels();
                    if (n == owner) {
                        assertTrue(shardChannels.contains(ch), "SSUBSCRIBE on the slot's master " + n + ": " + shardChannels);
                    } else {
                        assertTrue(!shardChannels.contains(ch), "no sharded subscription on " + n + ": " + shardChannels);
                    }
                }
            }
            sb.publisher().publishText(ch, "hello").toCompletableFuture().join();
            await(WAIT, () -> got.contains("hello"), "the sharded delivery");
        }
    }

    @Test
    void patternSubscriptionsSeeMessagesOfEveryShard() {
        String base = unique("pat");
        List<String> got = new CopyOnWriteArrayList<>();
        try (Switchboard sb = TestSupport.open(settings(), null); Subscription s = sb.subscriber().subscribe(base + ".*", d -> got.add(d.channel()))) {
            java.util.Set<Integer> shards = new java.util.HashSet<>();
            int i = 0;
            while (shards.size() < 3) {
                String ch = base + ".c" + i++;
                shards.add(cluster.masterOf(ch).port);
                sb.publisher().publishText(ch, "x").toCompletableFuture().join();
            }
            int published = i;
            await(WAIT, () -> got.size() == published, "every message, from channels on all three shards, to the pattern subscription");
        }
    }

    @Test
    void withoutBroadcastPatternSubscriptionsAreRefusedNamingTheKey() {
        Map<String, Object> p = settings();
        p.put("switchboard.redis.cluster.pattern-broadcast", "false");
        try (Switchboard sb = TestSupport.open(p, null)) {
            assertTrue(!sb.capabilities().has(io.switchboard.Capability.PATTERN_SUBSCRIPTIONS), "pattern subscriptions not declared");
            assertThrows(io.switchboard.UnsupportedCapabilityException.class, () -> sb.subscriber().subscribe("a.*", d -> { }));
        }
    }

    @Test
    void aPublishStreamAndItsSubscriptionsResumeOnThePromotedReplica() throws Exception {
        TestSupport.Events events = new TestSupport.Events();
        String ch = unique("stream.cluster");
        List<long[]> exact = new CopyOnWriteArrayList<>();
        List<long[]> pattern = new CopyOnWriteArrayList<>();
        AtomicBoolean run = new AtomicBoolean(true);
        AtomicLong failures = new AtomicLong();
        try (Switchboard sb = TestSupport.open(settings(), events);
                Subscription e = sb.subscriber().subscribe(ch, d -> exact.add(new long[] {Long.parseLong(d.message().text()), System.nanoTime()}));
                Subscription p = sb.subscriber().subscribe("stream.#", d -> pattern.add(new long[] {Long.parseLong(d.message().text()), System.nanoTime()}))) {
            Thread publisher = new Thread(() -> {
                for (int i = 0; run.get(); i++) {
                    try {
                        sb.publisher().publishText(ch, Long.toString(System.nanoTime())).toCompletableFuture().join();
                    } catch (CompletionException | ConnectionException x) {
                        failures.incrementAndGet();
                    }
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException x) {
                        return;
                    }
                }
            }, "stream");
            publisher.start();
            try {
                await(WAIT, () -> exact.size() > 100 && pattern.size() > 100, "messages flowing before the failover");
                int eventsBefore = events.all.size();
                RedisClusterProcesses.Node old = cluster.failOver(ch);
                long promoted = System.nanoTime();
                long killed = cluster.killedAtNanos;
                await(WAIT, () -> exact.stream().anyMatch(t -> t[0] > killed) && pattern.stream().anyMatch(t -> t[0] > killed),
                        "a delivery after the master's death, from the promoted replica");
                long first = exact.stream().filter(t -> t[0] > killed).findFirst().orElseThrow()[1];
                await(WAIT, () -> events.all.stream().skip(eventsBefore).anyMatch(x -> x.type() == ConnectionEvent.Type.RECOVERED),
                        "RECOVERED after the failover");
                List<ConnectionEvent> after = events.all.subList(eventsBefore, events.all.size());
                assertTrue(after.stream().anyMatch(x -> x.type() == ConnectionEvent.Type.LOST), "LOST reported: " + after);
                assertTrue(after.stream().filter(x -> x.type() == ConnectionEvent.Type.RECOVERED).allMatch(ConnectionEvent::possibleGap),
                        "RECOVERED says possibleGap=true: " + after);
                int before = exact.size();
                await(WAIT, () -> exact.size() > before + 100, "the stream keeps flowing on the promoted replica");
                assertTrue(cluster.masterOf(ch) != old, "the channel's slot is on the promoted replica");
                System.out.printf("[measured] cluster pub/sub failover (cluster-node-timeout %d ms): master %s killed -> promoted %d ms,"
                        + " first delivery after the death %d ms; %d publishes failed meanwhile%n", RedisClusterProcesses.NODE_TIMEOUT_MILLIS,
                        old, (promoted - killed) / 1_000_000, (first - killed) / 1_000_000, failures.get());
            } finally {
                run.set(false);
                publisher.join(5000);
            }
        }
    }

    @Test
    void aSubscriptionFollowsItsChannelsSlotToAnotherShard() {
        TestSupport.Events events = new TestSupport.Events();
        String ch = unique("moving");
        List<String> got = new CopyOnWriteArrayList<>();
        try (Switchboard sb = TestSupport.open(settings(), events); Subscription s = sb.subscriber().subscribe(ch, d -> got.add(d.message().text()))) {
            sb.publisher().publishText(ch, "before").toCompletableFuture().join();
            await(WAIT, () -> got.contains("before"), "delivery before the slot moves");
            int slot = redis.clients.jedis.util.JedisClusterCRC16.getSlot(ch);
            RedisClusterProcesses.Node from = cluster.masterOf(ch);
            RedisClusterProcesses.Node to = cluster.nodes().stream().filter(n -> n != from && "master".equals(role(n))).findFirst().orElseThrow();
            cluster.moveSlot(slot, from, to);
            long moved = System.nanoTime();
            // Publishes may fail retryably (MOVED) until the slot map is renewed; the subscription must resume on the new shard.
            for (int i = 0; got.stream().noneMatch(m -> m.startsWith("after-")); i++) {
                if (System.nanoTime() - moved > WAIT.toNanos()) {
                    throw new AssertionError("no delivery on the new shard " + to + " within " + WAIT + "; got " + got);
                }
                try {
                    sb.publisher().publishText(ch, "after-" + i).toCompletableFuture().join();
                } catch (CompletionException | ConnectionException e) {
                    // Retryable (MOVED) until the slot map is renewed.
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
            try (Jedis j = new Jedis("127.0.0.1", to.port)) {
                assertTrue(j.pubsubShardChannels().contains(ch), "SSUBSCRIBE now on the slot's new master " + to);
            }
            await(WAIT, () -> events.has(ConnectionEvent.Type.LOST) && events.has(ConnectionEvent.Type.RECOVERED),
                    "the move reported as a possible gap (LOST, RECOVERED): " + events.all);
            assertTrue(events.all.stream().filter(x -> x.type() == ConnectionEvent.Type.RECOVERED).allMatch(ConnectionEvent::possibleGap));
            System.out.printf("[measured] cluster slot move: subscription resumed on the new shard %d ms after the move%n",
                    (System.nanoTime() - moved) / 1_000_000);
        }
    }

    private static String role(RedisClusterProcesses.Node n) {
        try (Jedis j = new Jedis("127.0.0.1", n.port)) {
            Object first = j.role().get(0);
            return first instanceof byte[] ? new String((byte[]) first, java.nio.charset.StandardCharsets.UTF_8) : String.valueOf(first);
        }
    }
}
