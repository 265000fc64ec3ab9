package io.switchboard;

import static io.switchboard.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Handler turns of many subscriptions share the instance's pool threads (a thread whose turn ended
 * takes the next waiting one, and one spins briefly for it): no turn is lost in that hand-over,
 * order per subscription holds, and a blocked handler still stalls no other subscription.
 */
class HandlerSchedulingTest {
    @Test
    void trafficSpreadOverManySubscriptionsFromSeveralThreadsIsAllDeliveredInOrder() throws Exception {
        int subs = 200;
        int perThread = 20_000;
        int threads = 3;
        try (Switchboard sb = Switchboard.open(Map.of("switchboard.transport", "memory", "switchboard.memory.broker", "sched-" + UUID.randomUUID()))) {
            AtomicIntegerArray got = new AtomicIntegerArray(subs);
            AtomicIntegerArray lastSeq = new AtomicIntegerArray(subs * threads);
            AtomicLong outOfOrder = new AtomicLong();
            for (int i = 0; i < subs; i++) {
                int k = i;
                sb.subscriber().subscribe("sched.c" + i, d -> {
                    String[] parts = d.message().text().split(":");
                    int t = Integer.parseInt(parts[0]);
                    int seq = Integer.parseInt(parts[1]);
                    if (seq <= lastSeq.getAndSet(k * threads + t, seq)) {
                        outOfOrder.incrementAndGet();
                    }
                    got.incrementAndGet(k);
                });
            }
            List<Thread> publishers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int tt = t;
                Thread p = new Thread(() -> {
                    for (int n = 1; n <= perThread; n++) {
                        sb.publisher().publishText("sched.c" + ((n * 7 + tt) % subs), tt + ":" + n);
                    }
                });
                p.start();
                publishers.add(p);
            }
            for (Thread p : publishers) {
                p.join(TimeUnit.SECONDS.toMillis(60));
            }
            await(Duration.ofSeconds(30), () -> {
                long sum = 0;
                for (int i = 0; i < subs; i++) {
                    sum += got.get(i);
                }
                return sum == (long) perThread * threads;
            }, "every message delivered");
            assertEquals(0, outOfOrder.get(), "each publisher's messages to one subscription in order");
        }
    }

    @Test
    void aBlockedHandlerStallsNoOtherSubscriptionWhileTurnsAreHandedOver() throws Exception {
        try (Switchboard sb = Switchboard.open(Map.of("switchboard.transport", "memory", "switchboard.memory.broker", "sched-" + UUID.randomUUID()))) {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch blocked = new CountDownLatch(1);
            sb.subscriber().subscribe("sched.slow", d -> {
                blocked.countDown();
                release.await(30, TimeUnit.SECONDS);
            });
            AtomicIntegerArray got = new AtomicIntegerArray(50);
            for (int i = 0; i < 50; i++) {
                int k = i;
                sb.subscriber().subscribe("sched.fast" + i, d -> got.incrementAndGet(k));
            }
            sb.publisher().publishText("sched.slow", "x");
            assertTrue(blocked.await(10, TimeUnit.SECONDS), "the slow handler runs");
            for (int n = 0; n < 2_000; n++) {
                sb.publisher().publishText("sched.fast" + (n % 50), "y");
            }
            await(Duration.ofSeconds(10), () -> {
                for (int i = 0; i < 50; i++) {
                    if (got.get(i) != 40) {
                        return false;
                    }
                }
                return true;
            }, "every other subscription got its 40 messages while one handler is blocked");
            release.countDown();
        }
    }
}
