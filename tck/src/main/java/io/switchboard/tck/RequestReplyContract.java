package io.switchboard.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.switchboard.Capability;
import io.switchboard.Delivery;
import io.switchboard.Health;
import io.switchboard.Message;
import io.switchboard.MessageHandler;
import io.switchboard.Publisher;
import io.switchboard.RequestTimeoutException;
import io.switchboard.RetryPolicy;
import io.switchboard.SubscriptionOptions;
import io.switchboard.Switchboard;
import io.switchboard.SwitchboardException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

/**
 * The request/reply rules R1 to R11 of {@code tck/CONTRACT.md}: {@code Publisher.request},
 * {@code Delivery.reply} and the {@code sb-reply-to} / {@code sb-correlation-id} headers, over
 * the transport under test. {@link TransportContract} runs them as its "Request/reply" group, so a
 * transport's contract subclass gets them with no code of its own; extend this class directly to
 * run only these. {@link #properties()} must set {@code switchboard.transport}.
 *
 * <p>Request/reply is built by the facade on the SPI (a per-instance reply inbox,
 * {@code Transport.subscribeReplies}, {@code publishReply}), so these rules mostly fail when a
 * transport loses headers, routes a reply to the wrong instance, or overrides the reply methods
 * wrongly. Not thread-safe: JUnit runs one rule at a time per instance.
 */
public abstract class RequestReplyContract extends Contract {
    /** For subclasses; {@link #properties()} must set {@code switchboard.transport}. */
    protected RequestReplyContract() {
        super("switchboard.transport");
    }

    /** The timeout of a request expected to time out: short, yet well above a publish round trip. */
    private Duration shortTimeout() {
        return timeout().dividedBy(20).compareTo(Duration.ofMillis(300)) < 0 ? Duration.ofMillis(300) : timeout().dividedBy(20);
    }

    /** A handler that answers every request with {@code "re:" + text}, keeping the request's headers. */
    private static MessageHandler echo(List<Delivery> seen) {
        return d -> {
            seen.add(d);
            d.reply(Message.builder().text("re:" + d.message().text()).build());
        };
    }

    private static long health(Switchboard sb, String key) {
        Health requests = sb.health().components().get("requests");
        Object v = requests == null ? null : requests.details().get(key);
        return v instanceof Number ? ((Number) v).longValue() : 0;
    }

    /**
     * R1: a request reaches a subscribed handler with its id, payload and content type unchanged
     * and with {@code sb-reply-to} and {@code sb-correlation-id} set ({@code replyTo()} present);
     * the handler's reply comes back to {@code requestAndWait} and to {@code request}'s stage,
     * with its payload and content type, the request's correlation id, and no {@code sb-reply-to}.
     * If this fails, check that the transport carries headers both ways, and that a subscription
     * to the inbox channel ({@code switchboard.reply.<hex>}, or the transport's own reply inbox)
     * receives what is published to its reply address.
     */
    @Test
    @Tag("R1")
    @DisplayName("R1 a request reaches the handler with its reply address, and the reply comes back to the requester")
    void replyArrives() throws Exception {
        Switchboard replier = open();
        Switchboard requester = open();
        String channel = Kit.channelPrefix() + ".Ask";
        List<Delivery> seen = new CopyOnWriteArrayList<>();
        replier.subscriber().subscribe(channel, echo(seen));
        Message request = Message.builder().id("req-" + Kit.token()).text("question ✓").build();
        Message reply = requester.publisher().requestAndWait(channel, request, timeout());
        assertEquals("re:question ✓", reply.text(), "reply payload");
        assertEquals(Message.TEXT, reply.contentType(), "reply content type");
        assertEquals(1, seen.size(), "the handler saw the request once");
        Message got = seen.get(0).message();
        assertEquals(request.id(), got.id(), "request id");
        assertEquals("question ✓", got.text(), "request payload");
        assertEquals(channel, got.channel(), "request channel");
        String replyTo = got.header(Publisher.REPLY_TO_HEADER);
        String correlation = got.header(Publisher.CORRELATION_ID_HEADER);
        assertNotNull(replyTo, "the request carries " + Publisher.REPLY_TO_HEADER);
        assertNotNull(correlation, "the request carries " + Publisher.CORRELATION_ID_HEADER);
        assertEquals(Optional.of(replyTo), seen.get(0).replyTo(), "Delivery.replyTo()");
        assertEquals(correlation, reply.header(Publisher.CORRELATION_ID_HEADER), "the reply carries the request's correlation id");
        assertNull(reply.header(Publisher.REPLY_TO_HEADER), "a reply carries no reply address");

        Message second = requester.publisher().request(channel, Message.ofText("again"), timeout()).toCompletableFuture()
                .get(timeout().toMillis() * 2, TimeUnit.MILLISECONDS);
        assertEquals("re:again", second.text(), "reply through request()'s stage");
        assertEquals(replyTo, seen.get(1).message().header(Publisher.REPLY_TO_HEADER), "one inbox per instance: the same reply address");
        assertFalse(correlation.equals(seen.get(1).message().header(Publisher.CORRELATION_ID_HEADER)), "a new correlation id per request");
    }

