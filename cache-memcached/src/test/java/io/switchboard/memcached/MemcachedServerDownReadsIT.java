package io.switchboard.memcached;

import static io.switchboard.memcached.MemcachedDriverIT.join;
import static io.switchboard.memcached.MemcachedDriverIT.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.ConnectionException;
import io.switchboard.Health;
import io.switchboard.SharedCache;
import io.switchboard.Switchboard;
import io.switchboard.spi.CacheEntry;
import io.switchboard.spi.ValueFormat;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import net.spy.memcached.MemcachedClient;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every read of a key whose server is down fails with {@link ConnectionException} naming that
 * server: a caller must never mistake "down" for "absent". Private memcached processes on free
 * ports; one is killed.
 */
class MemcachedServerDownReadsIT {
    private static final Duration TIMEOUT = Duration.ofMillis(500);

    static List<String> keysOn(MemcachedCacheDriver driver, int port, int count, String prefix) {
        MemcachedClient client = driver.unwrap(MemcachedClient.class);
        List<String> keys = new ArrayList<>();
        for (int i = 0; keys.size() < count; i++) {
            String k = prefix + "-" + i;
            if (((InetSocketAddress) client.getNodeLocator().getPrimary(k).getSocketAddress()).getPort() == port) {
                keys.add(k);
            }
        }
        return keys;
    }

    private static void assertDown(String what, MemcachedProcess server, Supplier<Object> read) {
        ConnectionException e = assertThrows(ConnectionException.class, () -> read.get(),
                what + " of a key on the dead server must fail, not read as absent");
        assertTrue(e.getMessage().contains(server.address()), what + ": " + e.getMessage());
    }

    @ParameterizedTest(name = "{0} protocol")
    @ValueSource(strings = {"binary", "text"})
    void readsOfKeysOnADeadServerFailWithConnectionExceptionNeverAsAbsent(String protocol) throws Exception {
        try (MemcachedProcess a = MemcachedProcess.start(); MemcachedProcess b = MemcachedProcess.start();
                TestContext ctx = TestContext.servers(a.address() + "," + b.address(), MemcachedCacheProvider.TIMEOUT.name(), TIMEOUT,
                        MemcachedCacheProvider.PROTOCOL.name(), protocol)) {
            MemcachedCacheDriver driver = ctx.connect();
            Switchboard sb = Switchboard.open(Map.of("switchboard.transport", "memory", "switchboard.cache", "memcached",
                    MemcachedCacheProvider.SERVERS.name(), a.address() + "," + b.address(), MemcachedCacheProvider.TIMEOUT.name(), "500ms",
                    MemcachedCacheProvider.PROTOCOL.name(), protocol));
            try {
                String run = "down-" + UUID.randomUUID().toString().substring(0, 8);
                List<String> onA = keysOn(driver, a.port, 5, run);
                List<String> onB = keysOn(driver, b.port, 5, run);
                for (String k : onA) {
                    join(driver.put(k, utf8(k), ValueFormat.TEXT, Duration.ZERO));
                }
                for (String k : onB) {
                    join(driver.put(k, utf8(k), ValueFormat.TEXT, Duration.ZERO));
                }
                join(driver.put(onB.get(1), utf8("7"), ValueFormat.TEXT, Duration.ZERO));

                b.kill();
                Await.await(Duration.ofSeconds(5), () -> driver.health().status() == Health.Status.DEGRADED,
                        () -> "health never showed the killed server: " + driver.health());

                assertDown("getAll of keys all on it", b, () -> join(driver.getAll(onB)));
                List<String> mixed = new ArrayList<>(onA);
                mixed.add(onB.get(0));
                assertDown("getAll of keys partly on it", b, () -> join(driver.getAll(mixed)));
                assertDown("get", b, () -> join(driver.get(onB.get(0))));
                assertDown("increment", b, () -> join(driver.increment(onB.get(1), 1, 0, Duration.ZERO)));
                assertDown("delete", b, () -> join(driver.delete(onB.get(2))));
                assertDown("putIfAbsent", b, () -> join(driver.putIfAbsent(onB.get(3), utf8("x"), ValueFormat.TEXT, Duration.ZERO)));

                Map<String, CacheEntry> live = join(driver.getAll(onA));
                assertEquals(onA.size(), live.size(), "keys of the live server are all read: " + live.keySet());

                SharedCache cache = sb.cache();
                assertDown("SharedCache.getAll", b, () -> cache.getAll(onB, String.class));
                assertDown("SharedCache.get", b, () -> cache.get(onB.get(0), String.class));
                assertEquals(onA.size(), cache.getAll(onA, String.class).size());
            } finally {
                sb.close();
                driver.close(Duration.ofSeconds(2));
            }
        }
    }
}
