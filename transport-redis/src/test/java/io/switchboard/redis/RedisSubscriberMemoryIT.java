package io.switchboard.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.Message;
import io.switchboard.Switchboard;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, item 1, on real Redis: a subscriber whose handler stalls, fed large messages in a small
 * heap, drops and counts what its byte-bounded buffer cannot hold instead of running out of memory.
 * The subscriber runs in a child JVM with {@code -Xmx384m}, as a service instance would.
 */
class RedisSubscriberMemoryIT {
    private static final int KIB = 1024;
    private static final int MESSAGES = 3000;

    @Test
    void aStalledHandlerFedLargeMessagesInASmallHeapDropsAndCountsInsteadOfRunningOutOfMemory() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-Xmx384m", "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
                Child.class.getName(), TestSupport.SHARED_URI, TestSupport.unique("flood")).redirectErrorStream(true).start();
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
        boolean ended = child.waitFor(180, TimeUnit.SECONDS);
        if (!ended) {
            child.destroyForcibly();
        }
        reader.join(5000);
        String all;
        synchronized (output) {
            all = String.join("\n", output);
        }
        assertTrue(ended, "the child did not end within 180 s:\n" + all);
        assertEquals(0, child.exitValue(), "the child failed (an OutOfMemoryError exits with 3):\n" + all);
        String result = output.stream().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow(() -> new AssertionError(all));
        Map<String, Long> r = new HashMap<>();
        for (String kv : result.substring("RESULT ".length()).split(" ")) {
            String[] p = kv.split("=");
            r.put(p[0], Long.parseLong(p[1]));
        }
        assertEquals(MESSAGES + 1L, r.get("received"), "every message reached the subscription: " + result);
        assertTrue(r.get("droppedOverflow") > MESSAGES / 2, "most messages dropped and counted: " + result);
        assertTrue(r.get("bufferedBytes") <= r.get("bound") + 256L * KIB + 4 * KIB, "buffered bytes within the bound: " + result);
        assertEquals(1L, r.get("received") - r.get("droppedOverflow") - r.get("buffered"),
                "every message is running (the held one), buffered or dropped: " + result);
    }

    /** The child JVM: default settings, a stalled handler, 3,000 messages of 256 KiB through Redis. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            String channel = args[1];
            CountDownLatch never = new CountDownLatch(1);
            CountDownLatch holding = new CountDownLatch(1);
            try (Switchboard sb = Switchboard.open(Map.of("switchboard.transport", "redis", "switchboard.redis.uri", args[0]))) {
                sb.subscriber().subscribe(channel, d -> {
                    holding.countDown();
                    never.await();
                });
                sb.publisher().publishAndWait(channel, Message.ofBytes(new byte[1]), Duration.ofSeconds(10));
                if (!holding.await(10, TimeUnit.SECONDS)) {
                    throw new AssertionError("handler never started");
                }
                byte[] payload = new byte[256 * KIB];
                for (int i = 0; i < MESSAGES; i += 100) {
                    List<CompletableFuture<Void>> sent = new ArrayList<>();
                    for (int j = 0; j < 100; j++) {
                        sent.add(sb.publisher().publish(channel, Message.ofBytes(payload)).toCompletableFuture());
                    }
                    CompletableFuture.allOf(sent.toArray(new CompletableFuture[0])).get(30, TimeUnit.SECONDS);
                    // Keep what Redis holds for the subscriber under its pub/sub output-buffer limit
                    // (32 MB by default), so that the count below is not cut by a disconnection.
                    long target = i + 101;
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (received(sb) < target) {
                        if (System.nanoTime() > deadline) {
                            throw new AssertionError("the subscription received " + received(sb) + " of " + target);
                        }
                        Thread.sleep(2);
                    }
                }
                Map<String, Object> h = subscription(sb);
                long bound = Math.min(64L << 20, java.lang.Runtime.getRuntime().maxMemory() / 8);
                System.out.println("RESULT received=" + h.get("received") + " droppedOverflow=" + h.get("droppedOverflow")
                        + " buffered=" + h.get("buffered") + " bufferedBytes=" + h.get("bufferedBytes") + " bound=" + bound);
                never.countDown();
            }
            System.exit(0);
        }

        private static long received(Switchboard sb) {
            return ((Number) subscription(sb).get("received")).longValue();
        }

        @SuppressWarnings("unchecked")
        private static Map<String, Object> subscription(Switchboard sb) {
            for (Object v : sb.health().components().get("subscriptions").details().values()) {
                if (v instanceof Map) {
                    return (Map<String, Object>) v;
                }
            }
            throw new AssertionError("no subscription in " + sb.health());
        }
    }
}
