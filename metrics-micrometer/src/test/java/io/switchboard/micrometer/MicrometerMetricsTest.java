package io.switchboard.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.switchboard.Interceptor;
import io.switchboard.NearCache;
import io.switchboard.PublishException;
import io.switchboard.NearCacheOptions;
import io.switchboard.RetryPolicy;
import io.switchboard.SharedCache;
import io.switchboard.SubscriptionOptions;
import io.switchboard.Switchboard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The meters, over the in-memory transport: names, tags, counts, the cardinality guard, and a Prometheus scrape. */
class MicrometerMetricsTest {
    private final List<Switchboard> open = new ArrayList<>();
    private final String broker = "metrics-" + System.nanoTime();

    @AfterEach
    void closeAll() {
        open.forEach(sb -> sb.close(Duration.ofSeconds(5)));
    }

    private Switchboard open(MicrometerMetrics metrics) {
        Switchboard sb = Switchboard.builder().property("switchboard.transport", "memory").property("switchboard.cache", "memory")
                .property("switchboard.memory.broker", broker)
                .interceptor(metrics).open();
        open.add(sb);
        return sb;
    }

    static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after 10s: " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private static double count(MeterRegistry r, String name, String... tags) {
        Counter c = r.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    private static long timerCount(MeterRegistry r, String name, String... tags) {
        Timer t = r.find(name).tags(tags).timer();
        return t == null ? 0 : t.count();
    }