    /**
     * R2: 200 requests in flight at once, from four threads of one instance, answered by a
     * handler running eight at once (so replies come back out of order), each complete with the
     * reply to that request and no other. If this fails, check that the transport keeps headers
     * per message under concurrent publishing, and delivers every message of the inbox.
     */
    @Test
    @Tag("R2")
    @DisplayName("R2 matches each reply to its request, with 200 requests in flight from four threads")
    void correlatesUnderConcurrency() throws Exception {
        Switchboard replier = open();
        Switchboard requester = open();
        String channel = Kit.channelPrefix() + ".Many";
        replier.subscriber().subscribe(channel, SubscriptionOptions.defaults().concurrency(8),
                d -> d.reply(Message.ofText("re:" + d.message().text())));
        Map<String, CompletableFuture<Message>> calls = new ConcurrentHashMap<>();
        List<CompletableFuture<Void>> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            threads.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 50; i++) {
                    String text = "t" + thread + "-" + i;
                    calls.put(text, requester.publisher().request(channel, Message.ofText(text), timeout()).toCompletableFuture());
                }
            }));
        }
        CompletableFuture.allOf(threads.toArray(new CompletableFuture<?>[0])).get(timeout().toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(200, calls.size(), "requests sent");
        for (Map.Entry<String, CompletableFuture<Message>> e : calls.entrySet()) {
            Message reply = e.getValue().get(timeout().toMillis() * 2, TimeUnit.MILLISECONDS);
            assertEquals("re:" + e.getKey(), reply.text(), "the reply to request '" + e.getKey() + "'");
        }
        assertEquals(0, health(requester, "unknownReplies"), "replies that matched no request");
    }

    /**
     * R3: a request nobody answers fails with {@code RequestTimeoutException} once its timeout
     * has passed, and not long after (within a tenth of {@code timeout()} more); the message
     * names the channel and the timeout. {@code requestAndWait} throws it within the same bound;
     * a timeout that is not positive is refused. If this fails, check that the transport does
     * not hold up the facade's timer thread, and that a publish to a channel without subscribers
     * completes normally.
     */
    @Test
    @Tag("R3")
    @DisplayName("R3 a request nobody answers fails after its timeout, not long after, naming the channel and the timeout")
    void timesOut() throws Exception {
        Switchboard requester = open();
        String channel = Kit.channelPrefix() + ".Nobody";
        Duration t = shortTimeout();
        Duration slack = timeout().dividedBy(10);
        long start = System.nanoTime();
        CompletableFuture<Message> f = requester.publisher().request(channel, Message.ofText("hello?"), t).toCompletableFuture();
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(t.plus(slack).toMillis() + 1000, TimeUnit.MILLISECONDS));
        long took = System.nanoTime() - start;
        RequestTimeoutException rte = assertInstanceOf(RequestTimeoutException.class, e.getCause(), "the stage's failure");
        assertTrue(took >= t.toNanos(), "failed after " + took / 1_000_000 + " ms, before its timeout of " + t.toMillis() + " ms");
        assertTrue(took <= t.plus(slack).toNanos(), "failed after " + took / 1_000_000 + " ms, over its timeout of " + t.toMillis()
                + " ms plus " + slack.toMillis() + " ms");
        assertTrue(rte.getMessage().contains(channel), () -> "message names the channel: " + rte.getMessage());
        assertTrue(rte.getMessage().contains(t.toString()), () -> "message names the timeout " + t + ": " + rte.getMessage());
        assertEquals(channel, rte.channel(), "channel()");
        assertEquals(t, rte.timeout(), "timeout()");
        assertTrue(rte.isRetryable(), "a timeout is retryable");

        long start2 = System.nanoTime();
        RequestTimeoutException blocking = assertThrows(RequestTimeoutException.class,
                () -> requester.publisher().requestAndWait(channel, Message.ofText("hello?"), t));
        long took2 = System.nanoTime() - start2;
        assertTrue(took2 >= t.toNanos() && took2 <= t.plus(slack).toNanos(), "requestAndWait took " + took2 / 1_000_000
                + " ms with a timeout of " + t.toMillis() + " ms");
        assertTrue(blocking.getMessage().contains(channel), blocking.getMessage());
        assertThrows(IllegalArgumentException.class, () -> requester.publisher().request(channel, Message.ofText("x"), Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> requester.publisher().request(channel, Message.ofText("x"), Duration.ofMillis(-1)));
    }

    /**
     * R4: a reply that comes after its request timed out is dropped and counted
     * ({@code health()} component {@code requests}, {@code lateReplies}); it completes nothing,
     * and the next request gets its own reply. If this fails, check that the transport delivers
     * the inbox's messages to the facade's listener (the count is the facade's).
     */
    @Test
    @Tag("R4")
    @DisplayName("R4 a reply after the timeout is dropped and counted, and the next request gets its own reply")
    void lateReplyIsDropped() throws Exception {
        Switchboard replier = open();
        Switchboard requester = open();
        String channel = Kit.channelPrefix() + ".Slow";
        CountDownLatch timedOut = new CountDownLatch(1);
        AtomicInteger handled = new AtomicInteger();
        replier.subscriber().subscribe(channel, d -> {
            if (handled.incrementAndGet() == 1 && !timedOut.await(timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                fail("the request did not time out");
            }
            d.reply(Message.ofText("re:" + d.message().text()));
        });
        CompletableFuture<Message> late = requester.publisher().request(channel, Message.ofText("first"), shortTimeout()).toCompletableFuture();
        ExecutionException e = assertThrows(ExecutionException.class, () -> late.get(timeout().toMillis(), TimeUnit.MILLISECONDS));
        assertInstanceOf(RequestTimeoutException.class, e.getCause());
        timedOut.countDown();
        await(() -> health(requester, "lateReplies") == 1, () -> "the late reply was not counted: " + requester.health().components().get("requests"));
        Message next = requester.publisher().requestAndWait(channel, Message.ofText("second"), timeout());
        assertEquals("re:second", next.text(), "the next request's reply is its own, not the late one");
        assertEquals(1, health(requester, "lateReplies"), "late replies");
        assertEquals(0, health(requester, "unknownReplies"), "unknown replies");
    }

    /**
     * R5: replying to a message that was published rather than requested fails at once with
     * {@code IllegalStateException} naming the message and the missing {@code sb-reply-to}
     * header; {@code replyTo()} is empty. If this fails, check that the transport does not add a
     * {@code sb-reply-to} header of its own.
     */
    @Test
    @Tag("R5")
    @DisplayName("R5 replying to a message without a reply address fails clearly, naming the message")
    void replyWithoutReplyToFails() {
        Switchboard sb = open();
        String channel = Kit.channelPrefix() + ".Plain";
        List<Object> outcome = new CopyOnWriteArrayList<>();
        sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().retry(RetryPolicy.none()), d -> {
            outcome.add(d.replyTo());
            try {
                d.reply(Message.ofText("nobody asked"));
                outcome.add("reply() returned");
            } catch (RuntimeException e) {
                outcome.add(e);
            }
        });
        Message m = Message.builder().id("plain-" + Kit.token()).text("news").build();
        sb.publisher().publishAndWait(channel, m, timeout());
        await(() -> outcome.size() == 2, () -> "handler outcome: " + outcome);
        assertEquals(Optional.empty(), outcome.get(0), "replyTo() of a published message");
        IllegalStateException e = assertInstanceOf(IllegalStateException.class, outcome.get(1), "what reply() did");
        assertTrue(e.getMessage().contains(m.id()) && e.getMessage().contains(Publisher.REPLY_TO_HEADER), e.getMessage());
    }

    /**
     * R6: two instances requesting on one channel at once, answered by a third, each get only
     * the replies to their own requests; neither inbox sees a reply meant for the other. If this
     * fails, check that a subscription to one instance's inbox does not receive what another
     * instance's inbox is sent (exact channels, not prefixes), and that the transport's reply
     * address names one instance.
     */
    @Test
    @Tag("R6")
    @DisplayName("R6 two requesting instances each get only their own replies")
    void noCrossTalk() throws Exception {
        Switchboard replier = open();
        Switchboard a = open();
        Switchboard b = open();
        String channel = Kit.channelPrefix() + ".Shared";
        Set<String> addresses = ConcurrentHashMap.newKeySet();
        replier.subscriber().subscribe(channel, SubscriptionOptions.defaults().concurrency(4), d -> {
            addresses.add(d.replyTo().orElse("none"));
            d.reply(Message.ofText("re:" + d.message().text()));
        });
        List<CompletableFuture<Message>> fromA = new ArrayList<>();
        List<CompletableFuture<Message>> fromB = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            fromA.add(a.publisher().request(channel, Message.ofText("a" + i), timeout()).toCompletableFuture());
            fromB.add(b.publisher().request(channel, Message.ofText("b" + i), timeout()).toCompletableFuture());
        }
        for (int i = 0; i < 50; i++) {
            assertEquals("re:a" + i, fromA.get(i).get(timeout().toMillis() * 2, TimeUnit.MILLISECONDS).text(), "A's reply " + i);
            assertEquals("re:b" + i, fromB.get(i).get(timeout().toMillis() * 2, TimeUnit.MILLISECONDS).text(), "B's reply " + i);
        }
        assertEquals(2, addresses.size(), "one reply address per requesting instance: " + addresses);
        assertEquals(0, health(a, "unknownReplies") + health(a, "lateReplies"), "A's inbox saw replies that were not A's");
        assertEquals(0, health(b, "unknownReplies") + health(b, "lateReplies"), "B's inbox saw replies that were not B's");
    }

    /**
     * R7: closing a Switchboard fails its pending requests at once (within a fifth of
     * {@code timeout()}), with a {@code SwitchboardException} naming the channel, not a timeout;
     * afterwards {@code request} throws {@code IllegalStateException}. If this fails, check that
     * the transport's close of the inbox subscription does not block.
     */
    @Test
    @Tag("R7")
    @DisplayName("R7 closing the requester fails its pending requests at once, not at their timeout")
    void closeFailsPendingRequests() throws Exception {
        Switchboard replier = open();
        Switchboard requester = open();
        String channel = Kit.channelPrefix() + ".Never";
        Kit.Recorder silent = new Kit.Recorder("silent handler");
        replier.subscriber().subscribe(channel, silent);
        CompletableFuture<Message> pending = requester.publisher().request(channel, Message.ofText("wait"), timeout().multipliedBy(3))
                .toCompletableFuture();
        silent.awaitMessages(1, timeout());
        Duration bound = timeout().dividedBy(5);
        long start = System.nanoTime();
        requester.close(bound);
        ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(bound.toMillis(), TimeUnit.MILLISECONDS),
                "the pending request must fail within " + bound + " of close");
        long took = System.nanoTime() - start;
        assertTrue(took <= bound.toNanos() * 2, "close and the failure took " + took / 1_000_000 + " ms");
        assertInstanceOf(SwitchboardException.class, e.getCause());
        assertFalse(e.getCause() instanceof RequestTimeoutException, "a close is not a timeout: " + e.getCause());
        assertTrue(e.getCause().getMessage().contains(channel), e.getCause().getMessage());
        assertThrows(IllegalStateException.class, () -> requester.publisher().request(channel, Message.ofText("x"), timeout()));
    }

    /**
     * R8: headers travel both ways: the request's own headers (mixed-case names, an empty value,
     * non-ASCII) reach the handler, and the reply's headers and content type reach the
     * requester. If this fails, check the transport's header encoding (rule T1).
     */
    @Test
    @Tag("R8")
    @DisplayName("R8 keeps the request's and the reply's headers and content types")
    void keepsHeaders() {
        Switchboard replier = open();
        Switchboard requester = open();
        String channel = Kit.channelPrefix() + ".Headers";
        Map<String, String> requestHeaders = new LinkedHashMap<>();
        requestHeaders.put("Tenant-ID", "acme ✓");
        requestHeaders.put("tenant-id", "lower");
        requestHeaders.put("x-empty", "");
        List<Delivery> seen = new CopyOnWriteArrayList<>();
        replier.subscriber().subscribe(channel, d -> {
            seen.add(d);
            d.reply(Message.builder().json(Map.of("ok", true)).header("Reply-Kind", "Done ✓").header("x-empty", "")
                    .header("tenant-id", d.message().header("Tenant-ID")).build());
        });
        Message request = Message.builder().json(Map.of("n", 1)).headers(requestHeaders).build();
        Message reply = requester.publisher().requestAndWait(channel, request, timeout());
        Map<String, String> got = new LinkedHashMap<>(seen.get(0).message().headers());
        got.remove(Publisher.REPLY_TO_HEADER);
        got.remove(Publisher.CORRELATION_ID_HEADER);
        assertEquals(requestHeaders, got, "the request's headers, besides the two request headers");
        assertEquals(Message.JSON, seen.get(0).message().contentType(), "request content type");
        assertEquals(Message.JSON, reply.contentType(), "reply content type");
        assertEquals("{\"ok\":true}", reply.text(), "reply payload");
        Map<String, String> replyHeaders = new LinkedHashMap<>(reply.headers());
        replyHeaders.remove(Publisher.CORRELATION_ID_HEADER);
        assertEquals(Map.of("Reply-Kind", "Done ✓", "x-empty", "", "tenant-id", "acme ✓"), replyHeaders, "the reply's headers");
    }

    /**
     * R9, for each of durable subscriptions, competing consumers and pattern subscriptions the
     * transport declares: a handler on such a subscription answers requests, each exactly once
     * (two members of one durable subscription share them). If this fails, check that the
     * transport keeps headers on durable and pattern deliveries.
     */
    @TestFactory
    @Tag("R9")
    @DisplayName("R9 works with the subscription kinds the transport declares")
    Stream<DynamicTest> worksWithDeclaredSubscriptionKinds() {
        Set<Capability> declared;
        try (Switchboard sb = Kit.open(settings(Map.of()))) {
            declared = new HashSet<>(sb.capabilities().asSet());
        }
        List<DynamicTest> rules = new ArrayList<>();
        if (declared.contains(Capability.DURABLE_SUBSCRIPTIONS)) {
            rules.add(rule("R9 a handler on a durable subscription answers requests", () -> durableReplier(false)));
        }
        if (declared.contains(Capability.DURABLE_SUBSCRIPTIONS) && declared.contains(Capability.COMPETING_CONSUMERS)) {
            rules.add(rule("R9 two competing members of a durable subscription answer each request once", () -> durableReplier(true)));
        }
        if (declared.contains(Capability.PATTERN_SUBSCRIPTIONS)) {
            rules.add(rule("R9 a handler on a pattern subscription answers requests on the concrete channel", this::patternReplier));
        }
        if (rules.isEmpty()) {
            rules.add(rule("R9 (no durable, competing or pattern subscriptions declared: nothing to check)", () -> { }));
        }
        return rules.stream();
    }

    private DynamicTest rule(String name, Executable body) {
        return DynamicTest.dynamicTest(name, () -> {
            try {
                body.execute();
            } finally {
                cleanUp();
            }
        });
    }

    private void durableReplier(boolean competing) throws Exception {
        String name = Kit.durableName("reply");
        afterRule(() -> {
            try (Switchboard sb = Kit.open(settings(Map.of()))) {
                sb.subscriber().deleteDurable(name);
            } catch (RuntimeException e) {
                // The rule's own outcome matters more than tidying up after it.
            }
        });
        String channel = Kit.channelPrefix() + ".Durable";
        Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
        Switchboard m1 = open();
        m1.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), d -> {
            handled.computeIfAbsent(d.message().text(), k -> new AtomicInteger()).incrementAndGet();
            d.reply(Message.ofText("m1:" + d.message().text()));
        });
        if (competing) {
            Switchboard m2 = open();
            m2.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), d -> {
                handled.computeIfAbsent(d.message().text(), k -> new AtomicInteger()).incrementAndGet();
                d.reply(Message.ofText("m2:" + d.message().text()));
            });
        }
        Switchboard requester = open();
        List<CompletableFuture<Message>> calls = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            calls.add(requester.publisher().request(channel, Message.ofText("q" + i), timeout()).toCompletableFuture());
        }
        for (int i = 0; i < 40; i++) {
            String text = calls.get(i).get(timeout().toMillis() * 2, TimeUnit.MILLISECONDS).text();
            assertTrue(text.equals("m1:q" + i) || competing && text.equals("m2:q" + i), "reply " + i + ": " + text);
        }
        assertEquals(40, handled.size(), "requests handled");
        assertEquals(List.of(), handled.entrySet().stream().filter(e -> e.getValue().get() != 1).map(Map.Entry::getKey)
                .collect(Collectors.toList()), "requests handled more than once");
    }

    private void patternReplier() {
        Switchboard replier = open();
        Switchboard requester = open();
        String prefix = Kit.channelPrefix();
        replier.subscriber().subscribe(prefix + ".*", d -> d.reply(Message.ofText(d.channel())));
        assertEquals(prefix + ".Left", requester.publisher().requestAndWait(prefix + ".Left", Message.ofText("?"), timeout()).text());
        assertEquals(prefix + ".Right", requester.publisher().requestAndWait(prefix + ".Right", Message.ofText("?"), timeout()).text());
    }

    /**
     * R10: a handler that replies and then fails is retried as its retry policy says; the
     * requester gets the first reply, and the second one, to a request already answered, is
     * dropped and counted as late. If this fails, check that the transport's retry keeps the
     * message's headers (the retried delivery must still carry {@code sb-reply-to} and
     * {@code sb-correlation-id}).
     */
    @Test
    @Tag("R10")
    @DisplayName("R10 a handler that replies and then fails is retried, and its second reply is dropped as late")
    void replyThenFailure() throws Exception {
        Switchboard replier = open();
        Switchboard requester = open();
        String channel = Kit.channelPrefix() + ".Flaky";
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        replier.subscriber().subscribe(channel, SubscriptionOptions.defaults().retry(RetryPolicy.fixed(2, Duration.ofMillis(50))), d -> {
            attempts.add(d.attempt());
            d.reply(Message.ofText("attempt " + d.attempt()));
            if (d.attempt() == 1) {
                throw new IllegalStateException("tck-deliberate-failure after replying");
            }
        });
        Message reply = requester.publisher().requestAndWait(channel, Message.ofText("job"), timeout());
        assertEquals("attempt 1", reply.text(), "the first reply wins");
        await(() -> attempts.size() == 2, () -> "attempts: " + attempts);
        assertEquals(List.of(1, 2), attempts, "attempts");
        await(() -> health(requester, "lateReplies") == 1, () -> "the second reply was not counted as late: "
                + requester.health().components().get("requests"));
    }

    /**
     * R11 (needs {@code cutConnections()}): after the connections of both instances are cut, the
     * reply inbox and the handler's subscription resume by themselves, and a request made after
     * the recovery gets its reply (requests in between may time out or fail retryably). If this
     * fails, check that the transport re-establishes the inbox as it does every subscription
     * ({@code subscribeReplies} overrides included) and keeps its reply address.
     */
    @Test
    @Tag("R11")
    @Tag("faults")
    @DisplayName("R11 requests get replies again after connections are cut, without subscribing anew")
    void resumesAfterConnectionsAreCut() throws Exception {
        requireHook("R11", Faults.Hook.CUT_CONNECTIONS);
        Switchboard replier = open();
        Switchboard requester = open();
        String channel = Kit.channelPrefix() + ".Cut";
        replier.subscriber().subscribe(channel, d -> d.reply(Message.ofText("re:" + d.message().text())));
        assertEquals("re:before", requester.publisher().requestAndWait(channel, Message.ofText("before"), timeout()).text());
        faults().cutConnections();
        long deadline = System.nanoTime() + timeout().multipliedBy(3).toNanos();
        Duration each = timeout().dividedBy(5);
        SwitchboardException last = null;
        for (int i = 0; System.nanoTime() - deadline < 0; i++) {
            try {
                Message reply = requester.publisher().requestAndWait(channel, Message.ofText("after" + i), each);
                assertEquals("re:after" + i, reply.text(), "the reply to the request after the cut");
                return;
            } catch (SwitchboardException e) {
                if (!e.isRetryable()) {
                    throw e;
                }
                last = e;
            }
        }
        fail("no request got its reply within " + timeout().multipliedBy(3) + " after the cut; last failure: " + last, last);
    }
}
