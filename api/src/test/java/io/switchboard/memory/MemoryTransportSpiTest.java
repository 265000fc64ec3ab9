package io.switchboard.memory;

import static io.switchboard.testing.Await.await;
import static io.switchboard.testing.Await.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.Message;
import io.switchboard.PublishException;
import io.switchboard.SubscriptionOptions;
import io.switchboard.spi.InboundDelivery;
import io.switchboard.spi.SubscriptionRequest;
import io.switchboard.spi.TransportSubscription;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The transport against the SPI contract directly, without the facade in between. */
class MemoryTransportSpiTest {
    private MemoryTransport transport;

    @BeforeEach
    void open() {
        transport = new MemoryTransport(MemoryBroker.named(unique("spi")), 1000);
    }

    @AfterEach
    void close() {
        transport.close(Duration.ofSeconds(1));
    }

    private static SubscriptionRequest request(String channel, int maxUnacknowledged) {
        return new SubscriptionRequest(channel, SubscriptionOptions.defaults(), maxUnacknowledged);
    }

    private static SubscriptionRequest durable(String channel, String name, int maxUnacknowledged) {
        return new SubscriptionRequest(channel, SubscriptionOptions.defaults().durable(name), maxUnacknowledged);
    }

    private void publish(String channel, String text) {
        transport.publish(channel, Message.ofText(text).withChannel(channel)).toCompletableFuture().join();
    }

    /** Back-pressure is part of the contract: a full queue refuses with a retryable error and the caller tries again. */
    private void publishRetryingWhileFull(String channel, String text) {
        Message m = Message.ofText(text).withChannel(channel);
        while (true) {
            try {
                transport.publish(channel, m).toCompletableFuture().join();
                return;
            } catch (CompletionException e) {
                if (!(e.getCause() instanceof PublishException) || !((PublishException) e.getCause()).isRetryable()) {
                    throw e;
                }
                Thread.yield();
            }
        }
    }

    @Test
    void neverHasMoreThanMaxUnacknowledgedOutstanding() throws Exception {
        BlockingQueue<InboundDelivery> got = new LinkedBlockingQueue<>();
        transport.subscribe(request("credit", 2), got::add);
        for (int i = 0; i < 5; i++) {
            publish("credit", "m" + i);
        }
        await(() -> got.size() == 2, "two deliveries within the credit");
        assertEquals(2, got.size(), "no third delivery before an acknowledgement");
        got.take().ack();
        await(() -> got.size() == 2, "acknowledging one lets one more through");
        InboundDelivery d = got.take();
        d.retry(Duration.ZERO);
        await(() -> got.size() >= 2, "retry frees the credit too");
    }

    @Test
    void deliveriesAreSizedByTheirMessageWithoutCopying() throws Exception {
        BlockingQueue<InboundDelivery> got = new LinkedBlockingQueue<>();
        transport.subscribe(request("sized", 2), got::add);
        publish("sized", "twelve bytes");
        InboundDelivery d = got.take();
        assertEquals(d.message().size(), d.sizeHint());
        assertEquals(12, d.sizeHint());
        d.ack();
    }

    @Test
    void releaseFromInsideTheListenerRedeliversWithoutCountingAnAttempt() {
        List<InboundDelivery> got = new CopyOnWriteArrayList<>();
        AtomicBoolean releasedOnce = new AtomicBoolean();
        transport.subscribe(request("release", 1), d -> {
            got.add(d);
            if (releasedOnce.compareAndSet(false, true)) {
                d.release();
            }
        });
        publish("release", "x");
        await(() -> got.size() == 2, "released message comes back");
        assertEquals(1, got.get(0).attempt());
        assertFalse(got.get(0).redelivered());
        assertEquals(1, got.get(1).attempt());
        assertTrue(got.get(1).redelivered());
        assertEquals(got.get(0).message().id(), got.get(1).message().id());
    }

