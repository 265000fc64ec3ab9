package io.switchboard;

import static io.switchboard.testing.Await.await;
import static io.switchboard.testing.Await.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.Interceptor.CacheOperation;
import io.switchboard.Interceptor.CacheOperation.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** The interceptor SPI over the in-memory transport: what each hook sees, when, and what its failures do. */
class InterceptorTest {
    private String broker;
    private final List<Switchboard> open = new ArrayList<>();

    @BeforeEach
    void newBroker() {
        broker = unique("intercept");
    }

    @AfterEach
    void closeAll() {
        open.forEach(sb -> sb.close(Duration.ofSeconds(5)));
    }

    private Switchboard open(Consumer<Switchboard.Builder> setup, Interceptor... interceptors) {
        Switchboard.Builder b = Switchboard.builder().property("switchboard.transport", "memory")
                .property("switchboard.memory.broker", broker);
        for (Interceptor i : interceptors) {
            b.interceptor(i);
        }
        setup.accept(b);
        Switchboard sb = b.open();
        open.add(sb);
        return sb;
    }

    private Switchboard open(Interceptor... interceptors) {
        return open(b -> { }, interceptors);
    }

    /** Records what it is told, as one line per event. */
    static class Recorder implements Interceptor {
        final String name;
        final List<String> events = new CopyOnWriteArrayList<>();
        final List<Throwable> publishOutcomes = new CopyOnWriteArrayList<>();
        final List<Long> publishNanos = new CopyOnWriteArrayList<>();
        final List<CacheOperation> cacheOps = new CopyOnWriteArrayList<>();
        final List<DropEvent> drops = new CopyOnWriteArrayList<>();
        final List<NearCache<?>> nearCaches = new CopyOnWriteArrayList<>();
        volatile Switchboard opened;

        Recorder(String name) {
            this.name = name;
        }

        @Override
        public void onOpen(Switchboard switchboard) {
            opened = switchboard;
            events.add("open " + switchboard.transportName() + " " + switchboard.cacheName());
        }

        @Override
        public CompletionStage<Void> aroundPublish(PublishCall call) {
            events.add(name + ">publish " + call.channel());
            long start = System.nanoTime();
            CompletionStage<Void> stage;
            try {
                stage = call.proceed(call.message());
            } catch (RuntimeException e) {
                publishNanos.add(System.nanoTime() - start);
                publishOutcomes.add(e);
                throw e;
            }
            stage.whenComplete((v, e) -> {
                publishNanos.add(System.nanoTime() - start);
                publishOutcomes.add(e == null ? new Throwable("ok") : e);
            });
            events.add(name + "<publish");
            return stage;
        }

        @Override
        public void aroundHandler(HandlerCall call) throws Exception {
            Delivery d = call.delivery();
            events.add(name + ">handle attempt=" + d.attempt() + " redelivered=" + d.redelivered());
            try {
                call.proceed();
            } finally {
                events.add(name + "<handle");
            }
        }

        @Override
        public void onRetry(Delivery delivery, Throwable failure) {
            events.add("retry attempt=" + delivery.attempt() + " " + failure.getMessage());
        }

        @Override
        public void onDeadLetter(Delivery delivery, Throwable failure) {
            events.add("dead-letter attempt=" + delivery.attempt() + " to " + delivery.subscription().options().deadLetterChannel());
        }

        @Override
        public void onDrop(DropEvent event) {
            drops.add(event);
        }

        @Override
        public void onConnectionEvent(ConnectionEvent event) {
            events.add("connection " + event.type() + " " + event.component());
        }

        @Override
        public void onCacheOperation(CacheOperation operation) {
            cacheOps.add(operation);
        }

        @Override
        public void onNearCacheOpened(NearCache<?> nearCache) {
            nearCaches.add(nearCache);
        }

        List<String> only(String prefix) {
            List<String> out = new ArrayList<>();
            for (String e : events) {
                if (e.startsWith(prefix)) {
                    out.add(e);
                }
            }
            return out;
        }
    }

