package io.switchboard;

import static io.switchboard.testing.Await.await;
import static io.switchboard.testing.Await.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The facade's publish checks and handler machinery, over the in-memory transport. */
class SubscriptionBehaviourTest {
    private String broker;
    private final List<Switchboard> open = new ArrayList<>();

    @BeforeEach
    void newBroker() {
        broker = unique("behaviour");
    }

    @AfterEach
    void closeAll() {
        open.forEach(sb -> sb.close(Duration.ofSeconds(5)));
    }

    private Switchboard open(String... kv) {
        Map<String, Object> props = new java.util.HashMap<>();
        props.put("switchboard.transport", "memory");
        props.put("switchboard.memory.broker", broker);
        for (int i = 0; i < kv.length; i += 2) {
            props.put(kv[i], kv[i + 1]);
        }
        Switchboard sb = Switchboard.open(props);
        open.add(sb);
        return sb;
    }

    /** Publishes a marker on a separate subscription and waits for it: everything published before has been dispatched. */
    private static void flush(Switchboard sb) {
        String channel = unique("flush");
        CountDownLatch seen = new CountDownLatch(1);
        Subscription s = sb.subscriber().subscribe(channel, d -> seen.countDown());
        sb.publisher().publishText(channel, "marker");
        try {
            assertTrue(seen.await(10, TimeUnit.SECONDS), "marker delivered");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        } finally {
            s.close();
        }
    }

