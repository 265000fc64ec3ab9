package io.switchboard.memcached;

import static io.switchboard.memcached.MemcachedDriverIT.join;
import static io.switchboard.memcached.MemcachedDriverIT.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.ConnectionException;
import io.switchboard.Health;
import io.switchboard.spi.ValueFormat;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A frozen server (SIGSTOP: its connections stay open, nothing is answered) shows in health and
 * connection events within a few timeouts, and as recovered when it answers again. Private
 * memcached processes on free ports. Prints the times to detect and to recover.
 */
class MemcachedFrozenServerIT {
    private static final Duration TIMEOUT = Duration.ofMillis(500);
    /** Detection bound: one probe interval, one timeout, and slack for a loaded machine. */
    private static final Duration DETECT = Duration.ofMillis(MemcachedCacheDriver.PROBE_MILLIS + TIMEOUT.toMillis() + 1000);

    private static long count(TestContext ctx, String prefix) {
        return ctx.events.stream().filter(e -> e.startsWith(prefix)).count();
    }

    @Test
    void frozenServerTurnsHealthDegradedWithALostEventAndRecoversWhenItThaws() throws Exception {
        try (MemcachedProcess a = MemcachedProcess.start(); MemcachedProcess b = MemcachedProcess.start();
                TestContext ctx = TestContext.servers(a.address() + "," + b.address(), MemcachedCacheProvider.TIMEOUT.name(), TIMEOUT)) {
            MemcachedCacheDriver driver = ctx.connect();
            AtomicBoolean traffic = new AtomicBoolean(true);
            AtomicLong failed = new AtomicLong();
            List<String> onB = MemcachedServerDownReadsIT.keysOn(driver, b.port, 20, "frozen-" + UUID.randomUUID().toString().substring(0, 8));
            Thread load = new Thread(() -> {
                for (int i = 0; traffic.get(); i++) {
                    try {
                        join(driver.put(onB.get(i % onB.size()), utf8("v"), ValueFormat.TEXT, Duration.ZERO));
                    } catch (ConnectionException e) {
                        failed.incrementAndGet();
                    }
                }
            }, "frozen-server-load");
            try {
                assertEquals(Health.Status.UP, driver.health().status());
                load.start();
                b.signal("STOP");
                long frozenAt = System.nanoTime();
                Duration detected = Await.await(DETECT, () -> driver.health().status() == Health.Status.DEGRADED,
                        () -> "a frozen server must turn health DEGRADED within " + DETECT + ": " + driver.health());
                Health h = driver.health();
                assertEquals(false, h.details().get(b.address() + ".available"), h.toString());
                assertEquals(true, h.details().get(a.address() + ".available"), h.toString());
                assertEquals(1, h.details().get("available"), h.toString());
                Duration lost = Await.await(DETECT, () -> count(ctx, "lost") > 0, () -> "no lost event: " + ctx.events);
                assertTrue(ctx.events.stream().anyMatch(e -> e.startsWith("lost") && e.contains(b.address())), ctx.events.toString());

                // Reconnecting to a frozen process succeeds at the TCP level; that must not pass for recovery.
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
                while (System.nanoTime() - until < 0) {
                    assertEquals(Health.Status.DEGRADED, driver.health().status(), "health while frozen: " + driver.health());
                    Thread.sleep(10);
                }
                assertEquals(0, count(ctx, "recovered"), "no recovered event while frozen: " + ctx.events);
                assertEquals(1, count(ctx, "lost"), "one lost event per outage: " + ctx.events);

                b.signal("CONT");
                long thawedAt = System.nanoTime();
                Duration recovered = Await.await(DETECT, () -> driver.health().status() == Health.Status.UP,
                        () -> "health never UP again after thawing: " + driver.health());
                Await.await(DETECT, () -> count(ctx, "recovered") == 1, () -> "no recovered event: " + ctx.events);
                long recoveredEvent = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - thawedAt);
                traffic.set(false);
                load.join(10_000);
                System.out.printf("Fault (freeze 1 of 2, timeout %d ms, writes running): health DEGRADED %d ms after SIGSTOP, lost event "
                                + "after %d ms; %d writes failed while frozen (%d s); health UP %d ms after SIGCONT, recovered event "
                                + "after %d ms%n", TIMEOUT.toMillis(), detected.toMillis(), lost.toMillis() + detected.toMillis(),
                        failed.get(), TimeUnit.NANOSECONDS.toSeconds(thawedAt - frozenAt), recovered.toMillis(), recoveredEvent);
            } finally {
                traffic.set(false);
                b.signal("CONT");
                driver.close(Duration.ofSeconds(2));
            }
        }
    }

    @Test
    void everyServerFrozenTurnsHealthDown() throws Exception {
        try (MemcachedProcess a = MemcachedProcess.start(); MemcachedProcess b = MemcachedProcess.start();
                TestContext ctx = TestContext.servers(a.address() + "," + b.address(), MemcachedCacheProvider.TIMEOUT.name(), TIMEOUT)) {
            MemcachedCacheDriver driver = ctx.connect();
            try {
                a.signal("STOP");
                b.signal("STOP");
                Duration down = Await.await(DETECT, () -> driver.health().status() == Health.Status.DOWN,
                        () -> "both servers frozen must turn health DOWN: " + driver.health());
                assertEquals(0, driver.health().details().get("available"));
                a.signal("CONT");
                Duration degraded = Await.await(DETECT, () -> driver.health().status() == Health.Status.DEGRADED,
                        () -> "one server thawed must turn health DEGRADED: " + driver.health());
                b.signal("CONT");
                Duration up = Await.await(DETECT, () -> driver.health().status() == Health.Status.UP, () -> "never UP: " + driver.health());
                Await.await(DETECT, () -> count(ctx, "recovered") == 1, () -> "no recovered event: " + ctx.events);
                System.out.printf("Fault (freeze 2 of 2, idle, timeout %d ms): health DOWN %d ms after SIGSTOP; DEGRADED %d ms after one "
                        + "SIGCONT, UP %d ms after the other%n", TIMEOUT.toMillis(), down.toMillis(), degraded.toMillis(), up.toMillis());
            } finally {
                a.signal("CONT");
                b.signal("CONT");
                driver.close(Duration.ofSeconds(2));
            }
        }
    }

    @Test
    void openWithTheOnlyServerFrozenFailsAfterTheConnectTimeout() throws Exception {
        Duration connectTimeout = Duration.ofSeconds(1);
        try (MemcachedProcess a = MemcachedProcess.start();
                TestContext ctx = TestContext.servers(a.address(), MemcachedCacheProvider.CONNECT_TIMEOUT.name(), connectTimeout)) {
            a.signal("STOP");
            try {
                long t0 = System.nanoTime();
                ConnectionException e = assertThrows(ConnectionException.class, ctx::connect,
                        "a server that accepts connections but answers nothing is not available");
                long took = System.nanoTime() - t0;
                assertTrue(e.getMessage().contains(a.address()) && e.getMessage().contains("did not answer"), e.getMessage());
                MemcachedTimeoutsIT.assertWithin("open() with the only server frozen", connectTimeout, took);
                System.out.printf("Fault (open, only server frozen, connect-timeout %d ms): failed after %d ms%n", connectTimeout.toMillis(),
                        TimeUnit.NANOSECONDS.toMillis(took));
            } finally {
                a.signal("CONT");
            }
        }
    }

    @Test
    void openWithOneOfTwoServersFrozenStartsDegradedAfterTheConnectTimeout() throws Exception {
        Duration connectTimeout = Duration.ofSeconds(1);
        try (MemcachedProcess a = MemcachedProcess.start(); MemcachedProcess b = MemcachedProcess.start();
                TestContext ctx = TestContext.servers(a.address() + "," + b.address(), MemcachedCacheProvider.CONNECT_TIMEOUT.name(),
                        connectTimeout, MemcachedCacheProvider.TIMEOUT.name(), TIMEOUT)) {
            b.signal("STOP");
            MemcachedCacheDriver driver = null;
            try {
                long t0 = System.nanoTime();
                driver = ctx.connect();
                long took = System.nanoTime() - t0;
                MemcachedTimeoutsIT.assertWithin("open() with one of two servers frozen", connectTimeout, took);
                Health h = driver.health();
                assertEquals(Health.Status.DEGRADED, h.status(), h.toString());
                assertEquals(false, h.details().get(b.address() + ".available"), h.toString());
                b.signal("CONT");
                MemcachedCacheDriver d = driver;
                Duration up = Await.await(DETECT, () -> d.health().status() == Health.Status.UP, () -> "never UP: " + d.health());
                System.out.printf("Fault (open, one of two servers frozen, connect-timeout %d ms): started DEGRADED after %d ms; UP %d ms "
                        + "after SIGCONT%n", connectTimeout.toMillis(), TimeUnit.NANOSECONDS.toMillis(took), up.toMillis());
            } finally {
                b.signal("CONT");
                if (driver != null) {
                    driver.close(Duration.ofSeconds(2));
                }
            }
        }
    }
}
