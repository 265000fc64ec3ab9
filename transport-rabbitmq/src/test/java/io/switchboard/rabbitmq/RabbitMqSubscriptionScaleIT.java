package io.switchboard.rabbitmq;

import static io.switchboard.rabbitmq.RabbitMqTests.await;
import static io.switchboard.rabbitmq.RabbitMqTests.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.ConfigurationException;
import io.switchboard.Subscription;
import io.switchboard.SubscriptionOptions;
import io.switchboard.Switchboard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Many subscriptions on one instance, against the shared broker: more than its channel_max (2047),
 * on pooled consumer channels, each still delivered to, recovered, and with its own prefetch.
 */
class RabbitMqSubscriptionScaleIT {
    private static final Duration WAIT = Duration.ofSeconds(180);
    private static final String PREFIX = unique("sbscale");
    private final List<Switchboard> opened = new ArrayList<>();

    @AfterEach
    void tearDown() {
        for (Switchboard sb : opened) {
            sb.close();
        }
    }

    @AfterAll
    static void deleteTopology() throws Exception {
        SharedBrokerConnections.deleteTopology(PREFIX);
    }

    private Switchboard open(Map<String, Object> extra) {
        Switchboard sb = RabbitMqTests.open(RabbitMqTests.SHARED_URI, PREFIX, extra);
        opened.add(sb);
        return sb;
    }

    private static Map<String, Object> health(Switchboard sb) {
        return sb.health().components().get("transport").details();
    }

    /**
     * Subscriptions on one instance (system property {@code scale.subscriptions}, default 3,000:
     * well past the 2,047 channels a connection may have) over {@code scale.channels} channels
     * (default 300; the broker spends most of a first subscription to a channel creating its
     * durable exchange, so CI keeps that count down; the measurement in docs/scale-out.md sets both to 10,000).
     */
    @Test
    void thousandsOfSubscriptionsOnOneInstanceEachGetTheirMessagesBeforeAndAfterAReconnect() throws Exception {
        int n = Integer.getInteger("scale.subscriptions", 3_000);
        int channels = Integer.getInteger("scale.channels", 300);
        String name = unique("scale");
        Switchboard sb = open(Map.of("switchboard.rabbitmq.connection-name", name));
        String base = unique("s");
        AtomicIntegerArray got = new AtomicIntegerArray(n);
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            int k = i;
            sb.subscriber().subscribe(base + "." + (i % channels), d -> got.incrementAndGet(k));
            if (i + 1 == 100 || i + 1 == 1_000 || i + 1 == n) {
                System.out.printf("[scale] %,d subscriptions set up in %,d ms%n", i + 1, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            }
        }
        Map<String, Object> h = health(sb);
        System.out.println("[scale] health after " + n + " subscriptions: " + h);
        assertEquals(n, h.get("subscriptions"));
        assertTrue((Integer) h.get("consumerChannels") <= (Integer) h.get("channelMax"), "channels within channel_max: " + h);
        assertEquals(n - 100, h.get("sharedConsumers"), "past the 100 dedicated channels, consumers share: " + h);
        assertTrue((Integer) h.get("consumerChannels") < 2_047, "fewer channels than one per subscription: " + h);

        publishToEach(sb, base, n, channels, got, 1);

        // The consuming connection alone: the broker takes seconds to close one with thousands of
        // consumers, and a publishing connection cut with it would recover (and count) first.
        long cut = System.nanoTime();
        assertEquals(1, SharedBrokerConnections.closeNamed(name + "-sub"), "consuming connection cut");
        await(WAIT, () -> ((Number) health(sb).get("recoveries")).longValue() == 1 && "true".equals(String.valueOf(health(sb).get("connected"))),
                "recovered with every subscription re-established");
        System.out.printf("[scale] %,d subscriptions re-established after a connection cut in %,d ms%n", n,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cut));
        publishToEach(sb, base, n, channels, got, 2);

