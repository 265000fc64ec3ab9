package io.switchboard;

import static io.switchboard.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.testing.FakeTransportProvider;
import io.switchboard.testing.TestClassLoaders;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The facade's buffer in front of a stalled handler on an at-most-once transport (the fake one,
 * which delivers on the publishing thread): bounded by bytes as well as by count, drops counted.
 */
class AtMostOnceBufferTest {
    private static final int KIB = 1024;

    @TempDir
    Path dir;
    private final List<Switchboard> open = new ArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void closeAll() {
        release.countDown();
        open.forEach(sb -> sb.close(Duration.ofSeconds(5)));
    }

    static Switchboard openFake(Path dir, Map<String, ?> props) throws Exception {
        ClassLoader loader = TestClassLoaders.withResources(dir, Map.of("META-INF/services/io.switchboard.spi.TransportProvider",
                FakeTransportProvider.class.getName() + "\n"));
        Map<String, Object> all = new HashMap<>(props);
        all.put("switchboard.transport", "fake");
        return TestClassLoaders.withContextLoader(loader, () -> Switchboard.open(all));
    }

    private Switchboard open(String... kv) throws Exception {
        Map<String, Object> props = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            props.put(kv[i], kv[i + 1]);
        }
        Switchboard sb = openFake(dir, props);
        open.add(sb);
        return sb;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> subscriptionHealth(Switchboard sb) {
        Map<String, Object> subs = sb.health().components().get("subscriptions").details();
        for (Object v : subs.values()) {
            if (v instanceof Map) {
                return (Map<String, Object>) v;
            }
        }
        throw new AssertionError("no subscription in " + subs);
    }

