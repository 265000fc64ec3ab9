package io.switchboard.redis.streams;

import static io.switchboard.redis.streams.StreamsTestSupport.await;
import static io.switchboard.redis.streams.StreamsTestSupport.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.ConfigurationException;
import io.switchboard.ConnectionEvent;
import io.switchboard.Delivery;
import io.switchboard.Message;
import io.switchboard.Subscription;
import io.switchboard.SubscriptionOptions;
import io.switchboard.Switchboard;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;

/** Behaviour of the Redis Streams transport on the shared Redis that the contract kit does not cover. */
class RedisStreamsTransportIT {
    private static final Duration WAIT = Duration.ofSeconds(15);

    private static Map<String, Object> settings(Map<String, String> extra) {
        Map<String, Object> p = new HashMap<>();
        p.put("switchboard.transport", "redis-streams");
        p.put("switchboard.redis-streams.uri", StreamsTestSupport.SHARED_URI);
        p.putAll(extra);
        return p;
    }

    @Test
    void aDurableSubscriptionThatFellBehindTheTrimmedPartIsToldWithAGapEvent() {
        String ch = unique("streams.gap");
        String name = unique("gap");
        List<ConnectionEvent> events = new CopyOnWriteArrayList<>();
        Map<String, Object> small = settings(Map.of("switchboard.redis-streams.max-length", "10"));
        try (Switchboard sb = Switchboard.builder().properties(small).connectionListener(events::add).open()) {
            sb.subscriber().subscribe(ch, SubscriptionOptions.defaults().durable(name), d -> { }).close();
            for (int i = 0; i < 500; i++) {
                sb.publisher().publishText(ch, "m" + i);
            }
            sb.publisher().publishAndWait(ch, Message.ofText("last"), Duration.ofSeconds(5));
            List<String> got = new CopyOnWriteArrayList<>();
            sb.subscriber().subscribe(ch, SubscriptionOptions.defaults().durable(name), d -> got.add(d.message().text()));
            await(WAIT, () -> got.contains("last"), "the newest message delivered");
            await(WAIT, () -> events.stream().anyMatch(e -> e.type() == ConnectionEvent.Type.RECOVERED && e.possibleGap()),
                    "a RECOVERED(possibleGap) event for the trimmed entries; events " + events);
            assertTrue(got.size() < 500, "most of the 500 were trimmed before the subscriber came back: " + got.size());
            Object gaps = sb.health().components().get("transport").details().get("gapsReported");
            assertEquals(1L, ((Number) gaps).longValue(), "gapsReported in health");
            sb.subscriber().deleteDurable(name);
        }
    }

    @Test
    void aTransientSubscriptionWhoseHandlerFellBehindTheTrimmedPartIsToldWithAGapEvent() throws Exception {
        String ch = unique("streams.gap-transient");
        List<ConnectionEvent> events = new CopyOnWriteArrayList<>();
        Map<String, Object> small = settings(Map.of("switchboard.redis-streams.max-length", "10"));
        small.put("switchboard.subscriber.prefetch", "1");
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try (Switchboard sb = Switchboard.builder().properties(small).connectionListener(events::add).open()) {
            List<String> got = new CopyOnWriteArrayList<>();
            sb.subscriber().subscribe(ch, d -> {
                got.add(d.message().text());
                release.await(20, java.util.concurrent.TimeUnit.SECONDS);
            });
            sb.publisher().publishAndWait(ch, Message.ofText("first"), Duration.ofSeconds(5));
            await(WAIT, () -> got.contains("first"), "the first message in its handler");
            for (int i = 0; i < 500; i++) {
                sb.publisher().publishText(ch, "m" + i);
            }
            sb.publisher().publishAndWait(ch, Message.ofText("last"), Duration.ofSeconds(5));
            release.countDown();
            await(WAIT, () -> got.contains("last"), "the newest message delivered");
            await(WAIT, () -> events.stream().anyMatch(e -> e.type() == ConnectionEvent.Type.RECOVERED && e.possibleGap()),
                    "a RECOVERED(possibleGap) event for the trimmed entries; events " + events);
            assertTrue(got.size() < 500, "most of the 500 were trimmed before the handler was ready: " + got.size());
        }
    }

    @Test
    void entriesOfADeadConsumerAreTakenOverAfterClaimIdleAsTheNextAttempt() {
        String ch = unique("streams.claim");
        String name = unique("claim");
        try (Jedis j = new Jedis("127.0.0.1", 6379);
                Switchboard sb = Switchboard.builder().properties(settings(Map.of("switchboard.redis-streams.claim-idle", "1s"))).open()) {
            j.sendCommand(Protocol.Command.XGROUP, "CREATE", ch, name, "$", "MKSTREAM");
            sb.publisher().publishAndWait(ch, Message.ofText("orphan"), Duration.ofSeconds(5));
            // A consumer that reads and dies without acknowledging.
            Object read = j.sendCommand(Protocol.Command.XREADGROUP, "GROUP", name, "dead-consumer", "COUNT", "1", "STREAMS", ch, ">");
            assertTrue(read instanceof List && !((List<?>) read).isEmpty(), "the dead consumer read the entry");
            List<Delivery> got = new CopyOnWriteArrayList<>();
            long start = System.nanoTime();
            sb.subscriber().subscribe(ch, SubscriptionOptions.defaults().durable(name), got::add);
            await(WAIT, () -> !got.isEmpty(), "the dead consumer's entry taken over");
            long took = (System.nanoTime() - start) / 1_000_000;
            assertEquals("orphan", got.get(0).message().text());
            assertEquals(2, got.get(0).attempt(), "the attempt counts the dead consumer's delivery");
            assertTrue(got.get(0).redelivered());
            assertTrue(took >= 500, "not before claim-idle: " + took + " ms");
            sb.subscriber().deleteDurable(name);
        }
    }

