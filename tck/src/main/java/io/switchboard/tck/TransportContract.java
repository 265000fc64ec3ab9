package io.switchboard.tck;

import static org.junit.jupiter.api.Assertions.assertAll;
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
import io.switchboard.MessageHandler;
import io.switchboard.PayloadTooLargeException;
import io.switchboard.RetryPolicy;
import io.switchboard.Subscription;
import io.switchboard.SubscriptionOptions;
import io.switchboard.Switchboard;
import io.switchboard.SwitchboardException;
import io.switchboard.UnsupportedCapabilityException;
import io.switchboard.spi.Channels;
import io.switchboard.tck.Kit.Recorder;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
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
 * <p>Rules for a {@link Capability}, and for every pair of capabilities, are generated from
 * {@link Switchboard#capabilities()} (the kit keeps no list of its own): when the transport
 * declares the capability its positive rules run, and when it does not the refusal rule runs
 * instead. Rules that need a fault hook are announced skips, naming the hook, unless
 * {@link #faults()} offers it; no other rule is ever skipped. Every rule carries its number as a
 * JUnit tag, so {@code -Dgroups=T4,T15} runs just those.
 *
 * <p>Each rule opens its own Switchboards (one per simulated service instance) and closes them
 * afterwards; channel and durable names are random per rule, in mixed case, so a shared server is
 * fine for every rule except the fault rules. Not thread-safe: JUnit runs one rule at a time per
 * instance.
 */
public abstract class TransportContract extends Contract {
    private static final Map<String, Capabilities> DECLARED = new ConcurrentHashMap<>();
    /** For subscribers of the volume rules: the facade's at-most-once buffer is not what they test. */
    private static final Map<String, Object> ROOMY = Map.of("switchboard.subscriber.buffer-size", "200000");
    private static final int VOLUME = 10_000;

    /** For subclasses; {@link #properties()} must set {@code switchboard.transport}. */
    protected TransportContract() {
        super("switchboard.transport");
    }

    /** How long one {@code publish()} call may take on a healthy server: a tenth of {@link #timeout()}. */
    final Duration publishBound() {
        return timeout().dividedBy(10);
    }

    /** How long a close during retries and dead-lettering may take: a fifth of {@link #timeout()}. */
    final Duration closeBound() {
        return timeout().dividedBy(5);
    }

    /** A durable name, deleted after the rule. */
    String durable(String what) {
        String name = Kit.durableName(what);
        afterRule(() -> {
            try (Switchboard sb = Kit.open(settings(Map.of()))) {
                if (sb.capabilities().has(Capability.DURABLE_SUBSCRIPTIONS)) {
                    sb.subscriber().deleteDurable(name);
                }
            } catch (RuntimeException e) {
                // The rule's own outcome matters more than tidying up after it.
            }
        });
        return name;
    }

    /** The declared capabilities, read from a Switchboard like any application would (once per subclass and settings). */
    Capabilities declared() {
        String key = getClass().getName() + settings(Map.of());
        return DECLARED.computeIfAbsent(key, k -> {
            try (Switchboard sb = Kit.open(settings(Map.of()))) {
                return sb.capabilities();
            }
        });
    }

    boolean has(Capability c) {
        return declared().has(c);
    }

    boolean atLeastOnce() {
        return declared().deliveryGuarantee() == DeliveryGuarantee.AT_LEAST_ONCE;
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
        if (has(capability)) {
            return Stream.of(positive);
        }
        return refusal == null ? Stream.empty() : Stream.of(refusal);
    }

    /** The rule for two capabilities together, when both are declared; nothing otherwise. */
    Stream<DynamicTest> pair(Capability a, Capability b, String displayName, Executable body) {
        return has(a) && has(b) ? Stream.of(rule(displayName, body)) : Stream.empty();
    }

    /**
     * Publishes without waiting between messages, then waits for every stage. Every call must
     * return within {@link #publishBound()} (rule T3), and the whole burst runs under a deadline,
     * so a transport that blocks or livelocks inside {@code publish} fails the rule instead of
     * hanging the build.
     */
    void publishAll(Switchboard sb, String channel, List<Message> messages) {
        awaitAll(publishCalls(sb, channel, messages), "publishes to " + channel);
    }

    /** The publish calls of {@link #publishAll}, without waiting for the stages. */
    List<CompletableFuture<Void>> publishCalls(Switchboard sb, String channel, List<Message> messages) {
        Duration bound = publishBound();
        return assertTimeoutPreemptively(timeout().multipliedBy(3), () -> {
            List<CompletableFuture<Void>> list = new ArrayList<>(messages.size());
            for (Message m : messages) {
                long start = System.nanoTime();
                list.add(sb.publisher().publish(channel, m).toCompletableFuture());
                long took = System.nanoTime() - start;
                if (took > bound.toNanos()) {
                    fail("T3: a publish() call to " + channel + " took " + took / 1_000_000 + " ms, over the bound of " + bound.toMillis()
                            + " ms (a tenth of timeout()): publish must not wait for the server");
                }
            }
            return list;
        }, () -> "publish() of " + messages.size() + " messages to " + channel + " must return without blocking for long");
    }

    void awaitAll(List<CompletableFuture<Void>> futures, String what) {
        try {
            CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(timeout().multipliedBy(2).toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            long done = futures.stream().filter(CompletableFuture::isDone).count();
            fail(what + ": only " + done + " of " + futures.size() + " publish stages completed within " + timeout().multipliedBy(2));
        } catch (java.util.concurrent.ExecutionException e) {
            fail(what + ": a publish stage failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted");
        }
    }

    /** Publishes and waits, under a deadline (see {@link #publishAll}). */
    void publish(Switchboard sb, String channel, Message m) {
        assertTimeoutPreemptively(timeout().plusSeconds(1), () -> sb.publisher().publishAndWait(channel, m, timeout()),
                () -> "publishAndWait() to " + channel + " must return within its timeout of " + timeout());
    }

    static List<Message> numbered(String prefix, int n) {
        List<Message> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(Message.ofText(prefix + i));
        }
        return list;
    }

    static Map<String, Long> countById(List<Delivery> deliveries) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Delivery d : deliveries) {
            counts.merge(d.message().id(), 1L, Long::sum);
        }
        return counts;
    }

    /** Asserts the recorder holds exactly the given messages, each once. */
    static void assertExactlyOnce(Recorder rec, List<Message> expected, String who) {
        assertDelivered(rec.messages(), expected, who, true);
    }

    /** Asserts every expected message is among the deliveries, and nothing else; each exactly once when {@code once}. */
    static void assertDelivered(List<Delivery> got, List<Message> expected, String who, boolean once) {
        Map<String, Long> counts = countById(got);
        List<String> missing = new ArrayList<>();
        Set<String> expectedIds = new HashSet<>();
        for (Message m : expected) {
            expectedIds.add(m.id());
            if (!counts.containsKey(m.id())) {
                missing.add(m.text());
            }
        }
        List<String> duplicated = once ? counts.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).limit(20)
                .collect(Collectors.toList()) : List.of();
        List<String> unexpected = counts.keySet().stream().filter(id -> !expectedIds.contains(id)).limit(20).collect(Collectors.toList());
        assertTrue(missing.isEmpty() && duplicated.isEmpty() && unexpected.isEmpty(), () -> who + " must receive each of "
                + expected.size() + " messages " + (once ? "exactly once" : "at least once") + "; missing " + missing.size() + " "
                + missing.subList(0, Math.min(20, missing.size())) + ", delivered more than once (ids) " + duplicated
                + ", not expected (ids) " + unexpected + "; received " + got.size() + " deliveries");
    }

    /** Asserts that the texts {@code prefix0, prefix1, ...} among {@code texts} come in ascending order, none missing. */
    static void assertInOrder(List<String> texts, String prefix, int n, String who) {
        int next = 0;
        for (String t : texts) {
            if (!t.startsWith(prefix)) {
                continue;
            }
            String rest = t.substring(prefix.length());
            if (!rest.chars().allMatch(Character::isDigit) || rest.isEmpty()) {
                continue;
            }
            int i = Integer.parseInt(rest);
            if (i != next) {
                int at = next;
                fail(who + ": message '" + prefix + at + "' should come next but '" + t + "' did; the messages of one publisher to one "
                        + "channel must arrive in publish order");
            }
            next++;
        }
        int got = next;
        assertEquals(n, got, () -> who + " received " + got + " of the " + n + " '" + prefix + "' messages in order");
    }

    static Map<String, Object> subscriptionDetails(Switchboard sb, String channelOrName) {
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

    static long counter(Map<String, Object> details, String name) {
        Object v = details.get(name);
        return v instanceof Number ? ((Number) v).longValue() : 0;
    }

    /** A recorder whose handler throws on every delivery but the sentinel. */
    static Recorder failing(String name) {
        return new Recorder(name) {
            @Override
            public void handle(Delivery delivery) throws Exception {
                super.handle(delivery);
                if (!Kit.isSentinel(delivery)) {
                    throw new IllegalStateException("tck-deliberate-failure of attempt " + delivery.attempt());
                }
            }
        };
    }

    /**
     * Members of one durable name, each holding its first deliveries until every member has one, so
     * that the split of the work does not depend on timing (with {@code prefetch=1}).
     */
    final class Members {
        final List<Recorder> recorders = new ArrayList<>();
        final List<Subscription> subscriptions = new ArrayList<>();
        private final Set<Recorder> busy = ConcurrentHashMap.newKeySet();
        private final AtomicInteger handling = new AtomicInteger();

        Members(int n, String channel, SubscriptionOptions options, String what) {
            for (int i = 0; i < n; i++) {
                Switchboard sb = open(Map.of("switchboard.subscriber.prefetch", "1"));
                Recorder r = new Recorder(what + " member " + (i + 1)) {
                    @Override
                    public void handle(Delivery delivery) throws Exception {
                        handling.incrementAndGet();
                        try {
                            super.handle(delivery);
                            busy.add(this);
                            long deadline = System.nanoTime() + timeout().toNanos();
                            while (busy.size() < n && System.nanoTime() < deadline) {
                                Thread.sleep(1);
                            }
                        } finally {
                            handling.decrementAndGet();
                        }
                    }
                };
                subscriptions.add(sb.subscriber().subscribe(channel, options, r));
                recorders.add(r);
            }
        }

        /** Starts holding again, for a second round of work, once every handler of the first round has returned. */
        void resetHold() {
            Kit.await(timeout(), () -> handling.get() == 0, () -> "the members' handlers return: " + describe());
            busy.clear();
        }

        List<Delivery> all() {
            return recorders.stream().flatMap(r -> r.messages().stream()).collect(Collectors.toList());
        }

        int total() {
            return recorders.stream().mapToInt(Recorder::messageCount).sum();
        }

        String describe() {
            return recorders.stream().map(r -> r.name() + ": " + r.describe()).collect(Collectors.joining("; "));
        }

        void assertEachWorked(java.util.function.Predicate<Delivery> which) {
            for (Recorder r : recorders) {
                assertTrue(r.messages().stream().anyMatch(which), () -> r.name() + " got none of the work: " + describe());
            }
        }
    }

    @Nested
    @DisplayName("A published message")
    class RoundTrip {
        /**
         * T1: a message arrives with its id, headers, content type, payload and timestamp (to the
         * millisecond) unchanged, on the channel it was published to, as attempt 1. Its channel
         * has upper- and lower-case letters; its headers include names in mixed case, two names
         * differing only in case, a name of 255 characters, an empty value, and values of 8 and
         * 32 KiB with non-ASCII text. If this fails, check how the transport encodes the envelope:
         * every field of {@link Message} must cross, header names are case-sensitive and must
         * not be folded, filtered or length-limited below 255, values must not be truncated, and
         * {@code sb-*} headers the transport uses itself must not leak.
         */
        @Test
        @Tag("T1")
        @DisplayName("T1 arrives with its id, headers, content type, timestamp and payload unchanged")
        void keepsEveryField() {
            Switchboard sb = open();
            String channel = Kit.channelPrefix() + ".RoundTrip.mixedCase";
            Recorder rec = new Recorder("subscription to " + channel);
            sb.subscriber().subscribe(channel, rec);
            Instant ts = Instant.now().minus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MILLIS);
            String longName = ("X-Long-Header-" + "Name".repeat(70)).substring(0, 255);
            Message sent = Message.builder().id("tck-id-" + Kit.token()).text("héllo wörld ✓").contentType("text/x-tck; charset=utf-8")
                    .header("tenant", "acme").header("Tenant", "ACME upper").header("X-Request-ID", "Req-42")
                    .header("traceParent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
                    .header("unicode-value", "ünï ✓ \"quoted\" {json:1}").header("empty", "")
                    .header(longName, "long name").header("Big-Value", Kit.longText(8 * 1024, 'Z'))
                    .header("bigger-value", Kit.longText(32 * 1024, 'q')).timestamp(ts).build();
            publish(sb, channel, sent);
            rec.awaitMessages(1, timeout());
            Delivery d = rec.messages().get(0);
            Message got = d.message();
            assertEquals(sent.id(), got.id(), "id");
            assertEquals(channel, got.channel(), "channel (case-sensitive)");
            assertEquals(channel, d.channel(), "Delivery.channel()");
            assertEquals("text/x-tck; charset=utf-8", got.contentType(), "content type");
            assertEquals(new java.util.TreeSet<>(sent.headers().keySet()), new java.util.TreeSet<>(got.headers().keySet()),
                    "header names, case-sensitive (sb-* headers of the transport must not leak)");
            for (Map.Entry<String, String> h : sent.headers().entrySet()) {
                String value = got.header(h.getKey());
                assertEquals(h.getValue(), value, () -> "value of header '" + h.getKey() + "' (" + h.getValue().length()
                        + " characters sent, " + (value == null ? "none" : value.length()) + " received)");
            }
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
        @Tag("T2")
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
        @Tag("T2")
        @DisplayName("T2 with every byte value 0-255 arrives byte for byte")
        void binaryPayload() {
            assertPayloadCrosses(Kit.allByteValues(), "binary");
        }

        /**
         * T2: a 1 MiB payload arrives whole. If this fails, check frame and buffer size limits of
         * the client and the server.
         */
        @Test
        @Tag("T2")
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
            rec.awaitMessages(1, timeout());
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
        @Tag("T3")
        @DisplayName("T3 has its publish stage completed normally, with 200 publishes in flight and no subscriber")
        void publishStagesComplete() {
            Switchboard sb = open();
            String channel = Kit.channelPrefix() + ".futures";
            publishAll(sb, channel, numbered("m", 200));
            publish(sb, channel, Message.ofText("last"));
        }

        /**
         * T3: on a healthy server each of 2,000 {@code publish()} calls returns within a tenth of
         * {@link #timeout()} (1 s by default), however long the server takes to confirm. If this
         * fails, check that {@code publish} hands the message to a connection and returns its
         * stage, instead of waiting for the server's reply (or for a lock held across one).
         */
        @Test
        @Tag("T3")
        @DisplayName("T3 publish() returns within a tenth of timeout() per call, without waiting for the server")
        void publishCallsReturnPromptly() {
            Switchboard sb = open();
            Switchboard sub = open();
            String channel = Kit.channelPrefix() + ".prompt";
            Recorder rec = new Recorder("subscription to " + channel);
            sub.subscriber().subscribe(channel, rec);
            publishAll(sb, channel, numbered("p", 2_000));
            rec.awaitMessages(2_000, timeout());
        }
    }

    @Nested
    @DisplayName("Every subscription")
    class FanOut {
        /**
         * T4: every subscription to a channel receives every message published to it exactly
         * once: two subscriptions in one Switchboard and one in each of two other Switchboards
         * (other service instances), while three threads publish 10,200 messages through one
         * publishing Switchboard. If this fails, check that the transport does not share one
         * queue or consumer between non-durable subscriptions, that it neither drops nor
         * duplicates deliveries, and that its publishing path is safe for concurrent callers and
         * bounded without dropping (a full buffer must block briefly or fail the stage, never
         * lose the message).
         */
        @Test
        @Tag("T4")
        @DisplayName("T4 receives each message exactly once, across several Switchboard instances and publishers")
        void fansOutToEverySubscription() throws Exception {
            Switchboard a = open(ROOMY);
            Switchboard b = open(ROOMY);
            Switchboard c = open(ROOMY);
            Switchboard publisher = open();
            String channel = Kit.channelPrefix() + ".FanOut";
            List<Recorder> recs = List.of(new Recorder("instance A, subscription 1"), new Recorder("instance A, subscription 2"),
                    new Recorder("instance B"), new Recorder("instance C"));
            a.subscriber().subscribe(channel, recs.get(0));
            a.subscriber().subscribe(channel, recs.get(1));
            b.subscriber().subscribe(channel, recs.get(2));
            c.subscriber().subscribe(channel, recs.get(3));
            int threads = 3;
            int each = VOLUME / threads + 1;
            List<Message> sent = new CopyOnWriteArrayList<>();
            List<CompletableFuture<Void>> publishers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                List<Message> mine = numbered("fan-" + t + "-", each);
                sent.addAll(mine);
                publishers.add(CompletableFuture.runAsync(() -> publishAll(publisher, channel, mine)));
            }
            joinAll(publishers);
            publish(publisher, channel, Kit.sentinel());
            for (Recorder r : recs) {
                r.awaitSentinel(timeout());
                r.awaitMessages(sent.size(), timeout());
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
        @Tag("T5")
        @DisplayName("T5 works with 50 channels and 100 subscriptions at once")
        void manyChannelsAndSubscriptions() {
            Switchboard a = open();
            Switchboard b = open();
            Switchboard publisher = open();
            String prefix = Kit.channelPrefix();
            List<Recorder> recs = new ArrayList<>();
            List<String> channels = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String channel = prefix + ".Ch" + i;
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
                r.awaitSentinel(timeout());
                r.awaitMessages(1, timeout());
                assertEquals(List.of(channel), r.texts(), () -> "subscription to " + channel + " gets exactly its channel's message: " + r.describe());
            }
        }
    }

    @Nested
    @DisplayName("Names")
    class Names {
        /**
         * T23: channel names are exact: channels differing only in case, channels of exactly
         * {@link Channels#MAX_LENGTH} and one less characters differing only in their last
         * character are different channels, each subscription receiving exactly its own
         * channel's message with that channel's name. When durable subscriptions are declared,
         * durable names differing only in case, and names of 100 characters differing only in the
         * last one, are different subscriptions. If this fails, check that the transport neither
         * folds case nor truncates, hashes or escapes names lossily when it maps them to the
         * broker's (a broker with case-insensitive or shorter names needs a lossless encoding).
         */
        @Test
        @Tag("T23")
        @DisplayName("T23 channels and durable names differing only in case or in their last character are distinct, up to the length limit")
        void namesAreExact() {
            Switchboard sb = open();
            Switchboard publisher = open();
            String p = Kit.channelPrefix();
            List<String> channels = new ArrayList<>(List.of(p + ".Orders", p + ".orders", p + ".ORDERS"));
            for (int length : List.of(Channels.MAX_LENGTH, Channels.MAX_LENGTH - 1)) {
                channels.add(Kit.channelOfLength(p, length, 'a'));
                channels.add(Kit.channelOfLength(p, length, 'b'));
                channels.add(Kit.channelOfLength(p, length, 'B'));
            }
            Map<String, Recorder> recs = new LinkedHashMap<>();
            for (String channel : channels) {
                Recorder r = new Recorder("subscription to " + channel.length() + "-character channel " + channel);
                sb.subscriber().subscribe(channel, r);
                recs.put(channel, r);
            }
            for (String channel : channels) {
                publish(publisher, channel, Message.ofText(channel));
                publish(publisher, channel, Kit.sentinel());
            }
            for (Map.Entry<String, Recorder> e : recs.entrySet()) {
                Recorder r = e.getValue();
                r.awaitSentinel(timeout());
                assertEquals(List.of(e.getKey()), r.texts(), () -> r.name() + " receives exactly its own channel's message: " + r.describe());
                assertEquals(e.getKey(), r.messages().get(0).channel(), "Delivery.channel() of " + r.name());
            }
            if (has(Capability.DURABLE_SUBSCRIPTIONS)) {
                durableNamesAreExact(publisher);
            }
        }

        private void durableNamesAreExact(Switchboard publisher) {
            String channel = Kit.channelPrefix() + ".Durable";
            String base = durable("Case");
            String long1 = durable("L") + "x".repeat(100);
            List<String> names = new ArrayList<>(List.of(base, swapCase(base), long1.substring(0, 99) + "a", long1.substring(0, 99) + "b"));
            for (String n : names.subList(1, names.size())) {
                afterRule(() -> {
                    try (Switchboard sb = Kit.open(settings(Map.of()))) {
                        sb.subscriber().deleteDurable(n);
                    }
                });
            }
            Map<String, Recorder> recs = new LinkedHashMap<>();
            for (String name : names) {
                Recorder r = new Recorder("durable subscription '" + name + "'");
                open().subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), r);
                recs.put(name, r);
            }
            List<Message> sent = numbered("durable-", 6);
            publishAll(publisher, channel, sent);
            publish(publisher, channel, Kit.sentinel());
            for (Recorder r : recs.values()) {
                r.awaitSentinel(timeout());
                assertExactlyOnce(r, sent, r.name() + " (a subscription of its own, not a competing consumer of a similar name)");
            }
        }

        private String swapCase(String s) {
            StringBuilder sb = new StringBuilder(s.length());
            for (char ch : s.toCharArray()) {
                sb.append(Character.isUpperCase(ch) ? Character.toLowerCase(ch) : Character.toUpperCase(ch));
            }
            return sb.toString();
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
        @Tag("T6")
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
            closing.awaitMessages(1, timeout());
            s.close();
            closedReturned.set(true);
            assertFalse(s.isActive(), "isActive() after close()");
            publishAll(publisher, channel, numbered("after-", 10));
            publish(publisher, channel, Kit.sentinel());
            staying.awaitSentinel(timeout());
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
        @Tag("T7")
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
            closing.awaitMessages(1, timeout());
            closingSb.close();
            closedReturned.set(true);
            closingSb.close();
            assertTrue(closingSb.isClosed(), "isClosed()");
            publishAll(publisher, channel, numbered("after-", 10));
            publish(publisher, channel, Kit.sentinel());
            staying.awaitSentinel(timeout());
            assertEquals(11, staying.messages().size(), () -> "the other instance gets everything: " + staying.describe());
            assertEquals(0, afterClose.get(), () -> "handler calls after Switchboard.close() returned: " + closing.describe());
        }

        /**
         * T8: a closed Switchboard refuses publish and subscribe with
         * {@link IllegalStateException}. If this fails, check the facade's close sequence (the
         * transport is not involved).
         */
        @Test
        @Tag("T8")
        @DisplayName("T8 makes publish and subscribe fail with IllegalStateException")
        void closedSwitchboardRefusesWork() {
            Switchboard sb = open();
            String channel = Kit.channelPrefix() + ".closed";
            sb.close();
            assertThrows(IllegalStateException.class, () -> sb.publisher().publish(channel, Message.ofText("x")), "publish");
            assertThrows(IllegalStateException.class, () -> sb.publisher().publishAndWait(channel, Message.ofText("x"), timeout()),
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
        @Tag("T9")
        @DisplayName("T9 waits for running handlers, and their messages count as handled")
        void closeDrainsRunningHandlers() throws Exception {
            boolean durable = has(Capability.DURABLE_SUBSCRIPTIONS);
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
                release.await(timeout().toMillis(), TimeUnit.MILLISECONDS);
                finished.set(true);
            });
            Message inFlight = Message.ofText("in flight");
            publish(publisher, channel, inFlight);
            assertTrue(started.await(timeout().toMillis(), TimeUnit.MILLISECONDS), "the handler started");
            AtomicBoolean finishedWhenCloseReturned = new AtomicBoolean();
            Thread closer = new Thread(() -> {
                sb.close(timeout());
                finishedWhenCloseReturned.set(finished.get());
            }, "tck-closer");
            closer.start();
            // Give a close that does not wait the chance to return early; a correct one is still waiting here.
            closer.join(300);
            release.countDown();
            closer.join(timeout().toMillis());
            assertFalse(closer.isAlive(), "close() returned once the handler finished");
            assertTrue(finishedWhenCloseReturned.get(), "close() returned only after the running handler finished");
            if (durable && atLeastOnce()) {
                Switchboard next = open();
                Recorder rec = new Recorder("next subscriber of durable '" + name + "'");
                next.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), rec);
                publish(publisher, channel, Kit.sentinel());
                rec.awaitSentinel(timeout());
                assertEquals(List.of(), rec.texts(), "the message handled during close was acknowledged, not redelivered");
            }
        }

        /**
         * T25: {@code Switchboard.close()} drains what was published: after 200
         * {@code publishAndWait} calls and then 1,000 {@code publish} calls not waited for, close
         * returns with every stage completed, and a subscriber in another instance receives every
         * message whose stage completed normally. If this fails, check {@code Transport.close}:
         * pending publishes must be sent and confirmed (or their stages failed) before the
         * connection is released, never abandoned or reported sent without being sent.
         */
        @Test
        @Tag("T25")
        @DisplayName("T25 of a publishing Switchboard completes every pending publish, and what succeeded arrives")
        void closeDrainsPendingPublishes() {
            Switchboard receiver = open(ROOMY);
            Switchboard publisher = open();
            String channel = Kit.channelPrefix() + ".Drain";
            Recorder rec = new Recorder("subscriber in another instance");
            receiver.subscriber().subscribe(channel, rec);
            List<Message> waited = numbered("waited-", 200);
            for (Message m : waited) {
                publisher.publisher().publishAndWait(channel, m, timeout());
            }
            List<Message> pending = numbered("pending-", 1_000);
            List<CompletableFuture<Void>> stages = publishCalls(publisher, channel, pending);
            assertTimeoutPreemptively(timeout().multipliedBy(2), () -> publisher.close(timeout()),
                    "close() of the publishing Switchboard returns within its timeout");
            List<Message> succeeded = new ArrayList<>(waited);
            for (int i = 0; i < stages.size(); i++) {
                CompletableFuture<Void> f = stages.get(i);
                int index = i;
                assertTrue(f.isDone(), () -> "publish stage of 'pending-" + index + "' still pending after close() returned");
                if (!f.isCompletedExceptionally()) {
                    succeeded.add(pending.get(i));
                }
            }
            await(() -> rec.messageCount() >= succeeded.size(), () -> rec.name() + " received " + rec.messageCount() + " of the "
                    + succeeded.size() + " messages whose publish succeeded before close");
            assertDelivered(rec.messages(), succeeded, rec.name(), !atLeastOnce());
        }

        /**
         * T26: closing while handlers fail, retries wait for their backoff and dead letters are
         * being published ends promptly: {@code Subscription.close()} and then
         * {@code Switchboard.close()} each return within a fifth of {@link #timeout()} (2 s by
         * default), and a publish to an unrelated channel on the same instance meanwhile
         * completes within that bound too. If this fails, check that close does not wait for
         * scheduled retries, and that no lock is held across a server round trip that the
         * connection's I/O thread must answer (a confirm callback, a cancel).
         */
        @Test
        @Tag("T26")
        @DisplayName("T26 during retries and dead-lettering ends within a fifth of timeout()")
        void closeDuringRetriesIsPrompt() throws Exception {
            Switchboard sb = open();
            Switchboard publisher = open();
            String p = Kit.channelPrefix();
            String retrying = p + ".retrying";
            Recorder retries = failing("subscription retrying every message");
            Subscription s1 = sb.subscriber().subscribe(retrying, SubscriptionOptions.defaults().concurrency(4)
                    .retry(RetryPolicy.fixed(3, timeout())), retries);
            Subscription s2 = null;
            Recorder dying = failing("subscription dead-lettering every message");
            String deadLettering = p + ".deadLettering";
            if (has(Capability.DEAD_LETTERS)) {
                s2 = sb.subscriber().subscribe(deadLettering, SubscriptionOptions.defaults().concurrency(4).retry(RetryPolicy.none())
                        .deadLetterChannel(p + ".dead"), dying);
            }
            List<CompletableFuture<Void>> burst = new ArrayList<>(publishCalls(publisher, retrying, numbered("retry-", 50)));
            if (s2 != null) {
                burst.addAll(publishCalls(publisher, deadLettering, numbered("dead-", 50)));
            }
            awaitAll(burst, "publishes");
            retries.awaitMessages(4, timeout());
            Duration bound = closeBound();
            long start = System.nanoTime();
            CompletableFuture<Void> unrelated = sb.publisher().publish(p + ".unrelated", Message.ofText("meanwhile")).toCompletableFuture();
            Subscription second = s2;
            assertTimeoutPreemptively(bound, () -> {
                s1.close();
                if (second != null) {
                    second.close();
                }
            }, () -> "Subscription.close() with retries and dead letters in flight must return within " + bound.toMillis() + " ms");
            assertTimeoutPreemptively(bound, () -> unrelated.get(), () -> "a publish to an unrelated channel while closing completes within "
                    + bound.toMillis() + " ms");
            assertTimeoutPreemptively(bound, () -> sb.close(), () -> "Switchboard.close() after that must return within " + bound.toMillis()
                    + " ms (it took longer; " + (System.nanoTime() - start) / 1_000_000 + " ms since the first close)");
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
        @Tag("T10")
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
            rec.awaitMessages(4, timeout());
            assertEquals(Set.of("boom-1", "ok-1", "boom-2", "ok-2"), new HashSet<>(rec.texts()),
                    () -> "every message reached the handler: " + rec.describe());
        }

        /**
         * T11: a failing message is attempted exactly {@code maxAttempts} times with attempts
         * numbered 1, 2, 3 and later ones flagged redelivered, each at least its backoff (200 ms)
         * after the one before, then given up; every transport honours the
         * {@link RetryPolicy} (at-most-once transports through the facade's in-process retry).
         * If this fails, check that {@code InboundDelivery.retry(delay)} redelivers to the same
         * subscription no sooner than {@code delay} and with {@code attempt()} one higher, and
         * that a message the facade gave up on (acknowledged) is not delivered again.
         */
        @Test
        @Tag("T11")
        @DisplayName("T11 that fail are retried as the RetryPolicy says, with attempt numbers, spaced by the backoff")
        void retriesPerPolicyWithAttemptCount() {
            Switchboard sb = open();
            String channel = Kit.channelPrefix() + ".retry";
            Recorder rec = failing("subscription failing every attempt");
            Duration backoff = Duration.ofMillis(200);
            sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().retry(RetryPolicy.fixed(3, backoff)), rec);
            publish(sb, channel, Message.ofText("always fails"));
            rec.awaitMessages(3, timeout());
            await(() -> counter(subscriptionDetails(sb, channel), "droppedAfterRetries") >= 1,
                    () -> "the facade gave up after 3 attempts; health: " + sb.health());
            publish(sb, channel, Kit.sentinel());
            rec.awaitSentinel(timeout());
            List<Delivery> attempts = rec.messages();
            assertEquals(List.of(1, 2, 3), attempts.stream().map(Delivery::attempt).collect(Collectors.toList()),
                    () -> "attempt numbers: " + rec.describe());
            assertEquals(List.of(false, true, true), attempts.stream().map(Delivery::redelivered).collect(Collectors.toList()),
                    "redelivered flags");
            assertEquals(1, attempts.stream().map(d -> d.message().id()).distinct().count(), "every attempt carries the same message id");
            List<Long> times = rec.times();
            for (int i = 1; i < 3; i++) {
                long gap = (times.get(i) - times.get(i - 1)) / 1_000_000;
                int attempt = i + 1;
                // 5 ms of slack for brokers that count delays in whole milliseconds from their own clock.
                assertTrue(gap >= backoff.toMillis() - 5, () -> "attempt " + attempt + " came " + gap + " ms after attempt " + (attempt - 1)
                        + ", sooner than the backoff of " + backoff.toMillis() + " ms");
            }
        }

        /**
         * T12: with concurrency N, at most N handler calls of one subscription run at once, and N
         * are reached when enough messages wait. If this fails, check that the transport hands
         * over at least N deliveries without waiting for acknowledgements (prefetch at least
         * {@code SubscriptionRequest.maxUnacknowledged()}).
         */
        @Test
        @Tag("T12")
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
                    long deadline = System.nanoTime() + timeout().toNanos();
                    while (max.get() < n && System.nanoTime() < deadline) {
                        Thread.sleep(1);
                    }
                } finally {
                    running.decrementAndGet();
                    done.incrementAndGet();
                }
            });
            publishAll(sb, channel, numbered("work-", 20));
            Kit.await(timeout().multipliedBy(2), () -> done.get() == 20, () -> done.get() + " of 20 messages handled");
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
        @Tag("T13")
        @DisplayName("T13 invalid channel names are refused, naming the channel")
        void invalidChannelsRefused() {
            Switchboard sb = open();
            List<String> invalid = List.of("a..b", ".a", "a.", "a b", "a/b", "ä.b", "a.b*", "x".repeat(Channels.MAX_LENGTH + 1));
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
        @Tag("T14")
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
            rec.awaitSentinel(timeout());
            assertEquals(List.of(65536), rec.messages().stream().map(d -> d.message().payloadSize()).collect(Collectors.toList()),
                    "only the message at the limit was delivered");
        }
    }

    @Nested
    @DisplayName("Declared capabilities (positive rules run when declared, the refusal rule when not)")
    class DeclaredCapabilities {
        /** T27 and T28, at-least-once: retries do not hold back later messages; no more than the prefetch outstanding. */
        @TestFactory
        @Tag("T27")
        @Tag("T28")
        @DisplayName("at-least-once")
        Stream<DynamicTest> atLeastOnceRules() {
            return capability(Capability.AT_LEAST_ONCE, null,
                    rule("T27 a retry waiting for its backoff does not hold back the messages behind it", this::retryDoesNotBlock),
                    rule("T28 no more than the prefetch is delivered unacknowledged to one subscription", this::prefetchBound));
        }

        /** T15, per-channel-ordering: one publisher's messages to one channel arrive in publish order. */
        @TestFactory
        @Tag("T15")
        @DisplayName("per-channel-ordering")
        Stream<DynamicTest> ordering() {
            return capability(Capability.PER_CHANNEL_ORDERING, null,
                    rule("T15 messages from one publisher to one channel arrive in publish order", this::keepsPublishOrder));
        }

        /** T16, pattern-subscriptions: wildcards match exactly; undeclared: refused. */
        @TestFactory
        @Tag("T16")
        @DisplayName("pattern-subscriptions")
        Stream<DynamicTest> patterns() {
            return capability(Capability.PATTERN_SUBSCRIPTIONS,
                    rule("T16 refused: a pattern subscription fails with UnsupportedCapabilityException", this::refusesPatterns),
                    rule("T16 '*' matches exactly one segment and '#' zero or more, case-sensitively, nothing else", this::matchesPatternsExactly));
        }

        /** T17, durable-subscriptions: a durable subscription keeps messages while away; undeclared: refused. */
        @TestFactory
        @Tag("T17")
        @DisplayName("durable-subscriptions")
        Stream<DynamicTest> durableSubscriptions() {
            return capability(Capability.DURABLE_SUBSCRIPTIONS,
                    rule("T17 refused: durable subscribe and deleteDurable fail with UnsupportedCapabilityException", this::refusesDurable),
                    rule("T17 a durable subscription keeps the messages published while no subscriber is connected",
                            this::keepsMessagesWhileAway));
        }

        /** T18, competing-consumers: members of one durable name share the work, no message to two members. */
        @TestFactory
        @Tag("T18")
        @DisplayName("competing-consumers")
        Stream<DynamicTest> competing() {
            return capability(Capability.COMPETING_CONSUMERS, null,
                    rule("T18 subscribers sharing a durable name split the messages, none going to two of them", this::splitsTheWork));
        }

        /** T19, dead-letters: a message that exhausts its retries goes to the dead-letter channel; undeclared: refused. */
        @TestFactory
        @Tag("T19")
        @DisplayName("dead-letters")
        Stream<DynamicTest> deadLetters() {
            return capability(Capability.DEAD_LETTERS,
                    rule("T19 refused: a dead-letter channel fails with UnsupportedCapabilityException", this::refusesDeadLetters),
                    rule("T19 a message that exhausts its retries arrives on the dead-letter channel with sb-* headers",
                            this::deadLettersAfterMaxAttempts));
        }

        /**
         * T27: on an at-least-once transport a message waiting for its retry does not hold back
         * the messages published after it: with concurrency 1, while the first message waits out
         * a backoff of a fifth of {@link #timeout()}, the five behind it are handled, and the retry
         * comes after them. If this fails, check {@code InboundDelivery.retry(delay)}: it must
         * schedule the redelivery (a delay queue, a timer) and return, never sleep on the
         * delivering thread or stop the consumer for the delay.
         */
        void retryDoesNotBlock() {
            Switchboard sb = open();
            String channel = Kit.channelPrefix() + ".NotBlocking";
            Recorder rec = new Recorder("subscription whose first message fails once") {
                @Override
                public void handle(Delivery delivery) throws Exception {
                    super.handle(delivery);
                    if (delivery.message().text().equals("slow") && delivery.attempt() == 1) {
                        throw new IllegalStateException("tck-deliberate-failure");
                    }
                }
            };
            sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().retry(RetryPolicy.fixed(2, closeBound())), rec);
            publish(sb, channel, Message.ofText("slow"));
            rec.awaitMessages(1, timeout());
            // Publish the others only once the retry was handed to the transport (the handler slot is free again).
            await(() -> counter(subscriptionDetails(sb, channel), "retried") >= 1 && counter(subscriptionDetails(sb, channel), "running") == 0,
                    () -> "the failed attempt was handed back for a retry: " + subscriptionDetails(sb, channel));
            List<Message> behind = numbered("behind-", 5);
            publishAll(sb, channel, behind);
            rec.awaitMessages(7, timeout());
            List<String> texts = rec.texts();
            assertEquals("slow", texts.get(texts.size() - 1), () -> "the retry of 'slow' comes after the five messages behind it, which "
                    + "must not wait for its backoff; received " + texts);
        }

        /**
         * T28: an at-least-once transport never has more deliveries outstanding for one
         * subscription than its prefetch, and reaches it: with {@code prefetch=5} and two handler
         * slots that block, the subscription receives exactly 5 of 40 messages while another
         * subscription to the channel receives all 40 and a sentinel. If this fails, check that
         * the transport passes {@code SubscriptionRequest.maxUnacknowledged()} to the broker (a
         * consumer prefetch, a credit window) and counts a delivery as outstanding until
         * acknowledged, retried or dead-lettered.
         */
        void prefetchBound() throws Exception {
            Switchboard sb = open(Map.of("switchboard.subscriber.prefetch", "5"));
            Switchboard other = open();
            String channel = Kit.channelPrefix() + ".Prefetch";
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger handled = new AtomicInteger();
            // Concurrency 2, so that the facade never lends a handler the delivering thread (claimDeliveryThread) and every delivery is counted.
            sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().concurrency(2), (MessageHandler) d -> {
                release.await(timeout().toMillis() * 2, TimeUnit.MILLISECONDS);
                handled.incrementAndGet();
            });
            Recorder witness = new Recorder("second subscription to " + channel);
            other.subscriber().subscribe(channel, witness);
            try {
                publishAll(other, channel, numbered("m", 40));
                publish(other, channel, Kit.sentinel());
                witness.awaitSentinel(timeout());
                await(() -> counter(subscriptionDetails(sb, channel), "received") >= 5,
                        () -> "the subscription received fewer than its prefetch of 5 without acknowledging: " + subscriptionDetails(sb, channel));
                long received = counter(subscriptionDetails(sb, channel), "received");
                assertEquals(5, received, () -> "deliveries outstanding with prefetch 5 and a blocked handler: " + subscriptionDetails(sb, channel));
            } finally {
                release.countDown();
            }
            await(() -> handled.get() == 41, () -> handled.get() + " of 41 messages handled once the handler was released");
        }

        /**
         * T15: with concurrency 1, 10,000 messages published by one publisher to one channel
         * arrive in publish order, while a second publisher in another instance publishes 2,000
         * to the same channel, whose order is kept too (the two interleave arbitrarily). If this
         * fails, check that the transport publishes and consumes one channel through one ordered
         * stream (one connection or channel, no parallel dispatch, no pool of connections for
         * one publisher) and hands deliveries to the facade in arrival order.
         */
        void keepsPublishOrder() throws Exception {
            Switchboard sb = open(ROOMY);
            Switchboard a = open();
            Switchboard b = open();
            String channel = Kit.channelPrefix() + ".Order";
            Recorder rec = new Recorder("subscription to " + channel);
            sb.subscriber().subscribe(channel, rec);
            CompletableFuture<Void> second = CompletableFuture.runAsync(() -> publishAll(b, channel, numbered("B-", 2_000)));
            publishAll(a, channel, numbered("A-", VOLUME));
            joinAll(List.of(second));
            rec.awaitMessages(VOLUME + 2_000, timeout());
            List<String> got = rec.texts();
            assertInOrder(got, "A-", VOLUME, "the messages of publisher A");
            assertInOrder(got, "B-", 2_000, "the messages of publisher B");
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
         * {@code P.a.b.c}, {@code P.ab} or {@code P.A.b}); {@code P.a.#} receives {@code P.a},
         * {@code P.a.b}, {@code P.a.b.c} and {@code P.a.bc}; {@code P.#.c} receives {@code P.c},
         * {@code P.a.b.c} and {@code P.ab.c} (not {@code P.c.d}); {@code P.A.*} receives
         * {@code P.A.b} only; none receives anything else (checked with a sentinel published
         * last), and each delivery carries the channel it was published to. If this fails,
         * check the translation of the portable syntax into the broker's
         * ({@code Channels.matcher} is the reference), in particular {@code #} matching zero
         * segments, {@code *} never matching a dot, and matching being case-sensitive.
         */
        void matchesPatternsExactly() {
            Switchboard sb = open();
            Switchboard publisher = open();
            String p = Kit.channelPrefix();
            Map<String, List<String>> expected = new LinkedHashMap<>();
            expected.put(p + ".a.*", List.of(p + ".a.b", p + ".a.bc"));
            expected.put(p + ".a.#", List.of(p + ".a", p + ".a.b", p + ".a.b.c", p + ".a.bc"));
            expected.put(p + ".#.c", List.of(p + ".c", p + ".a.b.c", p + ".ab.c"));
            expected.put(p + ".A.*", List.of(p + ".A.b"));
            Map<String, String> sentinelChannel = Map.of(p + ".a.*", p + ".a.zz", p + ".a.#", p + ".a.zz", p + ".#.c", p + ".zz.c",
                    p + ".A.*", p + ".A.zz");
            Map<String, Recorder> recs = new LinkedHashMap<>();
            for (String pattern : expected.keySet()) {
                Recorder r = new Recorder("pattern " + pattern);
                Subscription s = sb.subscriber().subscribe(pattern, r);
                assertTrue(s.isPattern(), "isPattern() of " + pattern);
                recs.put(pattern, r);
            }
            List<String> published = List.of(p + ".a", p + ".a.b", p + ".a.b.c", p + ".ab", p + ".ab.c", p + ".x.b", p + ".c",
                    p + ".c.d", p + "x.c", p + ".a.bc", p + ".A.b");
            for (String channel : published) {
                publish(publisher, channel, Message.ofText(channel));
            }
            for (String channel : new HashSet<>(sentinelChannel.values())) {
                publish(publisher, channel, Kit.sentinel());
            }
            for (Map.Entry<String, Recorder> e : recs.entrySet()) {
                Recorder r = e.getValue();
                r.awaitSentinel(timeout());
                List<String> want = expected.get(e.getKey());
                r.awaitMessages(want.size(), timeout());
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
            before.awaitMessages(1, timeout());
            s.close();
            List<Message> away = numbered("away-", 5);
            for (Message m : away) {
                publish(publisher, channel, m);
            }
            Switchboard second = open();
            Recorder after = new Recorder("next subscriber of '" + name + "'");
            second.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), after);
            publish(publisher, channel, Kit.sentinel());
            after.awaitSentinel(timeout());
            after.awaitMessages(away.size(), timeout());
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
            assertTrue(has(Capability.DURABLE_SUBSCRIPTIONS),
                    "competing-consumers is declared without durable-subscriptions, but members share a durable name");
            String channel = Kit.channelPrefix() + ".compete";
            Members members = new Members(3, channel, SubscriptionOptions.defaults().durable(durable("compete")), "T18");
            Switchboard publisher = open();
            List<Message> sent = numbered("work-", 60);
            publishAll(publisher, channel, sent);
            Kit.await(timeout().multipliedBy(2), () -> members.total() >= sent.size(),
                    () -> "members received " + members.total() + " of " + sent.size());
            members.assertEachWorked(d -> true);
            assertDelivered(members.all(), sent, "the members together", true);
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
         * dead-letter channel once, with its id, payload and headers (names in mixed case kept),
         * plus {@code sb-dead-letter-reason} (holding the exception's message),
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
            Recorder failing = failing("failing subscription");
            sb.subscriber().subscribe(channel,
                    SubscriptionOptions.defaults().retry(RetryPolicy.fixed(2, Duration.ofMillis(20))).deadLetterChannel(dlq), failing);
            Message m = Message.builder().payload(Kit.allByteValues()).header("tenant", "acme").header("X-Trace-Id", "Trace-7").build();
            publish(sb, channel, m);
            dead.awaitMessages(1, timeout());
            publish(sb, channel, Kit.sentinel());
            failing.awaitSentinel(timeout());
            publish(sb, dlq, Kit.sentinel());
            dead.awaitSentinel(timeout());
            assertEquals(1, dead.messages().size(), () -> "dead-lettered once: " + dead.describe());
            assertEquals(2, failing.messages().size(), () -> "attempts before dead-lettering: " + failing.describe());
            Message got = dead.messages().get(0).message();
            assertEquals(m.id(), got.id(), "id");
            assertArrayEquals(m.payload(), got.payload(), "payload");
            assertEquals(dlq, got.channel(), "channel of the dead letter");
            assertEquals("acme", got.header("tenant"), "original headers are kept");
            assertEquals("Trace-7", got.header("X-Trace-Id"), "original headers are kept, their names in mixed case");
            assertNotNull(got.header("sb-dead-letter-reason"), "sb-dead-letter-reason header");
            assertTrue(got.header("sb-dead-letter-reason").contains("tck-deliberate-failure"), got.header("sb-dead-letter-reason"));
            assertEquals(channel, got.header("sb-original-channel"), "sb-original-channel header");
            assertEquals("2", got.header("sb-attempts"), "sb-attempts header");
        }
    }

    @Nested
    @DisplayName("Capabilities in combination (each pair of declared capabilities together)")
    class Combinations {
        @TestFactory
        @Tag("T30")
        @DisplayName("at-least-once + durable-subscriptions")
        Stream<DynamicTest> atLeastOnceWithDurable() {
            return pair(Capability.AT_LEAST_ONCE, Capability.DURABLE_SUBSCRIPTIONS,
                    "T30 a closing durable subscriber's unacknowledged and retrying messages go to the next subscriber", this::closingHandsOver);
        }

        @TestFactory
        @Tag("T31")
        @DisplayName("at-least-once + competing-consumers")
        Stream<DynamicTest> atLeastOnceWithCompeting() {
            return pair(Capability.AT_LEAST_ONCE, Capability.COMPETING_CONSUMERS,
                    "T31 a retry may reach another member, with its attempt count", this::retriesAcrossMembers);
        }

        @TestFactory
        @Tag("T32")
        @DisplayName("at-least-once + pattern-subscriptions")
        Stream<DynamicTest> atLeastOnceWithPatterns() {
            return pair(Capability.AT_LEAST_ONCE, Capability.PATTERN_SUBSCRIPTIONS,
                    "T32 every retry of a pattern subscription's message carries the channel it was published to", this::retriesKeepChannel);
        }

        @TestFactory
        @Tag("T33")
        @DisplayName("at-least-once + dead-letters")
        Stream<DynamicTest> atLeastOnceWithDeadLetters() {
            return pair(Capability.AT_LEAST_ONCE, Capability.DEAD_LETTERS,
                    "T33 only a message that exhausts its attempts is dead-lettered, once, and never delivered again", this::deadLetterOnlyWhenExhausted);
        }

        @TestFactory
        @Tag("T34")
        @DisplayName("at-least-once + per-channel-ordering")
        Stream<DynamicTest> atLeastOnceWithOrdering() {
            return pair(Capability.AT_LEAST_ONCE, Capability.PER_CHANNEL_ORDERING,
                    "T34 order holds when delivery is paced by acknowledgements (prefetch 1)", this::orderWithPrefetchOne);
        }

        @TestFactory
        @Tag("T36")
        @DisplayName("durable-subscriptions + competing-consumers")
        Stream<DynamicTest> durableWithCompeting() {
            return pair(Capability.DURABLE_SUBSCRIPTIONS, Capability.COMPETING_CONSUMERS,
                    "T36 members come and go: the remaining member gets everything, and with none left it is kept", this::membersComeAndGo);
        }

        @TestFactory
        @Tag("T37")
        @DisplayName("durable-subscriptions + pattern-subscriptions")
        Stream<DynamicTest> durableWithPatterns() {
            return pair(Capability.DURABLE_SUBSCRIPTIONS, Capability.PATTERN_SUBSCRIPTIONS,
                    "T37 a durable pattern subscription keeps every matching channel's messages while away, with their channels",
                    this::durablePattern);
        }

        @TestFactory
        @Tag("T38")
        @DisplayName("durable-subscriptions + dead-letters")
        Stream<DynamicTest> durableWithDeadLetters() {
            return pair(Capability.DURABLE_SUBSCRIPTIONS, Capability.DEAD_LETTERS,
                    "T38 a durable subscription's dead letters reach a durable subscription of the dead-letter channel while it is away",
                    this::durableDeadLetters);
        }

        @TestFactory
        @Tag("T39")
        @DisplayName("durable-subscriptions + per-channel-ordering")
        Stream<DynamicTest> durableWithOrdering() {
            return pair(Capability.DURABLE_SUBSCRIPTIONS, Capability.PER_CHANNEL_ORDERING,
                    "T39 messages kept while away reach the next subscriber in publish order", this::keptInOrder);
        }

        @TestFactory
        @Tag("T41")
        @DisplayName("competing-consumers + pattern-subscriptions")
        Stream<DynamicTest> competingWithPatterns() {
            return pair(Capability.COMPETING_CONSUMERS, Capability.PATTERN_SUBSCRIPTIONS,
                    "T41 members of a durable pattern subscription split every matching channel's messages", this::competingPattern);
        }

        @TestFactory
        @Tag("T42")
        @DisplayName("competing-consumers + dead-letters")
        Stream<DynamicTest> competingWithDeadLetters() {
            return pair(Capability.COMPETING_CONSUMERS, Capability.DEAD_LETTERS,
                    "T42 a message failing at every member is dead-lettered once, not once per member", this::deadLetteredOncePerMessage);
        }

        @TestFactory
        @Tag("T43")
        @DisplayName("competing-consumers + per-channel-ordering")
        Stream<DynamicTest> competingWithOrdering() {
            return pair(Capability.COMPETING_CONSUMERS, Capability.PER_CHANNEL_ORDERING,
                    "T43 each member sees its share in publish order", this::eachShareInOrder);
        }

        @TestFactory
        @Tag("T45")
        @DisplayName("pattern-subscriptions + dead-letters")
        Stream<DynamicTest> patternsWithDeadLetters() {
            return pair(Capability.PATTERN_SUBSCRIPTIONS, Capability.DEAD_LETTERS,
                    "T45 a pattern subscription's dead letter names the concrete channel, not the pattern", this::deadLetterNamesChannel);
        }

        @TestFactory
        @Tag("T46")
        @DisplayName("pattern-subscriptions + per-channel-ordering")
        Stream<DynamicTest> patternsWithOrdering() {
            return pair(Capability.PATTERN_SUBSCRIPTIONS, Capability.PER_CHANNEL_ORDERING,
                    "T46 a pattern subscription sees each channel's messages in publish order", this::patternKeepsEachChannelsOrder);
        }

        @TestFactory
        @Tag("T48")
        @DisplayName("dead-letters + per-channel-ordering")
        Stream<DynamicTest> deadLettersWithOrdering() {
            return pair(Capability.DEAD_LETTERS, Capability.PER_CHANNEL_ORDERING,
                    "T48 without retries, handled messages and dead letters each keep publish order", this::strictOrderWithDeadLetters);
        }

        /**
         * T30: a durable subscriber (prefetch 10) whose handler holds the first of 10 messages
         * closes; the held message then fails and is retried; a subscriber of the same name in
         * another instance receives all 10 (the retried one with an attempt above 1). If this
         * fails, check that the transport acknowledges only when the facade says so (never on
         * receipt), hands back released deliveries, and keeps a retry in the durable queue.
         */
        void closingHandsOver() throws Exception {
            Switchboard first = open(Map.of("switchboard.subscriber.prefetch", "10"));
            Switchboard publisher = open();
            String channel = Kit.channelPrefix() + ".HandOver";
            String name = durable("handover");
            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Subscription s = first.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name)
                    .retry(RetryPolicy.fixed(3, Duration.ofMillis(200))), d -> {
                        if (d.message().text().equals("m0")) {
                            holding.countDown();
                            release.await(timeout().toMillis(), TimeUnit.MILLISECONDS);
                            throw new IllegalStateException("tck-deliberate-failure");
                        }
                        throw new IllegalStateException("tck: only m0 should reach the closing subscriber, it holds the only slot");
                    });
            List<Message> sent = numbered("m", 10);
            publishAll(publisher, channel, sent);
            assertTrue(holding.await(timeout().toMillis(), TimeUnit.MILLISECONDS), "the first subscriber started handling m0");
            Thread closer = new Thread(s::close, "tck-closer");
            closer.start();
            release.countDown();
            closer.join(timeout().toMillis());
            Recorder next = new Recorder("next subscriber of '" + name + "'");
            open().subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), next);
            Kit.await(timeout().multipliedBy(2), () -> next.messageCount() >= sent.size(), () -> next.name() + " received "
                    + next.messageCount() + " of the 10 messages the closing subscriber had not acknowledged: " + next.describe());
            assertDelivered(next.messages(), sent, next.name(), false);
            assertTrue(next.messages().stream().anyMatch(d -> d.message().text().equals("m0") && d.attempt() >= 2),
                    () -> "m0, which failed at the first subscriber, arrives as a retry (attempt 2 or more): " + next.describe());
        }

        /**
         * T31: two members of a durable name fail every message's first attempt; each of 20
         * messages is then handled successfully as attempt 2, at whichever member the retry
         * reaches. If this fails, check that the attempt count travels with the message (a
         * header, a delivery count), not with the consumer.
         */
        void retriesAcrossMembers() {
            String channel = Kit.channelPrefix() + ".RetryMembers";
            String name = durable("retrymembers");
            Map<String, Integer> succeededAt = new ConcurrentHashMap<>();
            for (int i = 0; i < 2; i++) {
                open().subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name)
                        .retry(RetryPolicy.fixed(3, Duration.ofMillis(30))), d -> {
                            if (d.attempt() == 1) {
                                throw new IllegalStateException("tck-deliberate-failure");
                            }
                            succeededAt.put(d.message().text(), d.attempt());
                        });
            }
            Switchboard publisher = open();
            publishAll(publisher, channel, numbered("r", 20));
            await(() -> succeededAt.size() == 20, () -> succeededAt.size() + " of 20 messages handled after a first failure: "
                    + succeededAt);
            assertTrue(succeededAt.values().stream().allMatch(a -> a == 2), () -> "attempt numbers of the successful retries: " + succeededAt);
        }

        /**
         * T32: a pattern subscription's failing messages are attempted three times, each attempt
         * with the channel it was published to (not the pattern, not another channel). If this
         * fails, check that a retry keeps the original channel (a header or the routing key),
         * and does not re-route through the subscription's pattern.
         */
        void retriesKeepChannel() {
            Switchboard sb = open();
            String p = Kit.channelPrefix();
            Recorder rec = failing("pattern subscription " + p + ".*");
            sb.subscriber().subscribe(p + ".*", SubscriptionOptions.defaults().retry(RetryPolicy.fixed(3, Duration.ofMillis(30))), rec);
            publish(sb, p + ".Alpha", Message.ofText(p + ".Alpha"));
            publish(sb, p + ".beta", Message.ofText(p + ".beta"));
            rec.awaitMessages(6, timeout());
            for (Delivery d : rec.messages()) {
                assertEquals(d.message().text(), d.channel(), () -> "attempt " + d.attempt() + " of the message to " + d.message().text()
                        + " arrived on " + d.channel());
            }
        }

        /**
         * T33: with 3 attempts and a dead-letter channel, a message that fails once and then
         * succeeds is not dead-lettered; one that always fails is dead-lettered once with
         * {@code sb-attempts=3} and is not delivered to its subscription again. If this fails,
         * check that {@code deadLetter} acknowledges the original, and that a retry is not
         * mistaken for a last attempt.
         */
        void deadLetterOnlyWhenExhausted() {
            Switchboard sb = open();
            String channel = Kit.channelPrefix() + ".Exhausted";
            String dlq = channel + ".dead";
            Recorder dead = new Recorder("dead-letter channel");
            sb.subscriber().subscribe(dlq, dead);
            Recorder rec = new Recorder("subscription") {
                @Override
                public void handle(Delivery delivery) throws Exception {
                    super.handle(delivery);
                    String t = delivery.message().text();
                    if (t.equals("poison") || t.equals("flaky") && delivery.attempt() == 1) {
                        throw new IllegalStateException("tck-deliberate-failure");
                    }
                }
            };
            sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().retry(RetryPolicy.fixed(3, Duration.ofMillis(30)))
                    .deadLetterChannel(dlq), rec);
            publish(sb, channel, Message.ofText("flaky"));
            publish(sb, channel, Message.ofText("poison"));
            dead.awaitMessages(1, timeout());
            await(() -> rec.texts().stream().filter("flaky"::equals).count() >= 2, () -> "flaky retried: " + rec.describe());
            publish(sb, channel, Kit.sentinel());
            rec.awaitSentinel(timeout());
            publish(sb, dlq, Kit.sentinel());
            dead.awaitSentinel(timeout());
            assertEquals(List.of("poison"), dead.texts(), () -> "dead letters: " + dead.describe());
            assertEquals("3", dead.messages().get(0).message().header("sb-attempts"), "sb-attempts");
            assertEquals(3, rec.texts().stream().filter("poison"::equals).count(), () -> "attempts of poison: " + rec.describe());
            assertEquals(2, rec.texts().stream().filter("flaky"::equals).count(), () -> "attempts of flaky: " + rec.describe());
        }

        /**
         * T34: with {@code switchboard.subscriber.prefetch=1} (each delivery waits for the one
         * before to be acknowledged) 2,000 messages from one publisher arrive in order. If this
         * fails, check that acknowledgement-paced delivery keeps the queue's order (no
         * redelivery or requeue on the way).
         */
        void orderWithPrefetchOne() {
            Switchboard sb = open(Map.of("switchboard.subscriber.prefetch", "1"));
            Switchboard publisher = open();
            String channel = Kit.channelPrefix() + ".Paced";
            Recorder rec = new Recorder("subscription with prefetch 1");
            sb.subscriber().subscribe(channel, rec);
            publishAll(publisher, channel, numbered("m", 2_000));
            rec.awaitMessages(2_000, timeout().multipliedBy(2));
            assertInOrder(rec.texts(), "m", 2_000, rec.name());
        }

        /**
         * T36: of two members of a durable name, one closes: the other receives all 10 messages
         * published next; then it closes too, and the 5 published while none is connected reach a
         * member that joins later. If this fails, check that a closing member leaves the shared
         * queue working for the others and does not delete it.
         */
        void membersComeAndGo() {
            String channel = Kit.channelPrefix() + ".ComeAndGo";
            String name = durable("comeandgo");
            Switchboard publisher = open();
            Recorder a = new Recorder("member A");
            Recorder b = new Recorder("member B");
            Subscription sa = open().subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), a);
            Subscription sb = open().subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), b);
            sa.close();
            List<Message> second = numbered("second-", 10);
            publishAll(publisher, channel, second);
            b.awaitMessages(10, timeout());
            assertExactlyOnce(b, second, "member B, left alone");
            sb.close();
            List<Message> third = numbered("third-", 5);
            publishAll(publisher, channel, third);
            Recorder c = new Recorder("member C, joining later");
            open().subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), c);
            publish(publisher, channel, Kit.sentinel());
            c.awaitSentinel(timeout());
            assertExactlyOnce(c, third, c.name());
        }

        /**
         * T37: a durable subscription to {@code P.kept.*} whose subscriber closed keeps the
         * messages published to {@code P.kept.Alpha} and {@code P.kept.beta} meanwhile, not those
         * to {@code P.kept.Alpha.x} or {@code P.other}, and the next subscriber receives them with
         * their own channels. If this fails, check that a durable queue is bound with the
         * translated pattern and keeps the routing key of each message.
         */
        void durablePattern() {
            String p = Kit.channelPrefix();
            String name = durable("pattern");
            Switchboard publisher = open();
            open().subscriber().subscribe(p + ".kept.*", SubscriptionOptions.defaults().durable(name), d -> { }).close();
            for (String channel : List.of(p + ".kept.Alpha", p + ".kept.Alpha.x", p + ".other", p + ".kept.beta")) {
                publish(publisher, channel, Message.ofText(channel));
            }
            Recorder rec = new Recorder("next subscriber of durable pattern '" + name + "'");
            open().subscriber().subscribe(p + ".kept.*", SubscriptionOptions.defaults().durable(name), rec);
            publish(publisher, p + ".kept.zz", Kit.sentinel());
            rec.awaitSentinel(timeout());
            assertEquals(List.of(p + ".kept.Alpha", p + ".kept.beta"), rec.texts().stream().sorted().collect(Collectors.toList()),
                    () -> "kept messages: " + rec.describe());
            for (Delivery d : rec.messages()) {
                assertEquals(d.message().text(), d.channel(), "Delivery.channel() of a kept message");
            }
        }

        /**
         * T38: a durable subscription on the dead-letter channel whose subscriber is away keeps
         * the dead letter of a durable subscription's failing message, which reaches its next
         * subscriber with {@code sb-original-channel} naming the channel published to. If this
         * fails, check that dead letters are published like any message (routed to durable
         * subscriptions of the dead-letter channel, persistent if those are).
         */
        void durableDeadLetters() {
            String p = Kit.channelPrefix();
            String channel = p + ".Orders";
            String dlq = p + ".Dead";
            String dlqName = durable("deadkept");
            Switchboard publisher = open();
            open().subscriber().subscribe(dlq, SubscriptionOptions.defaults().durable(dlqName), d -> { }).close();
            Switchboard sb = open();
            Recorder rec = failing("durable subscription failing every message");
            String source = durable("deadsource");
            sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(source).retry(RetryPolicy.none())
                    .deadLetterChannel(dlq), rec);
            publish(publisher, channel, Message.ofText("poison"));
            await(() -> counter(subscriptionDetails(sb, source), "deadLettered") >= 1, () -> "dead-lettered: " + sb.health());
            Recorder dead = new Recorder("next subscriber of the dead-letter channel's durable subscription");
            open().subscriber().subscribe(dlq, SubscriptionOptions.defaults().durable(dlqName), dead);
            publish(publisher, dlq, Kit.sentinel());
            dead.awaitSentinel(timeout());
            assertEquals(List.of("poison"), dead.texts(), () -> "kept dead letters: " + dead.describe());
            assertEquals(channel, dead.messages().get(0).message().header("sb-original-channel"), "sb-original-channel");
        }

        /**
         * T39: 500 messages published while a durable subscription has no subscriber reach the
         * next subscriber in publish order. If this fails, check that messages kept for a
         * durable subscription are stored and read back in order (one queue or partition, no
         * parallel replay).
         */
        void keptInOrder() {
            String channel = Kit.channelPrefix() + ".KeptOrder";
            String name = durable("keptorder");
            Switchboard publisher = open();
            open().subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), d -> { }).close();
            publishAll(publisher, channel, numbered("k", 500));
            Recorder rec = new Recorder("next subscriber of '" + name + "'");
            open().subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), rec);
            rec.awaitMessages(500, timeout());
            assertInOrder(rec.texts(), "k", 500, rec.name());
        }

        /**
         * T41: two members of a durable pattern subscription to {@code P.*} split 40 messages
         * published to {@code P.Alpha} and {@code P.beta}: each gets part, none gets one twice,
         * every delivery carries its own channel. If this fails, check that members of a durable
         * pattern subscription share one queue bound with the pattern.
         */
        void competingPattern() {
            String p = Kit.channelPrefix();
            Members members = new Members(2, p + ".*", SubscriptionOptions.defaults().durable(durable("comppattern")), "T41");
            Switchboard publisher = open();
            List<Message> sent = new ArrayList<>();
            for (String channel : List.of(p + ".Alpha", p + ".beta")) {
                List<Message> mine = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    mine.add(Message.ofText(channel));
                }
                publishAll(publisher, channel, mine);
                sent.addAll(mine);
            }
            Kit.await(timeout().multipliedBy(2), () -> members.total() >= sent.size(), () -> "members received " + members.total() + " of 40");
            members.assertEachWorked(d -> true);
            assertDelivered(members.all(), sent, "the members together", true);
            for (Delivery d : members.all()) {
                assertEquals(d.message().text(), d.channel(), "Delivery.channel()");
            }
        }

        /**
         * T42: two members of a durable name fail every attempt (2 attempts, dead-letter channel
         * set): each of 5 messages is dead-lettered exactly once, with {@code sb-attempts=2}. If
         * this fails, check that the attempt count travels with the message across members and
         * that dead-lettering acknowledges the original in the shared queue.
         */
        void deadLetteredOncePerMessage() {
            String p = Kit.channelPrefix();
            String channel = p + ".Poison";
            String dlq = p + ".Dead";
            Switchboard observer = open();
            Recorder dead = new Recorder("dead-letter channel");
            observer.subscriber().subscribe(dlq, dead);
            String name = durable("compdead");
            for (int i = 0; i < 2; i++) {
                open().subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name)
                        .retry(RetryPolicy.fixed(2, Duration.ofMillis(30))).deadLetterChannel(dlq), failing("member " + i));
            }
            List<Message> sent = numbered("poison-", 5);
            publishAll(observer, channel, sent);
            dead.awaitMessages(5, timeout());
            publish(observer, dlq, Kit.sentinel());
            dead.awaitSentinel(timeout());
            assertExactlyOnce(dead, sent, "the dead-letter channel");
            for (Delivery d : dead.messages()) {
                assertEquals("2", d.message().header("sb-attempts"), "sb-attempts of " + d.message().text());
            }
        }

        /**
         * T43: three members of a durable name (prefetch 1) each receive their share of 300
         * messages from one publisher in publish order. If this fails, check that each member
         * consumes the shared queue in order, without a local reordering step.
         */
        void eachShareInOrder() {
            String channel = Kit.channelPrefix() + ".ShareOrder";
            Members members = new Members(3, channel, SubscriptionOptions.defaults().durable(durable("shareorder")), "T43");
            Switchboard publisher = open();
            publishAll(publisher, channel, numbered("s", 300));
            Kit.await(timeout().multipliedBy(2), () -> members.total() >= 300, () -> "members received " + members.total() + " of 300");
            for (Recorder r : members.recorders) {
                List<Integer> seq = r.texts().stream().map(t -> Integer.parseInt(t.substring(1))).collect(Collectors.toList());
                for (int i = 1; i < seq.size(); i++) {
                    int at = i;
                    assertTrue(seq.get(i) > seq.get(i - 1), () -> r.name() + " received s" + seq.get(at) + " after s" + seq.get(at - 1));
                }
            }
        }

        /**
         * T45: a pattern subscription to {@code P.*} without retries dead-letters the messages of
         * {@code P.Alpha} and {@code P.beta}; each dead letter's {@code sb-original-channel} is
         * its own channel, never the pattern. If this fails, check that {@code deadLetter} takes
         * the message's channel, not the subscription's channel-or-pattern.
         */
        void deadLetterNamesChannel() {
            Switchboard sb = open();
            String p = Kit.channelPrefix();
            String dlq = p + "x.Dead";
            Recorder dead = new Recorder("dead-letter channel");
            sb.subscriber().subscribe(dlq, dead);
            sb.subscriber().subscribe(p + ".*", SubscriptionOptions.defaults().retry(RetryPolicy.none()).deadLetterChannel(dlq),
                    failing("pattern subscription"));
            publish(sb, p + ".Alpha", Message.ofText(p + ".Alpha"));
            publish(sb, p + ".beta", Message.ofText(p + ".beta"));
            dead.awaitMessages(2, timeout());
            for (Delivery d : dead.messages()) {
                assertEquals(d.message().text(), d.message().header("sb-original-channel"), "sb-original-channel of a pattern's dead letter");
                assertEquals(dlq, d.channel(), "channel of the dead letter");
            }
        }

        /**
         * T46: a pattern subscription to {@code P.*} receives 1,000 messages published
         * alternately to {@code P.a} and {@code P.B} by one publisher, each channel's in order. If
         * this fails, check that a pattern subscription consumes through one ordered stream.
         */
        void patternKeepsEachChannelsOrder() {
            Switchboard sb = open(ROOMY);
            Switchboard publisher = open();
            String p = Kit.channelPrefix();
            Recorder rec = new Recorder("pattern subscription " + p + ".*");
            sb.subscriber().subscribe(p + ".*", rec);
            List<CompletableFuture<Void>> stages = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                stages.addAll(publishCalls(publisher, p + ".a", List.of(Message.ofText("a" + i))));
                stages.addAll(publishCalls(publisher, p + ".B", List.of(Message.ofText("B" + i))));
            }
            awaitAll(stages, "publishes");
            rec.awaitMessages(1_000, timeout());
            assertInOrder(rec.texts(), "a", 500, "channel " + p + ".a");
            assertInOrder(rec.texts(), "B", 500, "channel " + p + ".B");
        }

        /**
         * T48: with {@code RetryPolicy.none()} and a dead-letter channel (the recipe for strict
         * order), the handler sees 200 messages in publish order and the 40 it fails reach the
         * dead-letter channel in publish order too. If this fails, check that dead-lettering
         * does not delay or requeue the messages behind it.
         */
        void strictOrderWithDeadLetters() {
            Switchboard sb = open();
            Switchboard publisher = open();
            String p = Kit.channelPrefix();
            String dlq = p + ".Dead";
            Recorder dead = new Recorder("dead-letter channel");
            sb.subscriber().subscribe(dlq, dead);
            Recorder rec = new Recorder("subscription failing every fifth message") {
                @Override
                public void handle(Delivery delivery) throws Exception {
                    super.handle(delivery);
                    if (Integer.parseInt(delivery.message().text().substring(1)) % 5 == 0) {
                        throw new IllegalStateException("tck-deliberate-failure");
                    }
                }
            };
            sb.subscriber().subscribe(p + ".Strict", SubscriptionOptions.defaults().retry(RetryPolicy.none()).deadLetterChannel(dlq), rec);
            publishAll(publisher, p + ".Strict", numbered("m", 200));
            rec.awaitMessages(200, timeout());
            dead.awaitMessages(40, timeout());
            assertInOrder(rec.texts(), "m", 200, "the handler");
            List<String> deadTexts = dead.texts();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 200; i += 5) {
                expected.add("m" + i);
            }
            assertEquals(expected, deadTexts, "dead letters in publish order");
        }
    }

    /** The request/reply rules R1 to R11 ({@link RequestReplyContract}) on this subclass's settings. */
    @Nested
    @DisplayName("Request/reply")
    class RequestReply extends RequestReplyContract {
        @Override
        protected Map<String, Object> properties() {
            return TransportContract.this.properties();
        }

        @Override
        protected Faults faults() {
            return TransportContract.this.faults();
        }

        @Override
        protected Duration timeout() {
            return TransportContract.this.timeout();
        }

        @Override
        String subclassName() {
            return TransportContract.this.subclassName();
        }
    }

    @Nested
    @DisplayName("After a connection failure (needs fault hooks)")
    class FaultRules {
        /**
         * T20: after every client connection is cut at the server, a {@link
         * io.switchboard.ConnectionListener} hears {@code LOST} then {@code RECOVERED} with
         * {@code possibleGap=true} (a transient subscription was open, so messages may have been
         * missed, on every guarantee); every kind of subscription the transport declares (exact,
         * pattern, durable, competing members) resumes by itself; 20 messages published afterwards
         * reach each of them (exactly once on an at-most-once transport, which must not replay
         * anything); publishing works again. Needs {@code cutConnections()}. If this fails, check
         * the transport's reconnect loop: it must notice a dead socket, report through
         * {@code ProviderContext.events()}, and re-establish every subscription, patterns and
         * durable ones included, before reporting {@code RECOVERED}.
         */
        @Test
        @Tag("T20")
        @Tag("faults")
        @DisplayName("T20 every subscription resumes by itself after connections are cut, with LOST then RECOVERED(possibleGap) reported")
        void recoversFromCutConnections() throws Throwable {
            requireHook("T20", Faults.Hook.CUT_CONNECTIONS);
            new Scenario("T20").recoversAfter("cutConnections()", () -> faults().cutConnections());
        }

        /**
         * T21: as T20, after the server restarts. Needs {@code restartServer()}. If this fails,
         * check that reconnection keeps retrying while the server is down (with backoff, not
         * giving up after one refusal) and re-creates what the restart lost (subscriptions,
         * non-durable queues).
         */
        @Test
        @Tag("T21")
        @Tag("faults")
        @DisplayName("T21 every subscription resumes by itself after the server restarts, with LOST then RECOVERED(possibleGap) reported")
        void recoversFromRestart() throws Throwable {
            requireHook("T21", Faults.Hook.RESTART_SERVER);
            new Scenario("T21").recoversAfter("restartServer()", () -> faults().restartServer());
        }

        /**
         * T24: while the server is held down ({@code stopServer()} ... {@code startServer()}):
         * {@code LOST} is reported and {@code health()} is no longer {@code UP}; every
         * {@code publish()} call returns within a tenth of {@link #timeout()}, and every stage
         * completes, normally or with a retryable {@link SwitchboardException}, by
         * {@link #timeout()} after the server is back; a {@code subscribe} either throws a
         * retryable exception or takes effect once the server is back. After {@code RECOVERED}
         * (with {@code possibleGap=true}) every subscription resumes as in T20, and on an
         * at-least-once transport with durable subscriptions every message whose stage completed
         * normally, before or during the outage, reaches the durable subscription. Needs
         * {@code stopServer()}/{@code startServer()}. If this fails, check what the transport
         * does without a connection: publish must fail fast or queue with a bound, never block
         * the caller or leave a stage pending, and never report a message sent that was not
         * confirmed.
         */
        @Test
        @Tag("T24")
        @Tag("faults")
        @DisplayName("T24 during an outage the caller is told promptly, and after it nothing confirmed is lost")
        void survivesAnOutage() throws Throwable {
            requireHook("T24", Faults.Hook.OUTAGE);
            new Scenario("T24").outage();
        }

        /**
         * T22, survives-restart, and its pairs with every other declared capability (T35, T40,
         * T44, T47, T49, T50), all checked across one restart: a message accepted for a durable
         * subscription before {@code restartServer()} is delivered after it (T22); a delivery left
         * unacknowledged by the restart is delivered again (T35, with at-least-once); a durable
         * subscription created before the restart keeps what is published after it (T40);
         * competing members both resume (T44); a durable pattern subscription's kept messages
         * survive with their channels (T47); a kept dead letter survives (T49); kept messages
         * survive in publish order (T50). Generated only when declared (nothing to refuse
         * otherwise). Needs {@code restartServer()}. If this fails, check that durable queues and
         * messages are persistent on the server (durable queue, persistent delivery mode, stream
         * persistence), dead letters and retries included.
         */
        @TestFactory
        @Tag("T22")
        @Tag("T35")
        @Tag("T40")
        @Tag("T44")
        @Tag("T47")
        @Tag("T49")
        @Tag("T50")
        @Tag("faults")
        @DisplayName("survives-restart")
        Stream<DynamicTest> survivesRestart() {
            return capability(Capability.SURVIVES_RESTART, null, rule("T22 what durable subscriptions hold survives a server restart, "
                    + "with every other declared capability (T35, T40, T44, T47, T49, T50)", this::keepsAcrossRestart));
        }

        void keepsAcrossRestart() throws Throwable {
            requireHook("T22", Faults.Hook.RESTART_SERVER);
            assertTrue(has(Capability.DURABLE_SUBSCRIPTIONS), "survives-restart is declared without durable-subscriptions");
            String p = Kit.channelPrefix();
            Switchboard publisher = open();
            List<Check> checks = new ArrayList<>();
            checks.add(keptMessage("T22", p + ".persist", publisher));
            if (atLeastOnce()) {
                checks.add(unacknowledgedAcrossRestart(p + ".unacked", publisher));
            }
            checks.add(subscriptionSurvives(p + ".after", publisher));
            if (has(Capability.COMPETING_CONSUMERS)) {
                checks.add(membersAcrossRestart(p + ".members", publisher));
            }
            if (has(Capability.PATTERN_SUBSCRIPTIONS)) {
                checks.add(patternAcrossRestart(p + ".pattern", publisher));
            }
            if (has(Capability.DEAD_LETTERS)) {
                checks.add(deadLetterAcrossRestart(p + ".dl", publisher));
            }
            if (has(Capability.PER_CHANNEL_ORDERING)) {
                checks.add(orderAcrossRestart(p + ".order", publisher));
            }
            faults().restartServer();
            List<Executable> after = new ArrayList<>();
            for (Check c : checks) {
                after.add(() -> {
                    try {
                        c.after.execute();
                    } catch (AssertionError | Exception e) {
                        throw new AssertionError(c.rule + " (" + c.what + ") after restartServer(): " + e.getMessage(), e);
                    }
                });
            }
            assertAll("across one restartServer()", after.stream());
        }

        private Check keptMessage(String rule, String channel, Switchboard publisher) {
            String name = durable("persist");
            open().subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), d -> { }).close();
            Message kept = Message.ofText("kept across restart");
            publish(publisher, channel, kept);
            return new Check(rule, "a message kept for a durable subscription", () -> {
                Recorder rec = new Recorder("subscriber of '" + name + "' after the restart");
                openAfterFault().subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), rec);
                rec.awaitMessages(1, timeout());
                assertEquals(kept.id(), rec.messages().get(0).message().id(), "the message accepted before the restart");
            });
        }

        private Check unacknowledgedAcrossRestart(String channel, Switchboard publisher) throws Exception {
            String name = durable("unacked");
            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Recorder rec = new Recorder("durable subscriber holding its delivery across the restart") {
                @Override
                public void handle(Delivery delivery) throws Exception {
                    super.handle(delivery);
                    holding.countDown();
                    release.await(timeout().toMillis() * 3, TimeUnit.MILLISECONDS);
                }
            };
            open().subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), rec);
            publish(publisher, channel, Message.ofText("unacknowledged"));
            assertTrue(holding.await(timeout().toMillis(), TimeUnit.MILLISECONDS), "the handler started");
            return new Check("T35", "a delivery unacknowledged when the server restarted", () -> {
                release.countDown();
                Kit.await(timeout().multipliedBy(3), () -> rec.messageCount() >= 2, () -> "the message that was being handled when the "
                        + "server restarted is delivered again; " + rec.describe());
                assertTrue(rec.messages().get(1).redelivered(), "the delivery after the restart is flagged redelivered");
            });
        }

        private Check subscriptionSurvives(String channel, Switchboard publisher) {
            String name = durable("survives");
            open().subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), d -> { }).close();
            return new Check("T40", "a durable subscription created before the restart", () -> {
                Switchboard sb = openAfterFault();
                publishUntilAccepted(sb, channel, Message.ofText("published after the restart"));
                Recorder rec = new Recorder("subscriber of '" + name + "' after the restart");
                sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), rec);
                rec.awaitMessages(1, timeout());
            });
        }

        private Check membersAcrossRestart(String channel, Switchboard publisher) {
            Members members = new Members(2, channel, SubscriptionOptions.defaults().durable(durable("members")), "T44");
            return new Check("T44", "competing members across the restart", () -> {
                Switchboard sb = openAfterFault();
                List<Message> sent = numbered("after-", 10);
                for (Message m : sent) {
                    publishUntilAccepted(sb, channel, m);
                }
                Kit.await(timeout().multipliedBy(3), () -> members.total() >= sent.size(), () -> "members received " + members.total()
                        + " of 10 after the restart: " + members.describe());
                members.assertEachWorked(d -> true);
            });
        }

        private Check patternAcrossRestart(String p, Switchboard publisher) {
            String name = durable("pattern");
            open().subscriber().subscribe(p + ".*", SubscriptionOptions.defaults().durable(name), d -> { }).close();
            publish(publisher, p + ".Alpha", Message.ofText(p + ".Alpha"));
            publish(publisher, p + ".beta", Message.ofText(p + ".beta"));
            return new Check("T47", "a durable pattern subscription's kept messages", () -> {
                Recorder rec = new Recorder("subscriber of durable pattern '" + name + "' after the restart");
                openAfterFault().subscriber().subscribe(p + ".*", SubscriptionOptions.defaults().durable(name), rec);
                rec.awaitMessages(2, timeout());
                for (Delivery d : rec.messages()) {
                    assertEquals(d.message().text(), d.channel(), "channel of a kept message");
                }
            });
        }

        private Check deadLetterAcrossRestart(String p, Switchboard publisher) {
            String dlqName = durable("deadkept");
            String dlq = p + ".Dead";
            open().subscriber().subscribe(dlq, SubscriptionOptions.defaults().durable(dlqName), d -> { }).close();
            Switchboard sb = open();
            sb.subscriber().subscribe(p + ".src", SubscriptionOptions.defaults().retry(RetryPolicy.none()).deadLetterChannel(dlq),
                    failing("subscription dead-lettering"));
            publish(publisher, p + ".src", Message.ofText("poison"));
            Kit.await(timeout(), () -> counter(subscriptionDetails(sb, p + ".src"), "deadLettered") >= 1, () -> "dead-lettered: " + sb.health());
            return new Check("T49", "a kept dead letter", () -> {
                Recorder rec = new Recorder("subscriber of the dead-letter channel after the restart");
                openAfterFault().subscriber().subscribe(dlq, SubscriptionOptions.defaults().durable(dlqName), rec);
                rec.awaitMessages(1, timeout());
                assertEquals(p + ".src", rec.messages().get(0).message().header("sb-original-channel"), "sb-original-channel");
            });
        }

        private Check orderAcrossRestart(String channel, Switchboard publisher) {
            String name = durable("order");
            open().subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), d -> { }).close();
            publishAll(publisher, channel, numbered("o", 200));
            return new Check("T50", "kept messages in order", () -> {
                Recorder rec = new Recorder("subscriber of '" + name + "' after the restart");
                openAfterFault().subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), rec);
                rec.awaitMessages(200, timeout());
                assertInOrder(rec.texts(), "o", 200, rec.name());
            });
        }

        /** Opens a Switchboard once the server is back, retrying while it still refuses connections. */
        private Switchboard openAfterFault() {
            long deadline = System.nanoTime() + timeout().toNanos();
            while (true) {
                try {
                    return open();
                } catch (SwitchboardException e) {
                    if (!e.isRetryable() || System.nanoTime() > deadline) {
                        throw new AssertionError("open() works again after the fault, within " + timeout(), e);
                    }
                    Kit.sleep(100);
                }
            }
        }

        /** Publishes, repeating on retryable failures (a connection the publisher has not yet seen die). */
        void publishUntilAccepted(Switchboard sb, String channel, Message m) {
            long deadline = System.nanoTime() + timeout().toNanos();
            while (true) {
                try {
                    publish(sb, channel, m);
                    return;
                } catch (SwitchboardException e) {
                    if (!e.isRetryable() || System.nanoTime() > deadline) {
                        throw new AssertionError("publish works again after reconnecting, within " + timeout(), e);
                    }
                    Kit.sleep(20);
                }
            }
        }

        /** One pair's set-up before the restart and its check after it. */
        private final class Check {
            final String rule;
            final String what;
            final Executable after;

            Check(String rule, String what, Executable after) {
                this.rule = rule;
                this.what = what;
                this.after = after;
            }
        }

        /** Every kind of subscription the transport declares, on one subscribing instance, with its connection events. */
        private final class Scenario {
            private final String rule;
            private final String p = Kit.channelPrefix();
            private final Switchboard subscriber = open(ROOMY);
            private final Switchboard publisher = open();
            private final List<ConnectionEvent> events = new CopyOnWriteArrayList<>();
            private final Map<String, Recorder> recs = new LinkedHashMap<>();
            private final Map<String, String> targets = new LinkedHashMap<>();
            private Members members;
            private String membersChannel;
            private String durableChannel;

            Scenario(String rule) {
                this.rule = rule;
                subscriber.addConnectionListener(e -> {
                    if (e.component().equals("transport")) {
                        events.add(e);
                    }
                });
                subscribe("exact subscription", p + ".Exact", p + ".Exact", SubscriptionOptions.defaults());
                if (has(Capability.PATTERN_SUBSCRIPTIONS)) {
                    subscribe("pattern subscription", p + ".Pattern.*", p + ".Pattern.Leaf", SubscriptionOptions.defaults());
                }
                if (has(Capability.DURABLE_SUBSCRIPTIONS)) {
                    durableChannel = p + ".Durable";
                    subscribe("durable subscription", durableChannel, durableChannel, SubscriptionOptions.defaults().durable(durable("fault")));
                }
                if (has(Capability.COMPETING_CONSUMERS)) {
                    membersChannel = p + ".Members";
                    members = new Members(2, membersChannel, SubscriptionOptions.defaults().durable(durable("faultmembers")), rule);
                }
                for (Map.Entry<String, String> e : targets.entrySet()) {
                    publish(publisher, e.getValue(), Message.ofText("before"));
                    recs.get(e.getKey()).awaitMessages(1, timeout());
                }
                if (members != null) {
                    for (int i = 0; i < 2; i++) {
                        publish(publisher, membersChannel, Message.ofText("before"));
                    }
                    Kit.await(timeout(), () -> members.total() >= 2, () -> "members before the fault: " + members.describe());
                    members.resetHold();
                }
            }

            private void subscribe(String what, String channelOrPattern, String target, SubscriptionOptions options) {
                Recorder r = new Recorder(what + " " + channelOrPattern);
                subscriber.subscriber().subscribe(channelOrPattern, options, r);
                recs.put(what, r);
                targets.put(what, target);
            }

            void recoversAfter(String what, Executable fault) throws Throwable {
                int seenBefore = events.size();
                fault.execute();
                awaitRecovered(what, seenBefore);
                afterRecovery(what);
            }

            void outage() throws Throwable {
                int seenBefore = events.size();
                Faults f = faults();
                f.stopServer();
                List<CompletableFuture<Void>> during = new ArrayList<>();
                List<Message> duringMessages = new ArrayList<>();
                Recorder late = new Recorder("subscription made during the outage");
                boolean lateSubscribed;
                try {
                    Kit.await(timeout(), () -> events.stream().skip(seenBefore).anyMatch(e -> e.type() == ConnectionEvent.Type.LOST),
                            () -> rule + ": LOST is reported while the server is down; events: " + events);
                    Kit.await(timeout(), () -> subscriber.health().status() != Health.Status.UP,
                            () -> rule + ": health() is still UP while the server is down: " + subscriber.health());
                    String channel = durableChannel != null ? durableChannel : p + ".Exact";
                    for (int i = 0; i < 10; i++) {
                        Message m = Message.ofText("during-" + i);
                        duringMessages.add(m);
                        during.add(publishDuringOutage(channel, m));
                    }
                    lateSubscribed = subscribeDuringOutage(p + ".Late", late);
                } finally {
                    f.startServer();
                }
                long deadline = System.nanoTime() + timeout().toNanos();
                for (int i = 0; i < during.size(); i++) {
                    CompletableFuture<Void> stage = during.get(i);
                    int index = i;
                    try {
                        stage.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    } catch (java.util.concurrent.TimeoutException e) {
                        fail(rule + ": the stage of publish 'during-" + index + "' into the outage is still pending " + timeout()
                                + " after the server came back");
                    } catch (java.util.concurrent.ExecutionException e) {
                        Throwable cause = e.getCause();
                        assertTrue(cause instanceof SwitchboardException && ((SwitchboardException) cause).isRetryable(),
                                () -> rule + ": a publish into the outage fails with a retryable SwitchboardException, not " + cause);
                    }
                }
                awaitRecovered("stopServer()/startServer()", seenBefore);
                afterRecovery("the outage");
                if (lateSubscribed) {
                    publishUntilAccepted(publisher, p + ".Late", Message.ofText("late"));
                    late.awaitMessages(1, timeout());
                }
                if (atLeastOnce() && durableChannel != null) {
                    List<Message> confirmed = new ArrayList<>();
                    for (int i = 0; i < during.size(); i++) {
                        if (!during.get(i).isCompletedExceptionally()) {
                            confirmed.add(duringMessages.get(i));
                        }
                    }
                    Recorder durableRec = recs.get("durable subscription");
                    Set<String> ids = confirmed.stream().map(Message::id).collect(Collectors.toSet());
                    Kit.await(timeout(), () -> durableRec.messages().stream().map(d -> d.message().id()).collect(Collectors.toSet()).containsAll(ids),
                            () -> rule + ": on an at-least-once transport every publish confirmed during the outage ("
                                    + confirmed.size() + ") reaches the durable subscription; received " + durableRec.describe());
                }
            }

            private CompletableFuture<Void> publishDuringOutage(String channel, Message m) {
                Duration bound = publishBound();
                long start = System.nanoTime();
                CompletableFuture<Void> stage;
                try {
                    stage = assertTimeoutPreemptively(timeout(), () -> publisher.publisher().publish(channel, m).toCompletableFuture(),
                            () -> rule + ": publish() into an outage must return, not block");
                } catch (SwitchboardException e) {
                    assertTrue(e.isRetryable(), () -> rule + ": publish() into an outage throws a retryable exception, not " + e);
                    stage = CompletableFuture.failedFuture(e);
                }
                long took = (System.nanoTime() - start) / 1_000_000;
                assertTrue(took <= bound.toMillis(), () -> rule + ": a publish() call into the outage took " + took + " ms, over the bound of "
                        + bound.toMillis() + " ms; the caller must be told, not kept waiting");
                return stage;
            }

            private boolean subscribeDuringOutage(String channel, Recorder late) {
                try {
                    assertTimeoutPreemptively(timeout(), () -> subscriber.subscriber().subscribe(channel, late),
                            () -> rule + ": subscribe() during an outage must return or throw, not block");
                    return true;
                } catch (SwitchboardException e) {
                    assertTrue(e.isRetryable(), () -> rule + ": subscribe() during an outage throws a retryable exception, not " + e);
                    return false;
                }
            }

            private void awaitRecovered(String what, int seenBefore) {
                Kit.await(timeout().multipliedBy(3), () -> events.stream().skip(seenBefore).anyMatch(e -> e.type() == ConnectionEvent.Type.RECOVERED),
                        () -> rule + ": RECOVERED after " + what + "; events: " + events);
                List<ConnectionEvent> after = new ArrayList<>(events.subList(seenBefore, events.size()));
                int lost = indexOf(after, ConnectionEvent.Type.LOST);
                int recovered = indexOf(after, ConnectionEvent.Type.RECOVERED);
                assertTrue(lost >= 0 && lost < recovered, () -> rule + ": LOST before RECOVERED after " + what + "; events: " + after);
                assertTrue(after.get(recovered).possibleGap(), () -> rule + ": RECOVERED after " + what + " has possibleGap=true, since a "
                        + "transient subscription was open (on every guarantee); events: " + after);
            }

            private void afterRecovery(String what) {
                List<Message> sent = numbered("after-", 20);
                for (Map.Entry<String, String> e : targets.entrySet()) {
                    publishUntilAccepted(publisher, e.getValue(), sent.get(0));
                    publishAll(publisher, e.getValue(), sent.subList(1, sent.size()));
                    publish(publisher, e.getValue(), Kit.sentinel());
                }
                boolean once = !atLeastOnce();
                for (Map.Entry<String, Recorder> e : recs.entrySet()) {
                    Recorder r = e.getValue();
                    Kit.await(timeout(), () -> r.hasSentinel() && r.texts().containsAll(sent.stream().map(Message::text).collect(Collectors.toList())),
                            () -> rule + ": the " + e.getKey() + " resumed by itself after " + what + " and receives every message published "
                                    + "afterwards; received " + r.describe());
                    List<Delivery> afterDeliveries = r.messages().stream().filter(d -> d.message().text().startsWith("after-"))
                            .collect(Collectors.toList());
                    assertDelivered(afterDeliveries, sent, rule + ": the " + e.getKey() + " after " + what, once);
                    if (once) {
                        long before = r.texts().stream().filter("before"::equals).count();
                        assertEquals(1, before, () -> rule + ": an at-most-once transport delivers nothing twice, but the "
                                + e.getKey() + " got the message from before " + what + " " + before + " times");
                    }
                }
                if (members != null) {
                    List<Message> work = numbered("work-", 10);
                    for (Message m : work) {
                        publishUntilAccepted(publisher, membersChannel, m);
                    }
                    Kit.await(timeout().multipliedBy(2), () -> members.all().stream().filter(d -> d.message().text().startsWith("work-"))
                            .map(d -> d.message().id()).distinct().count() >= work.size(),
                            () -> rule + ": the competing members resumed after " + what + "; " + members.describe());
                    members.assertEachWorked(d -> d.message().text().startsWith("work-"));
                }
            }

            private int indexOf(List<ConnectionEvent> list, ConnectionEvent.Type type) {
                for (int i = 0; i < list.size(); i++) {
                    if (list.get(i).type() == type) {
                        return i;
                    }
                }
                return -1;
            }
        }
    }

    private static void joinAll(List<CompletableFuture<Void>> futures) throws Exception {
        try {
            CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get();
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw e;
        }
    }
}
