package io.switchboard.memcached;

import static io.switchboard.memcached.MemcachedDriverIT.join;
import static io.switchboard.memcached.MemcachedDriverIT.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.ConnectionException;
import io.switchboard.Health;
import io.switchboard.spi.ValueFormat;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.spy.memcached.MemcachedClient;
import org.junit.jupiter.api.Test;

/**
 * Faults with private memcached processes on free ports: a server killed, frozen, restarted; never
 * the shared server. Prints the measured timings.
 */
class MemcachedFaultIT {
    private static final Duration TIMEOUT = Duration.ofMillis(500);

    private static TestContext context(List<MemcachedProcess> servers, Object... more) {
        StringBuilder list = new StringBuilder();
        for (MemcachedProcess p : servers) {
            list.append(list.length() == 0 ? "" : ",").append(p.address());
        }
        Object[] all = new Object[more.length + 2];
        all[0] = MemcachedCacheProvider.TIMEOUT.name();
        all[1] = TIMEOUT;
        System.arraycopy(more, 0, all, 2, more.length);
        return TestContext.servers(list.toString(), all);
    }

    /** Keys grouped by the port of the server holding them, 40 per server. */
    private static Map<Integer, List<String>> keysByServer(MemcachedCacheDriver driver, int perServer, int servers) {
        MemcachedClient client = driver.unwrap(MemcachedClient.class);
        Map<Integer, List<String>> byPort = new HashMap<>();
        String run = UUID.randomUUID().toString().substring(0, 8);
        for (int i = 0; byPort.size() < servers || byPort.values().stream().anyMatch(l -> l.size() < perServer); i++) {
            String k = "fault-" + run + "-" + i;
            int port = ((InetSocketAddress) client.getNodeLocator().getPrimary(k).getSocketAddress()).getPort();
            List<String> l = byPort.computeIfAbsent(port, p -> new ArrayList<>());
            if (l.size() < perServer) {
                l.add(k);
            }
        }
        return byPort;
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static boolean works(MemcachedCacheDriver driver, String key) {
        try {
            join(driver.put(key, utf8("back"), ValueFormat.TEXT, Duration.ZERO));
            return join(driver.get(key)) != null;
        } catch (ConnectionException e) {
            return false;
        }
    }

    @Test
    void killedServerFailsFastOnlyForItsKeysAndIsUsedAgainSecondsAfterRestart() throws Exception {
        try (MemcachedProcess a = MemcachedProcess.start(); MemcachedProcess b = MemcachedProcess.start();
                MemcachedProcess c = MemcachedProcess.start(); TestContext ctx = context(List.of(a, b, c))) {
            MemcachedCacheDriver driver = ctx.connect();
            try {
                Map<Integer, List<String>> keys = keysByServer(driver, 40, 3);
                for (List<String> l : keys.values()) {
                    for (String k : l) {
                        join(driver.put(k, utf8(k), ValueFormat.TEXT, Duration.ZERO));
                    }
                }
                assertEquals(Health.Status.UP, driver.health().status());

                long killedAt = System.nanoTime();
                b.kill();
                Duration detected = Await.await(Duration.ofSeconds(5), () -> driver.health().status() == Health.Status.DEGRADED,
                        () -> "health never reported the killed server: " + driver.health());
                Health h = driver.health();
                assertEquals(false, h.details().get(b.address() + ".available"), h.toString());
                assertEquals(true, h.details().get(a.address() + ".available"), h.toString());
                Await.await(Duration.ofSeconds(5), () -> ctx.events.stream().anyMatch(e -> e.startsWith("lost")), "no lost event");

                for (int port : List.of(a.port, c.port)) {
                    for (String k : keys.get(port)) {
                        assertArrayEquals(utf8(k), join(driver.get(k)).value(), "key " + k + " of a live server");
                    }
                }
                List<Long> failMicros = new ArrayList<>();
                for (String k : keys.get(b.port)) {
                    long t0 = System.nanoTime();
                    ConnectionException e = assertThrows(ConnectionException.class, () -> join(driver.get(k)));
                    failMicros.add((System.nanoTime() - t0) / 1000);
                    assertTrue(e.getMessage().contains(b.address()), e.getMessage());
                }
                long worst = Collections.max(failMicros);
                assertTrue(worst < TIMEOUT.toNanos() / 1000 + 200_000, "an operation on the dead server took " + worst + " us");

                b.restart();
                String probe = keys.get(b.port).get(0);
                Duration usedAgain = Await.await(Duration.ofSeconds(10), () -> works(driver, probe),
                        "the restarted server was not used again within 10 s");
                Await.await(Duration.ofSeconds(5), () -> driver.health().status() == Health.Status.UP, "health never UP again");
                Await.await(Duration.ofSeconds(5), () -> ctx.events.contains("recovered"), "no recovered event");
                long sinceKill = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
                System.out.printf("Fault (kill 1 of 3): health DEGRADED %d ms after kill; ops on its %d keys failed in median %d us, worst %d us"
                                + " (timeout %d ms); live servers served all their keys; restarted server used again %d ms after restart"
                                + " (%d ms after the kill)%n",
                        detected.toMillis(), failMicros.size(), median(failMicros), worst, TIMEOUT.toMillis(), usedAgain.toMillis(),
                        sinceKill);
            } finally {
                driver.close(Duration.ofSeconds(2));
            }
        }
    }

    @Test
    void frozenServerFailsWithinTheTimeoutAndIsUsedAgainWhenItThaws() throws Exception {
        try (MemcachedProcess a = MemcachedProcess.start(); MemcachedProcess b = MemcachedProcess.start();
                TestContext ctx = context(List.of(a, b))) {
            MemcachedCacheDriver driver = ctx.connect();
            try {
                Map<Integer, List<String>> keys = keysByServer(driver, 20, 2);
                String frozenKey = keys.get(b.port).get(0);
                String liveKey = keys.get(a.port).get(0);
                join(driver.put(frozenKey, utf8("v"), ValueFormat.TEXT, Duration.ZERO));
                join(driver.put(liveKey, utf8("v"), ValueFormat.TEXT, Duration.ZERO));
                b.signal("STOP");
                List<Long> failMillis = new ArrayList<>();
                for (String k : keys.get(b.port)) {
                    long t0 = System.nanoTime();
                    assertThrows(ConnectionException.class, () -> join(driver.get(k)));
                    failMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                    assertNotNull(join(driver.get(liveKey)), "the live server must keep answering");
                }
                long worst = Collections.max(failMillis);
                assertTrue(worst < TIMEOUT.toMillis() + 300, "an operation on the frozen server took " + worst + " ms");
                assertFalse(driver.health().details().get("timeouts").equals(0L));

                b.signal("CONT");
                Duration usedAgain = Await.await(Duration.ofSeconds(10), () -> works(driver, frozenKey),
                        "the thawed server was not used again within 10 s");
                System.out.printf("Fault (freeze 1 of 2): %d ops on the frozen server failed after median %d ms, worst %d ms "
                        + "(timeout %d ms), while the live server kept answering; "
                        + "used again %d ms after thawing%n", failMillis.size(), median(failMillis), worst, TIMEOUT.toMillis(),
                        usedAgain.toMillis());
            } finally {
                driver.close(Duration.ofSeconds(2));
            }
        }
    }

    @Test
    void operationsOnAFrozenServerNeverHangNorQueueWithoutBound() throws Exception {
        try (MemcachedProcess a = MemcachedProcess.start();
                TestContext ctx = context(List.of(a), MemcachedCacheProvider.QUEUE_SIZE.name(), 64)) {
            MemcachedCacheDriver driver = ctx.connect();
            try {
                a.signal("STOP");
                byte[] value = new byte[32 * 1024];
                List<CompletableFuture<Void>> puts = new ArrayList<>();
                long t0 = System.nanoTime();
                for (int i = 0; i < 2000; i++) {
                    puts.add(driver.put("frozen-" + i, value, ValueFormat.BYTES, Duration.ZERO).toCompletableFuture());
                }
                long submitMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                int refused = 0;
                for (int i = 0; i < puts.size(); i++) {
                    CompletableFuture<Void> f = puts.get(i);
                    ConnectionException e = assertThrows(ConnectionException.class, () -> join(f), "put " + i + " on a frozen server");
                    refused += e.getMessage().contains("queue") ? 1 : 0;
                }
                long allMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertTrue(submitMillis < 5000, "submitting must not block; took " + submitMillis + " ms");
                assertTrue(allMillis < TIMEOUT.toMillis() + 5000, "2000 operations took " + allMillis + " ms to fail");
                System.out.printf("Fault (frozen server, queue-size 64): 2000 puts of 32 KiB submitted in %d ms, all failed within %d ms; "
                        + "%d refused at once because the queue was full%n", submitMillis, allMillis, refused);
            } finally {
                a.signal("CONT");
                driver.close(Duration.ofSeconds(2));
            }
        }
    }

    @Test
    void openFailsWithConnectionExceptionWhenNoServerAnswers() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (TestContext ctx = TestContext.servers("127.0.0.1:" + port, MemcachedCacheProvider.CONNECT_TIMEOUT.name(),
                Duration.ofMillis(500))) {
            long t0 = System.nanoTime();
            ConnectionException e = assertThrows(ConnectionException.class, ctx::connect);
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(e.getMessage().contains("127.0.0.1:" + port) && e.getMessage().contains("connect-timeout"), e.getMessage());
            assertTrue(took < 3000, "open took " + took + " ms");
        }
    }
}
