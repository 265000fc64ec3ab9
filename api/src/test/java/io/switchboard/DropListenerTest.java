package io.switchboard;

import static io.switchboard.testing.Await.await;
import static io.switchboard.testing.Await.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.testing.FakeTransportProvider;
import io.switchboard.testing.TestClassLoaders;
import java.io.File;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.JarFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every drop reaches the application's drop listeners, whatever the logging setup, and shows in health. */
class DropListenerTest {
    @TempDir
    Path dir;
    private final List<Switchboard> open = new ArrayList<>();
    private final List<DropEvent> events = new CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void closeAll() {
        release.countDown();
        open.forEach(sb -> sb.close(Duration.ofSeconds(5)));
    }

    private Switchboard memory() {
        Switchboard sb = Switchboard.builder().property("switchboard.transport", "memory")
                .property("switchboard.memory.broker", unique("drops")).dropListener(events::add).open();
        open.add(sb);
        return sb;
    }

    static Switchboard fake(Path dir, Map<String, ?> props, DropListener listener) throws Exception {
        ClassLoader loader = TestClassLoaders.withResources(dir, Map.of("META-INF/services/io.switchboard.spi.TransportProvider",
                FakeTransportProvider.class.getName() + "\n"));
        return TestClassLoaders.withContextLoader(loader, () -> Switchboard.builder().properties(props)
                .property("switchboard.transport", "fake").dropListener(listener).open());
    }