    @Test
    void headersAddedOnPublishReachTheHandlerOfAnotherInstance() throws Exception {
        Interceptor stamp = new Interceptor() {
            @Override
            public CompletionStage<Void> aroundPublish(PublishCall call) {
                return call.proceed(call.message().toBuilder().header("x-stamp", "from-a").build());
            }
        };
        Switchboard a = open(stamp);
        Switchboard b = open();
        AtomicReference<Message> got = new AtomicReference<>();
        CountDownLatch seen = new CountDownLatch(1);
        b.subscriber().subscribe("orders.created", d -> {
            got.set(d.message());
            seen.countDown();
        });
        Message sent = Message.builder().text("42").header("x-own", "1").build();
        a.publisher().publishAndWait("orders.created", sent, Duration.ofSeconds(5));
        assertTrue(seen.await(10, TimeUnit.SECONDS), "delivered");
        assertEquals("from-a", got.get().header("x-stamp"));
        assertEquals("1", got.get().header("x-own"), "the caller's headers are kept");
        assertEquals(sent.id(), got.get().id(), "same message id");
        assertEquals("orders.created", got.get().channel());
        assertNull(sent.header("x-stamp"), "the caller's message is not changed");
    }

    private static Interceptor nesting(String name, List<String> log) {
        return new Interceptor() {
            @Override
            public CompletionStage<Void> aroundPublish(PublishCall call) {
                log.add(name + ">publish");
                try {
                    return call.proceed(call.message());
                } finally {
                    log.add(name + "<publish");
                }
            }

            @Override
            public void aroundHandler(HandlerCall call) throws Exception {
                log.add(name + ">handle");
                try {
                    call.proceed();
                } finally {
                    log.add(name + "<handle");
                }
            }
        };
    }