    @Test
    void publishToAClosedSwitchboardThrowsIllegalState() {
        Switchboard sb = open();
        sb.close();
        assertTrue(sb.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> sb.publisher().publishText("a", "b"));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> sb.subscriber().subscribe("a", d -> { }));
        assertThrows(IllegalStateException.class, () -> sb.cache().get("k", String.class));
    }

    @Test
    void oversizeMessageIsRefusedWithSizeAndLimit() {
        Switchboard sb = open("switchboard.message.max-size", "100");
        Message m = Message.builder().payload(new byte[90]).header("h", "0123456789").build();
        PayloadTooLargeException e = assertThrows(PayloadTooLargeException.class, () -> sb.publisher().publish("big", m));
        assertEquals(101, e.size());
        assertEquals(100, e.limit());
        assertTrue(e.getMessage().contains("'big'") && e.getMessage().contains("switchboard.message.max-size"), e.getMessage());
        sb.publisher().publish("big", Message.ofBytes(new byte[100])).toCompletableFuture().join();
    }

    @Test
    void invalidChannelsAreRefusedNamingTheChannel() {
        Switchboard sb = open();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sb.publisher().publishText("orders.*", "x"));
        assertTrue(e.getMessage().contains("'orders.*'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> sb.subscriber().subscribe("orders..x", d -> { }));
        assertThrows(IllegalArgumentException.class, () -> sb.subscriber().subscribe("a",
                SubscriptionOptions.defaults().deadLetterChannel("dead.*"), d -> { }));
    }

    @Test
    void handlerExceptionsNeverKillTheSubscription() {
        Switchboard sb = open();
        List<String> handled = new CopyOnWriteArrayList<>();
        sb.subscriber().subscribe("unstable", SubscriptionOptions.defaults().retry(RetryPolicy.none()), d -> {
            String t = d.message().text();
            switch (t) {
                case "runtime":
                    throw new IllegalStateException("runtime failure");
                case "checked":
                    throw new java.io.IOException("checked failure");
                case "error":
                    throw new AssertionError("an Error that is not a VirtualMachineError");
                default:
                    handled.add(t);
            }
        });
        for (String t : List.of("a", "runtime", "b", "checked", "c", "error", "d")) {
            sb.publisher().publishText("unstable", t);
        }
        await(() -> handled.size() == 4, "every good message handled, got " + handled);
        assertEquals(List.of("a", "b", "c", "d"), handled);
    }

    @Test
    void concurrencyLimitIsRespected() throws Exception {
        Switchboard sb = open();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger max = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        sb.subscriber().subscribe("parallel", SubscriptionOptions.defaults().concurrency(3), d -> {
            int now = running.incrementAndGet();
            max.accumulateAndGet(now, Math::max);
            go.await();
            running.decrementAndGet();
            done.incrementAndGet();
        });
        for (int i = 0; i < 20; i++) {
            sb.publisher().publishText("parallel", Integer.toString(i));
        }
        await(() -> running.get() == 3, "three handlers run at once");
        flush(sb);
        assertEquals(3, running.get(), "no fourth handler while three are busy");
        go.countDown();
        await(() -> done.get() == 20, "all handled");
        assertEquals(3, max.get());
    }

    @Test
    void subscriptionCloseWaitsForTheRunningHandlerAndNoHandlerStartsAfterIt() throws Exception {
        Switchboard sb = open();
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean finished = new AtomicBoolean();
        AtomicInteger calls = new AtomicInteger();
        Subscription s = sb.subscriber().subscribe("closing", d -> {
            calls.incrementAndGet();
            started.countDown();
            Thread.sleep(300);
            finished.set(true);
        });
        sb.publisher().publishText("closing", "1");
        sb.publisher().publishText("closing", "2");
        assertTrue(started.await(10, TimeUnit.SECONDS));
        s.close();
        assertTrue(finished.get(), "close returned before the running handler finished");
        assertFalse(s.isActive());
        int after = calls.get();
        sb.publisher().publishText("closing", "3");
        flush(sb);
        assertEquals(1, after, "the queued message must not start after close");
        assertEquals(after, calls.get(), "no handler call after close returned");
    }

    @Test
    void closeFromInsideItsOwnHandlerDoesNotDeadlock() {
        Switchboard sb = open();
        AtomicBoolean closed = new AtomicBoolean();
        sb.subscriber().subscribe("self", d -> {
            d.subscription().close();
            closed.set(true);
        });
        sb.publisher().publishText("self", "x");
        await(closed::get, "handler closed its own subscription and went on");
    }

    @Test
    void switchboardCloseDrainsRunningHandlersAndAcknowledgesThem() throws Exception {
        Switchboard first = open();
        String name = unique("drain");
        SubscriptionOptions durable = SubscriptionOptions.defaults().durable(name);
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean finished = new AtomicBoolean();
        first.subscriber().subscribe("drain", durable, d -> {
            started.countDown();
            Thread.sleep(300);
            d.message();
            finished.set(true);
        });
        first.publisher().publishText("drain", "in-flight");
        assertTrue(started.await(10, TimeUnit.SECONDS));
        first.close();
        assertTrue(finished.get(), "close returned before the running handler finished");

        Switchboard second = open();
        List<String> redelivered = new CopyOnWriteArrayList<>();
        second.subscriber().subscribe("drain", durable, d -> redelivered.add(d.message().text()));
        second.publisher().publishText("drain", "after");
        await(() -> redelivered.contains("after"), "new message delivered");
        assertEquals(List.of("after"), redelivered, "the drained message was acknowledged, not redelivered");
    }

    @Test
    void handlerMayPublishWhileCloseDrains() throws Exception {
        Switchboard sb = open();
        Switchboard observer = open();
        List<String> seen = new CopyOnWriteArrayList<>();
        observer.subscriber().subscribe("out", d -> seen.add(d.message().text()));
        CountDownLatch started = new CountDownLatch(1);
        sb.subscriber().subscribe("in", d -> {
            started.countDown();
            Thread.sleep(200);
            sb.publisher().publishText("out", "result").toCompletableFuture().join();
        });
        sb.publisher().publishText("in", "work");
        assertTrue(started.await(10, TimeUnit.SECONDS));
        sb.close();
        await(() -> seen.equals(List.of("result")), "the handler's publish during the drain went through");
    }

    @Test
    void aFailureMessageWithAnUnpairedSurrogateIsStillDeadLettered() {
        Switchboard sb = open();
        List<Message> dead = new CopyOnWriteArrayList<>();
        sb.subscriber().subscribe("poison.dead", d -> dead.add(d.message()));
        sb.subscriber().subscribe("poison", SubscriptionOptions.defaults().retry(RetryPolicy.none()).deadLetterChannel("poison.dead"), d -> {
            throw new IllegalStateException("bad \uD800 input" + "x".repeat(476) + "\uD83D\uDE00");
        });
        sb.publisher().publishText("poison", "p");
        await(() -> dead.size() == 1, "dead-lettered");
        String reason = dead.get(0).header("sb-dead-letter-reason");
        assertTrue(reason.contains("bad \uFFFD input"), reason);
        assertTrue(reason.endsWith("x..."), "cut before the pair, never inside it: " + reason);
    }

    @SuppressWarnings("unchecked")
    @Test
    void exhaustedRetriesWithoutADeadLetterChannelDegradeTheSubscriptionsHealth() {
        Switchboard sb = open();
        AtomicInteger calls = new AtomicInteger();
        sb.subscriber().subscribe("doomed", SubscriptionOptions.defaults().retry(RetryPolicy.none()), d -> {
            calls.incrementAndGet();
            throw new IllegalStateException("always fails");
        });
        sb.publisher().publishText("doomed", "x");
        await(() -> calls.get() == 1, "handled once");
        await(() -> sb.health().components().get("subscriptions").status() == Health.Status.DEGRADED,
                "a dropped message must not leave the health UP: " + sb.health());
        Map<String, Object> details = (Map<String, Object>) sb.health().components().get("subscriptions").details().get("doomed#1");
        assertEquals(1L, details.get("droppedAfterRetries"), details.toString());
    }
}
