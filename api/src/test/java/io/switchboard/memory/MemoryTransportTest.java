package io.switchboard.memory;

import static io.switchboard.testing.Await.await;
import static io.switchboard.testing.Await.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.Capability;
import io.switchboard.ConnectionEvent;
import io.switchboard.Message;
import io.switchboard.PublishException;
import io.switchboard.RetryPolicy;
import io.switchboard.Subscription;
import io.switchboard.SubscriptionOptions;
import io.switchboard.Switchboard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MemoryTransportTest {
    private String broker;
    private final List<Switchboard> open = new ArrayList<>();

    @BeforeEach
    void newBroker() {
        broker = unique("broker");
    }

    @AfterEach
    void closeAll() {
        open.forEach(sb -> sb.close(Duration.ofSeconds(5)));
    }

    private Switchboard open(Map<String, String> extra) {
        Map<String, String> props = new java.util.HashMap<>(extra);
        props.put("switchboard.transport", "memory");
        props.put("switchboard.memory.broker", broker);
        Switchboard sb = Switchboard.open(props);
        open.add(sb);
        return sb;
    }

    private Switchboard open() {
        return open(Map.of());
    }

    @Test
    void declaresEverythingButSurvivingRestart() {
        Switchboard sb = open();
        for (Capability c : Capability.values()) {
            assertEquals(c != Capability.SURVIVES_RESTART, sb.capabilities().has(c), c.key());
        }
    }

    @Test
    void instancesOnTheSameBrokerTalkToEachOther() {
        Switchboard a = open();
        Switchboard b = open();
        List<String> got = new CopyOnWriteArrayList<>();
        b.subscriber().subscribe("orders.created", d -> got.add(d.message().text()));
        a.publisher().publishAndWait("orders.created", Message.ofText("42"), Duration.ofSeconds(5));
        await(() -> got.equals(List.of("42")), "message from instance a reaches instance b, got " + got);
    }

    @Test
    void instancesOnDifferentBrokersAreIsolated() {
        Switchboard a = open();
        broker = unique("other");
        Switchboard b = open();
        List<String> gotB = new CopyOnWriteArrayList<>();
        b.subscriber().subscribe("x", d -> gotB.add(d.message().text()));
        a.publisher().publishAndWait("x", Message.ofText("from-a"), Duration.ofSeconds(5));
        b.publisher().publishAndWait("x", Message.ofText("from-b"), Duration.ofSeconds(5));
        await(() -> gotB.contains("from-b"), "b's own message arrives");
        assertEquals(List.of("from-b"), gotB, "a message crossed brokers");
    }

    @Test
    void keepsPublishOrderPerChannel() {
        Switchboard sb = open();
        List<Integer> got = Collections.synchronizedList(new ArrayList<>());
        sb.subscriber().subscribe("seq", d -> got.add(Integer.parseInt(d.message().text())));
        List<Integer> sent = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            sb.publisher().publishText("seq", Integer.toString(i));
            sent.add(i);
        }
        await(() -> got.size() == sent.size(), "all 2000 delivered, got " + got.size());
        assertEquals(sent, got);
    }

    @Test
    void patternsMatchWithHashForZeroSegments() {
        Switchboard sb = open();
        List<String> got = new CopyOnWriteArrayList<>();
        sb.subscriber().subscribe("orders.#", d -> got.add(d.channel()));
        sb.publisher().publishText("orders", "a");
        sb.publisher().publishText("orders.eu.created", "b");
        sb.publisher().publishText("invoices.created", "c");
        await(() -> got.size() == 2, "two matching messages, got " + got);
        assertEquals(List.of("orders", "orders.eu.created"), got);
    }

    @Test
    void durableSubscriptionKeepsMessagesWhileNobodyListens() {
        Switchboard sb = open();
        String name = unique("durable");
        SubscriptionOptions options = SubscriptionOptions.defaults().durable(name);
        Subscription first = sb.subscriber().subscribe("jobs", options, d -> { });
        first.close();
        sb.publisher().publishText("jobs", "while-away");
        List<String> got = new CopyOnWriteArrayList<>();
        sb.subscriber().subscribe("jobs", options, d -> got.add(d.message().text()));
        await(() -> got.equals(List.of("while-away")), "kept message delivered on resubscribe, got " + got);
        assertTrue(sb.subscriber().deleteDurable(name));
        assertFalse(sb.subscriber().deleteDurable(name));
    }

    @Test
    void deleteDurableClosesThisInstancesSubscriptionsOfTheNameAndLeavesNoQueueBehind() {
        Switchboard sb = open();
        String name = unique("deleted");
        SubscriptionOptions options = SubscriptionOptions.defaults().durable(name);
        Subscription sub = sb.subscriber().subscribe("jobs", options, d -> { });
        Subscription other = sb.subscriber().subscribe("jobs", d -> { });
        assertTrue(sb.subscriber().deleteDurable(name));
        assertFalse(sub.isActive(), "the subscription of the deleted name is closed");
        assertTrue(other.isActive(), "a subscription of another name stays");
        sb.publisher().publishText("jobs", "after-delete");
        assertFalse(sb.subscriber().deleteDurable(name), "nothing re-created the durable subscription");
        assertEquals(1, sb.health().components().get("subscriptions").details().get("open"), sb.health().toString());
    }

    @Test
    void competingConsumersShareMessagesEachToOne() {
        Switchboard a = open();
        Switchboard b = open();
        String name = unique("workers");
        SubscriptionOptions options = SubscriptionOptions.defaults().durable(name);
        List<String> gotA = new CopyOnWriteArrayList<>();
        List<String> gotB = new CopyOnWriteArrayList<>();
        a.subscriber().subscribe("work", options, d -> gotA.add(d.message().text()));
        b.subscriber().subscribe("work", options, d -> gotB.add(d.message().text()));
        for (int i = 0; i < 100; i++) {
            a.publisher().publishText("work", Integer.toString(i));
        }
        await(() -> gotA.size() + gotB.size() >= 100, "100 messages handled, got " + (gotA.size() + gotB.size()));
        List<String> all = new ArrayList<>(gotA);
        all.addAll(gotB);
        assertEquals(100, all.size(), "each message handled exactly once");
        assertEquals(100, all.stream().distinct().count());
        assertFalse(gotA.isEmpty(), "consumer a got none");
        assertFalse(gotB.isEmpty(), "consumer b got none");
    }

    @Test
    void retriesWithAttemptCountThenDeadLettersWithHeaders() {
        Switchboard sb = open();
        String dlq = unique("dead");
        List<Message> dead = new CopyOnWriteArrayList<>();
        sb.subscriber().subscribe(dlq, d -> dead.add(d.message()));
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        sb.subscriber().subscribe("fragile", SubscriptionOptions.defaults()
                .retry(RetryPolicy.fixed(3, Duration.ofMillis(10))).deadLetterChannel(dlq), d -> {
                    attempts.add(d.attempt());
                    throw new IllegalStateException("boom");
                });
        Message m = Message.builder().text("payload").header("trace", "t1").build();
        sb.publisher().publish("fragile", m);
        await(() -> dead.size() == 1, "dead letter arrives");
        assertEquals(List.of(1, 2, 3), attempts);
        Message d = dead.get(0);
        assertEquals(m.id(), d.id());
        assertEquals("payload", d.text());
        assertEquals("t1", d.header("trace"));
        assertEquals("fragile", d.header("sb-original-channel"));
        assertEquals("3", d.header("sb-attempts"));
        assertTrue(d.header("sb-dead-letter-reason").contains("boom"), d.header("sb-dead-letter-reason"));
        assertEquals(dlq, d.channel());
    }

    @Test
    void retryDoesNotBlockMessagesBehindIt() {
        Switchboard sb = open();
        List<String> got = new CopyOnWriteArrayList<>();
        AtomicInteger failures = new AtomicInteger();
        sb.subscriber().subscribe("slow-retry", SubscriptionOptions.defaults().retry(RetryPolicy.fixed(2, Duration.ofSeconds(1))), d -> {
            if (d.message().text().equals("first") && failures.getAndIncrement() == 0) {
                throw new IllegalStateException("first attempt fails");
            }
            got.add(d.message().text() + "@" + d.attempt());
        });
        sb.publisher().publishText("slow-retry", "first");
        sb.publisher().publishText("slow-retry", "second");
        await(() -> got.size() == 2, "both handled, got " + got);
        assertEquals(List.of("second@1", "first@2"), got);
    }

    @Test
    void fullQueueRefusesPublishWithRetryableErrorNamingSubscriptionAndCapacity() throws Exception {
        Switchboard sb = open(Map.of("switchboard.memory.queue-capacity", "5", "switchboard.subscriber.prefetch", "1"));
        CountDownLatch release = new CountDownLatch(1);
        List<String> got = new CopyOnWriteArrayList<>();
        sb.subscriber().subscribe("busy", d -> {
            release.await();
            got.add(d.message().text());
        });
        List<String> accepted = new ArrayList<>();
        PublishException refused = null;
        for (int i = 0; i < 20 && refused == null; i++) {
            try {
                sb.publisher().publishText("busy", Integer.toString(i)).toCompletableFuture().join();
                accepted.add(Integer.toString(i));
            } catch (CompletionException e) {
                refused = (PublishException) e.getCause();
            }
        }
        assertTrue(refused != null, "a publish was refused");
        assertTrue(refused.isRetryable());
        assertTrue(refused.getMessage().contains("'busy'") && refused.getMessage().contains("5 messages")
                && refused.getMessage().contains("switchboard.memory.queue-capacity"), refused.getMessage());
        release.countDown();
        await(() -> got.size() == accepted.size(), "every accepted message delivered");
        assertEquals(accepted, got);
    }

    @Test
    void closedTransientSubscriptionGetsNothingMore() {
        Switchboard sb = open();
        List<String> gone = new CopyOnWriteArrayList<>();
        List<String> witness = new CopyOnWriteArrayList<>();
        Subscription s = sb.subscriber().subscribe("gone", d -> gone.add(d.message().text()));
        sb.subscriber().subscribe("gone", d -> witness.add(d.message().text()));
        s.close();
        sb.publisher().publishText("gone", "x").toCompletableFuture().join();
        await(() -> witness.contains("x"), "the open subscription receives the message");
        assertEquals(List.of(), gone);
    }

    @Test
    void reportsConnectedOnceAtOpen() {
        List<ConnectionEvent> events = new CopyOnWriteArrayList<>();
        Switchboard sb = Switchboard.builder().property("switchboard.transport", "memory")
                .property("switchboard.memory.broker", broker).connectionListener(events::add).open();
        open.add(sb);
        await(() -> events.size() == 2, "transport and cache report connected, got " + events);
        assertEquals(List.of(ConnectionEvent.Type.CONNECTED, ConnectionEvent.Type.CONNECTED),
                events.stream().map(ConnectionEvent::type).collect(java.util.stream.Collectors.toList()));
    }

    @Test
    void healthCountsQueuesAndPublishes() {
        Switchboard sb = open();
        sb.subscriber().subscribe("h", d -> { });
        sb.publisher().publishText("h", "x").toCompletableFuture().join();
        Map<String, Object> details = sb.health().components().get("transport").details();
        assertEquals(1L, details.get("published"));
        assertEquals(1, details.get("queues"));
    }

    @Test
    void publishAfterCloseThrowsIllegalState() {
        Switchboard sb = open();
        sb.close();
        assertThrows(IllegalStateException.class, () -> sb.publisher().publishText("x", "y"));
    }
}