        // Thousands of subscriptions close in a few round trips, well within close(timeout): their
        // cancels go out together, not one after another (that took 5.4 s for 3,000 here, and
        // 32.7 s for 10,000, past the default 30 s close timeout).
        long close = System.nanoTime();
        sb.close(java.time.Duration.ofSeconds(5));
        opened.remove(sb);
        long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - close);
        System.out.printf("[scale] closed with %,d subscriptions in %,d ms%n", n, closeMillis);
        assertTrue(closeMillis < 3_000, "close(5 s) with " + n + " subscriptions took " + closeMillis + " ms");
    }

    /** Publishes one message to each channel and waits until each subscription has seen {@code expected} in all, exactly. */
    private static void publishToEach(Switchboard sb, String base, int n, int channels, AtomicIntegerArray got, int expected)
            throws Exception {
        long t = System.nanoTime();
        List<CompletableFuture<Void>> sent = new ArrayList<>(channels);
        for (int i = 0; i < channels; i++) {
            sent.add(sb.publisher().publishText(base + "." + i, "m").toCompletableFuture());
        }
        CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0])).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        await(WAIT, () -> {
            for (int i = 0; i < n; i++) {
                if (got.get(i) < expected) {
                    return false;
                }
            }
            return true;
        }, "every subscription got message " + expected);
        for (int i = 0; i < n; i++) {
            assertEquals(expected, got.get(i), "subscription " + i + " got each message once");
        }
        System.out.printf("[scale] one message to each of %,d channels delivered to %,d subscriptions in %,d ms%n", channels, n,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t));
    }

    @Test
    void aSubscriptionPastTheChannelLimitFailsNamingTheLimitAndTheKeysAndTheOthersGoOn() throws Exception {
        // One consumer per channel and none dedicated: the broker's channel_max is the limit.
        Switchboard sb = open(Map.of("switchboard.rabbitmq.dedicated-channels", "0", "switchboard.rabbitmq.consumers-per-channel", "1"));
        String base = unique("lim");
        AtomicInteger firstGot = new AtomicInteger();
        int ok = 0;
        ConfigurationException refused = null;
        for (int i = 0; i < 3_000 && refused == null; i++) {
            try {
                sb.subscriber().subscribe(base + "." + i, i == 0 ? d -> firstGot.incrementAndGet() : d -> { });
                ok++;
            } catch (ConfigurationException e) {
                refused = e;
            }
        }
        assertTrue(refused != null, "refused before 3,000 subscriptions");
        String m = refused.getMessage();
        assertTrue(m.contains("channel_max") && m.contains("switchboard.rabbitmq.consumers-per-channel")
                && m.contains("switchboard.rabbitmq.dedicated-channels"), m);
        int channelMax = (Integer) health(sb).get("channelMax");
        assertTrue(ok >= channelMax - 8 && ok < channelMax, ok + " subscriptions before the refusal, channel_max " + channelMax + ": " + m);
        sb.publisher().publishText(base + ".0", "still here").toCompletableFuture().get(10, TimeUnit.SECONDS);
        await(WAIT, () -> firstGot.get() == 1, "the first subscription still receives");
        assertEquals(ok, health(sb).get("subscriptions"));
    }

    @Test
    void consumersSharingAChannelEachKeepTheirOwnPrefetchAndASlowOneStallsNoOther() throws Exception {
        int prefetch = 5;
        Switchboard sb = open(Map.of("switchboard.rabbitmq.dedicated-channels", "0", "switchboard.rabbitmq.prefetch", String.valueOf(prefetch)));
        String slowChannel = unique("slow");
        String fastChannel = unique("fast");
        String slowName = unique("slowsub");
        String fastName = unique("fastsub");
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger slowStarted = new AtomicInteger();
        Set<String> fastThreads = ConcurrentHashMap.newKeySet();
        AtomicInteger fastGot = new AtomicInteger();
        Subscription slow = sb.subscriber().subscribe(slowChannel, SubscriptionOptions.defaults().durable(slowName).concurrency(prefetch), d -> {
            slowStarted.incrementAndGet();
            release.await(60, TimeUnit.SECONDS);
        });
        Subscription fast = sb.subscriber().subscribe(fastChannel, SubscriptionOptions.defaults().durable(fastName), d -> {
            fastThreads.add(Thread.currentThread().getName());
            fastGot.incrementAndGet();
        });
        try {
            Map<String, Object> h = health(sb);
            assertEquals(2, h.get("sharedConsumers"), "both on a shared channel: " + h);
            assertEquals(0, h.get("dedicatedChannels"), h.toString());
            for (int i = 0; i < 20; i++) {
                sb.publisher().publishText(slowChannel, "s" + i).toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
            await(WAIT, () -> slowStarted.get() == prefetch, "the slow subscription holds its prefetch");
            for (int i = 0; i < 200; i++) {
                sb.publisher().publishText(fastChannel, "f" + i).toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
            await(WAIT, () -> fastGot.get() == 200, "the fast one got all 200 past the slow one's unacknowledged deliveries on its channel");
            String slowQueue = PREFIX + ".sub." + slowName;
            String fastQueue = PREFIX + ".sub." + fastName;
            await(WAIT, () -> brokerUnacked(fastQueue) == 0, "the fast one's acks reached the broker");
            assertEquals(prefetch, brokerUnacked(slowQueue), "the broker holds the slow one at its own prefetch");
            assertEquals(prefetch, slowStarted.get(), "no more than its prefetch reached the slow one");
            assertFalse(fastThreads.stream().anyMatch(t -> t.contains("-rabbitmq-delivery-")),
                    "on a shared channel handlers do not hold the channel's delivery thread: " + fastThreads);
        } finally {
            release.countDown();
            slow.close();
            fast.close();
            sb.subscriber().deleteDurable(slowName);
            sb.subscriber().deleteDurable(fastName);
        }
    }

    private static int brokerUnacked(String queue) {
        try {
            return SharedBrokerConnections.unacknowledged(queue);
        } catch (Exception e) {
            throw new AssertionError("rabbitmqctl list_queues failed", e);
        }
    }

    @Test
    void refusesBadPoolSettingsTogether() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> open(
                Map.of("switchboard.rabbitmq.dedicated-channels", "-1", "switchboard.rabbitmq.consumers-per-channel", "0")));
        assertTrue(e.getMessage().contains("switchboard.rabbitmq.dedicated-channels must be from 0 to 65535, got -1")
                && e.getMessage().contains("switchboard.rabbitmq.consumers-per-channel must be from 1 to 10000, got 0"), e.getMessage());
    }
}
