package io.switchboard;

import static io.switchboard.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.testing.InlineTransportProvider;
import io.switchboard.testing.TestClassLoaders;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Handlers on the delivery thread, for transports that allow it: when it happens, and that order and close still hold. */
class InlineDispatchTest {
    @TempDir
    Path dir;
    private Switchboard sb;

    @BeforeEach
    void open() throws Exception {
        ClassLoader loader = TestClassLoaders.withResources(dir, Map.of("META-INF/services/io.switchboard.spi.TransportProvider",
                InlineTransportProvider.class.getName() + "\n"));
        sb = TestClassLoaders.withContextLoader(loader, () -> Switchboard.open(Map.of("switchboard.transport", "inline")));
    }

    @AfterEach
    void close() {
        sb.close(Duration.ofSeconds(5));
    }

    @Test
    void anIdleSubscriptionOfConcurrencyOneRunsItsHandlerOnTheDeliveryThread() {
        AtomicReference<Thread> ran = new AtomicReference<>();
        sb.subscriber().subscribe("inline.one", d -> ran.set(Thread.currentThread()));
        sb.publisher().publishText("inline.one", "x");
        assertSame(Thread.currentThread(), ran.get(), "handled on the delivering (here: publishing) thread, before publish returned");
    }

    @Test
    void aSubscriptionWithConcurrencyAboveOneAlwaysHandsOff() {
        AtomicReference<Thread> ran = new AtomicReference<>();
        sb.subscriber().subscribe("inline.two", SubscriptionOptions.defaults().concurrency(2), d -> ran.set(Thread.currentThread()));
        sb.publisher().publishText("inline.two", "x");
        await(() -> ran.get() != null, "handled");
        assertNotSame(Thread.currentThread(), ran.get(), "concurrency 2 needs the pool: the delivery thread must stay free");
    }

    @Test
    void deliveriesArrivingWhileAHandlerRunsInlineAreQueuedAndKeepTheirOrder() throws Exception {
        CountDownLatch firstRunning = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        List<String> seen = new CopyOnWriteArrayList<>();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxRunning = new AtomicInteger();
        sb.subscriber().subscribe("inline.order", d -> {
            maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
            String text = d.message().text();
            if (text.equals("1")) {
                firstRunning.countDown();
                releaseFirst.await(10, TimeUnit.SECONDS);
            }
            seen.add(text);
            running.decrementAndGet();
        });
        Thread first = new Thread(() -> sb.publisher().publishText("inline.order", "1"));
        first.start();
        assertTrue(firstRunning.await(10, TimeUnit.SECONDS), "first handler running");
        for (int i = 2; i <= 5; i++) {
            sb.publisher().publishText("inline.order", Integer.toString(i));
        }
        assertEquals(List.of(), seen, "nothing overtakes the running handler");
        releaseFirst.countDown();
        await(() -> seen.size() == 5, "all five handled");
        first.join(10_000);
        assertEquals(List.of("1", "2", "3", "4", "5"), seen);
        assertEquals(1, maxRunning.get(), "concurrency 1 held across the inline and pooled runs");
    }

    @Test
    void closeWaitsForAHandlerRunningInline() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        Subscription s = sb.subscriber().subscribe("inline.close", d -> {
            running.countDown();
            release.await(10, TimeUnit.SECONDS);
            finished.incrementAndGet();
        });
        Thread deliverer = new Thread(() -> sb.publisher().publishText("inline.close", "x"));
        deliverer.start();
        assertTrue(running.await(10, TimeUnit.SECONDS), "handler running");
        Thread releaser = new Thread(() -> {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            release.countDown();
        });
        releaser.start();
        s.close(Duration.ofSeconds(10));
        assertEquals(1, finished.get(), "close returned only after the inline handler finished");
        deliverer.join(10_000);
    }
}
