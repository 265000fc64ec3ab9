package io.switchboard.memcached;

import static io.switchboard.memcached.MemcachedDriverIT.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.ConnectionException;
import io.switchboard.spi.ValueFormat;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every documented timeout of the memcached cache holds within 25%, and none fires early:
 * {@code connect-timeout} at open, {@code timeout} per operation, the close timeout. Private
 * memcached processes, frozen with SIGSTOP; a closed port. Prints the measured times.
 */
class MemcachedTimeoutsIT {
    /** The bound every timeout must hold: not before the setting, not later than 25% after it. */
    static void assertWithin(String what, Duration setting, long tookNanos) {
        long min = setting.toNanos();
        long max = min + min / 4;
        assertTrue(tookNanos >= min && tookNanos <= max, what + " took " + TimeUnit.NANOSECONDS.toMillis(tookNanos) + " ms; the setting is "
                + setting.toMillis() + " ms, so it must take " + setting.toMillis() + " to " + TimeUnit.NANOSECONDS.toMillis(max) + " ms");
    }

    static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void openToAClosedPortFailsAfterTheConnectTimeout() throws Exception {
        Duration connectTimeout = Duration.ofSeconds(2);
        int port = closedPort();
        try (TestContext ctx = TestContext.servers("127.0.0.1:" + port, MemcachedCacheProvider.CONNECT_TIMEOUT.name(), connectTimeout)) {
            long t0 = System.nanoTime();
            ConnectionException e = assertThrows(ConnectionException.class, ctx::connect);
            long took = System.nanoTime() - t0;
            assertTrue(e.getMessage().contains("127.0.0.1:" + port) && e.getMessage().contains("connect-timeout"), e.getMessage());
            assertWithin("open() to a closed port", connectTimeout, took);
            System.out.printf("Timeout (connect-timeout %d ms, closed port): open() failed after %d ms%n", connectTimeout.toMillis(),
                    TimeUnit.NANOSECONDS.toMillis(took));
        }
    }

    /** Each kind of operation, submitted at once to a frozen server. */
    private static Map<String, Supplier<CompletionStage<?>>> everyOperation(MemcachedCacheDriver driver, String key) {
        Map<String, Supplier<CompletionStage<?>>> ops = new LinkedHashMap<>();
        ops.put("get", () -> driver.get(key));
        ops.put("getAll", () -> driver.getAll(List.of(key, key + "-2")));
        ops.put("put", () -> driver.put(key, utf8("v"), ValueFormat.TEXT, Duration.ZERO));
        ops.put("putIfAbsent", () -> driver.putIfAbsent(key + "-3", utf8("v"), ValueFormat.TEXT, Duration.ZERO));
        ops.put("compareAndSet", () -> driver.compareAndSet(key, 1, utf8("v"), ValueFormat.TEXT, Duration.ZERO));
        ops.put("delete", () -> driver.delete(key + "-4"));
        ops.put("increment", () -> driver.increment(key + "-5", 1, 0, Duration.ZERO));
        return ops;
    }

    @ParameterizedTest(name = "{0} protocol")
    @ValueSource(strings = {"binary", "text"})
    void everyOperationOnAFrozenServerFailsAfterTheOperationTimeout(String protocol) throws Exception {
        Duration timeout = Duration.ofSeconds(1);
        try (MemcachedProcess server = MemcachedProcess.start();
                TestContext ctx = TestContext.servers(server.address(), MemcachedCacheProvider.TIMEOUT.name(), timeout,
                        MemcachedCacheProvider.PROTOCOL.name(), protocol)) {
            MemcachedCacheDriver driver = ctx.connect();
            try {
                server.signal("STOP");
                Map<String, long[]> times = new LinkedHashMap<>();
                List<CompletableFuture<?>> all = new ArrayList<>();
                for (Map.Entry<String, Supplier<CompletionStage<?>>> op : everyOperation(driver, "frozen-" + protocol).entrySet()) {
                    long[] t = {System.nanoTime(), 0};
                    times.put(op.getKey(), t);
                    all.add(op.getValue().get().toCompletableFuture().whenComplete((v, e) -> t[1] = System.nanoTime()));
                }
                StringBuilder report = new StringBuilder();
                for (int i = 0; i < all.size(); i++) {
                    String name = new ArrayList<>(times.keySet()).get(i);
                    CompletableFuture<?> f = all.get(i);
                    Throwable failure = assertThrows(Exception.class, () -> f.get(10, TimeUnit.SECONDS), name).getCause();
                    assertInstanceOf(ConnectionException.class, failure, name + ": " + failure);
                    long[] t = times.get(name);
                    assertWithin(name + " on a frozen server (" + protocol + ")", timeout, t[1] - t[0]);
                    report.append(' ').append(name).append(' ').append(TimeUnit.NANOSECONDS.toMillis(t[1] - t[0])).append(" ms,");
                }
                System.out.printf("Timeout (timeout %d ms, frozen server, %s):%s%n", timeout.toMillis(), protocol, report);
            } finally {
                server.signal("CONT");
                driver.close(Duration.ofSeconds(2));
            }
        }
    }