    @Test
    void retryComesBackAfterTheDelayWithTheNextAttemptNumber() {
        List<InboundDelivery> got = new CopyOnWriteArrayList<>();
        transport.subscribe(request("retry", 10), got::add);
        publish("retry", "x");
        await(() -> got.size() == 1, "first delivery");
        long start = System.nanoTime();
        got.get(0).retry(Duration.ofMillis(100));
        await(() -> got.size() == 2, "retried delivery");
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(100), "not before the delay");
        assertEquals(2, got.get(1).attempt());
        assertTrue(got.get(1).redelivered());
    }

    @Test
    void aListenerThatAlwaysThrowsDoesNotSpinAndLosesNothing() {
        AtomicInteger calls = new AtomicInteger();
        List<InboundDelivery> got = new CopyOnWriteArrayList<>();
        AtomicBoolean broken = new AtomicBoolean(true);
        transport.subscribe(request("broken", 1), d -> {
            calls.incrementAndGet();
            if (broken.get()) {
                throw new IllegalStateException("listener broken");
            }
            got.add(d);
        });
        publish("broken", "x");
        await(() -> calls.get() >= 2, "the message is offered again later");
        assertTrue(calls.get() < 1000, "offered " + calls.get() + " times in a few milliseconds: spinning");
        broken.set(false);
        await(() -> got.size() == 1, "delivered once the listener works");
        assertEquals("x", got.get(0).message().text());
    }

    @Test
    void settlingTwiceIsHarmless() {
        List<InboundDelivery> got = new CopyOnWriteArrayList<>();
        transport.subscribe(request("twice", 1), got::add);
        publish("twice", "a");
        publish("twice", "b");
        await(() -> got.size() == 1, "first delivery");
        got.get(0).ack();
        got.get(0).ack();
        got.get(0).release();
        await(() -> got.size() == 2, "second delivery");
        assertEquals("b", got.get(1).message().text());
    }

    @Test
    void durableQueueTakesBackDeliveriesReleasedAfterClose() {
        String name = unique("d");
        List<InboundDelivery> first = new CopyOnWriteArrayList<>();
        TransportSubscription s = transport.subscribe(durable("jobs", name, 10), first::add);
        publish("jobs", "a");
        publish("jobs", "b");
        await(() -> first.size() == 2, "both delivered");
        s.close();
        first.get(0).ack();
        first.get(1).release();
        publish("jobs", "c");
        List<InboundDelivery> second = new CopyOnWriteArrayList<>();
        transport.subscribe(durable("jobs", name, 10), second::add);
        await(() -> second.size() == 2, "released and new message delivered to the next subscriber");
        assertEquals("b", second.get(0).message().text());
        assertTrue(second.get(0).redelivered());
        assertEquals("c", second.get(1).message().text());
        assertTrue(transport.deleteDurable(name));
    }

    @Test
    void releasedMessagesReturnToTheirOriginalPlaceInTheQueue() {
        String name = unique("order");
        List<InboundDelivery> first = new CopyOnWriteArrayList<>();
        TransportSubscription s = transport.subscribe(durable("ordered", name, 3), first::add);
        for (int i = 1; i <= 5; i++) {
            publish("ordered", "m" + i);
        }
        await(() -> first.size() == 3, "three delivered within the credit");
        s.close();
        first.get(0).release();
        first.get(2).release();
        first.get(1).release();
        List<String> second = new CopyOnWriteArrayList<>();
        transport.subscribe(durable("ordered", name, 10), d -> {
            second.add(d.message().text());
            d.ack();
        });
        await(() -> second.size() == 5, "all five delivered again, got " + second);
        assertEquals(List.of("m1", "m2", "m3", "m4", "m5"), second);
        transport.deleteDurable(name);
    }

    @Test
    void transientQueueDropsWhatIsLeftOnClose() {
        List<InboundDelivery> got = new CopyOnWriteArrayList<>();
        TransportSubscription s = transport.subscribe(request("t", 1), got::add);
        publish("t", "a");
        publish("t", "b");
        await(() -> got.size() == 1, "one delivered");
        s.close();
        s.close();
        got.get(0).release();
        got.get(0).retry(Duration.ZERO);
        assertEquals(0, transport.health().details().get("queues"));
    }

    @Test
    void deadLetterAfterCloseStillReachesTheDeadLetterChannel() {
        List<InboundDelivery> dead = new CopyOnWriteArrayList<>();
        transport.subscribe(request("dlq", 10), dead::add);
        List<InboundDelivery> got = new CopyOnWriteArrayList<>();
        TransportSubscription s = transport.subscribe(new SubscriptionRequest("work",
                SubscriptionOptions.defaults().deadLetterChannel("dlq"), 10), got::add);
        publish("work", "x");
        await(() -> got.size() == 1, "delivered");
        s.close();
        got.get(0).deadLetter("gave up", 3);
        await(() -> dead.size() == 1, "dead letter delivered");
        Message m = dead.get(0).message();
        assertEquals("gave up", m.header("sb-dead-letter-reason"));
        assertEquals("work", m.header("sb-original-channel"));
        assertEquals("3", m.header("sb-attempts"));
        assertEquals("dlq", m.channel());
        assertEquals(got.get(0).message().id(), m.id());
    }

    @Test
    void fullQueueRejectsThePublishForEveryQueue() {
        MemoryTransport small = new MemoryTransport(MemoryBroker.named(unique("small")), 1);
        try {
            List<InboundDelivery> roomy = new CopyOnWriteArrayList<>();
            List<InboundDelivery> stuck = new CopyOnWriteArrayList<>();
            small.subscribe(request("p", 100), roomy::add);
            small.subscribe(request("p", 1), stuck::add);
            small.publish("p", Message.ofText("1").withChannel("p")).toCompletableFuture().join();
            small.publish("p", Message.ofText("2").withChannel("p")).toCompletableFuture().join();
            await(() -> roomy.size() == 2, "roomy subscriber has both");
            roomy.forEach(InboundDelivery::ack);
            CompletionException e = assertThrows(CompletionException.class,
                    () -> small.publish("p", Message.ofText("3").withChannel("p")).toCompletableFuture().join());
            assertTrue(e.getCause() instanceof PublishException && ((PublishException) e.getCause()).isRetryable());
            assertEquals(2, roomy.size(), "a refused publish reaches no queue");
        } finally {
            small.close(Duration.ZERO);
        }
    }

    @Test
    void publishAfterCloseFailsAndCloseIsIdempotent() {
        transport.close(Duration.ZERO);
        transport.close(Duration.ZERO);
        assertThrows(IllegalStateException.class, () -> transport.publish("x", Message.ofText("y").withChannel("x")));
    }

    @Test
    void competingConsumersAckingFromOtherThreadsGetEachMessageOnce() throws Exception {
        String name = unique("race");
        Set<String> seen = ConcurrentHashMap.newKeySet();
        List<String> duplicates = new CopyOnWriteArrayList<>();
        ExecutorService ackers = Executors.newFixedThreadPool(2);
        ExecutorService publishers = Executors.newFixedThreadPool(3);
        try {
            for (int c = 0; c < 3; c++) {
                transport.subscribe(durable("race.#", name, 8), d -> {
                    if (!seen.add(d.message().text())) {
                        duplicates.add(d.message().text());
                    }
                    ackers.execute(d::ack);
                });
            }
            int perThread = 3000;
            for (int t = 0; t < 3; t++) {
                int thread = t;
                publishers.execute(() -> {
                    for (int i = 0; i < perThread; i++) {
                        publishRetryingWhileFull("race." + thread, thread + "-" + i);
                    }
                });
            }
            await(Duration.ofSeconds(30), () -> seen.size() == 3 * perThread, "every message delivered, got " + seen.size());
            assertEquals(List.of(), duplicates);
        } finally {
            publishers.shutdownNow();
            ackers.shutdownNow();
        }
    }
}
