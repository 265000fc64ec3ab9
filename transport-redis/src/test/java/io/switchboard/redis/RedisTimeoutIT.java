package io.switchboard.redis;

import static io.switchboard.redis.TestSupport.await;
import static io.switchboard.redis.TestSupport.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.ConnectionEvent;
import io.switchboard.ConnectionException;
import io.switchboard.PublishException;
import io.switchboard.SharedCache;
import io.switchboard.Subscription;
import io.switchboard.Switchboard;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Every documented timeout of the Redis transport and cache, measured against a private
 * redis-server frozen with SIGSTOP (the kernel still accepts connections and buffers what is
 * sent; nothing answers). Each bound must hold within 25%, and must not fire more than 25% early.
 */
class RedisTimeoutIT {
    private static final double SLACK = 0.25;
    private static RedisServerProcess server;

    @BeforeAll
    static void startServer() {
        server = RedisServerProcess.start(null);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.kill();
        }
    }

    @AfterEach
    void thaw() {
        server.thaw();
        await(Duration.ofSeconds(10), RedisTimeoutIT::answers, "the private server to answer again");
    }

    private static boolean answers() {
        try (Jedis j = new Jedis("127.0.0.1", server.port, 500)) {
            return "PONG".equals(j.ping());
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static Map<String, Object> props(Duration commandTimeout) {
        Map<String, Object> p = new HashMap<>();
        p.put("switchboard.transport", "redis");
        p.put("switchboard.redis.uri", server.uri());
        p.put("switchboard.redis.command-timeout", commandTimeout.toMillis() + "ms");
        return p;
    }

    /** Asserts that {@code millis} is the bound within 25% either way, and prints the figure. */
    private static void assertWithin(String what, long millis, Duration bound) {
        long b = bound.toMillis();
        System.out.printf("[redis timeout] %s: %d ms (bound %d ms)%n", what, millis, b);
        assertTrue(millis >= b * (1 - SLACK) && millis <= b * (1 + SLACK),
                what + " took " + millis + " ms; expected " + b + " ms within 25%");
    }

    private static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    /** Waits for the stage to fail and returns its cause, failing the test if it succeeds or takes over 30 s. */
    private static Throwable failure(CompletionStage<?> stage) {
        CompletionException e = assertThrows(CompletionException.class,
                () -> stage.toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join());
        return e.getCause();
    }

    /** When the stage completed, in nanoseconds; the stage is expected to fail. */
    private static CompletableFuture<Long> failedAt(CompletionStage<?> stage) {
        return stage.toCompletableFuture().handle((v, e) -> System.nanoTime());
    }

    @Test
    void publishToAFrozenServerFailsAfterTheCommandTimeout() throws Exception {
        // Offsets spread the publish over the idle publisher's PING interval (1 s), where the
        // old writer thread waited for the PING's reply while the publish queued behind it.
        long[][] rounds = {{1000, 150}, {1000, 450}, {1000, 800}, {2000, 300}};
        for (long[] round : rounds) {
            Duration ct = Duration.ofMillis(round[0]);
            try (Switchboard sb = TestSupport.open(props(ct), null)) {
                String ch = unique("timeout.publish");
                sb.publisher().publishText(ch, "warm").toCompletableFuture().get(5, TimeUnit.SECONDS);
                server.freeze();
                Thread.sleep(round[1]);
                List<Long> calls = new ArrayList<>();
                List<CompletableFuture<Long>> done = new ArrayList<>();
                List<CompletionStage<Void>> stages = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    calls.add(System.nanoTime());
                    CompletionStage<Void> s = sb.publisher().publishText(ch, "m" + i);
                    stages.add(s);
                    done.add(failedAt(s));
                }
                for (int i = 0; i < stages.size(); i++) {
                    Throwable cause = failure(stages.get(i));
                    assertTrue(cause instanceof ConnectionException, String.valueOf(cause));
                    long millis = TimeUnit.NANOSECONDS.toMillis(done.get(i).get() - calls.get(i));
                    if (i == 0 || i == stages.size() - 1) {
                        assertWithin("publish " + i + " of 20, " + round[1] + " ms after the freeze, command-timeout=" + ct.toMillis()
                                + "ms", millis, ct);
                    } else {
                        assertTrue(millis <= ct.toMillis() * (1 + SLACK), "publish " + i + " took " + millis + " ms");
                    }
                }
                server.thaw();
            }
        }
    }

    @Test
    void publishWhenFullBlocksForTheCommandTimeoutAndQueuedPublishesWaitTheOutageWait() throws Exception {
        Duration ct = Duration.ofSeconds(1);
        Duration outageWait = Duration.ofMillis(2500);
        Map<String, Object> p = props(ct);
        p.put("switchboard.redis.publish.max-in-flight", "4");
        p.put("switchboard.redis.publish.when-full", "block");
        p.put("switchboard.redis.publish.outage-wait", outageWait.toMillis() + "ms");
        try (Switchboard sb = TestSupport.open(p, null)) {
            String ch = unique("timeout.full");
            sb.publisher().publishText(ch, "warm").toCompletableFuture().get(5, TimeUnit.SECONDS);
            server.freeze();
            failure(sb.publisher().publishText(ch, "probe"));
            await(Duration.ofSeconds(10), () -> Boolean.FALSE.equals(
                    sb.health().components().get("transport").details().get("publisherConnected")), "publisher disconnected");
            List<Long> calls = new ArrayList<>();
            List<CompletionStage<Void>> queued = new ArrayList<>();
            List<CompletableFuture<Long>> done = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                calls.add(System.nanoTime());
                CompletionStage<Void> s = sb.publisher().publishText(ch, "q" + i);
                queued.add(s);
                done.add(failedAt(s));
            }
            long start = System.nanoTime();
            CompletionStage<Void> refused = sb.publisher().publishText(ch, "one too many");
            assertWithin("publish() blocked with when-full=block, command-timeout=1000ms", millisSince(start), ct);
            Throwable full = failure(refused);
            assertTrue(full instanceof PublishException && full.getMessage().contains("max-in-flight"), String.valueOf(full));
            for (int i = 0; i < queued.size(); i++) {
                Throwable cause = failure(queued.get(i));
                assertTrue(cause instanceof ConnectionException && cause.getMessage().contains("outage-wait"), String.valueOf(cause));
                assertWithin("queued publish " + i + " during the outage, outage-wait=2500ms",
                        TimeUnit.NANOSECONDS.toMillis(done.get(i).get() - calls.get(i)), outageWait);
            }
        }
    }

    @Test
    void cacheOperationsOnAFrozenServerFailAfterTheCommandTimeout() throws Exception {
        Duration ct = Duration.ofSeconds(1);
        Map<String, Object> p = props(ct);
        p.remove("switchboard.transport");
        p.put("switchboard.cache", "redis");
        p.put("switchboard.redis.cache.pool-size", "2");
        try (Switchboard sb = TestSupport.open(p, null)) {
            SharedCache cache = sb.cache();
            String k = unique("timeout.cache");
            cache.put(k, "v");
            long version = cache.getVersioned(k, String.class).version();
            server.freeze();
            Map<String, Supplier<CompletionStage<?>>> ops = new LinkedHashMap<>();
            ops.put("get", () -> cache.getAsync(k, String.class));
            ops.put("getAll", () -> cache.getAllAsync(List.of(k, k + "2"), String.class));
            ops.put("put", () -> cache.putAsync(k, "w"));
            ops.put("putIfAbsent", () -> cache.putIfAbsentAsync(k + "3", "w", Duration.ZERO));
            ops.put("compareAndSet", () -> cache.compareAndSetAsync(k, version, "w", Duration.ZERO));
            ops.put("delete", () -> cache.deleteAsync(k));
            ops.put("increment", () -> cache.incrementAsync(k + "4", 1, 0, Duration.ZERO));
            // Twice round: more operations than the pool's two connections, so most of them queue.
            List<String> names = new ArrayList<>();
            List<Long> calls = new ArrayList<>();
            List<CompletionStage<?>> stages = new ArrayList<>();
            List<CompletableFuture<Long>> done = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                for (Map.Entry<String, Supplier<CompletionStage<?>>> op : ops.entrySet()) {
                    names.add(op.getKey());
                    calls.add(System.nanoTime());
                    CompletionStage<?> s = op.getValue().get();
                    stages.add(s);
                    done.add(failedAt(s));
                }
            }
            for (int i = 0; i < stages.size(); i++) {
                Throwable cause = failure(stages.get(i));
                assertTrue(cause instanceof ConnectionException, names.get(i) + ": " + cause);
                assertWithin("cache " + names.get(i) + " (" + (i + 1) + " of " + stages.size() + ", pool-size 2), command-timeout=1000ms",
                        TimeUnit.NANOSECONDS.toMillis(done.get(i).get() - calls.get(i)), ct);
            }
        }
    }

    @Test
    void cacheOperationsQueuedBehindAnAnsweringServerDoNotTimeOut() {
        Duration ct = Duration.ofMillis(400);
        Map<String, Object> p = props(ct);
        p.remove("switchboard.transport");
        p.put("switchboard.cache", "redis");
        p.put("switchboard.redis.cache.pool-size", "1");
        try (Switchboard sb = TestSupport.open(p, null)) {
            String k = unique("timeout.busy");
            sb.cache().put(k, "v");
            // Far more operations at once than one connection answers within the command timeout:
            // doubled until the queue takes more than twice the timeout to drain, however fast the
            // machine is at the moment, and every one must succeed in each round.
            for (int n = 20_000; ; n *= 2) {
                long start = System.nanoTime();
                List<CompletableFuture<String>> all = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    all.add(sb.cache().getAsync(k, String.class).toCompletableFuture());
                }
                CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).orTimeout(120, TimeUnit.SECONDS).join();
                long millis = millisSince(start);
                System.out.printf("[redis timeout] %d cache gets queued on one connection, command-timeout=400ms: all done after %d ms%n", n, millis);
                assertTrue(all.stream().allMatch(f -> "v".equals(f.join())));
                if (millis > 2 * ct.toMillis()) {
                    return;
                }
                assertTrue(n < 1_280_000, "the queue of " + n + " gets drained within " + millis + " ms; the test cannot make a queue long enough");
            }
        }
    }

    @Test
    void openAgainstAFrozenServerFailsAfterTheCommandTimeout() {
        Duration ct = Duration.ofSeconds(1);
        server.freeze();
        for (String component : List.of("switchboard.transport", "switchboard.cache")) {
            Map<String, Object> p = props(ct);
            p.remove("switchboard.transport");
            p.put(component, "redis");
            p.put("switchboard.redis.connect-timeout", "3s");
            long start = System.nanoTime();
            ConnectionException e = assertThrows(ConnectionException.class, () -> TestSupport.open(p, null).close());
            assertWithin("open() of the " + component.substring("switchboard.".length()) + " against a frozen server,"
                    + " command-timeout=1000ms", millisSince(start), ct);
            assertTrue(e.getMessage().contains("command-timeout"), e.getMessage());
        }
    }

    @Test
    void openFailsAfterTheConnectTimeoutWhenTheServerAcceptsNoConnection() throws Exception {
        Duration connect = Duration.ofSeconds(1);
        try (RedisServerProcess backlogged = RedisServerProcess.start(null, "--tcp-backlog", "1")) {
            backlogged.freeze();
            List<Socket> filling = new ArrayList<>();
            try {
                // A frozen server accepts nothing; once its accept queue is full the kernel drops new SYNs.
                boolean full = false;
                for (int i = 0; i < 600 && !full; i++) {
                    Socket s = new Socket();
                    filling.add(s);
                    try {
                        s.connect(new InetSocketAddress("127.0.0.1", backlogged.port), 300);
                    } catch (SocketTimeoutException e) {
                        full = true;
                    }
                }
                assertTrue(full, "the frozen server's accept queue never filled");
                Map<String, Object> p = props(Duration.ofSeconds(3));
                p.put("switchboard.redis.uri", backlogged.uri());
                p.put("switchboard.redis.connect-timeout", connect.toMillis() + "ms");
                long start = System.nanoTime();
                ConnectionException e = assertThrows(ConnectionException.class, () -> TestSupport.open(p, null).close());
                assertWithin("open() with no TCP connection possible, connect-timeout=1000ms", millisSince(start), connect);
                assertTrue(e.getMessage().contains("connect-timeout"), e.getMessage());
            } finally {
                for (Socket s : filling) {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // Closing test sockets; nothing to report.
                    }
                }
                backlogged.thaw();
            }
        }
    }

    @Test
    void frozenSubscriberConnectionIsDeclaredDeadAfterDeadAfter() throws Exception {
        Duration ping = Duration.ofMillis(200);
        for (Duration deadAfter : List.of(Duration.ofSeconds(1), Duration.ofSeconds(2))) {
            Map<String, Object> p = props(Duration.ofSeconds(1));
            p.put("switchboard.redis.subscriber.ping-interval", ping.toMillis() + "ms");
            p.put("switchboard.redis.subscriber.dead-after", deadAfter.toMillis() + "ms");
            TestSupport.Events events = new TestSupport.Events();
            try (Switchboard sb = TestSupport.open(p, events);
                    Subscription s = sb.subscriber().subscribe(unique("timeout.sub"), d -> { })) {
                Thread.sleep(3 * ping.toMillis());
                server.freeze();
                long start = System.nanoTime();
                await(Duration.ofSeconds(10), () -> events.has(ConnectionEvent.Type.LOST), "LOST after the freeze");
                long millis = millisSince(start);
                // The last PING reply may have arrived up to one ping interval before the freeze.
                System.out.printf("[redis timeout] frozen subscriber connection declared dead after %d ms (dead-after %d ms,"
                        + " ping-interval %d ms)%n", millis, deadAfter.toMillis(), ping.toMillis());
                assertTrue(millis >= deadAfter.toMillis() - ping.toMillis() - 50 && millis <= deadAfter.toMillis() * (1 + SLACK),
                        "declared dead after " + millis + " ms; dead-after " + deadAfter.toMillis() + " ms");
                server.thaw();
            }
        }
    }

    @Test
    void closeEndsWithinItsTimeoutAgainstAFrozenServer() throws Exception {
        Duration ct = Duration.ofSeconds(2);
        Duration closeTimeout = Duration.ofSeconds(1);
        for (boolean afterLoss : List.of(false, true)) {
            Map<String, Object> p = props(ct);
            p.put("switchboard.cache", "redis");
            p.put("switchboard.redis.subscriber.ping-interval", "200ms");
            p.put("switchboard.redis.subscriber.dead-after", "600ms");
            p.put("switchboard.redis.publish.outage-wait", "30s");
            TestSupport.Events events = new TestSupport.Events();
            Switchboard sb = TestSupport.open(p, events);
            String ch = unique("timeout.close");
            sb.subscriber().subscribe(ch, d -> { });
            sb.publisher().publishText(ch, "warm").toCompletableFuture().get(5, TimeUnit.SECONDS);
            server.freeze();
            if (afterLoss) {
                // The subscriber is now reconnecting into the frozen server, blocked in its handshake.
                await(Duration.ofSeconds(10), () -> events.has(ConnectionEvent.Type.LOST), "LOST");
            }
            List<CompletionStage<?>> pending = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                pending.add(sb.publisher().publishText(ch, "m" + i));
                pending.add(sb.cache().getAsync(ch + i, String.class));
            }
            long start = System.nanoTime();
            sb.close(closeTimeout);
            long millis = millisSince(start);
            System.out.printf("[redis timeout] Switchboard.close(1s) against a frozen server%s, command-timeout=2000ms: %d ms%n",
                    afterLoss ? " after the subscriber lost its connection" : "", millis);
            assertTrue(millis <= closeTimeout.toMillis() * (1 + SLACK), "close(1s) took " + millis + " ms");
            long unfinished = pending.stream().filter(s -> !s.toCompletableFuture().isDone()).count();
            assertEquals(0, unfinished, "operations still pending once close returned");
            server.thaw();
        }
    }
}