    @Test
    void interceptorsNestInRegistrationOrderAroundPublishAndHandler() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        Switchboard sb = open(nesting("outer", log), nesting("inner", log));
        sb.subscriber().subscribe("nest", d -> log.add("handler"));
        sb.publisher().publishText("nest", "x").toCompletableFuture().get(5, TimeUnit.SECONDS);
        await(() -> log.contains("outer<handle"), "the handler chain finished");
        List<String> publish = new ArrayList<>();
        List<String> handle = new ArrayList<>();
        for (String e : log) {
            (e.contains("publish") ? publish : handle).add(e);
        }
        assertEquals(List.of("outer>publish", "inner>publish", "inner<publish", "outer<publish"), publish);
        assertEquals(List.of("outer>handle", "inner>handle", "handler", "inner<handle", "outer<handle"), handle);
    }

    @Test
    void innerInterceptorRunsInsideTheOuterOnTheHandlerThread() throws Exception {
        ThreadLocal<String> context = new ThreadLocal<>();
        List<String> seen = new CopyOnWriteArrayList<>();
        Interceptor outer = new Interceptor() {
            @Override
            public void aroundHandler(HandlerCall call) throws Exception {
                context.set("outer");
                try {
                    call.proceed();
                } finally {
                    context.remove();
                }
            }
        };
        Interceptor inner = new Interceptor() {
            @Override
            public void aroundHandler(HandlerCall call) throws Exception {
                seen.add("inner sees " + context.get());
                call.proceed();
            }
        };
        Switchboard sb = open(outer, inner);
        CountDownLatch done = new CountDownLatch(1);
        sb.subscriber().subscribe("ctx", d -> {
            seen.add("handler sees " + context.get());
            done.countDown();
        });
        sb.publisher().publishText("ctx", "x");
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertEquals(List.of("inner sees outer", "handler sees outer"), seen);
    }

    @Test
    void publishOutcomeAndLatencyAreObservedAndTheCallerSeesTheTransportsOwnFailure() throws Exception {
        Recorder rec = new Recorder("r");
        Switchboard sb = open(b -> b.property("switchboard.memory.queue-capacity", "1").property("switchboard.subscriber.prefetch", "1"),
                rec);
        CountDownLatch release = new CountDownLatch(1);
        try {
            sb.subscriber().subscribe("slow", d -> release.await(10, TimeUnit.SECONDS));
            sb.publisher().publishText("slow", "first").toCompletableFuture().get(5, TimeUnit.SECONDS);
            Throwable callerSaw = null;
            for (int i = 0; i < 10 && callerSaw == null; i++) {
                try {
                    callerSaw = sb.publisher().publishText("slow", "more " + i).toCompletableFuture()
                            .handle((v, e) -> e).get(5, TimeUnit.SECONDS);
                } catch (PublishException e) {
                    callerSaw = e;
                }
            }
            assertInstanceOf(PublishException.class, callerSaw, "a full in-memory queue fails the publish: " + callerSaw);
            Throwable seen = callerSaw;
            await(() -> rec.publishOutcomes.contains(seen), "the interceptor saw the same failure");
            assertEquals("ok", rec.publishOutcomes.get(0).getMessage(), "the first publish succeeded");
            assertTrue(rec.publishNanos.stream().allMatch(n -> n >= 0), "latencies " + rec.publishNanos);
        } finally {
            release.countDown();
        }
    }

    @Test
    void headersThatTakeTheMessageOverTheLimitAreRefusedNamingTheInterceptors() {
        Interceptor big = new Interceptor() {
            @Override
            public CompletionStage<Void> aroundPublish(PublishCall call) {
                return call.proceed(call.message().toBuilder().header("x-big", "0123456789012345678901234567890").build());
            }
        };
        Switchboard sb = open(b -> b.property("switchboard.message.max-size", "100"), big);
        PayloadTooLargeException e = assertThrows(PayloadTooLargeException.class,
                () -> sb.publisher().publish("big", Message.ofBytes(new byte[90])));
        assertTrue(e.getMessage().contains("headers interceptors added"), e.getMessage());
        assertTrue(e.getMessage().contains("switchboard.message.max-size"), e.getMessage());
    }

    @Test
    void proceedingTwiceIsRefused() {
        Interceptor twice = new Interceptor() {
            @Override
            public CompletionStage<Void> aroundPublish(PublishCall call) {
                call.proceed(call.message());
                return call.proceed(call.message());
            }
        };
        Switchboard sb = open(twice);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> sb.publisher().publishText("twice", "x"));
        assertTrue(e.getMessage().contains("twice"), e.getMessage());
    }

    @Test
    void anInterceptorThatDoesNotProceedPublishesNothing() throws Exception {
        Interceptor filter = new Interceptor() {
            @Override
            public CompletionStage<Void> aroundPublish(PublishCall call) {
                return java.util.concurrent.CompletableFuture.failedFuture(new PublishException(call.channel(), call.message().id(),
                        "filtered", null, false));
            }
        };
        Switchboard sb = open(filter);
        AtomicInteger handled = new AtomicInteger();
        sb.subscriber().subscribe("filtered", d -> handled.incrementAndGet());
        Throwable e = sb.publisher().publishText("filtered", "x").toCompletableFuture().handle((v, t) -> t).get(5, TimeUnit.SECONDS);
        assertInstanceOf(PublishException.class, e);
        Switchboard other = open();
        CountDownLatch marker = new CountDownLatch(1);
        sb.subscriber().subscribe("marker", d -> marker.countDown());
        other.publisher().publishText("marker", "m");
        assertTrue(marker.await(10, TimeUnit.SECONDS));
        assertEquals(0, handled.get());
    }

    @Test
    void anExceptionOfAroundHandlerCountsAsTheHandlersFailureAndIsRetried() throws Exception {
        Recorder rec = new Recorder("r");
        Interceptor failsFirst = new Interceptor() {
            @Override
            public void aroundHandler(HandlerCall call) throws Exception {
                if (call.delivery().attempt() == 1) {
                    throw new IllegalStateException("interceptor refused attempt 1");
                }
                call.proceed();
            }
        };
        Switchboard sb = open(rec, failsFirst);
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        sb.subscriber().subscribe("flaky", SubscriptionOptions.defaults().retry(RetryPolicy.fixed(3, Duration.ofMillis(10))),
                d -> attempts.add(d.attempt()));
        sb.publisher().publishText("flaky", "x");
        await(() -> attempts.size() == 1, "the handler ran on the retry");
        assertEquals(List.of(2), attempts);
        await(() -> !rec.only("retry").isEmpty(), "retry reported");
        assertEquals(List.of("retry attempt=1 interceptor refused attempt 1"), rec.only("retry"));
    }

    @Test
    void retriesDeadLettersAndRedeliveriesAreReported() {
        Recorder rec = new Recorder("r");
        Switchboard sb = open(rec);
        List<Message> dead = new CopyOnWriteArrayList<>();
        sb.subscriber().subscribe("dlq.orders", d -> dead.add(d.message()));
        sb.subscriber().subscribe("orders.poison", SubscriptionOptions.defaults().retry(RetryPolicy.fixed(3, Duration.ofMillis(10)))
                .deadLetterChannel("dlq.orders"), d -> {
                    throw new IllegalArgumentException("bad order");
                });
        sb.publisher().publishText("orders.poison", "x");
        await(() -> dead.size() == 1, "dead-lettered");
        await(() -> !rec.only("dead-letter").isEmpty(), "dead letter reported");
        assertEquals(List.of("retry attempt=1 bad order", "retry attempt=2 bad order"), rec.only("retry"));
        assertEquals(List.of("dead-letter attempt=3 to dlq.orders"), rec.only("dead-letter"));
        List<String> handled = rec.only("r>handle");
        assertEquals(List.of("r>handle attempt=1 redelivered=false", "r>handle attempt=2 redelivered=true",
                "r>handle attempt=3 redelivered=true", "r>handle attempt=1 redelivered=false"), handled,
                "three attempts on the poison message, then its dead letter delivered once");
    }

    @Test
    void dropsAreReportedAsDropEvents() {
        Recorder rec = new Recorder("r");
        Switchboard sb = open(rec);
        Subscription s = sb.subscriber().subscribe("orders.dropped", SubscriptionOptions.defaults()
                .retry(RetryPolicy.fixed(2, Duration.ofMillis(10))), d -> {
                    throw new IllegalArgumentException("always");
                });
        Message m = Message.ofText("x");
        sb.publisher().publish("orders.dropped", m);
        await(() -> rec.drops.size() == 1, "drop reported");
        DropEvent e = rec.drops.get(0);
        assertEquals(DropEvent.Reason.RETRIES_EXHAUSTED, e.reason());
        assertEquals(m.id(), e.messageId().orElseThrow());
        assertEquals(2, e.attempts());
        assertSame(s, e.subscription());
    }

    @Test
    void onOpenComesFirstWithTheChosenProvidersThenConnectionEvents() {
        Recorder rec = new Recorder("r");
        Switchboard sb = open(rec);
        assertSame(sb, rec.opened);
        assertEquals("open memory memory", rec.events.get(0));
        await(() -> rec.events.contains("connection CONNECTED transport"), "the transport's CONNECTED event");
    }

    @Test
    void anInterceptorRefusingOpenFailsTheOpen() {
        Interceptor refuses = new Interceptor() {
            @Override
            public void onOpen(Switchboard switchboard) {
                throw new IllegalStateException("one Switchboard per instance");
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Switchboard.builder()
                .property("switchboard.transport", "memory").property("switchboard.memory.broker", broker).interceptor(refuses).open());
        assertEquals("one Switchboard per instance", e.getMessage());
    }

    @Test
    void observerExceptionsAreLoggedAndIgnored() throws Exception {
        Interceptor throwsEverywhere = new Interceptor() {
            @Override
            public void onRetry(Delivery delivery, Throwable failure) {
                throw new IllegalStateException("onRetry broke");
            }

            @Override
            public void onCacheOperation(CacheOperation operation) {
                throw new IllegalStateException("onCacheOperation broke");
            }

            @Override
            public void onNearCacheOpened(NearCache<?> nearCache) {
                throw new IllegalStateException("onNearCacheOpened broke");
            }

            @Override
            public void onConnectionEvent(ConnectionEvent event) {
                throw new IllegalStateException("onConnectionEvent broke");
            }
        };
        Recorder after = new Recorder("after");
        Switchboard sb = open(throwsEverywhere, after);
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        sb.subscriber().subscribe("retried", SubscriptionOptions.defaults().retry(RetryPolicy.fixed(3, Duration.ofMillis(10))), d -> {
            attempts.add(d.attempt());
            if (d.attempt() == 1) {
                throw new IllegalArgumentException("first fails");
            }
        });
        sb.publisher().publishText("retried", "x");
        await(() -> attempts.size() == 2, "retried despite the interceptor's exception");
        await(() -> !after.only("retry").isEmpty(), "the next interceptor still hears of the retry");
        sb.cache().put("k", "v");
        assertEquals("v", sb.cache().get("k", String.class));
        try (NearCache<String> near = sb.nearCache("prices", String.class, NearCacheOptions.defaults())) {
            assertEquals(1, after.nearCaches.size());
        }
    }

    @Test
    void cacheOperationsReportKindHitsMissesLatencyAndFailures() throws Exception {
        Recorder rec = new Recorder("r");
        Switchboard sb = open(rec);
        SharedCache cache = sb.cache("orders");
        cache.put("a", "1");
        assertEquals("1", cache.get("a", String.class));
        assertNull(cache.get("missing", String.class));
        assertEquals(Map.of("a", "1"), cache.getAll(List.of("a", "missing", "gone"), String.class));
        assertEquals("loaded", cache.getOrLoad("b", String.class, Duration.ZERO, () -> "loaded"));
        assertEquals("loaded", cache.getOrLoad("b", String.class, Duration.ZERO, () -> "again"));
        assertTrue(cache.touch("b", Duration.ofMinutes(1)));
        assertTrue(cache.delete("a"));
        cache.put("text", "not a number");
        CacheException failure = assertThrows(CacheException.class, () -> cache.increment("text", 1));
        await(() -> rec.cacheOps.size() == 10, "ten operations reported: " + rec.cacheOps);

        List<String> summary = new ArrayList<>();
        for (CacheOperation op : rec.cacheOps) {
            assertEquals("orders", op.cache());
            assertTrue(op.durationNanos() >= 0, "duration of " + op);
            summary.add(op.kind() + " " + op.hits() + "/" + op.misses() + (op.succeeded() ? "" : " failed"));
        }
        assertEquals(List.of("PUT 0/0", "GET 1/0", "GET 0/1", "GET_ALL 1/2", "GET_OR_LOAD 0/1", "GET_OR_LOAD 1/0", "TOUCH 0/0",
                "DELETE 0/0", "PUT 0/0", "INCREMENT 0/0 failed"), summary);
        Throwable reported = rec.cacheOps.get(9).failure();
        assertFalse(reported instanceof CompletionException, "reported unwrapped: " + reported);
        assertEquals(failure.getClass(), reported.getClass());
    }

    @Test
    void nearCachesAreReportedWhenOpenedWithStatsThatCountLocalReads() {
        Recorder rec = new Recorder("r");
        Switchboard sb = open(rec);
        try (NearCache<String> near = sb.nearCache("prices", String.class, NearCacheOptions.defaults())) {
            near.put("p", "10");
            near.get("p");
            near.get("p");
            assertEquals(1, rec.nearCaches.size());
            assertSame(near, rec.nearCaches.get(0));
            assertEquals(2, rec.nearCaches.get(0).stats().hits());
        }
    }

    @Test
    void mdcHoldsChannelMessageIdAndSubscriptionWhileTheHandlerRunsThenIsRestored() throws Exception {
        Switchboard sb = open(new MdcInterceptor());
        List<String> seen = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(2);
        sb.subscriber().subscribe("orders.*", d -> {
            seen.add(MDC.get(MdcInterceptor.CHANNEL) + " " + MDC.get(MdcInterceptor.MESSAGE_ID) + " "
                    + MDC.get(MdcInterceptor.SUBSCRIPTION));
            done.countDown();
        });
        sb.subscriber().subscribe("orders.paid", SubscriptionOptions.defaults().durable("billing"), d -> {
            seen.add("durable " + MDC.get(MdcInterceptor.SUBSCRIPTION));
            done.countDown();
        });
        Message m = Message.ofText("x");
        sb.publisher().publish("orders.paid", m);
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertTrue(seen.contains("orders.paid " + m.id() + " orders.*"), seen.toString());
        assertTrue(seen.contains("durable billing"), seen.toString());

        AtomicReference<String> afterwards = new AtomicReference<>("unset");
        CountDownLatch checked = new CountDownLatch(1);
        Interceptor probe = new Interceptor() {
            @Override
            public void aroundHandler(HandlerCall call) throws Exception {
                MDC.put(MdcInterceptor.CHANNEL, "outer value");
                try {
                    call.proceed();
                    afterwards.set(MDC.get(MdcInterceptor.CHANNEL) + "/" + MDC.get(MdcInterceptor.MESSAGE_ID));
                } finally {
                    MDC.remove(MdcInterceptor.CHANNEL);
                    checked.countDown();
                }
            }
        };
        Switchboard nested = open(probe, new MdcInterceptor());
        nested.subscriber().subscribe("restore", d -> { });
        nested.publisher().publishText("restore", "x");
        assertTrue(checked.await(10, TimeUnit.SECONDS));
        assertEquals("outer value/null", afterwards.get(), "previous values are put back, absent ones removed");
    }
}