    @Test
    void aCrashedConsumerWithNothingPendingIsReaped() {
        String ch = unique("streams.reap");
        String name = unique("reap");
        try (Jedis j = new Jedis("127.0.0.1", 6379);
                Switchboard sb = Switchboard.builder().properties(settings(Map.of("switchboard.redis-streams.claim-idle", "1s",
                        "switchboard.redis-streams.reap-after", "1s"))).open()) {
            j.sendCommand(Protocol.Command.XGROUP, "CREATE", ch, name, "$", "MKSTREAM");
            j.sendCommand(Protocol.Command.XGROUP, "CREATECONSUMER", ch, name, "crashed-consumer");
            sb.subscriber().subscribe(ch, SubscriptionOptions.defaults().durable(name), d -> { });
            await(WAIT, () -> consumers(j, ch, name).stream().noneMatch(c -> c.contains("crashed-consumer")),
                    "the crashed consumer deleted; consumers " + consumers(j, ch, name));
            // Redis before 7.2 creates a reading consumer only when it is first served an entry; the live member is not listed yet.
            assertTrue(consumers(j, ch, name).size() <= 1, "only the live member may be left: " + consumers(j, ch, name));
            sb.subscriber().deleteDurable(name);
        }
    }

    @Test
    void aClosedDurableSubscriptionLeavesNoConsumerAndATransientOneLeavesNothing() {
        String ch = unique("streams.tidy");
        String name = unique("tidy");
        try (Jedis j = new Jedis("127.0.0.1", 6379); Switchboard sb = Switchboard.builder().properties(settings(Map.of())).open()) {
            List<String> got = new CopyOnWriteArrayList<>();
            Subscription durable = sb.subscriber().subscribe(ch, SubscriptionOptions.defaults().durable(name), d -> got.add(d.message().text()));
            Subscription transientSub = sb.subscriber().subscribe(ch, d -> got.add(d.message().text()));
            sb.publisher().publishAndWait(ch, Message.ofText("x"), Duration.ofSeconds(5));
            await(WAIT, () -> got.size() == 2, "both subscriptions got the message");
            assertEquals(1, consumers(j, ch, name).size(), "the durable member is a consumer of the group");
            durable.close();
            transientSub.close();
            await(WAIT, () -> consumers(j, ch, name).isEmpty(), "the closed member's consumer deleted; " + consumers(j, ch, name));
            Object groups = j.sendCommand(Protocol.Command.XINFO, "GROUPS", ch);
            assertEquals(1, ((List<?>) groups).size(), "only the durable group exists on the stream (the transient one made none)");
            assertTrue(sb.subscriber().deleteDurable(name), "deleteDurable of an existing name");
            assertFalse(sb.subscriber().deleteDurable(name), "deleteDurable again");
            assertEquals(0, ((List<?>) j.sendCommand(Protocol.Command.XINFO, "GROUPS", ch)).size(), "the group is destroyed");
        }
    }

    @Test
    void aReplyInboxStreamExpiresAfterItsLastReply() {
        String ch = unique("streams.rpc");
        try (Jedis j = new Jedis("127.0.0.1", 6379); Switchboard sb = Switchboard.builder().properties(settings(Map.of())).open()) {
            sb.subscriber().subscribe(ch, d -> d.reply(Message.ofText("pong:" + d.message().text())));
            Message reply = sb.publisher().requestAndWait(ch, Message.ofText("ping"), Duration.ofSeconds(10));
            assertEquals("pong:ping", reply.text());
            String inbox = reply.channel();
            assertTrue(inbox.startsWith("switchboard.reply."), "the reply came through the inbox: " + inbox);
            // The PEXPIRE follows the reply's XADD on the same connection, so the requester can
            // read the reply a moment before Redis has applied the expiry.
            await(WAIT, () -> {
                long ttl = j.pttl(inbox);
                return ttl > 0 && ttl <= 3_600_000L;
            }, "the inbox stream " + inbox + " to get an expiry of at most an hour (PTTL > 0) after its last reply");
        }
    }

    @Test
    void survivesRestartIsNotDeclaredUnlessAsked() {
        try (Switchboard sb = Switchboard.builder().properties(settings(Map.of())).open()) {
            assertFalse(sb.capabilities().has(io.switchboard.Capability.SURVIVES_RESTART));
            assertTrue(sb.capabilities().has(io.switchboard.Capability.AT_LEAST_ONCE));
        }
    }

    @Test
    void badSettingsAreReportedTogetherNamingEachKey() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> Switchboard.builder().properties(settings(Map.of(
                "switchboard.redis-streams.uri", "http://user:s3cret@host", "switchboard.redis-streams.max-length", "-1",
                "switchboard.redis-streams.claim-idle", "0s"))).open().close());
        String m = e.getMessage();
        assertTrue(m.contains("switchboard.redis-streams.uri") && m.contains("switchboard.redis-streams.max-length")
                && m.contains("switchboard.redis-streams.claim-idle"), m);
        assertFalse(m.contains("s3cret"), "the password is never shown: " + m);
    }

    private static List<String> consumers(Jedis j, String stream, String group) {
        Object r = j.sendCommand(Protocol.Command.XINFO, "CONSUMERS", stream, group);
        List<String> names = new java.util.ArrayList<>();
        for (Object o : (List<?>) r) {
            List<?> c = (List<?>) o;
            names.add(new String((byte[]) c.get(1), java.nio.charset.StandardCharsets.UTF_8));
        }
        return names;
    }
}
