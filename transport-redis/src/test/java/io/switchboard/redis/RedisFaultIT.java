package io.switchboard.redis;

import static io.switchboard.redis.TestSupport.await;
import static io.switchboard.redis.TestSupport.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.ConfigurationException;
import io.switchboard.ConnectionEvent;
import io.switchboard.ConnectionException;
import io.switchboard.Health;
import io.switchboard.Message;
import io.switchboard.Subscription;
import io.switchboard.Switchboard;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Faults on a private redis-server (killed and restarted on its port) and through a TCP proxy
 * (cut or frozen); the shared Redis is never touched.
 */
class RedisFaultIT {
    private static final Duration WAIT = Duration.ofSeconds(15);
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

    private static Map<String, Object> fastFailover(String uri) {
        Map<String, Object> p = new HashMap<>();
        p.put("switchboard.transport", "redis");
        p.put("switchboard.redis.uri", uri);
        p.put("switchboard.redis.connect-timeout", "500ms");
        p.put("switchboard.redis.command-timeout", "1s");
        p.put("switchboard.redis.subscriber.ping-interval", "200ms");
        p.put("switchboard.redis.subscriber.dead-after", "1s");
        p.put("switchboard.redis.reconnect.min-backoff", "50ms");
        p.put("switchboard.redis.reconnect.max-backoff", "500ms");
        return p;
    }