    private Switchboard fake(String... kv) throws Exception {
        Map<String, Object> props = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            props.put(kv[i], kv[i + 1]);
        }
        Switchboard sb = fake(dir, props, events::add);
        open.add(sb);
        return sb;
    }

    /** A subscription whose handler holds its first message until the test ends. */
    private Subscription stalled(Switchboard sb, String channel) throws InterruptedException {
        CountDownLatch holding = new CountDownLatch(1);
        Subscription s = sb.subscriber().subscribe(channel, d -> {
            holding.countDown();
            release.await();
        });
        sb.publisher().publishText(channel, "held");
        assertTrue(holding.await(10, TimeUnit.SECONDS), "the handler holds the first message");
        return s;
    }

    private List<DropEvent> awaitEvents(int n) {
        await(() -> events.size() >= n, "expected " + n + " drop events, got " + events);
        return events;
    }

    @Test
    void retriesExhaustedWithoutADeadLetterChannelReachTheListenerWithTheMessage() {
        Switchboard sb = memory();
        Subscription s = sb.subscriber().subscribe("doomed", SubscriptionOptions.defaults().retry(RetryPolicy.fixed(2, Duration.ofMillis(1))),
                d -> {
                    throw new IllegalStateException("always fails");
                });
        Message m = Message.ofText("x");
        sb.publisher().publish("doomed", m);
        DropEvent e = awaitEvents(1).get(0);
        assertSame(s, e.subscription());
        assertEquals(DropEvent.Reason.RETRIES_EXHAUSTED, e.reason());
        assertEquals(Optional.of("doomed"), e.channel());
        assertEquals(Optional.of(m.id()), e.messageId());
        assertEquals(2, e.attempts());
        assertEquals(Optional.of("java.lang.IllegalStateException: always fails"), e.failure());
        assertEquals(Health.Status.DEGRADED, sb.health().components().get("subscriptions").status());
    }

    @Test
    void aMessageThatIsDeadLetteredIsNotADrop() {
        Switchboard sb = memory();
        List<String> dead = new CopyOnWriteArrayList<>();
        sb.subscriber().subscribe("dl.dead", d -> dead.add(d.message().id()));
        sb.subscriber().subscribe("dl", SubscriptionOptions.defaults().retry(RetryPolicy.none()).deadLetterChannel("dl.dead"), d -> {
            throw new IllegalStateException("fails");
        });
        sb.publisher().publishText("dl", "x");
        await(() -> dead.size() == 1, "dead-lettered");
        sb.subscriber().subscribe("marker", SubscriptionOptions.defaults().retry(RetryPolicy.none()), d -> {
            throw new IllegalStateException("marker");
        });
        sb.publisher().publishText("marker", "m");
        DropEvent only = awaitEvents(1).get(0);
        assertEquals("marker", only.subscription().channelOrPattern(), "the dead-lettered message raised no event: " + events);
    }

    @Test
    void bufferOverflowOnAnAtMostOnceTransportReachesTheListenerUnread() throws Exception {
        Switchboard sb = fake("switchboard.subscriber.buffer-size", "2");
        Subscription s = stalled(sb, "flood");
        for (int i = 0; i < 5; i++) {
            sb.publisher().publishText("flood", "m" + i);
        }
        for (DropEvent e : awaitEvents(3)) {
            assertSame(s, e.subscription());
            assertEquals(DropEvent.Reason.BUFFER_FULL, e.reason());
            assertEquals(Optional.of("flood"), e.channel(), "an exact subscription names its channel");
            assertEquals(Optional.empty(), e.messageId(), "dropped unread");
            assertEquals(0, e.attempts());
        }
        assertEquals(3, events.size());
    }

    @Test
    void inProcessRetriesExhaustedOnAnAtMostOnceTransportReachTheListener() throws Exception {
        Switchboard sb = fake();
        sb.subscriber().subscribe("amo", SubscriptionOptions.defaults().retry(RetryPolicy.fixed(3, Duration.ofMillis(1))), d -> {
            throw new java.io.IOException("down");
        });
        Message m = Message.ofText("x");
        sb.publisher().publish("amo", m);
        DropEvent e = awaitEvents(1).get(0);
        assertEquals(DropEvent.Reason.RETRIES_EXHAUSTED, e.reason());
        assertEquals(Optional.of(m.id()), e.messageId());
        assertEquals(3, e.attempts());
        assertEquals(Health.Status.DEGRADED, sb.health().components().get("subscriptions").status());
    }

    @SuppressWarnings("unchecked")
    @Test
    void closingAnAtMostOnceSubscriptionWithBufferedMessagesReportsEachOne() throws Exception {
        Switchboard sb = fake();
        Subscription s = stalled(sb, "closing");
        for (int i = 0; i < 3; i++) {
            sb.publisher().publishText("closing", "m" + i);
        }
        s.close(Duration.ofMillis(50));
        for (DropEvent e : awaitEvents(3)) {
            assertEquals(DropEvent.Reason.CLOSED, e.reason());
        }
        assertEquals(3L, sb.health().components().get("subscriptions").details().get("droppedAtClose"));
    }

    @Test
    void closingDuringAnInProcessRetryBackoffReportsTheMessage() throws Exception {
        Switchboard sb = fake();
        AtomicInteger calls = new AtomicInteger();
        Subscription s = sb.subscriber().subscribe("backoff", SubscriptionOptions.defaults().retry(RetryPolicy.fixed(3, Duration.ofMinutes(1))),
                d -> {
                    calls.incrementAndGet();
                    throw new IllegalStateException("not yet");
                });
        Message m = Message.ofText("x");
        sb.publisher().publish("backoff", m);
        await(() -> calls.get() == 1, "first attempt made");
        long start = System.nanoTime();
        s.close();
        assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) < 5, "close does not wait out the backoff");
        DropEvent e = awaitEvents(1).get(0);
        assertEquals(DropEvent.Reason.CLOSED, e.reason());
        assertEquals(Optional.of(m.id()), e.messageId());
        assertEquals(1, e.attempts());
        assertEquals(Optional.of("java.lang.IllegalStateException: not yet"), e.failure());
    }

    @Test
    void aThrowingListenerBreaksNeitherDeliveryNorTheOtherListeners() throws Exception {
        AtomicInteger thrown = new AtomicInteger();
        Map<String, Object> props = Map.of("switchboard.subscriber.buffer-size", "1");
        Switchboard sb = fake(dir, props, e -> {
            thrown.incrementAndGet();
            throw new IllegalStateException("listener bug");
        });
        open.add(sb);
        sb.addDropListener(events::add);
        stalled(sb, "noisy");
        for (int i = 0; i < 4; i++) {
            sb.publisher().publishText("noisy", "m" + i);
        }
        awaitEvents(3);
        assertEquals(3, thrown.get(), "the first listener got every event although it threw each time");
        List<String> handled = new CopyOnWriteArrayList<>();
        sb.subscriber().subscribe("after", d -> handled.add(d.message().text()));
        sb.publisher().publishText("after", "ok");
        await(() -> handled.equals(List.of("ok")), "delivery goes on");
    }

    @Test
    void aBlockedListenerNeverStallsTheDeliveringThread() throws Exception {
        CountDownLatch unblock = new CountDownLatch(1);
        Switchboard sb = fake(dir, Map.of("switchboard.subscriber.buffer-size", "1"), e -> {
            try {
                unblock.await();
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        });
        open.add(sb);
        try {
            stalled(sb, "blocked");
            long start = System.nanoTime();
            for (int i = 0; i < DropEvent.MAX_PENDING + 500; i++) {
                sb.publisher().publishText("blocked", "m");
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(millis < 5000, "publishing on the delivering thread took " + millis + " ms with a blocked listener");
            Map<String, Object> d = sb.health().components().get("subscriptions").details();
            long dropped = (Long) ((Map<?, ?>) d.get("blocked#1")).get("droppedOverflow");
            long missed = (Long) d.get("dropEventsMissed");
            assertTrue(missed == dropped - DropEvent.MAX_PENDING || missed == dropped - DropEvent.MAX_PENDING - 1,
                    "events beyond the queue (and the one the listener holds) are counted, not delivered: " + d);
        } finally {
            unblock.countDown();
        }
    }

    /**
     * The point of the listener: an application without an SLF4J provider (whose warnings go
     * nowhere) still hears about drops. The child JVM runs without slf4j-simple.
     */
    @Test
    void dropsReachTheListenerWithoutAnySlf4jProvider() throws Exception {
        List<String> cp = new ArrayList<>();
        for (String entry : classPath()) {
            if (!entry.contains("slf4j-simple")) {
                cp.add(entry);
            }
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", String.join(File.pathSeparator, cp), NoLoggingChild.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        boolean ended = child.waitFor(60, TimeUnit.SECONDS);
        if (!ended) {
            child.destroyForcibly();
        }
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(ended, "the child did not end within 60 s:\n" + out);
        assertEquals(0, child.exitValue(), out);
        assertTrue(out.contains("No SLF4J providers"), "the child must run without a logging provider:\n" + out);
        assertTrue(out.contains("DROP RETRIES_EXHAUSTED nolog attempts=1"), out);
    }

    /** The test class path as entries, reading through surefire's manifest-only jar if that is what it is. */
    private static List<String> classPath() throws Exception {
        List<String> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (e.contains("surefirebooter") && e.endsWith(".jar")) {
                try (JarFile jar = new JarFile(e)) {
                    for (String url : jar.getManifest().getMainAttributes().getValue("Class-Path").split(" ")) {
                        if (!url.isBlank()) {
                            entries.add(Path.of(URI.create(url)).toString());
                        }
                    }
                }
            } else {
                entries.add(e);
            }
        }
        return entries;
    }

    /** The child JVM of the no-SLF4J test: one message that exhausts its retries. */
    public static final class NoLoggingChild {
        public static void main(String[] args) throws Exception {
            CountDownLatch heard = new CountDownLatch(1);
            Switchboard sb = fake(Path.of(args[0]).resolve("child"), Map.of(), e -> {
                System.out.println("DROP " + e.reason() + " " + e.subscription().channelOrPattern() + " attempts=" + e.attempts());
                heard.countDown();
            });
            sb.subscriber().subscribe("nolog", SubscriptionOptions.defaults().retry(RetryPolicy.none()), d -> {
                throw new IllegalStateException("fails");
            });
            sb.publisher().publishText("nolog", "x");
            if (!heard.await(10, TimeUnit.SECONDS)) {
                System.out.println("no drop event within 10 s");
                System.exit(1);
            }
            System.exit(0);
        }
    }
}
