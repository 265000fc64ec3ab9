package io.switchboard.tck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.switchboard.Capabilities;
import io.switchboard.Capability;
import io.switchboard.ConnectionEvent;
import io.switchboard.Delivery;
import io.switchboard.DeliveryGuarantee;
import io.switchboard.Health;
import io.switchboard.Message;
import io.switchboard.PayloadTooLargeException;
import io.switchboard.RetryPolicy;
import io.switchboard.Subscription;
import io.switchboard.SubscriptionOptions;
import io.switchboard.Switchboard;
import io.switchboard.SwitchboardException;
import io.switchboard.UnsupportedCapabilityException;
import io.switchboard.tck.Kit.Recorder;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

/**
 * The transport contract: extend it, return the settings of a Switchboard on the transport under
 * test from {@link #properties()}, and JUnit 5 runs every rule of {@code tck/CONTRACT.md} (T1, T2,
 * ...) against it.
 *
 * <pre>{@code
 * class RedisTransportContractIT extends TransportContract {
 *     protected Map<String, Object> properties() {
 *         return Map.of("switchboard.transport", "redis", "switchboard.redis.uri", "redis://127.0.0.1:6379");
 *     }
 * }
 * }</pre>
 *
 * <p>Rules for a {@link Capability} are generated from {@link Switchboard#capabilities()} (the
 * kit keeps no list of its own): when the transport declares the capability its positive rules
 * run, and when it does not the refusal rule runs instead. Rules that need a fault hook are
 * announced skips, naming the hook, unless {@link #faults()} offers it; no other rule is ever
 * skipped.
 *
 * <p>Each rule opens its own Switchboards (one per simulated service instance) and closes them
 * afterwards; channel and durable names are random per rule, so a shared server is fine for every
 * rule except the fault rules. Not thread-safe: JUnit runs one rule at a time per instance.
 */
public abstract class TransportContract {
    private final List<Switchboard> opened = new CopyOnWriteArrayList<>();
    private final List<String> durables = new CopyOnWriteArrayList<>();

    /** Settings for a Switchboard on the transport under test; must include switchboard.transport. */
    protected abstract Map<String, Object> properties();

    /** Fault hooks; default TransportFaults.none(): fault rules are announced skips. */
    protected TransportFaults faults() {
        return TransportFaults.none();
    }

    /** How long the kit waits for a delivery before failing (default 10 s). */
    protected Duration deliveryTimeout() {
        return Duration.ofSeconds(10);
    }

    @AfterEach
    void closeEverythingOpened() {
        cleanUp();
    }

    /** Opens a Switchboard on the transport under test, closed after the rule. */
    Switchboard open() {
        return open(Map.of());
    }

    /** As {@link #open()}, with extra settings on top of {@link #properties()}. */
    Switchboard open(Map<String, Object> extra) {
        Switchboard sb = Switchboard.open(settings(extra));
        opened.add(sb);
        return sb;
    }

    private Map<String, Object> settings(Map<String, Object> extra) {
        Map<String, Object> props = new LinkedHashMap<>(Objects.requireNonNull(properties(), "properties()"));
        if (!props.containsKey("switchboard.transport")) {
            throw new IllegalStateException(getClass().getName() + ".properties() must set switchboard.transport");
        }
        props.putAll(extra);
        return props;
    }

    /** A durable name, deleted after the rule. */
    String durable(String what) {
        String name = Kit.durableName(what);
        durables.add(name);
        return name;
    }

    /** The declared capabilities, read from a Switchboard like any application would. */
    Capabilities declared() {
        try (Switchboard sb = Switchboard.open(settings(Map.of()))) {
            return sb.capabilities();
        }
    }

    void cleanUp() {
        for (Switchboard sb : opened) {
            sb.close(Duration.ofSeconds(5));
        }
        opened.clear();
        if (!durables.isEmpty()) {
            try (Switchboard sb = Switchboard.open(settings(Map.of()))) {
                if (sb.capabilities().has(Capability.DURABLE_SUBSCRIPTIONS)) {
                    durables.forEach(sb.subscriber()::deleteDurable);
                }
            }
            durables.clear();
        }
    }

    /** A rule generated for a capability; it cleans up after itself since dynamic tests share one instance. */
    DynamicTest rule(String displayName, Executable body) {
        return DynamicTest.dynamicTest(displayName, () -> {
            try {
                body.execute();
            } finally {
                cleanUp();
            }
        });
    }

    /** The positive rules when the capability is declared, else the refusal rule (if the capability has one). */
    Stream<DynamicTest> capability(Capability capability, DynamicTest refusal, DynamicTest... positive) {
        if (declared().has(capability)) {
            return Stream.of(positive);
        }
        return refusal == null ? Stream.empty() : Stream.of(refusal);
    }

    /**
     * Publishes without waiting between messages, then waits for every stage. The calls run under
     * a deadline because {@code publish} must never block for long: a transport that livelocks
     * or waits inside it fails the rule instead of hanging the build.
     */
    private void publishAll(Switchboard sb, String channel, List<Message> messages) {
        List<CompletableFuture<Void>> futures = assertTimeoutPreemptively(deliveryTimeout(), () -> {
            List<CompletableFuture<Void>> list = new ArrayList<>();
            for (Message m : messages) {
                list.add(sb.publisher().publish(channel, m).toCompletableFuture());
            }
            return list;
        }, () -> "publish() of " + messages.size() + " messages to " + channel + " must return without blocking for long");
        awaitAll(futures, "publishes to " + channel);
    }

    private void awaitAll(List<CompletableFuture<Void>> futures, String what) {
        try {
            CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(deliveryTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            long done = futures.stream().filter(CompletableFuture::isDone).count();
            fail(what + ": only " + done + " of " + futures.size() + " publish stages completed within " + deliveryTimeout());
        } catch (java.util.concurrent.ExecutionException e) {
            fail(what + ": a publish stage failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted");
        }
    }

    /** Publishes and waits, under a deadline (see {@link #publishAll}). */
    private void publish(Switchboard sb, String channel, Message m) {
        assertTimeoutPreemptively(deliveryTimeout().plusSeconds(1), () -> sb.publisher().publishAndWait(channel, m, deliveryTimeout()),
                () -> "publishAndWait() to " + channel + " must return within its timeout of " + deliveryTimeout());
    }

    private static List<Message> numbered(String prefix, int n) {
        List<Message> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(Message.ofText(prefix + i));
        }
        return list;
    }

    private static Map<String, Long> countById(List<Delivery> deliveries) {
        return deliveries.stream().collect(Collectors.groupingBy(d -> d.message().id(), LinkedHashMap::new, Collectors.counting()));
    }