    /** Subscribes a handler that takes the first message and holds it until the test ends. */
    private AtomicInteger stalled(Switchboard sb, String channel) throws InterruptedException {
        AtomicInteger handled = new AtomicInteger();
        CountDownLatch holding = new CountDownLatch(1);
        sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().retry(RetryPolicy.none()), d -> {
            holding.countDown();
            release.await();
            handled.incrementAndGet();
        });
        sb.publisher().publish(channel, Message.ofBytes(new byte[10]));
        assertTrue(holding.await(10, TimeUnit.SECONDS), "the handler holds the first message");
        return handled;
    }

    @Test
    void bytesBoundTheBufferAndEveryDropIsCounted() throws Exception {
        Switchboard sb = open("switchboard.subscriber.buffer-bytes", "1MiB");
        AtomicInteger handled = stalled(sb, "big");
        for (int i = 0; i < 50; i++) {
            sb.publisher().publish("big", Message.ofBytes(new byte[100 * KIB]));
        }
        Map<String, Object> h = subscriptionHealth(sb);
        assertEquals(51L, h.get("received"));
        assertEquals(10, h.get("buffered"), "1 MiB holds ten messages of 100 KiB: " + h);
        assertEquals(10L * 100 * KIB, h.get("bufferedBytes"), h.toString());
        assertEquals(40L, h.get("droppedOverflow"), h.toString());
        assertEquals(Health.Status.DEGRADED, sb.health().components().get("subscriptions").status());
        release.countDown();
        await(() -> handled.get() == 11, "the held message and the ten buffered ones are handled, got " + handled.get());
        assertEquals(0L, subscriptionHealth(sb).get("bufferedBytes"), "bytes are given back as the buffer drains");
    }

    @Test
    void aMessageLargerThanTheBoundIsStillBufferedWhenNothingElseIs() throws Exception {
        Switchboard sb = open("switchboard.subscriber.buffer-bytes", "64KiB");
        stalled(sb, "huge");
        sb.publisher().publish("huge", Message.ofBytes(new byte[200 * KIB]));
        sb.publisher().publish("huge", Message.ofBytes(new byte[1]));
        Map<String, Object> h = subscriptionHealth(sb);
        assertEquals(1, h.get("buffered"), "the one large message waits; the next finds the bound exceeded: " + h);
        assertEquals(1L, h.get("droppedOverflow"));
    }

    @Test
    void theCountBoundStillHoldsForSmallMessages() throws Exception {
        Switchboard sb = open("switchboard.subscriber.buffer-size", "5");
        stalled(sb, "small");
        for (int i = 0; i < 8; i++) {
            sb.publisher().publishText("small", "m" + i);
        }
        Map<String, Object> h = subscriptionHealth(sb);
        assertEquals(5, h.get("buffered"));
        assertEquals(3L, h.get("droppedOverflow"));
    }

    @Test
    void aBufferBytesThatIsNotPositiveIsRefusedAtOpen() {
        ConfigurationException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigurationException.class,
                () -> open("switchboard.subscriber.buffer-bytes", "0"));
        assertTrue(e.getMessage().contains("switchboard.subscriber.buffer-bytes"), e.getMessage());
    }

    /**
     * Issue 12, item 1: a stalled handler fed 3,000 messages of 256 KiB in a JVM with -Xmx384m.
     * 750 MiB would be buffered under the count bound alone; the child JVM must instead drop and
     * count, and exit normally.
     */
    @Test
    void aStalledHandlerFedLargeMessagesInASmallHeapDropsAndCountsInsteadOfRunningOutOfMemory() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx384m", "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
                SmallHeapChild.class.getName(), dir.toString()).redirectErrorStream(true);
        Process child = pb.start();
        List<String> output = new ArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (output) {
                        output.add(line);
                    }
                }
            } catch (IOException e) {
                // The child ended; what was read is kept.
            }
        });
        reader.start();
        boolean ended = child.waitFor(120, TimeUnit.SECONDS);
        if (!ended) {
            child.destroyForcibly();
        }
        reader.join(5000);
        String all;
        synchronized (output) {
            all = String.join("\n", output);
        }
        assertTrue(ended, "the child did not end within 120 s:\n" + all);
        assertEquals(0, child.exitValue(), "the child failed (an OutOfMemoryError exits with 3):\n" + all);
        String result = output.stream().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow(() -> new AssertionError(all));
        Map<String, Long> r = new HashMap<>();
        for (String kv : result.substring("RESULT ".length()).split(" ")) {
            String[] p = kv.split("=");
            r.put(p[0], Long.parseLong(p[1]));
        }
        assertEquals(3001L, r.get("received"), result);
        assertTrue(r.get("droppedOverflow") > 2000, "most messages dropped and counted: " + result);
        assertTrue(r.get("bufferedBytes") <= r.get("bound") + 256L * KIB, "buffered bytes within the bound: " + result);
        assertEquals(1L, r.get("received") - r.get("droppedOverflow") - r.get("buffered"),
                "every message is running (the held one), buffered or dropped: " + result);
        System.out.println("small-heap child: " + result);
    }

    /** The child JVM of the small-heap test: default settings, a stalled handler, 3,000 messages of 256 KiB. */
    public static final class SmallHeapChild {
        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]).resolve("child");
            CountDownLatch never = new CountDownLatch(1);
            CountDownLatch holding = new CountDownLatch(1);
            Switchboard sb = openFake(dir, Map.of());
            sb.subscriber().subscribe("flood", d -> {
                holding.countDown();
                never.await();
            });
            sb.publisher().publish("flood", Message.ofBytes(new byte[1]));
            if (!holding.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("handler never started");
            }
            for (int i = 0; i < 3000; i++) {
                sb.publisher().publish("flood", Message.ofBytes(new byte[256 * KIB]));
            }
            Map<String, Object> h = subscriptionHealth(sb);
            long bound = Math.min(64L << 20, java.lang.Runtime.getRuntime().maxMemory() / 8);
            System.out.println("RESULT received=" + h.get("received") + " droppedOverflow=" + h.get("droppedOverflow")
                    + " buffered=" + h.get("buffered") + " bufferedBytes=" + h.get("bufferedBytes") + " bound=" + bound
                    + " maxHeap=" + java.lang.Runtime.getRuntime().maxMemory());
            System.exit(0);
        }
    }
}