    @Test
    void publishesHandlerCallsRetriesAndRedeliveriesAreCountedAndTimed() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Switchboard sb = open(MicrometerMetrics.builder(registry).timingSample(1).build());
        AtomicInteger calls = new AtomicInteger();
        sb.subscriber().subscribe("orders.created", SubscriptionOptions.defaults().retry(RetryPolicy.fixed(3, Duration.ofMillis(10))), d -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalArgumentException("first call fails");
            }
        });
        for (int i = 0; i < 3; i++) {
            sb.publisher().publishText("orders.created", "o" + i).toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
        await(() -> count(registry, MicrometerMetrics.DELIVERED, "outcome", "success") == 3, "three successful handler calls");
        await(() -> timerCount(registry, MicrometerMetrics.HANDLER, "outcome", "success") == 3, "all three timed: timingSample(1)");
        assertEquals(3, count(registry, MicrometerMetrics.PUBLISHED, "transport", "memory", "channel", "orders.created", "outcome", "success",
                "exception", "none"));

        Timer published = registry.find(MicrometerMetrics.PUBLISH)
                .tags("transport", "memory", "channel", "orders.created", "outcome", "success", "exception", "none").timer();
        assertNotNull(published, "publish timer with transport, channel, outcome and exception tags");
        assertEquals(3, published.count());
        assertTrue(published.totalTime(TimeUnit.NANOSECONDS) > 0, "publish latency recorded");
        assertEquals(1, timerCount(registry, MicrometerMetrics.HANDLER, "channel", "orders.created", "subscription", "none",
                "outcome", "failure", "exception", "IllegalArgumentException"));
        assertEquals(1, count(registry, MicrometerMetrics.DELIVERED, "channel", "orders.created", "subscription", "none",
                "outcome", "failure", "exception", "IllegalArgumentException"));
        assertEquals(1, count(registry, MicrometerMetrics.RETRIED, "channel", "orders.created"));
        assertEquals(1, count(registry, MicrometerMetrics.REDELIVERED, "channel", "orders.created"), "the retry is a redelivery");
    }

    @Test
    void deadLettersAndDropsAreCountedWithTheirReason() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Switchboard sb = open(MicrometerMetrics.of(registry));
        sb.subscriber().subscribe("dlq", d -> { });
        sb.subscriber().subscribe("poison", SubscriptionOptions.defaults().durable("poison-eater")
                .retry(RetryPolicy.fixed(2, Duration.ofMillis(5))).deadLetterChannel("dlq"), d -> {
                    throw new IllegalStateException("poison");
                });
        sb.subscriber().subscribe("lost", SubscriptionOptions.defaults().retry(RetryPolicy.none()), d -> {
            throw new IllegalStateException("lost");
        });
        sb.publisher().publishText("poison", "x");
        sb.publisher().publishText("lost", "x");
        await(() -> count(registry, MicrometerMetrics.DEAD_LETTERED, "channel", "poison", "subscription", "poison-eater") == 1,
                "dead letter counted under the durable name");
        await(() -> count(registry, MicrometerMetrics.DROPPED, "channel", "lost", "reason", "retries_exhausted") == 1,
                "drop counted with its reason");
    }

    @Test
    void channelTagsAreCappedAndPatternSubscriptionsAreTaggedByPattern() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Switchboard sb = open(MicrometerMetrics.builder(registry).maxChannelTags(3).build());
        AtomicInteger handled = new AtomicInteger();
        sb.subscriber().subscribe("orders.*", d -> handled.incrementAndGet());
        sb.publisher().publishText("orders.n0", "x").toCompletableFuture().get(5, TimeUnit.SECONDS);
        await(() -> count(registry, MicrometerMetrics.DELIVERED, "channel", "orders.*") == 1,
                "the first delivery took the second tag, for the pattern");
        for (int i = 1; i < 5; i++) {
            sb.publisher().publishText("orders.n" + i, "x").toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
        await(() -> count(registry, MicrometerMetrics.DELIVERED, "channel", "orders.*") == 5, "handler meters under the pattern");
        assertEquals(1, count(registry, MicrometerMetrics.PUBLISHED, "channel", "orders.n0"));
        assertEquals(1, count(registry, MicrometerMetrics.PUBLISHED, "channel", "orders.n1"), "the third and last tag");
        assertEquals(0, count(registry, MicrometerMetrics.PUBLISHED, "channel", "orders.n2"));
        assertEquals(3, count(registry, MicrometerMetrics.PUBLISHED, "channel", MicrometerMetrics.OTHER));
        assertEquals(4, registry.find(MicrometerMetrics.PUBLISH).timers().size() + registry.find(MicrometerMetrics.HANDLER).timers().size(),
                "two named publish channels, 'other', and the pattern: nothing more");
        assertEquals(4, registry.find(MicrometerMetrics.PUBLISHED).counters().size() + registry.find(MicrometerMetrics.DELIVERED).counters().size(),
                "the counters have the same tags as the timers");
    }

    @Test
    void connectionStateAndEventsFollowTheTransport() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        open(MicrometerMetrics.of(registry));
        await(() -> count(registry, MicrometerMetrics.CONNECTION_EVENTS, "component", "transport", "type", "connected") == 1,
                "the CONNECTED event counted");
        Gauge up = registry.find(MicrometerMetrics.CONNECTION_UP).tags("component", "transport").gauge();
        assertNotNull(up);
        await(() -> up.value() == 1, "transport connection up");
        assertEquals(1, registry.find(MicrometerMetrics.CONNECTION_UP).tags("component", "cache").gauge().value(), "a cache gauge too");
        open.get(0).close();
        assertEquals(0, up.value(), "closed: down");
    }

    @Test
    void cacheOperationsAreTimedAndReadsCountHitsAndMisses() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Switchboard sb = open(MicrometerMetrics.of(registry));
        SharedCache cache = sb.cache("orders");
        cache.put("a", "1");
        cache.get("a", String.class);
        cache.get("b", String.class);
        cache.getAll(List.of("a", "b", "c"), String.class);
        await(() -> count(registry, MicrometerMetrics.CACHE_GETS, "cache", "orders", "result", "miss") == 3, "three misses");
        assertEquals(2, count(registry, MicrometerMetrics.CACHE_GETS, "cache", "orders", "provider", "memory", "result", "hit"),
                registry.getMetersAsString());
        assertEquals(2, timerCount(registry, MicrometerMetrics.CACHE_OPERATIONS, "cache", "orders", "operation", "get", "outcome", "success"));
        assertEquals(1, timerCount(registry, MicrometerMetrics.CACHE_OPERATIONS, "operation", "put"));
        assertEquals(1, timerCount(registry, MicrometerMetrics.CACHE_OPERATIONS, "operation", "get_all"));
        cache.put("text", "x");
        assertThrows(RuntimeException.class, () -> cache.increment("text", 1));
        await(() -> timerCount(registry, MicrometerMetrics.CACHE_OPERATIONS, "operation", "increment", "outcome", "failure") == 1,
                "failed increment timed as a failure");
    }

    @Test
    void nearCacheCountersReadTheStatsAndKeepTheirTotalsAfterClose() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Switchboard sb = open(MicrometerMetrics.of(registry));
        NearCache<String> near = sb.nearCache("prices", String.class, NearCacheOptions.defaults());
        near.put("p", "10");
        near.get("p");
        near.get("p");
        near.get("absent");
        FunctionCounter hits = registry.find(MicrometerMetrics.NEAR_CACHE_GETS).tags("cache", "prices", "result", "hit").functionCounter();
        FunctionCounter misses = registry.find(MicrometerMetrics.NEAR_CACHE_GETS).tags("cache", "prices", "result", "miss").functionCounter();
        assertEquals(2, hits.count());
        assertEquals(1, misses.count());
        assertEquals(1, registry.find(MicrometerMetrics.NEAR_CACHE_SIZE).tags("cache", "prices").gauge().value());
        assertEquals(1, registry.find(MicrometerMetrics.NEAR_CACHE_INVALIDATIONS).tags("direction", "sent").functionCounter().count());
        assertNotNull(registry.find(MicrometerMetrics.NEAR_CACHE_GAPS).tags("cause", "sequence").functionCounter());
        near.close();
        assertEquals(2, hits.count(), "a closed near cache keeps its count");
        NearCache<String> again = sb.nearCache("prices", String.class, NearCacheOptions.defaults());
        again.get("p");
        again.get("p");
        assertEquals(3, hits.count(), "the next near cache of that name adds to the same counters");
        assertEquals(2, misses.count(), "its first read of p went to the shared cache");
        again.close();
    }

    @Test
    void publishesAlternatingBetweenChannelsAndStagesFailedEarlyOrLateAreRecordedUnderTheirOwnTags() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        CompletableFuture<Void> late = new CompletableFuture<>();
        // Inside the metrics: refuses one channel with a stage already failed, holds another's stage to fail it later.
        Interceptor inner = new Interceptor() {
            @Override
            public CompletionStage<Void> aroundPublish(PublishCall call) {
                return switch (call.channel()) {
                    case "refused" -> CompletableFuture.failedFuture(new IllegalStateException("refused"));
                    case "late" -> late;
                    default -> call.proceed(call.message());
                };
            }
        };
        Switchboard sb = Switchboard.builder().property("switchboard.transport", "memory").property("switchboard.memory.broker", broker)
                .interceptor(MicrometerMetrics.builder(registry).maxChannelTags(1).build()).interceptor(inner).open();
        open.add(sb);
        for (int i = 0; i < 3; i++) {
            sb.publisher().publishText("first", "x").toCompletableFuture().get(5, TimeUnit.SECONDS);
            sb.publisher().publishText("second", "x").toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
        assertEquals(3, count(registry, MicrometerMetrics.PUBLISHED, "channel", "first", "outcome", "success"));
        assertEquals(3, count(registry, MicrometerMetrics.PUBLISHED, "channel", MicrometerMetrics.OTHER, "outcome", "success"),
                "the channel beyond the limit, alternating with the tagged one");
        sb.publisher().publishText("refused", "x");
        assertEquals(1, count(registry, MicrometerMetrics.PUBLISHED, "channel", MicrometerMetrics.OTHER, "outcome", "failure",
                "exception", "IllegalStateException"), "a stage failed before it was returned");
        sb.publisher().publishText("late", "x");
        assertEquals(0, count(registry, MicrometerMetrics.PUBLISHED, "exception", "PublishException"), "not counted before it completes");
        late.completeExceptionally(new CompletionException(new PublishException("late", "id", "no", null, false)));
        assertEquals(1, count(registry, MicrometerMetrics.PUBLISHED, "channel", MicrometerMetrics.OTHER, "outcome", "failure",
                "exception", "PublishException"), "a stage failed after it was returned, unwrapped");
        assertNotNull(registry.find(MicrometerMetrics.PUBLISH).tags("outcome", "failure", "exception", "PublishException").timer(),
                "its timer exists, timed or not");
    }

    @Test
    void oneInstanceServesOneSwitchboard() {
        MicrometerMetrics metrics = MicrometerMetrics.of(new SimpleMeterRegistry());
        open(metrics);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> open(metrics));
        assertTrue(e.getMessage().contains("one MicrometerMetrics per Switchboard"), e.getMessage());
    }

    @Test
    void noMeterBeforeTheFirstPublishOfAChannel() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Switchboard sb = open(MicrometerMetrics.of(registry));
        sb.subscriber().subscribe("quiet", d -> { });
        assertNull(registry.find(MicrometerMetrics.PUBLISH).timer(), "no publish timer for a channel nobody published to");
        assertNull(registry.find(MicrometerMetrics.PUBLISHED).counter(), "nor a counter");
    }

    @Test
    void aPrometheusScrapeShowsTheMetersInBaseUnits() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Switchboard sb = open(MicrometerMetrics.builder(registry).timingSample(1).build());
        AtomicInteger handled = new AtomicInteger();
        sb.subscriber().subscribe("orders.paid", d -> handled.incrementAndGet());
        sb.publisher().publishText("orders.paid", "x").toCompletableFuture().get(5, TimeUnit.SECONDS);
        // The handler's timer is recorded just before its counter, and a publish's meters after its
        // stage completes: wait for every one of them, not the first.
        await(() -> handled.get() == 1 && timerCount(registry, MicrometerMetrics.HANDLER) == 1
                && count(registry, MicrometerMetrics.DELIVERED, "channel", "orders.paid") == 1
                && count(registry, MicrometerMetrics.PUBLISHED, "channel", "orders.paid") == 1, "handled and counted");
        String scrape = registry.scrape();
        assertTrue(scrape.contains("switchboard_publish_seconds_count{channel=\"orders.paid\",exception=\"none\",outcome=\"success\","
                + "transport=\"memory\"} 1"), scrape);
        assertTrue(scrape.contains("switchboard_handler_seconds_count{channel=\"orders.paid\",exception=\"none\",outcome=\"success\","
                + "subscription=\"none\",transport=\"memory\"} 1"), scrape);
        assertTrue(scrape.contains("switchboard_connection_up{component=\"transport\",transport=\"memory\"} 1"), scrape);
        assertTrue(scrape.contains("switchboard_messages_published_total{channel=\"orders.paid\",exception=\"none\",outcome=\"success\","
                + "transport=\"memory\"} 1"), scrape);
        assertTrue(scrape.contains("switchboard_messages_delivered_total{channel=\"orders.paid\",exception=\"none\",outcome=\"success\","
                + "subscription=\"none\",transport=\"memory\"} 1"), scrape);
    }

    @Test
    void timersTimeASampleWhileCountersCountEveryCall() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Switchboard sb = open(MicrometerMetrics.builder(registry).timingSample(4).build());
        AtomicInteger handled = new AtomicInteger();
        sb.subscriber().subscribe("sampled", d -> handled.incrementAndGet());
        int n = 4_000;
        for (int i = 0; i < n; i++) {
            sb.publisher().publishText("sampled", "x").toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
        await(() -> count(registry, MicrometerMetrics.DELIVERED, "channel", "sampled") == n, "every handler call counted");
        assertEquals(n, count(registry, MicrometerMetrics.PUBLISHED, "channel", "sampled"), "every publish counted");
        // One in 4 at random: 1,000 expected, standard deviation about 27; 800-1,200 is more than 7 of them.
        long publishTimed = timerCount(registry, MicrometerMetrics.PUBLISH, "channel", "sampled");
        long handlerTimed = timerCount(registry, MicrometerMetrics.HANDLER, "channel", "sampled");
        assertTrue(publishTimed >= 800 && publishTimed <= 1_200, "publishes timed: " + publishTimed + " of " + n);
        assertTrue(handlerTimed >= 800 && handlerTimed <= 1_200, "handler calls timed: " + handlerTimed + " of " + n);
        assertEquals(n, handled.get());
        assertThrows(IllegalArgumentException.class, () -> MicrometerMetrics.builder(registry).timingSample(0));
    }
}