    @Test
    void subscriptionResumesAfterServerRestartAndListenersSeeTheGap() {
        TestSupport.Events events = new TestSupport.Events();
        String ch = unique("fault.restart");
        List<String> got = new CopyOnWriteArrayList<>();
        try (Switchboard sb = TestSupport.open(fastFailover(server.uri()), events);
                Subscription s = sb.subscriber().subscribe(ch, d -> got.add(d.message().text()))) {
            sb.publisher().publishText(ch, "before").toCompletableFuture().join();
            await(WAIT, () -> got.contains("before"), "delivery before the restart");
            server.kill();
            await(WAIT, () -> events.has(ConnectionEvent.Type.LOST), "LOST event");
            assertEquals(Health.Status.DEGRADED, sb.health().components().get("transport").status());
            server.start();
            long restarted = System.nanoTime();
            long firstDelivery = publishUntilDelivered(sb, ch, got, "after");
            System.out.printf("[redis fault] server restart -> first delivered message: %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(firstDelivery - restarted));
            await(WAIT, () -> events.has(ConnectionEvent.Type.RECOVERED), "RECOVERED event");
            ConnectionEvent recovered = events.all.stream().filter(e -> e.type() == ConnectionEvent.Type.RECOVERED)
                    .findFirst().orElseThrow();
            assertTrue(recovered.possibleGap(), "an at-most-once transport reports a possible gap");
            await(WAIT, () -> sb.health().components().get("transport").status() == Health.Status.UP, "health UP again");
        } finally {
            server.start();
        }
    }

    /** Publishes until one arrives, ignoring publishes refused during the outage; returns when it arrived. */
    private static long publishUntilDelivered(Switchboard sb, String ch, List<String> got, String text) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                sb.publisher().publishText(ch, text).toCompletableFuture().get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                // Refused while reconnecting; try again.
            }
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
            while (System.nanoTime() < until) {
                if (got.contains(text)) {
                    return System.nanoTime();
                }
                Thread.onSpinWait();
            }
        }
        throw new AssertionError("no message delivered after the restart within " + WAIT.toMillis() + "ms");
    }

    @Test
    void subscriptionMadeWhileRedisIsDownIsEstablishedWhenItReturns() {
        TestSupport.Events events = new TestSupport.Events();
        String ch = unique("fault.down");
        List<String> got = new CopyOnWriteArrayList<>();
        try (Switchboard sb = TestSupport.open(fastFailover(server.uri()), events)) {
            server.kill();
            await(WAIT, () -> events.has(ConnectionEvent.Type.LOST), "LOST event");
            try (Subscription s = sb.subscriber().subscribe(ch, d -> got.add(d.message().text()))) {
                server.start();
                await(WAIT, () -> events.has(ConnectionEvent.Type.RECOVERED), "RECOVERED event");
                publishUntilDelivered(sb, ch, got, "hello");
            }
        } finally {
            server.start();
        }
    }

    @Test
    void publishDuringOutageFailsFastByDefaultAndWaitsWhenConfigured() throws Exception {
        TestSupport.Events failFastEvents = new TestSupport.Events();
        Map<String, Object> waiting = fastFailover(server.uri());
        waiting.put("switchboard.redis.publish.outage-wait", "10s");
        try (Switchboard failFast = TestSupport.open(fastFailover(server.uri()), failFastEvents);
                Switchboard patient = TestSupport.open(waiting, null)) {
            String ch = unique("fault.outage");
            server.kill();
            await(WAIT, () -> failFastEvents.has(ConnectionEvent.Type.LOST), "LOST event");
            await(WAIT, () -> Boolean.FALSE.equals(failFast.health().components().get("transport").details().get("publisherConnected")),
                    "publisher connection noticed the outage");
            long start = System.nanoTime();
            CompletionException e = assertThrows(CompletionException.class,
                    () -> failFast.publisher().publishText(ch, "x").toCompletableFuture().join());
            assertTrue(e.getCause() instanceof ConnectionException, String.valueOf(e.getCause()));
            assertTrue(e.getCause().getMessage().contains("outage-wait"), e.getCause().getMessage());
            assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(200), "failed fast");

            await(WAIT, () -> Boolean.FALSE.equals(patient.health().components().get("transport").details().get("publisherConnected")),
                    "patient publisher noticed the outage");
            CompletableFuture<Void> queued = patient.publisher().publishText(ch, "y").toCompletableFuture();
            assertFalse(queued.isDone(), "a publish waits for the reconnection");
            server.start();
            queued.get(10, TimeUnit.SECONDS);
        } finally {
            server.start();
        }
    }

    @Test
    void halfOpenSubscriberConnectionIsDetectedWithinDeadAfter() throws Exception {
        TestSupport.Events events = new TestSupport.Events();
        String ch = unique("fault.frozen");
        List<String> got = new CopyOnWriteArrayList<>();
        try (TcpProxy proxy = new TcpProxy(server.port);
                Switchboard sb = TestSupport.open(fastFailover("redis://127.0.0.1:" + proxy.port()), events);
                Subscription s = sb.subscriber().subscribe(ch, d -> got.add(d.message().text()))) {
            proxy.freeze();
            long frozen = System.nanoTime();
            await(Duration.ofSeconds(5), () -> events.has(ConnectionEvent.Type.LOST), "LOST after the freeze");
            long detectedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - frozen);
            System.out.printf("[redis fault] half-open (frozen proxy) detected after %d ms (dead-after 1000 ms)%n", detectedMillis);
            assertTrue(detectedMillis < 2000, "detected within dead-after plus one ping interval and slack: " + detectedMillis);
            proxy.cut();
            proxy.unfreeze();
            await(WAIT, () -> events.has(ConnectionEvent.Type.RECOVERED), "RECOVERED after the freeze ends");
            publishUntilDelivered(sb, ch, got, "after-freeze");
            assertTrue(((Number) sb.health().components().get("transport").details().get("halfOpenDetections")).longValue() >= 1);
        }
    }

    @Test
    void inFlightBoundRefusesWhenFullAndStuckPublishesFailAfterTheCommandTimeout() throws Exception {
        Map<String, Object> p;
        try (TcpProxy proxy = new TcpProxy(server.port)) {
            p = fastFailover("redis://127.0.0.1:" + proxy.port());
            p.put("switchboard.redis.publish.max-in-flight", "8");
            p.put("switchboard.redis.publish.when-full", "fail");
            try (Switchboard sb = TestSupport.open(p, null)) {
                String ch = unique("fault.full");
                sb.publisher().publishText(ch, "warm").toCompletableFuture().get(5, TimeUnit.SECONDS);
                proxy.freeze();
                List<CompletableFuture<Void>> stuck = new java.util.ArrayList<>();
                CompletableFuture<Void> refused = null;
                for (int i = 0; i < 1000 && refused == null; i++) {
                    CompletableFuture<Void> f = sb.publisher().publishText(ch, "m" + i).toCompletableFuture();
                    if (f.isCompletedExceptionally()) {
                        refused = f;
                    } else {
                        stuck.add(f);
                    }
                }
                assertTrue(refused != null, "a publish beyond max-in-flight is refused at once");
                CompletionException e = assertThrows(CompletionException.class, refused::join);
                assertTrue(e.getCause() instanceof io.switchboard.PublishException, String.valueOf(e.getCause()));
                assertTrue(((io.switchboard.PublishException) e.getCause()).isRetryable());
                assertTrue(e.getCause().getMessage().contains("max-in-flight"), e.getCause().getMessage());
                assertTrue(stuck.size() <= 8 + 512, "bounded: " + stuck.size());
                for (CompletableFuture<Void> f : stuck) {
                    CompletionException s = assertThrows(CompletionException.class,
                            () -> f.orTimeout(10, TimeUnit.SECONDS).join());
                    assertTrue(s.getCause() instanceof ConnectionException, String.valueOf(s.getCause()));
                }
                proxy.unfreeze();
            }
        }
    }

    @Test
    void cutConnectionsAreReplacedAndSubscriptionsResume() throws Exception {
        TestSupport.Events events = new TestSupport.Events();
        String ch = unique("fault.cut");
        String pattern = ch + ".#";
        List<String> got = new CopyOnWriteArrayList<>();
        try (TcpProxy proxy = new TcpProxy(server.port);
                Switchboard sb = TestSupport.open(fastFailover("redis://127.0.0.1:" + proxy.port()), events);
                Subscription s = sb.subscriber().subscribe(pattern, d -> got.add(d.message().text()))) {
            proxy.cut();
            await(WAIT, () -> events.has(ConnectionEvent.Type.RECOVERED), "RECOVERED after the cut");
            long cut = System.nanoTime();
            publishUntilDelivered(sb, ch, got, "after-cut");
            System.out.printf("[redis fault] connection cut -> recovered, first delivery %d ms after RECOVERED%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cut));
            assertEquals(1, events.count(ConnectionEvent.Type.LOST));
        }
    }

    @Test
    void wrongPasswordIsAConfigurationErrorThatDoesNotShowThePassword() {
        try (RedisServerProcess secured = RedisServerProcess.start("s3cret-pw")) {
            Map<String, Object> p = fastFailover("redis://:Wr0ngPassw0rd@127.0.0.1:" + secured.port);
            long start = System.nanoTime();
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> TestSupport.open(p, null).close());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3), "within the timeout");
            assertFalse(e.toString().contains("Wr0ngPassw0rd"), e.toString());
            assertFalse(stackText(e).contains("Wr0ngPassw0rd"), "password in the cause chain");
            assertTrue(e.getMessage().contains("refused the credentials"), e.getMessage());
            Map<String, Object> none = fastFailover("redis://127.0.0.1:" + secured.port);
            ConfigurationException noPassword = assertThrows(ConfigurationException.class, () -> TestSupport.open(none, null).close());
            assertTrue(noPassword.getMessage().contains("requires a password"), noPassword.getMessage());
            Map<String, Object> good = fastFailover(secured.uri());
            good.put("switchboard.cache", "redis");
            try (Switchboard sb = TestSupport.open(good, null)) {
                sb.cache().put("k", "v");
                assertEquals("v", sb.cache().get("k", String.class));
                assertFalse(sb.toString().contains("s3cret-pw"));
                assertFalse(sb.health().toString().contains("s3cret-pw"));
            }
        }
    }

    @Test
    void passwordsWithUnencodedSpecialCharactersNeverShowInMessagesHealthOrLogs() throws Exception {
        // Pieces that a URI parser splitting at the first '@', '/', '#' or '?' takes for host or path.
        String[] passwords = {"Zq9@Xy7/Wv5", "Zq9#Xy7", "Zq9?Xy7/Wv5", "Zq9@Xy7@Wv5"};
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream logs = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(logs, true, StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        try {
            for (String password : passwords) {
                try (RedisServerProcess secured = RedisServerProcess.start(password)) {
                    Map<String, Object> wrong = fastFailover("redis://app:x" + password + "@127.0.0.1:" + secured.port);
                    ConfigurationException refused = assertThrows(ConfigurationException.class, () -> TestSupport.open(wrong, null).close());
                    assertTrue(refused.getMessage().contains("refused the credentials") && refused.getMessage().contains("127.0.0.1:" + secured.port),
                            "the real server is named: " + refused.getMessage());
                    seen.append(stackText(refused));

                    int closed = TestSupport.freePort();
                    ConnectionException unreachable = assertThrows(ConnectionException.class,
                            () -> TestSupport.open(fastFailover("redis://app:" + password + "@127.0.0.1:" + closed), null).close());
                    assertTrue(unreachable.getMessage().contains("127.0.0.1:" + closed), unreachable.getMessage());
                    seen.append(stackText(unreachable));

                    // The right password, unencoded, works; then the server goes away and reconnection is logged.
                    Map<String, Object> right = fastFailover("redis://:" + password + "@127.0.0.1:" + secured.port);
                    right.put("switchboard.cache", "redis");
                    TestSupport.Events events = new TestSupport.Events();
                    try (Switchboard sb = TestSupport.open(right, events)) {
                        sb.cache().put("k", "v");
                        secured.kill();
                        await(WAIT, () -> events.has(ConnectionEvent.Type.LOST), "LOST");
                        CompletionException e = assertThrows(CompletionException.class,
                                () -> sb.cache().getAsync("k", String.class).toCompletableFuture().join());
                        seen.append(stackText(e));
                        await(WAIT, () -> sb.health().components().get("transport").details().containsKey("subscriberLastError"), "a last error");
                        seen.append(sb.health()).append(sb);
                    }
                }
            }
        } finally {
            System.setErr(err);
        }
        seen.append(logs.toString(StandardCharsets.UTF_8));
        String all = seen.toString();
        assertTrue(all.contains("cannot connect to Redis"), "the reconnection attempts were logged");
        for (String piece : new String[] {"Zq9", "Xy7", "Wv5"}) {
            assertFalse(all.contains(piece), "'" + piece + "' of a password in:\n" + all);
        }
    }

    private static String stackText(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c).append('\n');
        }
        return sb.toString();
    }

    @Test
    void closedPortIsAConnectionErrorNamingTheServer() {
        int port = TestSupport.freePort();
        long start = System.nanoTime();
        ConnectionException e = assertThrows(ConnectionException.class,
                () -> TestSupport.open(fastFailover("redis://127.0.0.1:" + port), null).close());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3), "within the timeout");
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
    }

    @Test
    void silentServerIsAConnectionErrorWithinTheCommandTimeout() throws Exception {
        try (FakeServer fake = new FakeServer(null)) {
            long start = System.nanoTime();
            ConnectionException e = assertThrows(ConnectionException.class,
                    () -> TestSupport.open(fastFailover("redis://127.0.0.1:" + fake.port()), null).close());
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(millis < 3000, "within the timeout: " + millis + "ms");
            assertTrue(e.getMessage().contains("did not answer"), e.getMessage());
        }
    }

    @Test
    void httpServerIsAConnectionErrorSayingItIsNotRedis() throws Exception {
        try (FakeServer fake = new FakeServer("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")) {
            ConnectionException e = assertThrows(ConnectionException.class,
                    () -> TestSupport.open(fastFailover("redis://127.0.0.1:" + fake.port()), null).close());
            assertTrue(e.getMessage().contains("does not speak the Redis protocol")
                    || e.getMessage().contains("failed"), e.getMessage());
        }
    }

    /** Accepts connections and either says nothing or answers once with a fixed text. */
    private static final class FakeServer implements AutoCloseable {
        private final ServerSocket socket;
        private final List<Socket> accepted = new CopyOnWriteArrayList<>();
        private final AtomicBoolean closed = new AtomicBoolean();

        FakeServer(String reply) throws IOException {
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread t = new Thread(() -> {
                while (!closed.get()) {
                    try {
                        Socket s = socket.accept();
                        accepted.add(s);
                        if (reply != null) {
                            OutputStream out = s.getOutputStream();
                            out.write(reply.getBytes(StandardCharsets.US_ASCII));
                            out.flush();
                        }
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "fake-server");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            closed.set(true);
            socket.close();
            for (Socket s : accepted) {
                s.close();
            }
        }
    }
}
