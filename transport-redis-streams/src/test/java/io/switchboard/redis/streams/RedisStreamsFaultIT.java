package io.switchboard.redis.streams;

import static io.switchboard.redis.streams.StreamsTestSupport.await;
import static io.switchboard.redis.streams.StreamsTestSupport.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.ConfigurationException;
import io.switchboard.ConnectionEvent;
import io.switchboard.Message;
import io.switchboard.SubscriptionOptions;
import io.switchboard.Switchboard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Faults on a private redis-server with the append-only file on (appendfsync always): kill -9
 * and restart while messages stream. The shared Redis is never touched.
 */
class RedisStreamsFaultIT {
    private static final int MESSAGES = 10_000;
    private static StreamsServerProcess server;

    @BeforeAll
    static void startServer() {
        server = StreamsServerProcess.start(true);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.kill();
        }
    }

    private static Map<String, Object> settings(String uri) {
        Map<String, Object> p = new HashMap<>();
        p.put("switchboard.transport", "redis-streams");
        p.put("switchboard.redis-streams.uri", uri);
        p.put("switchboard.redis-streams.survives-restart", "true");
        p.put("switchboard.redis-streams.connect-timeout", "500ms");
        p.put("switchboard.redis-streams.command-timeout", "1s");
        p.put("switchboard.redis-streams.reconnect.min-backoff", "50ms");
        p.put("switchboard.redis-streams.reconnect.max-backoff", "500ms");
        return p;
    }

    /**
     * 10,000 messages published in windows of 200 to a durable subscription while the server is
     * killed with SIGKILL and restarted on the same data: every publish whose stage completed
     * normally must be delivered (zero lost); a publish that failed is published again with the
     * same id, and duplicates (from those, and from deliveries whose acknowledgement the kill cut
     * off) are counted and reported, not forbidden. Everything arrives within 15 s of the last
     * publish, well before claim-idle (30 s): entries whose read the kill cut off are handed back
     * on reconnection rather than left to the dead-consumer reclaim.
     */
    @Test
    void killNineAndRestartWhileStreamingLosesNoAcknowledgedPublish() throws Exception {
        String ch = unique("fault.kill9");
        Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
        AtomicInteger deliveries = new AtomicInteger();
        AtomicInteger redelivered = new AtomicInteger();
        List<ConnectionEvent> events = new CopyOnWriteArrayList<>();
        Switchboard subscriber = Switchboard.builder().properties(settings(server.uri())).connectionListener(events::add).open();
        Switchboard publisher = Switchboard.builder().properties(settings(server.uri())).open();
        try {
            subscriber.subscriber().subscribe(ch, SubscriptionOptions.defaults().durable(unique("kill9")), d -> {
                deliveries.incrementAndGet();
                if (d.redelivered()) {
                    redelivered.incrementAndGet();
                }
                received.computeIfAbsent(d.message().id(), k -> new AtomicInteger()).incrementAndGet();
            });
            Set<String> acknowledged = ConcurrentHashMap.newKeySet();
            AtomicInteger failedPublishes = new AtomicInteger();
            long killedAt = -1;
            long restartedAt = -1;
            long start = System.nanoTime();
            List<Message> window = new ArrayList<>();
            for (int i = 0; i < MESSAGES; i += 200) {
                window.clear();
                for (int j = i; j < Math.min(MESSAGES, i + 200); j++) {
                    window.add(Message.ofText("m-" + j));
                }
                if (killedAt < 0 && i >= MESSAGES * 3 / 10) {
                    server.kill();
                    killedAt = System.nanoTime();
                    Thread.sleep(300);
                    server.start();
                    restartedAt = System.nanoTime();
                }
                List<Message> pending = new ArrayList<>(window);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!pending.isEmpty()) {
                    assertTrue(System.nanoTime() < deadline, "publishes keep failing 30 s after the restart: " + pending.size() + " left");
                    List<CompletableFuture<Void>> stages = new ArrayList<>();
                    for (Message m : pending) {
                        stages.add(publisher.publisher().publish(ch, m).toCompletableFuture());
                    }
                    List<Message> again = new ArrayList<>();
                    for (int k = 0; k < stages.size(); k++) {
                        try {
                            stages.get(k).get(10, TimeUnit.SECONDS);
                            acknowledged.add(pending.get(k).id());
                        } catch (java.util.concurrent.ExecutionException e) {
                            failedPublishes.incrementAndGet();
                            again.add(pending.get(k));
                        }
                    }
                    pending = again;
                    if (!pending.isEmpty()) {
                        Thread.sleep(20);
                    }
                }
            }
            long published = System.nanoTime();
            await(Duration.ofSeconds(15), () -> received.keySet().containsAll(acknowledged),
                    "every acknowledged publish delivered; missing " + missing(acknowledged, received).size());
            long done = System.nanoTime();
            int duplicates = deliveries.get() - received.size();
            String report = String.format("kill -9 + restart while streaming %d messages: %d acknowledged, %d lost, %d publishes failed and "
                    + "were published again, %d deliveries, %d duplicates (%d flagged redelivered); server down %d ms; publishing took %d ms, "
                    + "all delivered %d ms after the last publish", MESSAGES, acknowledged.size(), missing(acknowledged, received).size(),
                    failedPublishes.get(), deliveries.get(), duplicates, redelivered.get(), (restartedAt - killedAt) / 1_000_000,
                    (published - start) / 1_000_000, (done - published) / 1_000_000);
            System.out.println(report);
            java.nio.file.Files.writeString(java.nio.file.Path.of("target", "redis-streams-fault-report.txt"), report + "\n");
            assertEquals(MESSAGES, acknowledged.size(), "every message was acknowledged in the end: " + report);
            assertEquals(0, missing(acknowledged, received).size(), report);
            assertTrue(events.stream().anyMatch(e -> e.type() == ConnectionEvent.Type.LOST), "LOST reported: " + events);
            assertTrue(events.stream().anyMatch(e -> e.type() == ConnectionEvent.Type.RECOVERED && e.possibleGap()), "RECOVERED reported: " + events);
        } finally {
            publisher.close();
            subscriber.close();
        }
    }

    /** survives-restart on a server without the append-only file is refused at open, naming the key and the fix. */
    @Test
    void survivesRestartOnAServerWithoutAppendOnlyIsRefused() {
        try (StreamsServerProcess volatileServer = StreamsServerProcess.start(false)) {
            ConfigurationException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigurationException.class,
                    () -> Switchboard.builder().properties(settings(volatileServer.uri())).open().close());
            assertTrue(e.getMessage().contains("switchboard.redis-streams.survives-restart") && e.getMessage().contains("appendonly"),
                    e.getMessage());
        }
    }

    /**
     * publish.wait-replicas: with one replica attached, a publish waiting for one completes; one
     * waiting for two fails, retryably, naming the setting, once WAIT gives up (half the command
     * timeout), and the entry is in the stream all the same.
     */
    @Test
    void publishesWaitForReplicasAndFailWhenTooFewAcknowledge() throws Exception {
        try (StreamsServerProcess replica = StreamsServerProcess.replicaOf(server.port);
                redis.clients.jedis.Jedis j = new redis.clients.jedis.Jedis("127.0.0.1", server.port)) {
            await(Duration.ofSeconds(20), () -> j.info("replication").contains("connected_slaves:1")
                    && j.info("replication").contains("state=online"), "the replica attached to the primary");
            String ch = unique("replicas");
            Map<String, Object> one = settings(server.uri());
            one.put("switchboard.redis-streams.publish.wait-replicas", "1");
            try (Switchboard sb = Switchboard.builder().properties(one).open()) {
                sb.publisher().publishAndWait(ch, Message.ofText("to one replica"), Duration.ofSeconds(5));
            }
            Map<String, Object> two = settings(server.uri());
            two.put("switchboard.redis-streams.publish.wait-replicas", "2");
            try (Switchboard sb = Switchboard.builder().properties(two).open()) {
                long start = System.nanoTime();
                java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                        java.util.concurrent.ExecutionException.class,
                        () -> sb.publisher().publish(ch, Message.ofText("to two replicas")).toCompletableFuture().get(5, TimeUnit.SECONDS));
                long took = (System.nanoTime() - start) / 1_000_000;
                assertTrue(e.getCause() instanceof io.switchboard.SwitchboardException
                        && ((io.switchboard.SwitchboardException) e.getCause()).isRetryable(), "a retryable failure: " + e.getCause());
                assertTrue(e.getCause().getMessage().contains("switchboard.redis-streams.publish.wait-replicas"), e.getCause().getMessage());
                assertTrue(took >= 400 && took < 3000, "WAIT gave up after half the command timeout (1 s): " + took + " ms");
            }
            assertEquals(2L, j.xlen(ch), "both entries are in the stream: the failed one was appended, only not replicated enough");
        }
    }

    private static List<String> missing(Set<String> acknowledged, Map<String, AtomicInteger> received) {
        List<String> m = new ArrayList<>();
        for (String id : acknowledged) {
            if (!received.containsKey(id)) {
                m.add(id);
            }
        }
        return m;
    }
}
