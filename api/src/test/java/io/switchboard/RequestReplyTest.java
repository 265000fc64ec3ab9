package io.switchboard;

import static io.switchboard.testing.Await.await;
import static io.switchboard.testing.Await.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the facade adds to request/reply beyond the kit's rules R1 to R10: the lazy inbox and its
 * health, interceptors on both legs, the threads stages complete on, the acknowledgement waiting
 * for the reply, and argument checks.
 */
class RequestReplyTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private String broker;
    private final List<Switchboard> open = new ArrayList<>();

    @BeforeEach
    void newBroker() {
        broker = unique("rr");
    }

    @AfterEach
    void closeAll() {
        open.forEach(sb -> sb.close(Duration.ofSeconds(5)));
    }

    private Switchboard open(Interceptor... interceptors) {
        Switchboard.Builder b = Switchboard.builder().property("switchboard.transport", "memory").property("switchboard.memory.broker", broker);
        for (Interceptor i : interceptors) {
            b.interceptor(i);
        }
        Switchboard sb = b.open();
        open.add(sb);
        return sb;
    }

    @Test
    void subscribesTheInboxAtTheFirstRequestAndReportsItInHealth() {
        Switchboard replier = open();
        Switchboard requester = open();
        replier.subscriber().subscribe("rr.echo", d -> d.reply(Message.ofText(d.message().text())));
        assertNull(requester.health().components().get("requests"), "no requests component before the first request");
        requester.publisher().requestAndWait("rr.echo", Message.ofText("x"), WAIT);
        Health h = requester.health().components().get("requests");
        assertTrue(String.valueOf(h.details().get("inbox")).matches("switchboard\\.reply\\.[0-9a-f]{32}"), h.toString());
        assertEquals(1L, h.details().get("sent"));
        assertEquals(1L, h.details().get("replied"));
        assertEquals(0, h.details().get("pending"));
        assertEquals(1L, replier.health().components().get("requests").details().get("repliesSent"));
    }

    @Test
    void interceptorsSeeTheRequestAndTheReply() {
        List<String> seen = new CopyOnWriteArrayList<>();
        Interceptor recording = new Interceptor() {
            @Override
            public CompletionStage<Void> aroundPublish(PublishCall call) {
                seen.add(call.channel() + " " + (call.message().header(Publisher.REPLY_TO_HEADER) != null ? "request" : "reply")
                        + " " + (call.message().header(Publisher.CORRELATION_ID_HEADER) != null));
                return call.proceed(call.message().toBuilder().header("traced", "yes").build());
            }
        };
        Switchboard replier = open(recording);
        Switchboard requester = open(recording);
        List<String> requestHeader = new CopyOnWriteArrayList<>();
        replier.subscriber().subscribe("rr.traced", d -> {
            requestHeader.add(d.message().header("traced"));
            d.reply(Message.ofText("ok"));
        });
        Message reply = requester.publisher().requestAndWait("rr.traced", Message.ofText("x"), WAIT);
        assertEquals("yes", reply.header("traced"), "an interceptor's header on the reply");
        assertEquals(List.of("yes"), requestHeader, "an interceptor's header on the request");
        assertEquals(2, seen.size(), seen.toString());
        assertEquals("rr.traced request true", seen.get(0));
        assertTrue(seen.get(1).matches("switchboard\\.reply\\.[0-9a-f]{32} reply true"), seen.get(1));
    }

    @Test
    void completesStagesOnSwitchboardThreads() throws Exception {
        Switchboard replier = open();
        Switchboard requester = open();
        // The reply waits until the dependent stage is attached: one attached to a stage already
        // complete runs on the attaching thread, whoever completed it (CompletableFuture's rule).
        java.util.concurrent.CountDownLatch attached = new java.util.concurrent.CountDownLatch(1);
        replier.subscriber().subscribe("rr.thread", d -> {
            attached.await(5, TimeUnit.SECONDS);
            d.reply(Message.ofText("ok"));
        });
        CompletableFuture<String> threadOf = requester.publisher().request("rr.thread", Message.ofText("x"), WAIT)
                .thenApply(m -> Thread.currentThread().getName()).toCompletableFuture();
        attached.countDown();
        String thread = threadOf.get(5, TimeUnit.SECONDS);
        assertTrue(thread.contains("-handler-"), thread);
        String timedOut = requester.publisher().request("rr.nobody", Message.ofText("x"), Duration.ofMillis(500))
                .handle((m, e) -> Thread.currentThread().getName()).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertTrue(timedOut.contains("-handler-"), timedOut);
    }

    @Test
    void atLeastOnceRetriesTheRequestWhenItsReplyIsNotAccepted() {
        AtomicInteger replies = new AtomicInteger();
        Interceptor failFirstReply = new Interceptor() {
            @Override
            public CompletionStage<Void> aroundPublish(PublishCall call) {
                if (call.channel().startsWith("switchboard.reply.") && replies.incrementAndGet() == 1) {
                    return CompletableFuture.failedFuture(new PublishException(call.channel(), call.message().id(), "refused", null, true));
                }
                return call.proceed(call.message());
            }
        };
        Switchboard replier = open(failFirstReply);
        Switchboard requester = open();
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        replier.subscriber().subscribe("rr.confirm", SubscriptionOptions.defaults().retry(RetryPolicy.fixed(3, Duration.ofMillis(10))), d -> {
            attempts.add(d.attempt());
            d.reply(Message.ofText("attempt " + d.attempt()));
        });
        Message reply = requester.publisher().requestAndWait("rr.confirm", Message.ofText("job"), WAIT);
        assertEquals("attempt 2", reply.text(), "the reply whose publish was accepted");
        assertEquals(List.of(1, 2), attempts, "the failed reply failed the handling, so the request was retried");
    }

    @Test
    void refusesAReplyAddressThatIsNotAChannelNamingIt() {
        Switchboard sb = open();
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        sb.subscriber().subscribe("rr.forged", SubscriptionOptions.defaults().retry(RetryPolicy.none()), d -> {
            try {
                d.reply(Message.ofText("x"));
                outcome.complete(null);
            } catch (RuntimeException e) {
                outcome.complete(e);
            }
        });
        Message m = Message.builder().id("forged-1").text("x").header(Publisher.REPLY_TO_HEADER, "not a channel!").build();
        sb.publisher().publishAndWait("rr.forged", m, WAIT);
        Throwable e = outcome.join();
        IllegalArgumentException iae = assertInstanceOf(IllegalArgumentException.class, e);
        assertTrue(iae.getMessage().contains("forged-1") && iae.getMessage().contains("not a channel!")
                && iae.getMessage().contains(Publisher.REPLY_TO_HEADER), iae.getMessage());
    }

    @Test
    void checksArguments() {
        Switchboard sb = open();
        Publisher p = sb.publisher();
        assertThrows(NullPointerException.class, () -> p.request("rr.a", null, WAIT));
        assertThrows(NullPointerException.class, () -> p.request("rr.a", Message.ofText("x"), null));
        assertThrows(NullPointerException.class, () -> p.request(null, Message.ofText("x"), WAIT));
        IllegalArgumentException pattern = assertThrows(IllegalArgumentException.class, () -> p.request("rr.*", Message.ofText("x"), WAIT));
        assertTrue(pattern.getMessage().contains("rr.*"), pattern.getMessage());
        assertThrows(IllegalArgumentException.class, () -> p.requestAndWait("rr.a", Message.ofText("x"), Duration.ZERO));
        assertNull(sb.health().components().get("requests"), "a refused request subscribes no inbox");
    }

    @Test
    void theFirstReplyWinsAndASecondIsCountedLate() {
        Switchboard replier = open();
        Switchboard requester = open();
        replier.subscriber().subscribe("rr.twice", d -> {
            d.reply(Message.ofText("one"));
            d.reply(Message.ofText("two"));
        });
        assertEquals("one", requester.publisher().requestAndWait("rr.twice", Message.ofText("x"), WAIT).text());
        await(WAIT, () -> Long.valueOf(1).equals(requester.health().components().get("requests").details().get("lateReplies")),
                "the second reply counted late: " + requester.health());
    }
}