    /** Asserts the recorder holds exactly the given messages, each once. */
    private static void assertExactlyOnce(Recorder rec, List<Message> expected, String who) {
        Map<String, Long> counts = countById(rec.messages());
        List<String> missing = new ArrayList<>();
        for (Message m : expected) {
            if (!counts.containsKey(m.id())) {
                missing.add(m.text());
            }
        }
        Set<String> expectedIds = expected.stream().map(Message::id).collect(Collectors.toSet());
        List<String> duplicated = counts.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).collect(Collectors.toList());
        List<String> unexpected = counts.keySet().stream().filter(id -> !expectedIds.contains(id)).collect(Collectors.toList());
        assertTrue(missing.isEmpty() && duplicated.isEmpty() && unexpected.isEmpty(), () -> who + " must receive each of "
                + expected.size() + " messages exactly once; missing " + missing + ", delivered more than once (ids) " + duplicated
                + ", not expected (ids) " + unexpected + "; received " + rec.describe());
    }

    private static Map<String, Object> subscriptionDetails(Switchboard sb, String channelOrName) {
        Health subs = sb.health().components().get("subscriptions");
        assertNotNull(subs, "health() has a 'subscriptions' component");
        for (Map.Entry<String, Object> e : subs.details().entrySet()) {
            if (e.getKey().startsWith(channelOrName + "#") && e.getValue() instanceof Map) {
                @SuppressWarnings("unchecked")
                Map<String, Object> details = (Map<String, Object>) e.getValue();
                return details;
            }
        }
        return Map.of();
    }

    private static long counter(Map<String, Object> details, String name) {
        Object v = details.get(name);
        return v instanceof Number ? ((Number) v).longValue() : 0;
    }

    /** The one kind of skip the kit allows: a fault rule whose hook this subclass does not offer. */
    private void requireHook(String rule, String hook, boolean offered, TransportFaults f) {
        if (!offered) {
            Assumptions.abort("rule " + rule + " needs the " + hook + " hook, which " + getClass().getSimpleName()
                    + ".faults() does not offer (" + f + "); see tck/README.md, 'Fault hooks'");
        }
    }

    @Nested
    @DisplayName("A published message")
    class RoundTrip {
        /**
         * T1: a message arrives with its id, headers, content type, payload and timestamp (to the
         * millisecond) unchanged, on the channel it was published to, as attempt 1. If this
         * fails, check how the transport encodes the envelope: every field of {@link Message}
         * must cross, and {@code sb-*} headers the transport uses itself must not leak.
         */
        @Test
        @DisplayName("T1 arrives with its id, headers, content type, timestamp and payload unchanged")
        void keepsEveryField() {
            Switchboard sb = open();
            String channel = Kit.channelPrefix() + ".roundtrip";
            Recorder rec = new Recorder("subscription to " + channel);
            sb.subscriber().subscribe(channel, rec);
            Instant ts = Instant.now().minus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MILLIS);
            Message sent = Message.builder().id("tck-id-" + Kit.token()).text("héllo wörld ✓").contentType("text/x-tck; charset=utf-8")
                    .header("tenant", "acme").header("unicode-value", "ünï ✓ \"quoted\" {json:1}").header("empty", "")
                    .timestamp(ts).build();
            publish(sb, channel, sent);
            rec.awaitMessages(1, deliveryTimeout());
            Delivery d = rec.messages().get(0);
            Message got = d.message();
            assertEquals(sent.id(), got.id(), "id");
            assertEquals(channel, got.channel(), "channel");
            assertEquals(channel, d.channel(), "Delivery.channel()");
            assertEquals("text/x-tck; charset=utf-8", got.contentType(), "content type");
            assertEquals(sent.headers(), got.headers(), "headers (sb-* headers of the transport must not leak)");
            assertEquals(ts, got.timestamp().truncatedTo(ChronoUnit.MILLIS), "timestamp to the millisecond");
            assertArrayEquals(sent.payload(), got.payload(), "payload");
            assertEquals(1, d.attempt(), "attempt of a first delivery");
            assertFalse(d.redelivered(), "a first delivery is not flagged as redelivered");
        }

        /**
         * T2: an empty payload arrives empty (not absent, not {@code null}). If this fails, check
         * that the transport does not treat an empty body as a missing field.
         */
        @Test
        @DisplayName("T2 with an empty payload arrives with an empty payload")
        void emptyPayload() {
            assertPayloadCrosses(new byte[0], "empty");
        }

        /**
         * T2: a payload holding all 256 byte values arrives byte for byte. If this fails, check
         * that the payload is never decoded as text (no UTF-8 or Latin-1 conversion, no base64
         * mix-up).
         */
        @Test
        @DisplayName("T2 with every byte value 0-255 arrives byte for byte")
        void binaryPayload() {
            assertPayloadCrosses(Kit.allByteValues(), "binary");
        }

        /**
         * T2: a 1 MiB payload arrives whole. If this fails, check frame and buffer size limits of
         * the client and the server.
         */
        @Test
        @DisplayName("T2 with a 1 MiB payload arrives whole")
        void largePayload() {
            byte[] big = new byte[1024 * 1024];
            new java.util.Random(42).nextBytes(big);
            assertPayloadCrosses(big, "1 MiB");
        }

        private void assertPayloadCrosses(byte[] payload, String what) {
            Switchboard sb = open();
            String channel = Kit.channelPrefix() + ".payload";
            Recorder rec = new Recorder("subscription to " + channel);
            sb.subscriber().subscribe(channel, rec);
            publish(sb, channel, Message.ofBytes(payload));
            rec.awaitMessages(1, deliveryTimeout());
            Message got = rec.messages().get(0).message();
            assertEquals(payload.length, got.payloadSize(), what + " payload size");
            assertArrayEquals(payload, got.payload(), what + " payload");
            assertEquals(Message.OCTET_STREAM, got.contentType(), "content type");
        }

        /**
         * T3: every publish stage completes normally, also with many publishes in flight at once
         * and when nobody subscribes to the channel, and {@code publishAndWait} returns. If this
         * fails, check that the transport completes the stage on every path (confirm, server
         * acknowledgement) and never leaves one pending, and that an unroutable message (no
         * subscriber) is not treated as a failure.
         */
        @Test
        @DisplayName("T3 has its publish stage completed normally, with 200 publishes in flight and no subscriber")
        void publishStagesComplete() {
            Switchboard sb = open();
            String channel = Kit.channelPrefix() + ".futures";
            publishAll(sb, channel, numbered("m", 200));
            publish(sb, channel, Message.ofText("last"));
        }
    }

    @Nested
    @DisplayName("Every subscription")
    class FanOut {
        /**
         * T4: every subscription to a channel receives every message published to it exactly
         * once: two subscriptions in one Switchboard and one in each of two other Switchboards
         * (other service instances). If this fails, check that the transport does not share one
         * queue or consumer between non-durable subscriptions, and that it neither drops nor
         * duplicates deliveries.
         */
        @Test
        @DisplayName("T4 receives each message exactly once, across several Switchboard instances")
        void fansOutToEverySubscription() {
            Switchboard a = open();
            Switchboard b = open();
            Switchboard c = open();
            Switchboard publisher = open();
            String channel = Kit.channelPrefix() + ".fanout";
            List<Recorder> recs = List.of(new Recorder("instance A, subscription 1"), new Recorder("instance A, subscription 2"),
                    new Recorder("instance B"), new Recorder("instance C"));
            a.subscriber().subscribe(channel, recs.get(0));
            a.subscriber().subscribe(channel, recs.get(1));
            b.subscriber().subscribe(channel, recs.get(2));
            c.subscriber().subscribe(channel, recs.get(3));
            List<Message> sent = numbered("fan-", 20);
            publishAll(publisher, channel, sent);
            publish(publisher, channel, Kit.sentinel());
            for (Recorder r : recs) {
                r.awaitSentinel(deliveryTimeout());
                r.awaitMessages(sent.size(), deliveryTimeout());
            }
            for (Recorder r : recs) {
                assertExactlyOnce(r, sent, r.name());
            }
        }

        /**
         * T5: 50 channels with a subscription each in two Switchboards (100 subscriptions) all
         * work at once, each getting only its own channel's message. If this fails, check limits
         * on subscriptions per connection, and that deliveries are routed by channel.
         */
        @Test
        @DisplayName("T5 works with 50 channels and 100 subscriptions at once")
        void manyChannelsAndSubscriptions() {
            Switchboard a = open();
            Switchboard b = open();
            Switchboard publisher = open();
            String prefix = Kit.channelPrefix();
            List<Recorder> recs = new ArrayList<>();
            List<String> channels = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String channel = prefix + ".ch" + i;
                channels.add(channel);
                for (Switchboard sb : List.of(a, b)) {
                    Recorder r = new Recorder((sb == a ? "instance A" : "instance B") + " on " + channel);
                    sb.subscriber().subscribe(channel, r);
                    recs.add(r);
                }
            }
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            for (String channel : channels) {
                futures.add(publisher.publisher().publish(channel, Message.ofText(channel)).toCompletableFuture());
            }
            awaitAll(futures, "publishes to 50 channels");
            for (String channel : channels) {
                publish(publisher, channel, Kit.sentinel());
            }
            for (int i = 0; i < recs.size(); i++) {
                Recorder r = recs.get(i);
                String channel = channels.get(i / 2);
                r.awaitSentinel(deliveryTimeout());
                r.awaitMessages(1, deliveryTimeout());
                assertEquals(List.of(channel), r.texts(), () -> "subscription to " + channel + " gets exactly its channel's message: " + r.describe());
            }
        }
    }

    @Nested
    @DisplayName("Closing")
    class Closing {
        /**
         * T6: after {@link Subscription#close()} returns, its handler is never called again,
         * while other subscriptions to the channel go on. If this fails, check that the
         * transport stops deliveries on {@code TransportSubscription.close()} and that the
         * handler is not reachable through another path (a shared consumer or listener).
         */
        @Test
        @DisplayName("T6 of a subscription stops its deliveries, and only its own")
        void noDeliveryAfterSubscriptionClose() {
            Switchboard sb = open();
            Switchboard publisher = open();
            String channel = Kit.channelPrefix() + ".unsub";
            AtomicBoolean closedReturned = new AtomicBoolean();
            AtomicInteger afterClose = new AtomicInteger();
            Recorder closing = new Recorder("closed subscription") {
                @Override
                public void handle(Delivery delivery) throws Exception {
                    if (closedReturned.get()) {
                        afterClose.incrementAndGet();
                    }
                    super.handle(delivery);
                }
            };
            Recorder staying = new Recorder("subscription that stays open");
            Subscription s = sb.subscriber().subscribe(channel, closing);
            sb.subscriber().subscribe(channel, staying);
            publish(publisher, channel, Message.ofText("before"));
            closing.awaitMessages(1, deliveryTimeout());
            s.close();
            closedReturned.set(true);
            assertFalse(s.isActive(), "isActive() after close()");
            publishAll(publisher, channel, numbered("after-", 10));
            publish(publisher, channel, Kit.sentinel());
            staying.awaitSentinel(deliveryTimeout());
            assertEquals(11, staying.messages().size(), () -> "the open subscription gets everything: " + staying.describe());
            assertEquals(0, afterClose.get(), () -> "handler calls after Subscription.close() returned: " + closing.describe());
            assertEquals(List.of("before"), closing.texts(), () -> "the closed subscription got only the message before close: " + closing.describe());
        }

        /**
         * T7: after {@link Switchboard#close()} returns, none of its handlers is called again,
         * while other instances' subscriptions go on; closing twice is harmless. If this fails,
         * check {@code Transport.close}: it must stop every consumer of that instance.
         */
        @Test
        @DisplayName("T7 of a Switchboard stops deliveries to its handlers")
        void noDeliveryAfterSwitchboardClose() {
            Switchboard closingSb = open();
            Switchboard other = open();
            Switchboard publisher = open();
            String channel = Kit.channelPrefix() + ".close";
            AtomicBoolean closedReturned = new AtomicBoolean();
            AtomicInteger afterClose = new AtomicInteger();
            Recorder closing = new Recorder("subscription of the closed Switchboard") {
                @Override
                public void handle(Delivery delivery) throws Exception {
                    if (closedReturned.get()) {
                        afterClose.incrementAndGet();
                    }
                    super.handle(delivery);
                }
            };
            Recorder staying = new Recorder("subscription of another Switchboard");
            closingSb.subscriber().subscribe(channel, closing);
            other.subscriber().subscribe(channel, staying);
            publish(publisher, channel, Message.ofText("before"));
            closing.awaitMessages(1, deliveryTimeout());
            closingSb.close();
            closedReturned.set(true);
            closingSb.close();
            assertTrue(closingSb.isClosed(), "isClosed()");
            publishAll(publisher, channel, numbered("after-", 10));
            publish(publisher, channel, Kit.sentinel());
            staying.awaitSentinel(deliveryTimeout());
            assertEquals(11, staying.messages().size(), () -> "the other instance gets everything: " + staying.describe());
            assertEquals(0, afterClose.get(), () -> "handler calls after Switchboard.close() returned: " + closing.describe());
        }

        /**
         * T8: a closed Switchboard refuses publish and subscribe with
         * {@link IllegalStateException}. If this fails, check the facade's close sequence (the
         * transport is not involved).
         */
        @Test
        @DisplayName("T8 makes publish and subscribe fail with IllegalStateException")
        void closedSwitchboardRefusesWork() {
            Switchboard sb = open();
            String channel = Kit.channelPrefix() + ".closed";
            sb.close();
            assertThrows(IllegalStateException.class, () -> sb.publisher().publish(channel, Message.ofText("x")), "publish");
            assertThrows(IllegalStateException.class, () -> sb.publisher().publishAndWait(channel, Message.ofText("x"), deliveryTimeout()),
                    "publishAndWait");
            assertThrows(IllegalStateException.class, () -> sb.subscriber().subscribe(channel, d -> { }), "subscribe");
        }

        /**
         * T9: a handler running when {@link Switchboard#close()} is called finishes before close
         * returns, and its message counts as handled: on an at-least-once transport with durable
         * subscriptions, a new subscriber of the same durable name does not get it again. If
         * this fails, check that {@code Transport.close} leaves acknowledgements of running
         * handlers possible until it is called, and that {@code InboundDelivery.ack()} after
         * {@code TransportSubscription.close()} still acknowledges.
         */
        @Test
        @DisplayName("T9 waits for running handlers, and their messages count as handled")
        void closeDrainsRunningHandlers() throws Exception {
            Capabilities caps = declared();
            boolean durable = caps.has(Capability.DURABLE_SUBSCRIPTIONS);
            Switchboard sb = open();
            Switchboard publisher = open();
            String channel = Kit.channelPrefix() + ".drain";
            String name = durable ? durable("drain") : null;
            SubscriptionOptions options = durable ? SubscriptionOptions.defaults().durable(name) : SubscriptionOptions.defaults();
            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicBoolean finished = new AtomicBoolean();
            sb.subscriber().subscribe(channel, options, d -> {
                started.countDown();
                release.await(deliveryTimeout().toMillis(), TimeUnit.MILLISECONDS);
                finished.set(true);
            });
            Message inFlight = Message.ofText("in flight");
            publish(publisher, channel, inFlight);
            assertTrue(started.await(deliveryTimeout().toMillis(), TimeUnit.MILLISECONDS), "the handler started");
            AtomicBoolean finishedWhenCloseReturned = new AtomicBoolean();
            Thread closer = new Thread(() -> {
                sb.close(deliveryTimeout());
                finishedWhenCloseReturned.set(finished.get());
            }, "tck-closer");
            closer.start();
            // Give a close that does not wait the chance to return early; a correct one is still waiting here.
            closer.join(300);
            release.countDown();
            closer.join(deliveryTimeout().toMillis());
            assertFalse(closer.isAlive(), "close() returned once the handler finished");
            assertTrue(finishedWhenCloseReturned.get(), "close() returned only after the running handler finished");
            if (durable && caps.deliveryGuarantee() == DeliveryGuarantee.AT_LEAST_ONCE) {
                Switchboard next = open();
                Recorder rec = new Recorder("next subscriber of durable '" + name + "'");
                next.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), rec);
                publish(publisher, channel, Kit.sentinel());
                rec.awaitSentinel(deliveryTimeout());
                assertEquals(List.of(), rec.texts(), "the message handled during close was acknowledged, not redelivered");
            }
        }
    }

    @Nested
    @DisplayName("Handlers")
    class Handlers {
        /**
         * T10: a handler that throws does not stop its subscription: later messages are still
         * delivered. If this fails, check that the transport keeps delivering after
         * {@code InboundDelivery.retry/ack} of a failed message (a consumer must not be cancelled
         * or a channel closed by a negative acknowledgement).
         */
        @Test
        @DisplayName("T10 that throw do not stop the subscription")
        void handlerExceptionsDoNotStopTheSubscription() {
            Switchboard sb = open();
            String channel = Kit.channelPrefix() + ".throws";
            Recorder rec = new Recorder("subscription whose handler throws on 'boom'") {
                @Override
                public void handle(Delivery delivery) throws Exception {
                    super.handle(delivery);
                    if (delivery.message().text().startsWith("boom")) {
                        throw new IllegalStateException("tck: deliberate handler failure");
                    }
                }
            };
            sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().retry(RetryPolicy.none()), rec);
            publish(sb, channel, Message.ofText("boom-1"));
            publish(sb, channel, Message.ofText("ok-1"));
            publish(sb, channel, Message.ofText("boom-2"));
            publish(sb, channel, Message.ofText("ok-2"));
            rec.awaitMessages(4, deliveryTimeout());
            assertEquals(Set.of("boom-1", "ok-1", "boom-2", "ok-2"), new HashSet<>(rec.texts()),
                    () -> "every message reached the handler: " + rec.describe());
        }

        /**
         * T11: a failing message is attempted exactly {@code maxAttempts} times with attempts
         * numbered 1, 2, 3 and later ones flagged redelivered, then given up; every transport
         * honours the {@link RetryPolicy} (at-most-once transports through the facade's
         * in-process retry). If this fails, check that {@code InboundDelivery.retry(delay)}
         * redelivers to the same subscription with {@code attempt()} one higher, and that a
         * message the facade gave up on (acknowledged) is not delivered again.
         */
        @Test
        @DisplayName("T11 that fail are retried as the RetryPolicy says, with attempt numbers")
        void retriesPerPolicyWithAttemptCount() {
            Switchboard sb = open();
            String channel = Kit.channelPrefix() + ".retry";
            Recorder rec = new Recorder("subscription failing every attempt") {
                @Override
                public void handle(Delivery delivery) throws Exception {
                    super.handle(delivery);
                    if (!Kit.isSentinel(delivery)) {
                        throw new IllegalStateException("tck: deliberate failure of attempt " + delivery.attempt());
                    }
                }
            };
            sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().retry(RetryPolicy.fixed(3, Duration.ofMillis(20))), rec);
            publish(sb, channel, Message.ofText("always fails"));
            rec.awaitMessages(3, deliveryTimeout());
            Kit.await(deliveryTimeout(), () -> counter(subscriptionDetails(sb, channel), "droppedAfterRetries") >= 1,
                    () -> "the facade gave up after 3 attempts; health: " + sb.health());
            publish(sb, channel, Kit.sentinel());
            rec.awaitSentinel(deliveryTimeout());
            List<Delivery> attempts = rec.messages();
            assertEquals(List.of(1, 2, 3), attempts.stream().map(Delivery::attempt).collect(Collectors.toList()),
                    () -> "attempt numbers: " + rec.describe());
            assertEquals(List.of(false, true, true), attempts.stream().map(Delivery::redelivered).collect(Collectors.toList()),
                    "redelivered flags");
            assertEquals(1, attempts.stream().map(d -> d.message().id()).distinct().count(), "every attempt carries the same message id");
        }

        /**
         * T12: with concurrency N, at most N handler calls of one subscription run at once, and N
         * are reached when enough messages wait. If this fails, check that the transport hands
         * over at least N deliveries without waiting for acknowledgements (prefetch at least
         * {@code SubscriptionRequest.maxUnacknowledged()}).
         */
        @Test
        @DisplayName("T12 of one subscription run at most N at once, and N are reached")
        void concurrencyLimitIsRespectedAndReached() {
            int n = 4;
            Switchboard sb = open();
            String channel = Kit.channelPrefix() + ".concurrency";
            AtomicInteger running = new AtomicInteger();
            AtomicInteger max = new AtomicInteger();
            AtomicInteger done = new AtomicInteger();
            sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().concurrency(n), d -> {
                int now = running.incrementAndGet();
                max.accumulateAndGet(now, Math::max);
                try {
                    // Hold the first calls until N run together; later calls pass straight through.
                    long deadline = System.nanoTime() + deliveryTimeout().toNanos();
                    while (max.get() < n && System.nanoTime() < deadline) {
                        Thread.sleep(1);
                    }
                } finally {
                    running.decrementAndGet();
                    done.incrementAndGet();
                }
            });
            publishAll(sb, channel, numbered("work-", 20));
            Kit.await(deliveryTimeout().multipliedBy(2), () -> done.get() == 20, () -> done.get() + " of 20 messages handled");
            assertEquals(n, max.get(), "most handler calls running at once with concurrency " + n);
        }
    }

    @Nested
    @DisplayName("Bad input")
    class BadInput {
        /**
         * T13: invalid channel names are refused with {@link IllegalArgumentException} naming
         * the channel, on publish, subscribe and as a dead-letter channel; a pattern is refused
         * as a publish target. If this fails, check the facade's {@code Channels} validation.
         */
        @Test
        @DisplayName("T13 invalid channel names are refused, naming the channel")
        void invalidChannelsRefused() {
            Switchboard sb = open();
            List<String> invalid = List.of("a..b", ".a", "a.", "a b", "a/b", "ä.b", "a.b*", "x".repeat(201));
            for (String channel : invalid) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> sb.publisher().publish(channel, Message.ofText("x")), "publish to '" + channel + "'");
                assertTrue(e.getMessage().contains(channel.length() > 60 ? channel.substring(0, 60) : channel),
                        () -> "message names the channel '" + channel + "': " + e.getMessage());
                IllegalArgumentException s = assertThrows(IllegalArgumentException.class,
                        () -> sb.subscriber().subscribe(channel, d -> { }), "subscribe to '" + channel + "'");
                assertTrue(s.getMessage().contains(channel.length() > 60 ? channel.substring(0, 60) : channel),
                        () -> "message names the channel '" + channel + "': " + s.getMessage());
            }
            assertThrows(IllegalArgumentException.class, () -> sb.publisher().publish("", Message.ofText("x")), "publish to ''");
            IllegalArgumentException p = assertThrows(IllegalArgumentException.class,
                    () -> sb.publisher().publish("orders.*", Message.ofText("x")), "publish to a pattern");
            assertTrue(p.getMessage().contains("orders.*"), p.getMessage());
            IllegalArgumentException dl = assertThrows(IllegalArgumentException.class, () -> sb.subscriber()
                    .subscribe(Kit.channelPrefix() + ".ok", SubscriptionOptions.defaults().deadLetterChannel("dead..letters"), d -> { }),
                    "invalid dead-letter channel");
            assertTrue(dl.getMessage().contains("dead..letters"), dl.getMessage());
        }

        /**
         * T14: a message over {@code switchboard.message.max-size} is refused at the call with
         * {@link PayloadTooLargeException} giving size and limit, and nothing is delivered. If
         * this fails, check that the transport does not lower or raise the limit on its own.
         */
        @Test
        @DisplayName("T14 an oversize message is refused with its size and the limit, and not delivered")
        void oversizeRefused() {
            Switchboard sb = open(Map.of("switchboard.message.max-size", "65536"));
            String channel = Kit.channelPrefix() + ".oversize";
            Recorder rec = new Recorder("subscription to " + channel);
            sb.subscriber().subscribe(channel, rec);
            PayloadTooLargeException e = assertThrows(PayloadTooLargeException.class,
                    () -> sb.publisher().publish(channel, Message.ofBytes(new byte[65537])));
            assertEquals(65537, e.size(), "size");
            assertEquals(65536, e.limit(), "limit");
            assertTrue(e.getMessage().contains("65537") && e.getMessage().contains("65536"), e.getMessage());
            publish(sb, channel, Message.ofBytes(new byte[65536]));
            publish(sb, channel, Kit.sentinel());
            rec.awaitSentinel(deliveryTimeout());
            assertEquals(List.of(65536), rec.messages().stream().map(d -> d.message().payloadSize()).collect(Collectors.toList()),
                    "only the message at the limit was delivered");
        }
    }

    @Nested
    @DisplayName("Declared capabilities (positive rules run when declared, the refusal rule when not)")
    class DeclaredCapabilities {
        /** T15, per-channel-ordering: one publisher's messages to one channel arrive in publish order. */
        @TestFactory
        @DisplayName("per-channel-ordering")
        Stream<DynamicTest> ordering() {
            return capability(Capability.PER_CHANNEL_ORDERING, null,
                    rule("T15 messages from one publisher to one channel arrive in publish order", this::keepsPublishOrder));
        }

        /** T16, pattern-subscriptions: wildcards match exactly; undeclared: refused. */
        @TestFactory
        @DisplayName("pattern-subscriptions")
        Stream<DynamicTest> patterns() {
            return capability(Capability.PATTERN_SUBSCRIPTIONS,
                    rule("T16 refused: a pattern subscription fails with UnsupportedCapabilityException", this::refusesPatterns),
                    rule("T16 '*' matches exactly one segment and '#' zero or more, nothing else", this::matchesPatternsExactly));
        }

        /** T17, durable-subscriptions: a durable subscription keeps messages while away; undeclared: refused. */
        @TestFactory
        @DisplayName("durable-subscriptions")
        Stream<DynamicTest> durableSubscriptions() {
            return capability(Capability.DURABLE_SUBSCRIPTIONS,
                    rule("T17 refused: durable subscribe and deleteDurable fail with UnsupportedCapabilityException", this::refusesDurable),
                    rule("T17 a durable subscription keeps the messages published while no subscriber is connected",
                            this::keepsMessagesWhileAway));
        }

        /** T18, competing-consumers: members of one durable name share the work, no message to two members. */
        @TestFactory
        @DisplayName("competing-consumers")
        Stream<DynamicTest> competing() {
            return capability(Capability.COMPETING_CONSUMERS, null,
                    rule("T18 subscribers sharing a durable name split the messages, none going to two of them", this::splitsTheWork));
        }

        /** T19, dead-letters: a message that exhausts its retries goes to the dead-letter channel; undeclared: refused. */
        @TestFactory
        @DisplayName("dead-letters")
        Stream<DynamicTest> deadLetters() {
            return capability(Capability.DEAD_LETTERS,
                    rule("T19 refused: a dead-letter channel fails with UnsupportedCapabilityException", this::refusesDeadLetters),
                    rule("T19 a message that exhausts its retries arrives on the dead-letter channel with sb-* headers",
                            this::deadLettersAfterMaxAttempts));
        }

        /**
         * T15: with concurrency 1, 300 messages published by one publisher to one channel arrive
         * in publish order. If this fails, check that the transport publishes and consumes one
         * channel through one ordered stream (one connection or channel, no parallel
         * dispatch) and that it hands deliveries to the facade in arrival order.
         */
        void keepsPublishOrder() {
            Switchboard sb = open();
            Switchboard publisher = open();
            String channel = Kit.channelPrefix() + ".order";
            Recorder rec = new Recorder("subscription to " + channel);
            sb.subscriber().subscribe(channel, rec);
            List<Message> sent = numbered("", 300);
            publishAll(publisher, channel, sent);
            rec.awaitMessages(sent.size(), deliveryTimeout());
            List<String> expected = sent.stream().map(Message::text).collect(Collectors.toList());
            List<String> got = rec.texts();
            for (int i = 0; i < got.size(); i++) {
                if (!got.get(i).equals(expected.get(i))) {
                    fail("message " + i + " should be '" + expected.get(i) + "' but is '" + got.get(i) + "'; received "
                            + got.subList(Math.max(0, i - 3), Math.min(got.size(), i + 4)) + " around it");
                }
            }
        }

        /**
         * T16 (undeclared): a pattern subscription is refused with
         * {@link UnsupportedCapabilityException} naming the capability. If this fails, check the
         * capabilities the provider declares.
         */
        void refusesPatterns() {
            Switchboard sb = open();
            String prefix = Kit.channelPrefix();
            for (String pattern : List.of(prefix + ".*", prefix + ".#")) {
                UnsupportedCapabilityException e = assertThrows(UnsupportedCapabilityException.class,
                        () -> sb.subscriber().subscribe(pattern, d -> { }), "subscribe to pattern " + pattern);
                assertEquals(Capability.PATTERN_SUBSCRIPTIONS, e.capability());
            }
        }

        /**
         * T16: {@code P.a.*} receives {@code P.a.b} and {@code P.a.bc} only (not {@code P.a},
         * {@code P.a.b.c} or {@code P.ab}); {@code P.a.#} receives {@code P.a}, {@code P.a.b},
         * {@code P.a.b.c} and {@code P.a.bc}; {@code P.#.c} receives {@code P.c}, {@code P.a.b.c}
         * and {@code P.ab.c} (not {@code P.c.d}); none receives anything else (checked with a sentinel published last), and each
         * delivery carries the channel it was published to. If this fails, check the
         * translation of the portable syntax into the broker's ({@code Channels.matcher} is the
         * reference), in particular {@code #} matching zero segments and {@code *} never matching
         * a dot.
         */
        void matchesPatternsExactly() {
            Switchboard sb = open();
            Switchboard publisher = open();
            String p = Kit.channelPrefix();
            Map<String, List<String>> expected = new LinkedHashMap<>();
            expected.put(p + ".a.*", List.of(p + ".a.b", p + ".a.bc"));
            expected.put(p + ".a.#", List.of(p + ".a", p + ".a.b", p + ".a.b.c", p + ".a.bc"));
            expected.put(p + ".#.c", List.of(p + ".c", p + ".a.b.c", p + ".ab.c"));
            Map<String, String> sentinelChannel = Map.of(p + ".a.*", p + ".a.zz", p + ".a.#", p + ".a.zz", p + ".#.c", p + ".zz.c");
            Map<String, Recorder> recs = new LinkedHashMap<>();
            for (String pattern : expected.keySet()) {
                Recorder r = new Recorder("pattern " + pattern);
                Subscription s = sb.subscriber().subscribe(pattern, r);
                assertTrue(s.isPattern(), "isPattern() of " + pattern);
                recs.put(pattern, r);
            }
            List<String> published = List.of(p + ".a", p + ".a.b", p + ".a.b.c", p + ".ab", p + ".ab.c", p + ".x.b", p + ".c",
                    p + ".c.d", p + "x.c", p + ".a.bc");
            for (String channel : published) {
                publish(publisher, channel, Message.ofText(channel));
            }
            for (String channel : new HashSet<>(sentinelChannel.values())) {
                publish(publisher, channel, Kit.sentinel());
            }
            for (Map.Entry<String, Recorder> e : recs.entrySet()) {
                Recorder r = e.getValue();
                r.awaitSentinel(deliveryTimeout());
                List<String> want = expected.get(e.getKey());
                r.awaitMessages(want.size(), deliveryTimeout());
                assertEquals(new HashSet<>(want), new HashSet<>(r.texts()), () -> "channels delivered to " + r.name() + ": " + r.describe());
                assertEquals(want.size(), r.messages().size(), () -> "each exactly once to " + r.name() + ": " + r.describe());
                for (Delivery d : r.messages()) {
                    assertEquals(d.message().text(), d.channel(), "Delivery.channel() is the channel published to, not the pattern");
                }
            }
        }

        /**
         * T17 (undeclared): a durable subscription and {@code deleteDurable} are refused with
         * {@link UnsupportedCapabilityException}. If this fails, check the declared capabilities.
         */
        void refusesDurable() {
            Switchboard sb = open();
            String name = Kit.durableName("refused");
            UnsupportedCapabilityException e = assertThrows(UnsupportedCapabilityException.class,
                    () -> sb.subscriber().subscribe(Kit.channelPrefix() + ".d", SubscriptionOptions.defaults().durable(name), d -> { }));
            assertEquals(Capability.DURABLE_SUBSCRIPTIONS, e.capability());
            assertTrue(e.getMessage().contains(name), e.getMessage());
            assertThrows(UnsupportedCapabilityException.class, () -> sb.subscriber().deleteDurable(name), "deleteDurable");
        }

        /**
         * T17: a durable subscription whose subscriber closed keeps the messages published
         * meanwhile and hands them (and not the ones already handled) to the next subscriber of
         * that name, in another instance, as first deliveries (attempt 1, not flagged
         * redelivered, since no subscriber had them before); {@code deleteDurable} then reports it
         * existed, and a second delete that it did not. If this fails, check that closing a
         * durable subscription keeps its queue or consumer group, that acknowledged messages are
         * removed from it, and that {@code TransportSubscription.close()} really stops the
         * consumer (a consumer left behind is offered the messages, the facade hands them back,
         * and they arrive flagged as redeliveries).
         */
        void keepsMessagesWhileAway() {
            Switchboard first = open();
            Switchboard publisher = open();
            String channel = Kit.channelPrefix() + ".durable";
            String name = durable("away");
            Recorder before = new Recorder("first subscriber of '" + name + "'");
            Subscription s = first.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), before);
            publish(publisher, channel, Message.ofText("handled"));
            before.awaitMessages(1, deliveryTimeout());
            s.close();
            List<Message> away = numbered("away-", 5);
            for (Message m : away) {
                publish(publisher, channel, m);
            }
            Switchboard second = open();
            Recorder after = new Recorder("next subscriber of '" + name + "'");
            second.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), after);
            publish(publisher, channel, Kit.sentinel());
            after.awaitSentinel(deliveryTimeout());
            after.awaitMessages(away.size(), deliveryTimeout());
            assertExactlyOnce(after, away, after.name());
            for (Delivery d : after.messages()) {
                assertTrue(d.attempt() == 1 && !d.redelivered(), () -> "message '" + d.message().text() + "' was never handed to a "
                        + "subscriber before, yet arrives as attempt " + d.attempt() + (d.redelivered() ? ", flagged redelivered" : "")
                        + ": the closed subscriber must no longer be offered messages");
            }
            assertTrue(second.subscriber().deleteDurable(name), "deleteDurable of an existing subscription returns true");
            assertFalse(second.subscriber().deleteDurable(name), "deleteDurable of a deleted subscription returns false");
        }

        /**
         * T18: three subscribers (in three instances) sharing a durable name each get part of
         * 60 messages, and no message reaches two of them. Runs with
         * {@code switchboard.subscriber.prefetch=1} so that one member cannot take everything
         * at once. If this fails, check that subscribers of one durable name consume from one
         * shared queue or consumer group rather than each from their own.
         */
        void splitsTheWork() {
            assertTrue(declared().has(Capability.DURABLE_SUBSCRIPTIONS),
                    "competing-consumers is declared without durable-subscriptions, but members share a durable name");
            String channel = Kit.channelPrefix() + ".compete";
            String name = durable("compete");
            List<Recorder> members = new ArrayList<>();
            Set<Recorder> busy = java.util.concurrent.ConcurrentHashMap.newKeySet();
            for (int i = 0; i < 3; i++) {
                Switchboard sb = open(Map.of("switchboard.subscriber.prefetch", "1"));
                Recorder r = new Recorder("member " + (i + 1)) {
                    @Override
                    public void handle(Delivery delivery) throws Exception {
                        super.handle(delivery);
                        busy.add(this);
                        // Hold the first deliveries until every member has one, so the split does not depend on timing.
                        long deadline = System.nanoTime() + deliveryTimeout().toNanos();
                        while (busy.size() < 3 && System.nanoTime() < deadline) {
                            Thread.sleep(1);
                        }
                    }
                };
                sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), r);
                members.add(r);
            }
            Switchboard publisher = open();
            List<Message> sent = numbered("work-", 60);
            publishAll(publisher, channel, sent);
            Kit.await(deliveryTimeout().multipliedBy(2), () -> members.stream().mapToInt(r -> r.messages().size()).sum() >= sent.size(),
                    () -> "members received " + members.stream().mapToInt(r -> r.messages().size()).sum() + " of " + sent.size());
            Map<String, Long> byId = new HashMap<>();
            for (Recorder r : members) {
                assertFalse(r.messages().isEmpty(), () -> r.name() + " got no work; " + members.stream().map(Recorder::describe)
                        .collect(Collectors.joining("; ")));
                r.messages().forEach(d -> byId.merge(d.message().id(), 1L, Long::sum));
            }
            List<String> twice = byId.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).collect(Collectors.toList());
            assertTrue(twice.isEmpty(), () -> "messages delivered to more than one member: " + twice);
            assertEquals(sent.size(), byId.size(), "every message was delivered to some member");
        }

        /**
         * T19 (undeclared): a dead-letter channel is refused with
         * {@link UnsupportedCapabilityException}. If this fails, check the declared capabilities.
         */
        void refusesDeadLetters() {
            Switchboard sb = open();
            String prefix = Kit.channelPrefix();
            UnsupportedCapabilityException e = assertThrows(UnsupportedCapabilityException.class, () -> sb.subscriber()
                    .subscribe(prefix + ".x", SubscriptionOptions.defaults().deadLetterChannel(prefix + ".dlq"), d -> { }));
            assertEquals(Capability.DEAD_LETTERS, e.capability());
        }

        /**
         * T19: a message whose handler fails on every one of its 2 attempts is published to the
         * dead-letter channel once, with its id, payload and headers, plus
         * {@code sb-dead-letter-reason} (holding the exception's message),
         * {@code sb-original-channel} and {@code sb-attempts=2}; the subscription goes on. If this
         * fails, check {@code InboundDelivery.deadLetter}: it must republish with those headers
         * and acknowledge the original.
         */
        void deadLettersAfterMaxAttempts() {
            Switchboard sb = open();
            String channel = Kit.channelPrefix() + ".failing";
            String dlq = channel + "-dlq";
            Recorder dead = new Recorder("dead-letter channel " + dlq);
            sb.subscriber().subscribe(dlq, dead);
            Recorder failing = new Recorder("failing subscription") {
                @Override
                public void handle(Delivery delivery) throws Exception {
                    super.handle(delivery);
                    if (!Kit.isSentinel(delivery)) {
                        throw new IllegalStateException("tck-deliberate-failure");
                    }
                }
            };
            sb.subscriber().subscribe(channel,
                    SubscriptionOptions.defaults().retry(RetryPolicy.fixed(2, Duration.ofMillis(20))).deadLetterChannel(dlq), failing);
            Message m = Message.builder().payload(Kit.allByteValues()).header("tenant", "acme").build();
            publish(sb, channel, m);
            dead.awaitMessages(1, deliveryTimeout());
            publish(sb, channel, Kit.sentinel());
            failing.awaitSentinel(deliveryTimeout());
            publish(sb, dlq, Kit.sentinel());
            dead.awaitSentinel(deliveryTimeout());
            assertEquals(1, dead.messages().size(), () -> "dead-lettered once: " + dead.describe());
            assertEquals(2, failing.messages().size(), () -> "attempts before dead-lettering: " + failing.describe());
            Message got = dead.messages().get(0).message();
            assertEquals(m.id(), got.id(), "id");
            assertArrayEquals(m.payload(), got.payload(), "payload");
            assertEquals(dlq, got.channel(), "channel of the dead letter");
            assertEquals("acme", got.header("tenant"), "original headers are kept");
            assertNotNull(got.header("sb-dead-letter-reason"), "sb-dead-letter-reason header");
            assertTrue(got.header("sb-dead-letter-reason").contains("tck-deliberate-failure"), got.header("sb-dead-letter-reason"));
            assertEquals(channel, got.header("sb-original-channel"), "sb-original-channel header");
            assertEquals("2", got.header("sb-attempts"), "sb-attempts header");
        }
    }

    @Nested
    @DisplayName("After a connection failure (needs fault hooks)")
    class Faults {
        /**
         * T20: after every client connection is cut at the server, a {@link
         * io.switchboard.ConnectionListener} hears {@code LOST} then {@code RECOVERED} (with
         * {@code possibleGap} on an at-most-once transport), the subscription resumes by
         * itself and publishing works again. Needs {@link TransportFaults#cutConnections()}. If
         * this fails, check the transport's reconnect loop: it must notice a dead socket, report
         * through {@code ProviderContext.events()}, and re-establish every subscription.
         */
        @Test
        @DisplayName("T20 the subscription resumes by itself after connections are cut, with LOST then RECOVERED reported")
        void recoversFromCutConnections() throws Throwable {
            TransportFaults f = faults();
            requireHook("T20", "cutConnections()", f.canCutConnections(), f);
            recoversAfter("cutConnections()", f::cutConnections);
        }

        /**
         * T21: as T20, after the server restarts. Needs {@link TransportFaults#restartServer()}.
         * If this fails, check that reconnection keeps retrying while the server is down (with
         * backoff, not giving up after one refusal) and re-creates what the restart lost
         * (subscriptions, non-durable queues).
         */
        @Test
        @DisplayName("T21 the subscription resumes by itself after the server restarts, with LOST then RECOVERED reported")
        void recoversFromRestart() throws Throwable {
            TransportFaults f = faults();
            requireHook("T21", "restartServer()", f.canRestartServer(), f);
            recoversAfter("restartServer()", f::restartServer);
        }

        /** T22, survives-restart: generated only when declared (nothing to refuse otherwise). */
        @TestFactory
        @DisplayName("survives-restart")
        Stream<DynamicTest> survivesRestart() {
            return capability(Capability.SURVIVES_RESTART, null,
                    rule("T22 a message accepted for a durable subscription is delivered after a server restart", this::keepsAcrossRestart));
        }

        /**
         * T22: a message accepted for a durable subscription before a server restart is delivered
         * to its subscriber after it. Needs {@link TransportFaults#restartServer()}. If this
         * fails, check that durable queues and messages are persistent on the server (durable
         * queue, persistent delivery mode, stream persistence).
         */
        void keepsAcrossRestart() throws Exception {
            TransportFaults f = faults();
            requireHook("T22", "restartServer()", f.canRestartServer(), f);
            assertTrue(declared().has(Capability.DURABLE_SUBSCRIPTIONS), "survives-restart is declared without durable-subscriptions");
            String channel = Kit.channelPrefix() + ".persist";
            String name = durable("persist");
            Switchboard sb = open();
            sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), d -> { }).close();
            Message kept = Message.ofText("kept across restart");
            publish(sb, channel, kept);
            sb.close();
            f.restartServer();
            Switchboard after = open();
            Recorder rec = new Recorder("subscriber of '" + name + "' after the restart");
            after.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), rec);
            rec.awaitMessages(1, deliveryTimeout());
            assertEquals(kept.id(), rec.messages().get(0).message().id(), "the message accepted before the restart");
        }

        private void recoversAfter(String what, Executable fault) throws Throwable {
            List<ConnectionEvent> events = new CopyOnWriteArrayList<>();
            Switchboard sb = open();
            boolean atMostOnce = sb.capabilities().deliveryGuarantee() == DeliveryGuarantee.AT_MOST_ONCE;
            sb.addConnectionListener(e -> {
                if (e.component().equals("transport")) {
                    events.add(e);
                }
            });
            String channel = Kit.channelPrefix() + ".recover";
            Recorder rec = new Recorder("subscription to " + channel);
            sb.subscriber().subscribe(channel, rec);
            publish(sb, channel, Message.ofText("before"));
            rec.awaitMessages(1, deliveryTimeout());
            int seenBefore = events.size();
            fault.execute();
            Kit.await(deliveryTimeout().multipliedBy(3), () -> events.stream().skip(seenBefore)
                    .anyMatch(e -> e.type() == ConnectionEvent.Type.RECOVERED), () -> "RECOVERED after " + what + "; events: " + events);
            List<ConnectionEvent> after = new ArrayList<>(events.subList(seenBefore, events.size()));
            int lost = indexOf(after, ConnectionEvent.Type.LOST);
            int recovered = indexOf(after, ConnectionEvent.Type.RECOVERED);
            assertTrue(lost >= 0 && lost < recovered, () -> "LOST before RECOVERED after " + what + "; events: " + after);
            if (atMostOnce) {
                assertTrue(after.get(recovered).possibleGap(), "RECOVERED of an at-most-once transport has possibleGap=true");
            }
            publishUntilAccepted(sb, channel, Message.ofText("after"));
            Kit.await(deliveryTimeout(), () -> rec.texts().contains("after"),
                    () -> "the subscription resumed by itself after " + what + "; received " + rec.describe());
        }

        private int indexOf(List<ConnectionEvent> events, ConnectionEvent.Type type) {
            for (int i = 0; i < events.size(); i++) {
                if (events.get(i).type() == type) {
                    return i;
                }
            }
            return -1;
        }

        /** Publishes, repeating on retryable failures (a connection the publisher has not yet seen die). */
        private void publishUntilAccepted(Switchboard sb, String channel, Message m) {
            long deadline = System.nanoTime() + deliveryTimeout().toNanos();
            while (true) {
                try {
                    publish(sb, channel, m);
                    return;
                } catch (SwitchboardException e) {
                    if (!e.isRetryable() || System.nanoTime() > deadline) {
                        throw new AssertionError("publish works again after reconnecting, within " + deliveryTimeout(), e);
                    }
                }
            }
        }
    }
}
