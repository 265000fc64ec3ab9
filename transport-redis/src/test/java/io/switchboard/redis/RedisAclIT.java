package io.switchboard.redis;

import static io.switchboard.redis.TestSupport.await;
import static io.switchboard.redis.TestSupport.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.CacheException;
import io.switchboard.ConfigurationException;
import io.switchboard.PublishException;
import io.switchboard.SharedCache;
import io.switchboard.Subscription;
import io.switchboard.Switchboard;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Least-privilege ACL users on a private redis-server, set up with exactly the lines
 * {@code docs/redis.md} documents (Access control); the shared Redis's ACLs are never touched.
 */
class RedisAclIT {
    /** docs/redis.md: publishing. */
    static final String PUBLISH_ACL = "resetchannels -@all +ping +publish &app:*";
    /** docs/redis.md: subscribing to exact channels. */
    static final String SUBSCRIBE_ACL = "resetchannels -@all +ping +subscribe +unsubscribe &app:*";
    /** docs/redis.md: pattern subscriptions, each glob listed as Switchboard sends it. */
    static final String PATTERN_ACL = "resetchannels -@all +ping +psubscribe +punsubscribe &app:orders.*";
    /** docs/redis.md: the cache, every operation. */
    static final String CACHE_ACL = "resetkeys -@all +ping ~app:* +mget +multi +exec +set +del +eval +get +exists +incrby +pttl";
    /** The line of the report that found the INFO dependency. */
    static final String ISSUE_ACL = "+publish +subscribe +psubscribe +ping &app:*";

    private static RedisServerProcess server;
    private static Jedis admin;

    @BeforeAll
    static void startServer() {
        server = RedisServerProcess.start(null);
        admin = new Jedis("127.0.0.1", server.port);
    }

    @AfterAll
    static void stopServer() {
        if (admin != null) {
            admin.close();
        }
        if (server != null) {
            server.kill();
        }
    }

    /** Creates the user afresh with the rules of one documented line. */
    private static void user(String name, String rules) {
        admin.aclDelUser(name);
        String[] parts = ("on >" + name + "-pw " + rules).split(" ");
        admin.aclSetUser(name, parts);
    }

    private static Map<String, Object> props(String user, boolean transport, boolean cache) {
        Map<String, Object> p = new HashMap<>();
        if (transport) {
            p.put("switchboard.transport", "redis");
            p.put("switchboard.redis.channel-prefix", "app:");
        }
        if (cache) {
            p.put("switchboard.cache", "redis");
            p.put("switchboard.cache.namespace", "app:");
        }
        p.put("switchboard.redis.uri", "redis://" + user + ":" + user + "-pw@127.0.0.1:" + server.port);
        return p;
    }

    @Test
    void theReportedLeastPrivilegeUserOpensWithoutInfoAndPublishesAndSubscribes() throws Exception {
        user("issue", ISSUE_ACL);
        List<String> got = new CopyOnWriteArrayList<>();
        try (Switchboard sb = TestSupport.open(props("issue", true, false), null);
                Subscription s = sb.subscriber().subscribe("orders.created", d -> got.add(d.message().text()));
                Subscription p = sb.subscriber().subscribe("#", d -> got.add("p:" + d.message().text()))) {
            sb.publisher().publishText("orders.created", "hi").toCompletableFuture().get(5, TimeUnit.SECONDS);
            await(Duration.ofSeconds(5), () -> got.contains("hi") && got.contains("p:hi"), "both deliveries");
            Object version = sb.health().components().get("transport").details().get("serverVersion");
            assertTrue(String.valueOf(version).matches("\\d+\\.\\d+\\.\\d+"), "version from HELLO, no INFO needed: " + version);
        }
    }

