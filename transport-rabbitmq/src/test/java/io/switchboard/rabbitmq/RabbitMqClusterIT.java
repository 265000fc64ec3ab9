package io.switchboard.rabbitmq;

import static io.switchboard.rabbitmq.RabbitMqTests.await;
import static io.switchboard.rabbitmq.RabbitMqTests.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Connection;
import io.switchboard.ConnectionEvent;
import io.switchboard.Message;
import io.switchboard.Subscription;
import io.switchboard.SubscriptionOptions;
import io.switchboard.Switchboard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The transport on a private three-node cluster with quorum queues: connections spread and fail
 * over, durable subscriptions and confirmed messages survive {@code kill -9} of a node, consumers
 * move, poison messages stop at the delivery limit. Each test leaves every node running.
 */
class RabbitMqClusterIT {
    @RegisterExtension
    static final RabbitMqClusterNodes CLUSTER = new RabbitMqClusterNodes();
    private static final Duration WAIT = Duration.ofSeconds(60);
    private final String prefix = unique("sbcl");
    private final List<Switchboard> opened = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (Switchboard sb : opened) {
            sb.close();
        }
        CLUSTER.ensureAllRunning();
    }

    private Switchboard open(Map<String, Object> extra) {
        Map<String, Object> p = CLUSTER.properties(prefix);
        p.putAll(extra);
        Switchboard sb = Switchboard.open(p);
        opened.add(sb);
        return sb;
    }

    private static long recoveries(Switchboard sb) {
        return ((Number) sb.health().components().get("transport").details().get("recoveries")).longValue();
    }

    private static boolean connected(Switchboard sb) {
        return Boolean.TRUE.equals(sb.health().components().get("transport").details().get("connected"));
    }

    @Test
    void connectionsSpreadOverTheAddressesAndFailOverToASurvivingNode() throws Exception {
        int instances = 6;
        List<Switchboard> sbs = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < instances; i++) {
            String name = unique("spread" + i);
            names.add(name);
            sbs.add(open(Map.of("switchboard.rabbitmq.connection-name", name)));
        }
        Map<String, Integer> on = CLUSTER.connectionNodes();
        Set<Integer> used = new HashSet<>();
        int[] perNode = new int[RabbitMqClusterNodes.SIZE];
        for (String n : names) {
            for (String role : List.of("-pub", "-sub")) {
                Integer node = on.get(n + role);
                assertTrue(node != null && node >= 0, n + role + " is on a node of the cluster: " + on);
                used.add(node);
                perNode[node]++;
            }
        }
        System.out.printf("[cluster] %d connections of %d instances per node: %s%n", 2 * instances, instances, java.util.Arrays.toString(perNode));
        assertTrue(used.size() >= 2, "12 connections spread over more than one node (shuffled addresses): " + java.util.Arrays.toString(perNode));

        int victim = on.get(names.get(0) + "-sub");
        long killedAt = System.nanoTime();
        CLUSTER.kill9(victim);
        for (int i = 0; i < instances; i++) {
            Switchboard sb = sbs.get(i);
            String n = names.get(i);
            boolean hit = on.get(n + "-pub") == victim || on.get(n + "-sub") == victim;
            if (hit) {
                await(WAIT, () -> recoveries(sb) >= 1 && connected(sb), n + " recovered on a surviving node");
            }
        }
        System.out.printf("[cluster] every instance with a connection on the killed node recovered %,d ms after kill -9%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));
        Map<String, Integer> after = CLUSTER.connectionNodes();
        for (String n : names) {
            for (String role : List.of("-pub", "-sub")) {
                assertTrue(after.containsKey(n + role) && after.get(n + role) != victim, n + role + " on a surviving node: " + after);
            }
        }
        for (int i = 0; i < instances; i++) {
            String channel = unique("after-failover");
            CompletableFuture<Message> got = new CompletableFuture<>();
            Subscription s = sbs.get(i).subscriber().subscribe(channel, d -> got.complete(d.message()));
            sbs.get((i + 1) % instances).publisher().publishText(channel, "hello").toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertEquals("hello", got.get(30, TimeUnit.SECONDS).text(), "instance " + i + " receives after the failover");
            s.close();
        }
    }

    @Test
    void aDurableQuorumSubscriptionKeepsItsMessagesWhenTheNodeLeadingItsQueueIsKilled() throws Exception {
        Switchboard sb = open(Map.of());
        String channel = unique("kept");
        String name = unique("keeper");
        SubscriptionOptions durable = SubscriptionOptions.defaults().durable(name);
        sb.subscriber().subscribe(channel, durable, d -> { }).close();
        String queue = prefix + ".sub." + name;
        int leader = CLUSTER.leaderOf(queue);
        assertTrue(leader >= 0, "the quorum queue " + queue + " has a leader");
        for (int i = 0; i < 100; i++) {
            sb.publisher().publishText(channel, "m" + i).toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        CLUSTER.kill9(leader);
        await(WAIT, () -> {
            try {
                int l = CLUSTER.leaderOf(queue);
                return l >= 0 && l != leader;
            } catch (java.io.IOException e) {
                return false;
            }
        }, "a surviving node leads " + queue);
        Switchboard other = open(Map.of("switchboard.rabbitmq.addresses", CLUSTER.addresses((leader + 1) % RabbitMqClusterNodes.SIZE),
                "switchboard.rabbitmq.address-order", "ordered"));
        Set<String> got = ConcurrentHashMap.newKeySet();
        Subscription s = other.subscriber().subscribe(channel, durable, d -> got.add(d.message().text()));
        await(WAIT, () -> got.size() == 100, "all 100 messages kept through the loss of the queue's leader node, got " + got.size());
        s.close();
        assertTrue(other.subscriber().deleteDurable(name));
    }

    /**
     * 10,000 persistent messages to a durable quorum subscription; the node that leads its queue
     * and carries every connection of both instances is killed with {@code kill -9} a third of
     * the way through. Every publish whose stage completed normally must arrive; publishes that
     * failed (retryably) are published again, as an application would, so duplicates are expected
     * and counted.
     */
    @Test
    void killNineOfANodeWhileTenThousandPersistentMessagesStreamLosesNoConfirmedMessage() throws Exception {
        int total = 10_000;
        String channel = unique("stream");
        String name = unique("streamer");
        SubscriptionOptions durable = SubscriptionOptions.defaults().durable(name).concurrency(4);
        Switchboard probe = open(Map.of());
        probe.subscriber().subscribe(channel, durable, d -> { }).close();
        String queue = prefix + ".sub." + name;
        int leader = CLUSTER.leaderOf(queue);
        Map<String, Object> onLeader = Map.of("switchboard.rabbitmq.addresses", CLUSTER.addresses(leader), "switchboard.rabbitmq.address-order",
                "ordered", "switchboard.rabbitmq.confirm-timeout", "5s");
        Switchboard consumer = open(Map.of("switchboard.rabbitmq.addresses", CLUSTER.addresses(leader), "switchboard.rabbitmq.address-order",
                "ordered", "switchboard.rabbitmq.connection-name", unique("stream-consumer")));
        Switchboard producer = open(onLeader);
        Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
        AtomicLong lastDelivery = new AtomicLong();
        Subscription sub = consumer.subscriber().subscribe(channel, durable, d -> {
            received.computeIfAbsent(d.message().text(), k -> new AtomicInteger()).incrementAndGet();
            lastDelivery.set(System.nanoTime());
        });
        List<ConnectionEvent> events = new CopyOnWriteArrayList<>();
        consumer.addConnectionListener(events::add);
        Set<String> confirmed = ConcurrentHashMap.newKeySet();
        AtomicInteger failedPublishes = new AtomicInteger();
        long killedAt = 0;
        long t0 = System.nanoTime();
        List<String> pending = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            pending.add("m" + i);
        }
        int round = 0;
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (!pending.isEmpty()) {
            assertTrue(round++ < 50 && System.nanoTime() < giveUp, "publishing converges: " + pending.size()
                    + " still unconfirmed after " + round + " rounds");
            Map<String, CompletableFuture<Void>> stages = new HashMap<>();
            for (int i = 0; i < pending.size(); i++) {
                String m = pending.get(i);
                if (killedAt == 0 && confirmed.size() + stages.size() >= total / 3) {
                    killedAt = System.nanoTime();
                    CLUSTER.kill9(leader);
                }
                try {
                    stages.put(m, producer.publisher().publishText(channel, m).toCompletableFuture());
                } catch (RuntimeException e) {
                    failedPublishes.incrementAndGet();
                    stages.put(m, CompletableFuture.failedFuture(e));
                }
            }
            List<String> again = new ArrayList<>();
            for (Map.Entry<String, CompletableFuture<Void>> e : stages.entrySet()) {
                try {
                    e.getValue().get(60, TimeUnit.SECONDS);
                    confirmed.add(e.getKey());
                } catch (java.util.concurrent.ExecutionException ex) {
                    failedPublishes.incrementAndGet();
                    again.add(e.getKey());
                }
            }
            pending = again;
            if (!pending.isEmpty()) {
                await(WAIT, () -> connected(producer), "the producer reconnects to a surviving node");
            }
        }
        long published = System.nanoTime();
        await(Duration.ofSeconds(120), () -> received.keySet().containsAll(confirmed), "every confirmed message arrives");
        int duplicates = received.values().stream().mapToInt(a -> a.get() - 1).sum();
        long lost = confirmed.stream().filter(m -> !received.containsKey(m)).count();
        System.out.printf("[cluster] kill -9 of the leader node during %,d persistent messages: %,d confirmed, %,d lost, %,d duplicates, "
                + "%,d publish attempts failed (retryably) and were made again; published in %,d ms, all delivered %,d ms after the kill%n",
                total, confirmed.size(), lost, duplicates, failedPublishes.get(), TimeUnit.NANOSECONDS.toMillis(published - t0),
                TimeUnit.NANOSECONDS.toMillis(lastDelivery.get() - killedAt));
        assertEquals(total, confirmed.size());
        assertEquals(0, lost);
        assertTrue(events.stream().anyMatch(e -> e.type() == ConnectionEvent.Type.LOST)
                && events.stream().anyMatch(e -> e.type() == ConnectionEvent.Type.RECOVERED), "the consumer lost and recovered: " + events);
        Map<String, Integer> on = CLUSTER.connectionNodes();
        on.forEach((conn, node) -> assertNotEquals(leader, node, conn + " moved off the killed node"));
        sub.close();
        // A quorum queue counts the consumers of a node it lost until that node is back.
        CLUSTER.restart(leader);
        await(WAIT, () -> {
            try {
                return consumer.subscriber().deleteDurable(name);
            } catch (IllegalStateException e) {
                return false;
            }
        }, "the queue deleted once the killed node is back and its consumers are gone");
    }

    @Test
    void aPoisonMessageStopsAtTheDeliveryLimitAndIsDeadLetteredWithItsDeliveryCount() throws Exception {
        int limit = 2;
        Switchboard sb = open(Map.of("switchboard.rabbitmq.delivery-limit", String.valueOf(limit)));
        Switchboard dlReader = open(Map.of("switchboard.rabbitmq.delivery-limit", String.valueOf(limit)));
        String channel = unique("jobs");
        String dlChannel = unique("jobs-dead");
        String name = unique("worker");
        List<Message> dead = new CopyOnWriteArrayList<>();
        Subscription dls = dlReader.subscriber().subscribe(dlChannel, d -> dead.add(d.message()));
        AtomicInteger poisonSeen = new AtomicInteger();
        Set<String> handled = ConcurrentHashMap.newKeySet();
        Subscription s = sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name).deadLetterChannel(dlChannel), d -> {
            if (!"poison".equals(d.message().text())) {
                handled.add(d.message().text());
                return;
            }
            // As a message that crashes its consumer: the connection dies under the delivery, unacknowledged.
            poisonSeen.incrementAndGet();
            Connection c = sb.unwrap(RabbitMqConnections.class).consuming();
            new Thread(() -> c.abort(2000), "poison-crash").start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (c.isOpen() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        });
        sb.publisher().publish(channel, Message.builder().text("poison").header("kind", "bad").build()).toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        await(WAIT, () -> dead.size() == 1, "the poison message dead-lettered after " + (limit + 1) + " deliveries; seen " + poisonSeen.get());
        Message m = dead.get(0);
        assertEquals("poison", m.text());
        assertEquals("bad", m.headers().get("kind"));
        assertEquals(String.valueOf(limit + 1), m.headers().get("sb-attempts"), m.headers().toString());
        assertEquals(channel, m.headers().get("sb-original-channel"), m.headers().toString());
        assertTrue(m.headers().get("sb-dead-letter-reason").contains("delivery limit"), m.headers().toString());
        assertEquals(limit + 1, poisonSeen.get(), "delivered limit + 1 times, then no more");
        await(WAIT, () -> connected(sb), "the worker reconnected");
        sb.publisher().publishText(channel, "good").toCompletableFuture().get(30, TimeUnit.SECONDS);
        await(WAIT, () -> handled.contains("good"), "the worker goes on with the next message");
        assertEquals(limit + 1, poisonSeen.get(), "the poison message came no more");
        s.close();
        dls.close();
        assertTrue(sb.subscriber().deleteDurable(name));
    }
}
