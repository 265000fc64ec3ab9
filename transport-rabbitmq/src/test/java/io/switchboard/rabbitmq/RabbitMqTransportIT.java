package io.switchboard.rabbitmq;

import static io.switchboard.rabbitmq.RabbitMqTests.await;
import static io.switchboard.rabbitmq.RabbitMqTests.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.switchboard.Capability;
import io.switchboard.ConfigurationException;
import io.switchboard.ConnectionException;
import io.switchboard.Delivery;
import io.switchboard.Message;
import io.switchboard.RetryPolicy;
import io.switchboard.Subscription;
import io.switchboard.SubscriptionOptions;
import io.switchboard.Switchboard;
import io.switchboard.UnsupportedCapabilityException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The transport against the shared broker on 127.0.0.1:5672. */
class RabbitMqTransportIT {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String PREFIX = unique("sbtest");
    private final String prefix = PREFIX;
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
        Switchboard sb = RabbitMqTests.open(RabbitMqTests.SHARED_URI, prefix, extra);
        opened.add(sb);
        return sb;
    }

    private Switchboard open() {
        return open(Map.of());
    }

    @Test
    void declaresEveryAtLeastOnceCapability() {
        Switchboard sb = open();
        for (Capability c : Capability.values()) {
            assertTrue(sb.capabilities().has(c), "missing " + c);
        }
        Switchboard transientSb = open(Map.of("switchboard.rabbitmq.persistent", "false"));
        assertFalse(transientSb.capabilities().has(Capability.SURVIVES_RESTART));
    }

    @Test
    void patternSubscriptionsOffLeavesChannelExchangesUnboundAndRefusesPatterns() throws Exception {
        Switchboard withPatterns = open();
        Switchboard without = open(Map.of("switchboard.rabbitmq.pattern-subscriptions", "false"));
        assertTrue(withPatterns.capabilities().has(Capability.PATTERN_SUBSCRIPTIONS));
        assertFalse(without.capabilities().has(Capability.PATTERN_SUBSCRIPTIONS));
        UnsupportedCapabilityException refused = assertThrows(UnsupportedCapabilityException.class,
                () -> without.subscriber().subscribe(unique("p") + ".*", d -> { }));
        assertTrue(refused.getMessage().contains("pattern"), refused.getMessage());

        String bound = unique("bound");
        String unbound = unique("unbound");
        List<Delivery> got = new CopyOnWriteArrayList<>();
        without.subscriber().subscribe(unbound, got::add);
        withPatterns.publisher().publishText(bound, "a").toCompletableFuture().get(10, TimeUnit.SECONDS);
        without.publisher().publishText(unbound, "b").toCompletableFuture().get(10, TimeUnit.SECONDS);
        await(WAIT, () -> got.size() == 1, "exact subscriptions still work without the binding");
        assertEquals("b", got.get(0).message().text());
        assertTrue(SharedBrokerConnections.bound(prefix + ".ch." + bound, prefix + ".topic"), "default: channel exchange bound for patterns");
        assertFalse(SharedBrokerConnections.bound(prefix + ".ch." + unbound, prefix + ".topic"), "pattern-subscriptions=false: no binding");
    }

    @Test
    void publishesAndConsumesOnTwoConnectionsNamedPubAndSub() throws Exception {
        String name = unique("switchboard-split");
        Switchboard sb = open(Map.of("switchboard.rabbitmq.connection-name", name));
        RabbitMqConnections both = sb.unwrap(RabbitMqConnections.class);
        assertTrue(both.publishing().isOpen() && both.consuming().isOpen());
        assertFalse(both.publishing() == both.consuming(), "two connections");
        assertEquals(name + "-pub", both.publishing().getClientProvidedName());
        assertEquals(name + "-sub", both.consuming().getClientProvidedName());
        assertSame(both.consuming(), sb.unwrap(Connection.class), "unwrap(Connection.class) is the consuming one");
        List<String> names = SharedBrokerConnections.connectionNames();
        assertTrue(names.contains(name + "-pub") && names.contains(name + "-sub"), "the broker lists both: " + names);
        Map<String, Object> health = sb.health().components().get("transport").details();
        assertEquals(name + "-pub (open, 127.0.0.1:5672)", health.get("publishingConnection"));
        assertEquals(name + "-sub (open, 127.0.0.1:5672)", health.get("consumingConnection"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sb.unwrap(String.class));
        assertTrue(e.getMessage().contains(RabbitMqConnections.class.getName()), e.getMessage());
    }

    @Test
    void deliversIdHeadersContentTypeAndMillisecondTimestamp() throws Exception {
        Switchboard sb = open();
        String channel = unique("orders");
        List<Delivery> got = new CopyOnWriteArrayList<>();
        sb.subscriber().subscribe(channel, got::add);
        Instant ts = Instant.ofEpochMilli(1_700_000_000_123L);
        Message m = Message.builder().id("id-1").text("héllo").header("tenant", "acme").timestamp(ts).build();
        sb.publisher().publish(channel, m).toCompletableFuture().get(10, TimeUnit.SECONDS);
        await(WAIT, () -> got.size() == 1, "one delivery");
        Message r = got.get(0).message();
        assertEquals("id-1", r.id());
        assertEquals(channel, r.channel());
        assertEquals("héllo", r.text());
        assertEquals(Message.TEXT, r.contentType());
        assertEquals(Map.of("tenant", "acme"), r.headers());
        assertEquals(ts, r.timestamp());
        assertEquals(1, got.get(0).attempt());
    }

    @Test
    void aMessageWithoutHeadersSendsNoHeadersTableYetKeepsItsMillisecondTimestamp() throws Exception {
        Switchboard sb = open();
        String channel = unique("plain");
        List<Delivery> got = new CopyOnWriteArrayList<>();
        sb.subscriber().subscribe(channel, got::add);
        sb.publisher().publishText(channel, "warm-up").toCompletableFuture().get(10, TimeUnit.SECONDS);
        try (Connection raw = RabbitMqTests.raw(5672); Channel ch = raw.createChannel()) {
            String q = ch.queueDeclare().getQueue();
            ch.queueBind(q, prefix + ".ch." + channel, "");
            Message m = Message.builder().text("plain").timestamp(Instant.parse("2026-11-23T10:15:30.123456Z")).build();
            sb.publisher().publish(channel, m).toCompletableFuture().get(10, TimeUnit.SECONDS);
            GetResponse r = ch.basicGet(q, true);
            assertNotNull(r, "message in a queue bound by a raw client");
            assertEquals(null, r.getProps().getHeaders(), "the default id carries the millisecond: no headers table");
            assertEquals(m.id(), r.getProps().getMessageId());
            assertEquals(m.timestamp().getEpochSecond() * 1000, r.getProps().getTimestamp().getTime());
            await(WAIT, () -> got.size() == 2, "both deliveries");
            assertEquals(Instant.parse("2026-11-23T10:15:30.123Z"), got.get(1).message().timestamp());
            assertEquals(Map.of(), got.get(1).message().headers());
        }
    }

    @Test
    void otherAmqpClientsReadTheMessageNatively() throws Exception {
        Switchboard sb = open();
        String channel = unique("native");
        sb.publisher().publishText(channel, "x").toCompletableFuture().get(10, TimeUnit.SECONDS);
        try (Connection raw = RabbitMqTests.raw(5672); Channel ch = raw.createChannel()) {
            String q = ch.queueDeclare().getQueue();
            ch.queueBind(q, prefix + ".ch." + channel, "");
            Message m = Message.builder().id("native-1").payload("raw".getBytes(StandardCharsets.UTF_8)).header("k", "v").build();
            sb.publisher().publish(channel, m).toCompletableFuture().get(10, TimeUnit.SECONDS);
            GetResponse r = ch.basicGet(q, true);
            assertNotNull(r, "message in a queue bound by a raw client");
            assertEquals("raw", new String(r.getBody(), StandardCharsets.UTF_8));
            assertEquals("native-1", r.getProps().getMessageId());
            assertEquals(Message.OCTET_STREAM, r.getProps().getContentType());
            assertEquals(2, r.getProps().getDeliveryMode());
            assertEquals("v", r.getProps().getHeaders().get("k").toString());
            assertEquals(channel, r.getEnvelope().getRoutingKey());
        }
    }

    /** Publishes as another AMQP client would, to a channel's exchange or (exchange "") straight to a queue. */
    private static void rawPublish(String exchange, String routingKey, AMQP.BasicProperties props, String body) throws Exception {
        try (Connection raw = RabbitMqTests.raw(5672); Channel ch = raw.createChannel()) {
            ch.confirmSelect();
            ch.basicPublish(exchange, routingKey, props, body.getBytes(StandardCharsets.UTF_8));
            ch.waitForConfirmsOrDie(10_000);
        }
    }

    private static GetResponse awaitGet(String queue) throws Exception {
        try (Connection raw = RabbitMqTests.raw(5672); Channel ch = raw.createChannel()) {
            GetResponse[] r = new GetResponse[1];
            await(WAIT, () -> {
                try {
                    r[0] = ch.basicGet(queue, true);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                return r[0] != null;
            }, "a message in " + queue);
            return r[0];
        }
    }

    @Test
    void aForeignMessageItCannotReadAsSentIsDeadLetteredUnchangedWithTheReason() throws Exception {
        Switchboard sb = open();
        String channel = unique("foreign");
        String dead = unique("foreign-dead");
        List<Delivery> got = new CopyOnWriteArrayList<>();
        sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(unique("foreign-sub")).deadLetterChannel(dead), got::add);
        rawPublish(prefix + ".ch." + channel, channel, new AMQP.BasicProperties.Builder().contentType("text/plain\r\n")
                .messageId("bad-type").build(), "one");
        rawPublish(prefix + ".ch." + channel, channel, new AMQP.BasicProperties.Builder().messageId("bad\u0001id").build(), "two");
        rawPublish(prefix + ".ch." + channel, channel, new AMQP.BasicProperties.Builder().messageId("fine").build(), "three");
        String dlq = prefix + ".dlq." + dead;
        Map<String, GetResponse> dead2 = new java.util.HashMap<>();
        for (int i = 0; i < 2; i++) {
            GetResponse r = awaitGet(dlq);
            dead2.put(new String(r.getBody(), StandardCharsets.UTF_8), r);
        }
        assertEquals(Set.of("one", "two"), dead2.keySet(), "both unreadable messages kept in " + dlq);
        GetResponse one = dead2.get("one");
        assertEquals("text/plain\r\n", one.getProps().getContentType(), "the original content type, unchanged");
        assertTrue(one.getProps().getHeaders().get("sb-dead-letter-reason").toString().contains("content_type 'text/plain\\u000d\\u000a'"),
                String.valueOf(one.getProps().getHeaders()));
        assertEquals(channel, one.getProps().getHeaders().get("sb-original-channel").toString());
        assertEquals("0", one.getProps().getHeaders().get("sb-attempts").toString(), "no handler ran");
        GetResponse two = dead2.get("two");
        assertEquals("bad\u0001id", two.getProps().getMessageId(), "the original id, unchanged");
        assertTrue(two.getProps().getHeaders().get("sb-dead-letter-reason").toString().contains("message_id"));
        await(WAIT, () -> got.size() == 1, "the readable one delivered");
        assertEquals("fine", got.get(0).message().id());
        Thread.sleep(200);
        assertEquals(1, got.size(), "no unreadable message reached the handler");
        assertEquals(2L, sb.health().components().get("transport").details().get("unreadableDeadLettered"));
    }

    @Test
    void withoutADeadLetterChannelAForeignMessageItCannotReadAsSentIsDeliveredWithTheOriginalsInHeaders() throws Exception {
        Switchboard sb = open();
        String channel = unique("foreign-nodl");
        List<Delivery> got = new CopyOnWriteArrayList<>();
        sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(unique("foreign-nodl-sub")), got::add);
        Map<String, Object> headers = Map.of("tags", List.of("a", "b"), "when", new java.util.Date(1_700_000_000_000L),
                "bad\u0002name", "x", "ok", "yes");
        rawPublish(prefix + ".ch." + channel, channel, new AMQP.BasicProperties.Builder().contentType("application/json\u0000")
                .messageId("id\nwith-newline").headers(headers).build(), "{}");
        await(WAIT, () -> got.size() == 1, "delivered");
        Message m = got.get(0).message();
        assertEquals("{}", m.text());
        assertEquals(channel, m.channel());
        assertEquals(Message.OCTET_STREAM, m.contentType());
        assertEquals("application/json\\u0000", m.headers().get("sb-raw-content-type"));
        assertEquals("id\\u000awith-newline", m.headers().get("sb-raw-message-id"));
        assertEquals(java.util.UUID.nameUUIDFromBytes("id\nwith-newline".getBytes(StandardCharsets.UTF_8)).toString(), m.id(),
                "a substitute id that is the same on every redelivery");
        assertEquals("yes", m.headers().get("ok"));
        assertEquals("2023-11-14T22:13:20Z", m.headers().get("when"));
        assertFalse(m.headers().containsKey("tags"), "arrays are left out");
        assertEquals(1L, sb.health().components().get("transport").details().get("unreadableDelivered"));
    }

    @Test
    void aForeignSbChannelHeaderDoesNotMoveAMessageToAnotherChannel() throws Exception {
        Switchboard sb = open();
        String root = unique("trusted");
        String channel = root + ".real";
        List<Delivery> exact = new CopyOnWriteArrayList<>();
        List<Delivery> pattern = new CopyOnWriteArrayList<>();
        String durable = unique("trusted-sub");
        sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(durable), exact::add);
        sb.subscriber().subscribe(root + ".*", pattern::add);
        AMQP.BasicProperties forged = new AMQP.BasicProperties.Builder().messageId("forged")
                .headers(Map.of("sb-channel", root + ".elsewhere")).build();
        rawPublish(prefix + ".ch." + channel, channel, forged, "via the exchange");
        await(WAIT, () -> exact.size() == 1 && pattern.size() == 1, "delivered to both subscriptions");
        assertEquals(channel, exact.get(0).channel(), "the channel exchange says which channel");
        assertEquals(channel, pattern.get(0).channel(), "the channel exchange says which channel");
        rawPublish("", prefix + ".sub." + durable, forged, "straight to the queue");
        await(WAIT, () -> exact.size() == 2, "delivered");
        assertEquals(channel, exact.get(1).channel(), "an sb-channel this subscription does not receive is not believed");
        assertFalse(exact.get(1).message().headers().containsKey("sb-channel"), "transport headers stay hidden");
    }

    @Test
    void aForeignSbAttemptIsIgnoredOnAPublishAndClampedOnTheRetryPath() throws Exception {
        Switchboard sb = open();
        String channel = unique("attempts");
        String durable = unique("attempts-sub");
        String dead = unique("attempts-dead");
        Map<String, List<Integer>> attempts = new ConcurrentHashMap<>();
        sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(durable).retry(RetryPolicy.fixed(3, Duration.ofMillis(20)))
                .deadLetterChannel(dead), d -> {
                    attempts.computeIfAbsent(d.message().text(), k -> new CopyOnWriteArrayList<>()).add(d.attempt());
                    throw new IllegalStateException("fails");
                });
        rawPublish(prefix + ".ch." + channel, channel, new AMQP.BasicProperties.Builder().messageId("huge")
                .headers(Map.of("sb-attempt", Integer.MAX_VALUE)).build(), "published");
        rawPublish("", prefix + ".sub." + durable, new AMQP.BasicProperties.Builder().messageId("direct")
                .headers(Map.of("sb-attempt", 999_999, "sb-channel", channel)).build(), "direct");
        rawPublish("", prefix + ".sub." + durable, new AMQP.BasicProperties.Builder().messageId("negative")
                .headers(Map.of("sb-attempt", "-5", "sb-channel", channel)).build(), "negative");
        String dlq = prefix + ".dlq." + dead;
        Set<String> deadLettered = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < 3; i++) {
            deadLettered.add(new String(awaitGet(dlq).getBody(), StandardCharsets.UTF_8));
        }
        assertEquals(Set.of("published", "direct", "negative"), deadLettered);
        assertEquals(List.of(1, 2, 3), attempts.get("published"), "a publish is attempt 1 whatever its header says: every retry happens");
        assertEquals(List.of(3), attempts.get("direct"), "on the retry path the attempt is clamped to the policy's maximum");
        assertEquals(List.of(1, 2, 3), attempts.get("negative"), "and to at least 1");
    }

    @Test
    void patternsMatchLikeThePortableSyntaxIncludingZeroSegmentHash() throws Exception {
        Switchboard sb = open();
        String root = unique("p");
        Map<String, Set<String>> got = new ConcurrentHashMap<>();
        for (String pattern : List.of(root + ".#", root + ".*", "#.c", root + ".*.c")) {
            Set<String> set = ConcurrentHashMap.newKeySet();
            got.put(pattern, set);
            sb.subscriber().subscribe(pattern, d -> set.add(d.channel()));
        }
        List<String> channels = List.of(root, root + ".b", root + ".b.c", "c", root + ".x");
        for (String c : channels) {
            sb.publisher().publishText(c, c).toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        String marker = root + ".z.c";
        String marker2 = root + ".m";
        sb.publisher().publishText(marker, "marker").toCompletableFuture().get(10, TimeUnit.SECONDS);
        sb.publisher().publishText(marker2, "marker").toCompletableFuture().get(10, TimeUnit.SECONDS);
        await(WAIT, () -> got.get("#.c").contains(marker) && got.get(root + ".*.c").contains(marker)
                && got.get(root + ".#").contains(marker2) && got.get(root + ".*").contains(marker2), "markers delivered (per-subscription FIFO)");
        assertEquals(Set.of(root, root + ".b", root + ".b.c", root + ".x", marker, marker2), Set.copyOf(got.get(root + ".#")));
        assertEquals(Set.of(root + ".b", root + ".x", marker2), Set.copyOf(got.get(root + ".*")));
        assertTrue(got.get("#.c").containsAll(Set.of("c", root + ".b.c", marker)));
        assertEquals(Set.of(root + ".b.c", marker), Set.copyOf(got.get(root + ".*.c")));
    }

    @Test
    void aLoneHandledMessageIsAcknowledgedWithoutWaitingForABatch() throws Exception {
        // Acks are coalesced (one multiple-ack per batch); the last messages of a burst must not
        // wait for a batch that never fills, or they would be redelivered after a crash.
        Switchboard sb = open(Map.of("switchboard.subscriber.prefetch", 250));
        String channel = unique("lone");
        String name = unique("lone-sub");
        AtomicInteger handled = new AtomicInteger();
        try (Subscription s = sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), d -> handled.incrementAndGet())) {
            for (int i = 0; i < 3; i++) {
                sb.publisher().publishText(channel, "m" + i).toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
            await(WAIT, () -> handled.get() == 3, "three messages handled");
            String queue = prefix + ".sub." + name;
            long deadline = System.nanoTime() + WAIT.toNanos();
            int unacked;
            while ((unacked = SharedBrokerConnections.unacknowledged(queue)) != 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(0, unacked, "unacknowledged messages of " + queue + " while the subscription is still open");
            assertTrue(s.isActive());
        } finally {
            sb.subscriber().deleteDurable(name);
        }
    }

    @Test
    void handlersRunOnTheDeliveryThreadYetSlowOnesDoNotStallOtherSubscriptions() throws Exception {
        // Handlers of concurrency 1 run on amqp-client's consumer threads (no hand-off). Its
        // default pool has 2 threads per core: more blocked handlers than that must not hold up
        // a subscription that keeps up.
        Switchboard sb = open();
        int slow = 2 * Runtime.getRuntime().availableProcessors() + 2;
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch slowRunning = new CountDownLatch(slow);
        List<String> slowThreads = new CopyOnWriteArrayList<>();
        List<Subscription> subs = new ArrayList<>();
        try {
            for (int i = 0; i < slow; i++) {
                String ch = unique("slow" + i);
                subs.add(sb.subscriber().subscribe(ch, d -> {
                    slowThreads.add(Thread.currentThread().getName());
                    slowRunning.countDown();
                    release.await(30, TimeUnit.SECONDS);
                }));
                sb.publisher().publishText(ch, "block").toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
            assertTrue(slowRunning.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "every slow handler running: " + slowThreads);
            assertTrue(slowThreads.stream().allMatch(n -> n.contains("-rabbitmq-delivery-")),
                    "handlers ran on the consumer threads: " + slowThreads);
            String fast = unique("fast");
            CountDownLatch fastDone = new CountDownLatch(20);
            subs.add(sb.subscriber().subscribe(fast, d -> fastDone.countDown()));
            for (int i = 0; i < 20; i++) {
                sb.publisher().publishText(fast, "m" + i).toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
            assertTrue(fastDone.await(WAIT.toMillis(), TimeUnit.MILLISECONDS),
                    "the fast subscription kept receiving while " + slow + " handlers were blocked");
        } finally {
            release.countDown();
            subs.forEach(Subscription::close);
        }
    }

    @Test
    void durableSubscriptionKeepsMessagesAndSharesThemBetweenCompetingConsumers() throws Exception {
        Switchboard a = open();
        Switchboard b = open();
        String channel = unique("jobs");
        String name = unique("workers");
        SubscriptionOptions durable = SubscriptionOptions.defaults().durable(name);
        a.subscriber().subscribe(channel, durable, d -> { }).close();
        for (int i = 0; i < 100; i++) {
            a.publisher().publishText(channel, "m" + i).toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        Map<String, String> seenBy = new ConcurrentHashMap<>();
        AtomicInteger duplicates = new AtomicInteger();
        Subscription sa = a.subscriber().subscribe(channel, durable, d -> {
            if (seenBy.put(d.message().text(), "a") != null) {
                duplicates.incrementAndGet();
            }
            Thread.sleep(2);
        });
        Subscription sb = b.subscriber().subscribe(channel, durable, d -> {
            if (seenBy.put(d.message().text(), "b") != null) {
                duplicates.incrementAndGet();
            }
            Thread.sleep(2);
        });
        for (int i = 100; i < 200; i++) {
            b.publisher().publishText(channel, "m" + i).toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        await(WAIT, () -> seenBy.size() == 200, "all 200 messages, kept ones included");
        assertEquals(0, duplicates.get());
        assertTrue(seenBy.containsValue("a") && seenBy.containsValue("b"), "both consumers got some: " + Collections.frequency(seenBy.values(), "a"));
        sa.close();
        sb.close();
        assertTrue(a.subscriber().deleteDurable(name));
        assertFalse(a.subscriber().deleteDurable(name));
    }

    private static boolean queueExists(String queue) throws Exception {
        try (Connection raw = RabbitMqTests.raw(5672); Channel ch = raw.createChannel()) {
            ch.queueDeclarePassive(queue);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void deleteDurableEndsThisInstancesSubscriptionsRefusesWhileOthersConsumeAndLeavesNoOrphanQueue() throws Exception {
        Switchboard sb = open();
        Switchboard other = open();
        String channel = unique("orphan");
        String name = unique("orphan-sub");
        String queue = prefix + ".sub." + name;
        Subscription theirs = other.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), d -> { });
        Set<String> got = ConcurrentHashMap.newKeySet();
        sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), d -> got.add(d.message().text()));
        IllegalStateException elsewhere = assertThrows(IllegalStateException.class, () -> sb.subscriber().deleteDurable(name));
        assertTrue(elsewhere.getMessage().contains("'" + name + "'") && elsewhere.getMessage().contains("in use by 1 consumer(s) of other "
                + "instances"), elsewhere.getMessage());
        assertTrue(queueExists(queue), "the queue of a subscription in use elsewhere is kept");
        for (int i = 0; i < 4; i++) {
            sb.publisher().publishText(channel, "still subscribed " + i).toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        await(WAIT, () -> !got.isEmpty(), "the refused delete ended nothing here");
        theirs.close();

        assertTrue(sb.subscriber().deleteDurable(name), "deleted, this instance's subscription ended first");
        got.clear();
        sb.publisher().publishText(channel, "after the delete").toCompletableFuture().get(10, TimeUnit.SECONDS);
        Thread.sleep(1000);
        assertFalse(queueExists(queue), "no queue re-created to collect messages nobody reads");
        assertTrue(got.isEmpty(), "the ended subscription receives nothing: " + got);
        assertFalse(sb.subscriber().deleteDurable(name));
    }

    @Test
    void alwaysFailingHandlerEndsInTheDeadLetterQueueAfterTheConfiguredAttempts() throws Exception {
        Switchboard sb = open();
        String channel = unique("poison");
        String dead = unique("dead");
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(unique("sub"))
                .retry(RetryPolicy.fixed(3, Duration.ofMillis(100))).deadLetterChannel(dead), d -> {
                    attempts.add(d.attempt());
                    throw new IllegalStateException("always fails");
                });
        sb.publisher().publish(channel, Message.builder().id("poison-1").text("bad").header("h", "1").build())
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        try (Connection raw = RabbitMqTests.raw(5672); Channel ch = raw.createChannel()) {
            String dlq = prefix + ".dlq." + dead;
            GetResponse[] r = new GetResponse[1];
            await(WAIT, () -> {
                try {
                    r[0] = ch.basicGet(dlq, true);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                return r[0] != null;
            }, "the message in " + dlq);
            Map<String, Object> h = r[0].getProps().getHeaders();
            assertEquals("poison-1", r[0].getProps().getMessageId());
            assertEquals("bad", new String(r[0].getBody(), StandardCharsets.UTF_8));
            assertEquals(channel, h.get("sb-original-channel").toString());
            assertEquals("3", h.get("sb-attempts").toString());
            assertTrue(h.get("sb-dead-letter-reason").toString().contains("always fails"));
            assertEquals("1", h.get("h").toString());
        }
        assertEquals(List.of(1, 2, 3), attempts);
    }

    @Test
    void retriedMessageDoesNotBlockTheMessagesBehindIt() throws Exception {
        Switchboard sb = open();
        String channel = unique("hol");
        List<String> order = new CopyOnWriteArrayList<>();
        sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(unique("sub"))
                .retry(RetryPolicy.fixed(2, Duration.ofSeconds(2))), d -> {
                    order.add(d.message().text() + "#" + d.attempt());
                    if (d.message().text().equals("first") && d.attempt() == 1) {
                        throw new IllegalStateException("fail once");
                    }
                });
        sb.publisher().publishText(channel, "first").toCompletableFuture().get(10, TimeUnit.SECONDS);
        sb.publisher().publishText(channel, "second").toCompletableFuture().get(10, TimeUnit.SECONDS);
        await(WAIT, () -> order.contains("first#2"), "the retry");
        assertEquals(List.of("first#1", "second#1", "first#2"), order);
    }

    @Test
    void closingASubscriptionWithRetriesAndDeadLettersInFlightIsQuickAndDoesNotStallOtherPublishes() throws Exception {
        // Retries and dead letters are confirmed on the connection's I/O thread, which then
        // settles the original delivery: if the closing thread held the delivery channel's lock
        // across basic.cancel, that thread would wait for the lock while the cancel-ok it must
        // read waits behind it (10 s, the RPC timeout).
        Switchboard sb = open();
        String other = unique("unrelated");
        List<Long> closeMillis = new ArrayList<>();
        long worstPublishMillis = 0;
        for (int round = 0; round < 8; round++) {
            String channel = unique("failing");
            String name = unique("failing-sub");
            AtomicInteger attempts = new AtomicInteger();
            Subscription s = sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name).concurrency(4)
                    .retry(RetryPolicy.fixed(4, Duration.ofMillis(20))).deadLetterChannel(unique("failing-dead")), d -> {
                        attempts.incrementAndGet();
                        throw new IllegalStateException("always fails");
                    });
            List<CompletableFuture<Void>> sent = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                sent.add(sb.publisher().publishText(channel, "m" + i).toCompletableFuture());
            }
            CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0])).get(10, TimeUnit.SECONDS);
            await(WAIT, () -> attempts.get() >= 80, "retries under way");
            AtomicLong worst = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            Thread publisher = new Thread(() -> {
                while (!stop.get()) {
                    long start = System.nanoTime();
                    try {
                        sb.publisher().publishText(other, "x").toCompletableFuture().get(30, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                    worst.accumulateAndGet(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), Math::max);
                }
            });
            publisher.start();
            long start = System.nanoTime();
            s.close();
            closeMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            Thread.sleep(100);
            stop.set(true);
            publisher.join(TimeUnit.SECONDS.toMillis(40));
            worstPublishMillis = Math.max(worstPublishMillis, worst.get());
            sb.subscriber().deleteDurable(name);
        }
        System.out.printf("close with retries and dead letters in flight: %s ms; slowest unrelated publish meanwhile %d ms%n",
                closeMillis, worstPublishMillis);
        assertTrue(closeMillis.stream().allMatch(ms -> ms < 2000), "every close within 2 s: " + closeMillis);
        assertTrue(worstPublishMillis < 1000, "an unrelated publish was held up " + worstPublishMillis + " ms");
    }

    @Test
    void handlerExceptionDoesNotCloseTheChannel() throws Exception {
        Switchboard sb = open();
        String channel = unique("throws");
        AtomicInteger handled = new AtomicInteger();
        sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().retry(RetryPolicy.none()), d -> {
            handled.incrementAndGet();
            throw new RuntimeException("boom");
        });
        Connection before = sb.unwrap(Connection.class);
        for (int i = 0; i < 20; i++) {
            sb.publisher().publishText(channel, "m" + i).toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        await(WAIT, () -> handled.get() == 20, "all 20 handled despite exceptions");
        assertSame(before, sb.unwrap(Connection.class));
        assertTrue(before.isOpen());
        assertEquals(0L, sb.health().components().get("transport").details().get("recoveries"));
    }

    @Test
    void sixteenThreadsPublishingThroughOneSwitchboardAreAllConfirmed() throws Exception {
        Switchboard sb = open();
        String channel = unique("many");
        Connection before = sb.unwrap(RabbitMqConnections.class).publishing();
        List<CompletableFuture<Void>> futures = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                for (int i = 0; i < 500; i++) {
                    futures.add(sb.publisher().publishText(channel, id + ":" + i).toCompletableFuture());
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
        assertEquals(8000, futures.size());
        assertSame(before, sb.unwrap(RabbitMqConnections.class).publishing());
        assertTrue(before.isOpen());
    }

    @Test
    void aPublishFromAConfirmCallbackNeverWaitsForTheWindowItsOwnConfirmIsHolding() throws Exception {
        // Callbacks of a publish's stage run on the connection's I/O thread. Its window permit
        // must be free before they run, and a publish made there must not wait for a permit
        // that only that thread's reading of confirms can free.
        Switchboard sb = open(Map.of("switchboard.rabbitmq.confirm-window", "1", "switchboard.rabbitmq.confirm-timeout", "5s"));
        String channel = unique("chained");
        CompletableFuture<Long> chained = new CompletableFuture<>();
        sb.publisher().publishText(channel, "first").toCompletableFuture().get(10, TimeUnit.SECONDS);
        long start = System.nanoTime();
        sb.publisher().publishText(channel, "second").whenComplete((ok, e) -> sb.publisher().publishText(channel, "from the callback")
                .whenComplete((ok2, e2) -> {
                    if (e2 != null) {
                        chained.completeExceptionally(e2);
                    } else {
                        chained.complete(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                    }
                }));
        long ms = chained.get(20, TimeUnit.SECONDS);
        System.out.printf("a publish from a confirm callback, window 1: confirmed after %d ms%n", ms);
        assertTrue(ms < 2000, "the chained publish took " + ms + " ms");
    }

    @Test
    void closeLetsHandlersFinishSoARollingRestartLosesNothing() throws Exception {
        String channel = unique("rolling");
        String name = unique("svc");
        SubscriptionOptions opts = SubscriptionOptions.defaults().durable(name).concurrency(4);
        Set<String> seen = ConcurrentHashMap.newKeySet();
        Switchboard first = RabbitMqTests.open(RabbitMqTests.SHARED_URI, prefix, Map.of());
        first.subscriber().subscribe(channel, opts, d -> {
            Thread.sleep(5);
            seen.add(d.message().text());
        });
        Switchboard publisher = open();
        for (int i = 0; i < 300; i++) {
            publisher.publisher().publishText(channel, "m" + i);
        }
        await(WAIT, () -> seen.size() > 30, "some handled");
        first.close();
        Switchboard second = open();
        second.subscriber().subscribe(channel, opts, d -> seen.add(d.message().text()));
        await(WAIT, () -> seen.size() == 300, "every message after the restart, got " + seen.size());
    }

    @Test
    void wrongCredentialsFailClearlyWithoutThePassword() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> open(Map.of("switchboard.rabbitmq.uri", "amqp://guest:s3cr3t-pw@127.0.0.1:5672/%2F")));
        assertTrue(e.getMessage().contains("refused the login of user 'guest'"), e.getMessage());
        assertFalse(e.getMessage().contains("s3cr3t-pw"), e.getMessage());
    }

    @Test
    void missingVirtualHostFailsClearly() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> open(Map.of("switchboard.rabbitmq.uri", "amqp://guest:guest@127.0.0.1:5672/no-such-vhost")));
        assertTrue(e.getMessage().contains("virtual host 'no-such-vhost'"), e.getMessage());
        assertFalse(e.getMessage().contains("guest:guest"), e.getMessage());
    }

    @Test
    void closedPortFailsWithinTheConnectionTimeout() {
        long start = System.nanoTime();
        ConnectionException e = assertThrows(ConnectionException.class, () -> open(Map.of(
                "switchboard.rabbitmq.uri", "amqp://guest:pw-secret@127.0.0.1:1/%2F", "switchboard.rabbitmq.connection-timeout", "1500ms")));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(ms >= 1400 && ms < 6000, "failed after " + ms + " ms");
        assertTrue(e.getMessage().contains("127.0.0.1:1"), e.getMessage());
        assertFalse(e.getMessage().contains("pw-secret"), e.getMessage());
    }

    @Test
    void malformedSettingsAreReportedTogether() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> open(Map.of(
                "switchboard.rabbitmq.uri", "http://h/", "switchboard.rabbitmq.confirm-window", "0")));
        assertTrue(e.problems().size() >= 2, e.getMessage());
        assertTrue(e.getMessage().contains("switchboard.rabbitmq.uri") && e.getMessage().contains("switchboard.rabbitmq.confirm-window"),
                e.getMessage());
    }

    @Test
    void subscriptionCloseStopsDeliveries() throws Exception {
        Switchboard sb = open();
        String channel = unique("stop");
        AtomicInteger got = new AtomicInteger();
        Subscription s = sb.subscriber().subscribe(channel, d -> got.incrementAndGet());
        sb.publisher().publishText(channel, "1").toCompletableFuture().get(10, TimeUnit.SECONDS);
        await(WAIT, () -> got.get() == 1, "first");
        s.close();
        sb.publisher().publishText(channel, "2").toCompletableFuture().get(10, TimeUnit.SECONDS);
        Set<String> other = ConcurrentHashMap.newKeySet();
        sb.subscriber().subscribe(channel, d -> other.add(d.message().text()));
        sb.publisher().publishText(channel, "3").toCompletableFuture().get(10, TimeUnit.SECONDS);
        await(WAIT, () -> other.contains("3"), "later subscriber");
        assertEquals(1, got.get());
    }
}