    @Test
    void closeWaitsForOperationsOnAFrozenServerAtMostTheCloseTimeout() throws Exception {
        Duration closeTimeout = Duration.ofSeconds(1);
        try (MemcachedProcess server = MemcachedProcess.start();
                TestContext ctx = TestContext.servers(server.address(), MemcachedCacheProvider.TIMEOUT.name(), Duration.ofSeconds(5))) {
            MemcachedCacheDriver driver = ctx.connect();
            try {
                server.signal("STOP");
                List<CompletableFuture<?>> pending = new ArrayList<>();
                for (Supplier<CompletionStage<?>> op : everyOperation(driver, "closing").values()) {
                    pending.add(op.get().toCompletableFuture());
                }
                long t0 = System.nanoTime();
                driver.close(closeTimeout);
                long took = System.nanoTime() - t0;
                assertWithin("close() with operations pending on a frozen server", closeTimeout, took);
                for (CompletableFuture<?> f : pending) {
                    assertTrue(f.isDone(), "close must complete every pending operation");
                    Throwable failure = assertThrows(Exception.class, f::join).getCause();
                    assertInstanceOf(ConnectionException.class, failure);
                    assertTrue(failure.getMessage().contains("closed"), failure.getMessage());
                }
                System.out.printf("Timeout (close timeout %d ms, %d operations pending on a frozen server, operation timeout 5 s): "
                        + "close() returned after %d ms%n", closeTimeout.toMillis(), pending.size(), TimeUnit.NANOSECONDS.toMillis(took));
            } finally {
                server.signal("CONT");
                driver.close(Duration.ofSeconds(1));
            }
        }
    }

    @Test
    void closeReturnsOnceThePendingOperationsTimedOut() throws Exception {
        Duration timeout = Duration.ofSeconds(1);
        try (MemcachedProcess server = MemcachedProcess.start();
                TestContext ctx = TestContext.servers(server.address(), MemcachedCacheProvider.TIMEOUT.name(), timeout)) {
            MemcachedCacheDriver driver = ctx.connect();
            try {
                server.signal("STOP");
                long t0 = System.nanoTime();
                CompletableFuture<?> get = driver.get("closing-after-timeout").toCompletableFuture();
                driver.close(Duration.ofSeconds(20));
                long took = System.nanoTime() - t0;
                assertWithin("close() (20 s) with a get pending on a frozen server, operation timeout 1 s", timeout, took);
                Throwable failure = assertThrows(Exception.class, get::join).getCause();
                assertInstanceOf(ConnectionException.class, failure);
                assertTrue(failure.getMessage().contains("timed out"), failure.getMessage());
                System.out.printf("Timeout (close timeout 20 s, a get pending on a frozen server, operation timeout %d ms): "
                        + "close() returned %d ms after the get was sent%n", timeout.toMillis(), TimeUnit.NANOSECONDS.toMillis(took));
            } finally {
                server.signal("CONT");
                driver.close(Duration.ofSeconds(1));
            }
        }
    }

    @Test
    void idleCloseWithAFrozenServerReturnsAtOnce() throws Exception {
        try (MemcachedProcess a = MemcachedProcess.start(); MemcachedProcess b = MemcachedProcess.start();
                TestContext ctx = TestContext.servers(a.address() + "," + b.address())) {
            MemcachedCacheDriver driver = ctx.connect();
            try {
                assertNotNull(driver.health());
                b.signal("STOP");
                long t0 = System.nanoTime();
                driver.close(Duration.ofSeconds(30));
                long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertTrue(took < 500, "close() with nothing pending must not wait for a frozen server; took " + took + " ms");
                assertEquals(true, driver.health().details().get("closed"));
                System.out.printf("Timeout (close timeout 30 s, nothing pending, one of two servers frozen): close() returned after %d ms%n",
                        took);
            } finally {
                b.signal("CONT");
            }
        }
    }
}