    @Test
    void theDocumentedPublishAndSubscribeLinesAreEnoughAndEachRefusalNamesWhatIsMissing() throws Exception {
        user("pub", PUBLISH_ACL);
        user("sub", SUBSCRIBE_ACL);
        List<String> got = new CopyOnWriteArrayList<>();
        try (Switchboard publisher = TestSupport.open(props("pub", true, false), null);
                Switchboard subscriber = TestSupport.open(props("sub", true, false), null)) {
            Subscription s = subscriber.subscriber().subscribe("orders.created", d -> got.add(d.message().text()));
            publisher.publisher().publishText("orders.created", "one").toCompletableFuture().get(5, TimeUnit.SECONDS);
            await(Duration.ofSeconds(5), () -> got.contains("one"), "delivery to the subscribe-only user");
            s.close();
            assertEquals(0L, admin.pubsubNumSub("app:orders.created").get("app:orders.created"),
                    "UNSUBSCRIBE allowed: Redis no longer holds the closed subscription");

            long start = System.nanoTime();
            ConfigurationException refused = assertThrows(ConfigurationException.class,
                    () -> publisher.subscriber().subscribe("orders.created", d -> { }));
            assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(500), "refused at once, not after the command timeout");
            assertTrue(refused.getMessage().contains("+subscribe") && refused.getMessage().contains("'pub'"), refused.getMessage());

            CompletionException e = assertThrows(CompletionException.class,
                    () -> subscriber.publisher().publishText("orders.created", "x").toCompletableFuture().join());
            assertTrue(e.getCause() instanceof PublishException && !((PublishException) e.getCause()).isRetryable(), String.valueOf(e.getCause()));
            System.out.println("[redis acl] " + e.getCause().getMessage());
            assertTrue(e.getCause().getMessage().contains("+publish"), e.getCause().getMessage());
        }
    }

    @Test
    void aRefusedSubscribeFailsAtOnceNamingTheChannelAndALaterPermittedOneWorks() throws Exception {
        user("narrow", "resetchannels -@all +ping +publish +subscribe +unsubscribe +psubscribe +punsubscribe &app:open.*");
        List<String> got = new CopyOnWriteArrayList<>();
        Map<String, Object> p = props("narrow", true, false);
        p.put("switchboard.redis.command-timeout", "2s");
        try (Switchboard sb = TestSupport.open(p, null)) {
            String ch = unique("closed.room");
            long start = System.nanoTime();
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> sb.subscriber().subscribe(ch, d -> got.add(d.message().text())));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.printf("[redis acl] SUBSCRIBE refused with NOPERM reported after %d ms (command-timeout 2000 ms)%n", millis);
            System.out.println("[redis acl] " + e.getMessage());
            assertTrue(millis < 500, "reported at once: " + millis + " ms");
            assertTrue(e.getMessage().contains("&app:" + ch) && e.getMessage().contains("'narrow'"), e.getMessage());
            ConfigurationException glob = assertThrows(ConfigurationException.class, () -> sb.subscriber().subscribe("open.#", d -> { }));
            assertTrue(glob.getMessage().contains("&app:open*"), "a pattern names its glob literally: " + glob.getMessage());

            // Nothing stale: another channel, and the same one once it is allowed, work at once.
            String other = "open." + unique("x");
            try (Subscription s = sb.subscriber().subscribe(other, d -> got.add(d.message().text()))) {
                sb.publisher().publishText(other, "other").toCompletableFuture().get(5, TimeUnit.SECONDS);
                await(Duration.ofSeconds(5), () -> got.contains("other"), "delivery on a permitted channel after a refusal");
            }
            admin.aclSetUser("narrow", "&app:" + ch);
            try (Subscription s = sb.subscriber().subscribe(ch, d -> got.add(d.message().text()))) {
                sb.publisher().publishText(ch, "now allowed").toCompletableFuture().get(5, TimeUnit.SECONDS);
                await(Duration.ofSeconds(5), () -> got.contains("now allowed"), "delivery once the channel is granted");
            }
            assertTrue(((Number) sb.health().components().get("transport").details().get("subscriptionsRefused")).longValue() >= 2);
        }
    }

    @Test
    void patternSubscriptionsNeedTheirGlobListedLiterally() throws Exception {
        user("pat", PATTERN_ACL);
        user("pub", PUBLISH_ACL);
        List<String> got = new CopyOnWriteArrayList<>();
        try (Switchboard sb = TestSupport.open(props("pat", true, false), null);
                Switchboard publisher = TestSupport.open(props("pub", true, false), null);
                Subscription s = sb.subscriber().subscribe("orders.*", d -> got.add(d.message().channel()))) {
            publisher.publisher().publishText("orders.paid", "x").toCompletableFuture().get(5, TimeUnit.SECONDS);
            await(Duration.ofSeconds(5), () -> got.contains("orders.paid"), "pattern delivery");
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> sb.subscriber().subscribe("orders.#", d -> { }));
            assertTrue(e.getMessage().contains("&app:orders*"), e.getMessage());
        }
    }

    @Test
    void theDocumentedCacheLineAllowsEveryOperationAndARefusalNamesWhatIsMissing() {
        user("cache", CACHE_ACL);
        try (Switchboard sb = TestSupport.open(props("cache", false, true), null)) {
            SharedCache c = sb.cache();
            String k = unique("acl");
            c.put(k, "v", Duration.ofSeconds(60));
            assertEquals("v", c.get(k, String.class));
            assertEquals(Map.of(k, "v"), c.getAll(List.of(k, k + "-absent"), String.class));
            assertTrue(c.compareAndSet(k, c.getVersioned(k, String.class).version(), "w", Duration.ZERO));
            assertFalse(c.putIfAbsent(k, "x", Duration.ZERO));
            assertEquals(3L, c.increment(k + "-n", 1, 3, Duration.ofSeconds(60)));
            assertEquals(4L, c.increment(k + "-n", 1, 3, Duration.ofSeconds(60)));
            assertTrue(c.delete(k));
            assertNull(c.get(k, String.class));
            assertTrue(String.valueOf(sb.health().components().get("cache").details().get("serverVersion")).matches("\\d+\\.\\d+\\.\\d+"));
        }
        user("noeval", CACHE_ACL.replace(" +eval", ""));
        try (Switchboard sb = TestSupport.open(props("noeval", false, true), null)) {
            String k = unique("acl");
            sb.cache().put(k, "v");
            CacheException e = assertThrows(CacheException.class, () -> sb.cache().putIfAbsent(k, "x", Duration.ZERO));
            assertFalse(e.isRetryable());
            System.out.println("[redis acl] " + e.getMessage());
            assertTrue(e.getMessage().contains("+eval") && e.getMessage().contains("'noeval'"), e.getMessage());
        }
        user("nokey", CACHE_ACL.replace("~app:*", "~other:*"));
        try (Switchboard sb = TestSupport.open(props("nokey", false, true), null)) {
            CacheException e = assertThrows(CacheException.class, () -> sb.cache().put("k", "v"));
            assertTrue(e.getMessage().contains("~app:k"), e.getMessage());
        }
    }

    @Test
    void aUserWithoutPingIsToldSoNotThatItsCredentialsWereRefused() {
        user("noping", "resetchannels -@all +publish +subscribe &app:*");
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> TestSupport.open(props("noping", true, false), null).close());
        System.out.println("[redis acl] " + e.getMessage());
        assertTrue(e.getMessage().contains("+ping") && !e.getMessage().contains("refused the credentials"), e.getMessage());
        assertFalse(e.getMessage().contains("noping-pw"), "no password in the message");
    }
}
