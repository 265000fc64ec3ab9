package io.switchboard.redis;

import static io.switchboard.redis.TestSupport.await;
import static io.switchboard.redis.TestSupport.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.ConfigurationException;
import io.switchboard.SharedCache;
import io.switchboard.Subscription;
import io.switchboard.Switchboard;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A private Sentinel set-up whose sentinels require a password ({@code requirepass}) and whose
 * data nodes require another: {@code switchboard.redis.sentinel.password} reaches the sentinels,
 * the URI's password the master, through a failover too; a missing or wrong sentinel password is a
 * {@link ConfigurationException} naming the key, and neither password appears in any message.
 */
class RedisSentinelAuthIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String SENTINEL_SECRET = "s3ntinel-Secret-27";
    private static final String DATA_SECRET = "m4ster-Secret-91";
    private static RedisSentinelProcesses sentinel;

    @BeforeAll
    static void start() {
        sentinel = RedisSentinelProcesses.start(SENTINEL_SECRET, DATA_SECRET);
    }

    @AfterAll
    static void stop() {
        if (sentinel != null) {
            sentinel.close();
        }
    }

    static Map<String, Object> settings(String sentinelPassword) {
        Map<String, Object> p = sentinel.failoverSettings();
        if (sentinelPassword != null) {
            p.put("switchboard.redis.sentinel.password", sentinelPassword);
        }
        return p;
    }

    @Test
    void theSentinelPasswordReachesTheSentinelsAndTheUriPasswordTheMasterThroughAFailover() throws Exception {
        String ch = unique("sentinel.auth");
        List<String> received = new CopyOnWriteArrayList<>();
        Map<String, Object> settings = settings(SENTINEL_SECRET);
        try (Switchboard sb = TestSupport.open(settings, new TestSupport.Events());
                Subscription s = sb.subscriber().subscribe(ch, d -> received.add(d.message().text()))) {
            SharedCache cache = sb.cache("auth");
            sb.publisher().publishText(ch, "before").toCompletableFuture().get(10, TimeUnit.SECONDS);
            await(WAIT, () -> received.contains("before"), "the message published before the failover");
            cache.putAsync("k", "v1").toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertEquals("v1", cache.getAsync("k", String.class).toCompletableFuture().get(10, TimeUnit.SECONDS));
            assertFalse(sb.toString().contains(SENTINEL_SECRET) || sb.toString().contains(DATA_SECRET), sb.toString());
            assertFalse(sb.health().toString().contains(SENTINEL_SECRET) || sb.health().toString().contains(DATA_SECRET),
                    sb.health().toString());

            RedisSentinelProcesses.Proc old = sentinel.failOver();
            // The sentinels must be asked again, with their password, to find the promoted master;
            // pub/sub is at-most-once, so publish until the resubscribed subscription receives one.
            await(WAIT, () -> {
                try {
                    sb.publisher().publishText(ch, "after").toCompletableFuture().get(2, TimeUnit.SECONDS);
                } catch (Exception e) {
                    return false;
                }
                return received.contains("after");
            }, "a message published to and delivered from the promoted master");
            await(WAIT, () -> {
                try {
                    cache.putAsync("k", "v2").toCompletableFuture().get(2, TimeUnit.SECONDS);
                    return true;
                } catch (Exception e) {
                    return false;
                }
            }, "a cache write on the promoted master");
            assertEquals("v2", cache.getAsync("k", String.class).toCompletableFuture().get(10, TimeUnit.SECONDS));
            assertEquals(sentinel.master().toString(), sb.health().components().get("transport").details().get("master"),
                    "health names the promoted master, not the killed " + old);
        } finally {
            for (RedisSentinelProcesses.Proc p : sentinel.dataNodes()) {
                sentinel.restart(p);
            }
            sentinel.awaitSettled(WAIT);
        }
    }

    @Test
    void withoutTheSentinelPasswordOpeningFailsNamingTheKeyAndNoPassword() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> TestSupport.open(settings(null), new TestSupport.Events()).close());
        assertTrue(e.getMessage().contains("switchboard.redis.sentinel.password"), e.getMessage());
        assertTrue(e.getMessage().contains("NOAUTH"), "the sentinels' own word is kept: " + e.getMessage());
        assertNoSecret(e);
    }

    @Test
    void aWrongSentinelPasswordFailsNamingTheKeyAndNoPassword() {
        String wrong = "wr0ng-Secret-55";
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> TestSupport.open(settings(wrong), new TestSupport.Events()).close());
        assertTrue(e.getMessage().contains("switchboard.redis.sentinel.password"), e.getMessage());
        assertFalse(e.getMessage().contains(wrong), e.getMessage());
        assertNoSecret(e);
    }

    @Test
    void theMastersPasswordGivenOnlyAsTheSentinelPasswordIsNotTakenForTheMasters() {
        Map<String, Object> p = settings(SENTINEL_SECRET);
        p.put("switchboard.redis.uri", sentinel.uri().replace(":" + DATA_SECRET + "@", ""));
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> TestSupport.open(p, new TestSupport.Events()).close());
        assertTrue(e.getMessage().contains("switchboard.redis.uri"), "the master's refusal names the URI: " + e.getMessage());
        assertNoSecret(e);
    }

    private static void assertNoSecret(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage()) + t;
            assertFalse(m.contains(SENTINEL_SECRET) || m.contains(DATA_SECRET), "a password in " + t.getClass().getName() + ": " + m);
        }
    }
}
