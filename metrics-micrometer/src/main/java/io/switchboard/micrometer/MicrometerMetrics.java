package io.switchboard.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.switchboard.ConnectionEvent;
import io.switchboard.Delivery;
import io.switchboard.Health;
import io.switchboard.DropEvent;
import io.switchboard.Interceptor;
import io.switchboard.NearCache;
import io.switchboard.NearCacheStats;
import io.switchboard.Subscription;
import io.switchboard.Switchboard;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.ToLongFunction;

/**
 * Micrometer meters for one {@link Switchboard}, as an {@link Interceptor}: publishes, handler
 * calls, retries, dead letters, drops, redeliveries, connection state and events, cache operations
 * with hits and misses, and near-cache counters. Register one per Switchboard:
 *
 * <pre>{@code
 * Switchboard sb = Switchboard.builder().interceptor(MicrometerMetrics.of(registry)).open();
 * }</pre>
 *
 * <p>Names follow Micrometer's conventions (dot-separated lower case; timers in the registry's
 * base unit, seconds in Prometheus). Every meter has the tag {@code transport} (the transport
 * provider's name) besides the ones listed:
 * <ul>
 * <li>{@value #PUBLISHED} (counter): every publish, when its stage completes; tags
 *     {@code channel}, {@code outcome} ({@code success}, {@code failure}), {@code exception}
 *     ({@code none} or the exception's simple class name).
 * <li>{@value #PUBLISH} (timer): from {@code publish()} to the transport's confirmation, for the
 *     sampled publishes (see below); the same tags.
 * <li>{@value #DELIVERED} (counter): every handler call, one per attempt; tags {@code channel}
 *     (the subscription's channel or pattern), {@code subscription} (durable name, or
 *     {@code none}), {@code outcome}, {@code exception}. With {@code outcome=failure}, the failed
 *     attempts.
 * <li>{@value #HANDLER} (timer): the duration of the sampled handler calls; the same tags.
 * <li>{@value #REDELIVERED}, {@value #RETRIED}, {@value #DEAD_LETTERED} (counters): tags
 *     {@code channel}, {@code subscription}; {@value #DROPPED} also {@code reason}
 *     ({@code buffer_full}, {@code retries_exhausted}, {@code closed}).
 * <li>{@value #CONNECTION_UP} (gauge: 1, or 0 while {@link Switchboard#health()} has the component
 *     DOWN) and {@value #CONNECTION_EVENTS} (counter, tag
 *     {@code type}: {@code connected}, {@code lost}, {@code recovered}); tag {@code component}
 *     ({@code transport} or {@code cache}).
 * <li>{@value #CACHE_OPERATIONS} (timer; tags {@code cache}, {@code provider}, {@code operation},
 *     {@code outcome}) and {@value #CACHE_GETS} (counter; tags {@code cache}, {@code provider},
 *     {@code result}: {@code hit} or {@code miss}).
 * <li>{@value #NEAR_CACHE_GETS} ({@code result}), {@value #NEAR_CACHE_INVALIDATIONS}
 *     ({@code direction}: {@code sent} or {@code received}), {@value #NEAR_CACHE_GAPS}
 *     ({@code cause}: {@code connection} or {@code sequence}), {@value #NEAR_CACHE_EVICTIONS}
 *     (function counters) and {@value #NEAR_CACHE_SIZE} (gauge); tag {@code cache}. Read from
 *     {@link NearCache#stats()} when the registry asks, so local reads cost nothing extra.
 * </ul>
 *
 * <p><b>Cardinality.</b> The first {@link Builder#maxChannelTags(int) maxChannelTags} distinct
 * channels (default {@value #DEFAULT_MAX_CHANNEL_TAGS}) get a {@code channel} tag of their own;
 * later ones share the value {@value #OTHER}. A pattern subscription's meters carry its pattern,
 * never the channels it matched.
 *
 * <p><b>Sampled timing, exact counts.</b> The counters count every call. The timers time one
 * publish and one handler call in {@link Builder#timingSample(int) timingSample} (default
 * {@value #DEFAULT_TIMING_SAMPLE}), chosen at random per call, so their distributions (mean, max,
 * percentiles and histograms configured with a {@code MeterFilter}) are those of a uniform sample,
 * and their counts are about 1/N of the calls: take rates from the counters. {@code
 * timingSample(1)} times every call. Why: on the machine of {@code docs/benchmarks.md} one
 * {@link System#nanoTime()} read cost about 70 ns and one Prometheus {@link Timer#record(long,
 * TimeUnit)} about 95 ns, so timing every call (two reads and a record for the publish, as many
 * for the handler) cost Redis pub/sub 8-9% of its throughput; a call that is not timed costs a
 * counter increment and a random draw.
 *
 * <p>Thread-safe. On the hot path a call reads a small cache by channel and by subscription
 * before any map look-up, with no allocation on the handler path once a channel's meters exist;
 * a publish adds one completion callback on the transport's stage (a shared one unless timed),
 * or none when the stage is already complete. {@link #onOpen} refuses a second Switchboard with
 * {@link IllegalStateException}: the {@code transport} tag belongs to one.
 */
public final class MicrometerMetrics implements Interceptor {
    /** Counter of publishes, by outcome. */
    public static final String PUBLISHED = "switchboard.messages.published";
    /** Timer of sampled publishes. */
    public static final String PUBLISH = "switchboard.publish";
    /** Counter of handler calls (delivery attempts), by outcome. */
    public static final String DELIVERED = "switchboard.messages.delivered";
    /** Timer of sampled handler calls. */
    public static final String HANDLER = "switchboard.handler";
    /** Counter of deliveries flagged as possibly delivered before. */
    public static final String REDELIVERED = "switchboard.messages.redelivered";
    /** Counter of failed attempts that will be retried. */
    public static final String RETRIED = "switchboard.messages.retried";
    /** Counter of messages moved to a dead-letter channel. */
    public static final String DEAD_LETTERED = "switchboard.messages.dead.lettered";
    /** Counter of messages dropped. */
    public static final String DROPPED = "switchboard.messages.dropped";
    /** Counter of connection events. */
    public static final String CONNECTION_EVENTS = "switchboard.connection.events";
    /** Gauge: 1 while a component's connection is up, 0 while its health is DOWN (lost, or closed). */
    public static final String CONNECTION_UP = "switchboard.connection.up";
    /** Timer of cache operations. */
    public static final String CACHE_OPERATIONS = "switchboard.cache.operations";
    /** Counter of keys read from a shared cache, by result. */
    public static final String CACHE_GETS = "switchboard.cache.gets";
    /** Function counter of near-cache reads, by result. */
    public static final String NEAR_CACHE_GETS = "switchboard.near.cache.gets";
    /** Function counter of near-cache announcements, by direction. */
    public static final String NEAR_CACHE_INVALIDATIONS = "switchboard.near.cache.invalidations";
    /** Function counter of times near-cache copies were dropped after a gap, by cause. */
    public static final String NEAR_CACHE_GAPS = "switchboard.near.cache.gaps";
    /** Function counter of near-cache entries evicted for size. */
    public static final String NEAR_CACHE_EVICTIONS = "switchboard.near.cache.evictions";
    /** Gauge of near-cache entries held locally. */
    public static final String NEAR_CACHE_SIZE = "switchboard.near.cache.size";
    /** The {@code channel} tag of channels beyond the limit. */
    public static final String OTHER = "other";
    /** Distinct channels tagged by name unless configured otherwise. */
    public static final int DEFAULT_MAX_CHANNEL_TAGS = 100;
    /** One publish and one handler call in this many are timed unless configured otherwise. */
    public static final int DEFAULT_TIMING_SAMPLE = 16;

    private static final String NONE = "none";
    /** The start time of a call that is not timed. */
    private static final long UNTIMED = Long.MIN_VALUE;

    private final MeterRegistry registry;
    private final int maxChannelTags;
    private final int timingSample;
    private final Tags extraTags;
    private final AtomicBoolean opened = new AtomicBoolean();
    private volatile Tags base;
    private volatile String cacheProvider = NONE;

    private final Map<String, ChannelMeters> channels = new ConcurrentHashMap<>();
    private final AtomicInteger channelCount = new AtomicInteger();
    private volatile ChannelMeters other;
    private volatile Switchboard switchboard;
    private final Map<String, CacheMeters> caches = new ConcurrentHashMap<>();
    private final Map<String, NearCacheMeters> nearCaches = new ConcurrentHashMap<>();
    /*
     * Small direct-mapped caches in front of the maps (by the channel's hash, by the
     * subscription's identity), so that a call usually skips the look-ups: two map reads each,
     * which profiles of the Redis benchmark showed as half of what metrics cost there (a
     * ThreadLocal was no better: its own probing showed up instead). Read and written without
     * synchronization: entries are immutable or have only final and volatile fields, so are safe
     * however they are read, and a lost or overwritten entry only costs a look-up next time. The
     * handler slots keep at most 16 subscriptions reachable after they close.
     */
    private static final int SLOTS = 16;
    private final ChannelMeters[] publishSlots = new ChannelMeters[SLOTS];
    private final HandlerSlot[] handlerSlots = new HandlerSlot[SLOTS];

    private MicrometerMetrics(Builder b) {
        this.registry = b.registry;
        this.maxChannelTags = b.maxChannelTags;
        this.timingSample = b.timingSample;
        this.extraTags = b.tags;
        this.base = b.tags.and("transport", "unknown");
    }

    /** Meters in {@code registry} with the defaults. */
    public static MicrometerMetrics of(MeterRegistry registry) {
        return builder(registry).build();
    }

    /** Starts a builder. */
    public static Builder builder(MeterRegistry registry) {
        return new Builder(registry);
    }

    /** The registry meters go to. */
    public MeterRegistry registry() {
        return registry;
    }

    /**
     * Takes the transport and cache names for the tags.
     *
     * @throws IllegalStateException if this instance already serves a Switchboard
     */
    @Override
    public void onOpen(Switchboard switchboard) {
        if (!opened.compareAndSet(false, true)) {
            throw new IllegalStateException("this MicrometerMetrics already serves a Switchboard: its transport tag belongs to that one; "
                    + "create one MicrometerMetrics per Switchboard");
        }
        this.switchboard = switchboard;
        base = extraTags.and("transport", switchboard.transportName());
        cacheProvider = switchboard.cacheName() == null ? NONE : switchboard.cacheName();
        connectionGauge("transport");
        if (switchboard.cacheName() != null) {
            connectionGauge("cache");
        }
    }

    /** 1 unless the component's health is DOWN (lost, or the Switchboard closed): read from health, since not every provider reports CONNECTED. */
    private double up(String component) {
        Health h = switchboard.health().components().get(component);
        return h != null && h.status() != Health.Status.DOWN ? 1 : 0;
    }

    @Override
    public CompletionStage<Void> aroundPublish(PublishCall call) {
        ChannelMeters ch = publishChannel(call.channel());
        long start = timed() ? System.nanoTime() : UNTIMED;
        CompletionStage<Void> stage;
        try {
            stage = call.proceed(call.message());
        } catch (RuntimeException | Error e) {
            ch.publishFailed(start, e);
            throw e;
        }
        // A stage that is already complete (an in-process transport) is recorded here, without a callback.
        if (stage instanceof CompletableFuture<Void> f && f.isDone()) {
            ch.publishDone(start, f.isCompletedExceptionally() ? failureOf(f) : null);
        } else {
            stage.whenComplete(start == UNTIMED ? ch.untimed : new PublishTiming(ch, start));
        }
        return stage;
    }

    @Override
    public void aroundHandler(HandlerCall call) throws Exception {
        Delivery d = call.delivery();
        HandlerMeters m = handler(d.subscription());
        if (d.redelivered()) {
            m.redelivered().increment();
        }
        if (!timed()) {
            try {
                call.proceed();
            } catch (Throwable t) {
                m.failed(UNTIMED, t);
                throw t;
            }
            m.delivered.increment();
            return;
        }
        long start = System.nanoTime();
        try {
            call.proceed();
        } catch (Throwable t) {
            m.failed(start, t);
            throw t;
        }
        m.ok.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        m.delivered.increment();
    }

    /** Whether this call is one of the timed sample. */
    private boolean timed() {
        return timingSample == 1 || ThreadLocalRandom.current().nextInt(timingSample) == 0;
    }

    @Override
    public void onRetry(Delivery delivery, Throwable failure) {
        handler(delivery.subscription()).retried().increment();
    }

    @Override
    public void onDeadLetter(Delivery delivery, Throwable failure) {
        handler(delivery.subscription()).deadLettered().increment();
    }

    @Override
    public void onDrop(DropEvent event) {
        HandlerMeters m = handler(event.subscription());
        Counter.builder(DROPPED).description("Messages dropped: neither handled successfully nor dead-lettered")
                .tags(m.tags).tag("reason", event.reason().name().toLowerCase(Locale.ROOT)).register(registry).increment();
    }

    @Override
    public void onConnectionEvent(ConnectionEvent event) {
        String component = event.component().startsWith("cache") ? "cache" : event.component();
        Counter.builder(CONNECTION_EVENTS).description("Connection events: connected, lost, recovered")
                .tags(base).tag("component", component).tag("type", event.type().name().toLowerCase(Locale.ROOT))
                .register(registry).increment();
    }

    @Override
    public void onCacheOperation(CacheOperation op) {
        CacheMeters m = caches.computeIfAbsent(op.cache(), CacheMeters::new);
        if (op.succeeded()) {
            m.ok(op.kind()).record(op.durationNanos(), TimeUnit.NANOSECONDS);
        } else {
            Timer.builder(CACHE_OPERATIONS).description("Shared cache operations, from the call to its completion").tags(m.tags)
                    .tag("operation", operation(op.kind())).tag("outcome", "failure").register(registry)
                    .record(op.durationNanos(), TimeUnit.NANOSECONDS);
        }
        if (op.hits() > 0) {
            m.hits.increment(op.hits());
        }
        if (op.misses() > 0) {
            m.misses.increment(op.misses());
        }
    }

    @Override
    public void onNearCacheOpened(NearCache<?> nearCache) {
        nearCaches.computeIfAbsent(nearCache.name(), NearCacheMeters::new).add(nearCache);
    }

    private static String operation(CacheOperation.Kind kind) {
        return kind.name().toLowerCase(Locale.ROOT);
    }

    /** What a completed-exceptionally future failed with. */
    private static Throwable failureOf(CompletableFuture<Void> f) {
        try {
            f.join();
            return new IllegalStateException("completed exceptionally, yet join() returned");
        } catch (RuntimeException e) {
            return unwrap(e);
        }
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private void connectionGauge(String component) {
        Gauge.builder(CONNECTION_UP, this, m -> m.up(component))
                .description("1 while the component's connection is up, 0 while it is lost or closed (from Switchboard.health())")
                .tags(base).tag("component", component).register(registry);
    }

    /** The meters of the channel published to, from its cache slot when there, else from the map. */
    private ChannelMeters publishChannel(String name) {
        int slot = name.hashCode() & (SLOTS - 1);
        ChannelMeters cached = publishSlots[slot];
        if (cached != null && cached.name.equals(name)) {
            return cached;
        }
        ChannelMeters m = channel(name);
        publishSlots[slot] = m.named(name);
        return m;
    }

    /** The meters of a channel (or pattern), or of {@value #OTHER} beyond the limit. */
    private ChannelMeters channel(String name) {
        ChannelMeters m = channels.get(name);
        if (m != null) {
            return m;
        }
        if (channelCount.get() >= maxChannelTags) {
            return other();
        }
        synchronized (channels) {
            m = channels.get(name);
            if (m == null) {
                if (channelCount.get() >= maxChannelTags) {
                    return other();
                }
                m = new ChannelMeters(name);
                channels.put(name, m);
                channelCount.incrementAndGet();
            }
            return m;
        }
    }

    private ChannelMeters other() {
        ChannelMeters o = other;
        if (o == null) {
            synchronized (channels) {
                if (other == null) {
                    other = new ChannelMeters(OTHER);
                }
                o = other;
            }
        }
        return o;
    }

    /** The handler meters of a subscription, from its cache slot when there, else from the maps. */
    private HandlerMeters handler(Subscription s) {
        int slot = System.identityHashCode(s) & (SLOTS - 1);
        HandlerSlot cached = handlerSlots[slot];
        if (cached != null && cached.subscription == s) {
            return cached.meters;
        }
        HandlerMeters m = channel(s.channelOrPattern()).handler(s.options().isDurable() ? s.options().durableName() : NONE);
        handlerSlots[slot] = new HandlerSlot(s, m);
        return m;
    }

    @Override
    public String toString() {
        return "MicrometerMetrics[" + base + ", maxChannelTags=" + maxChannelTags + ", timingSample=" + timingSample + "]";
    }

    /** The meters of one channel tag. */
    private final class ChannelMeters {
        /** The channel this was resolved for: {@link #tag} itself, or a channel beyond the limit. */
        private final String name;
        private final String tag;
        private final Tags tags;
        private volatile Timer publishOk;
        private volatile Counter publishedOk;
        private final Map<String, HandlerMeters> handlers;
        /** The completion callback of publishes that are not timed: counts them. */
        final BiConsumer<Void, Throwable> untimed = (ignored, failure) -> publishDone(UNTIMED, failure == null ? null : unwrap(failure));

        ChannelMeters(String tag) {
            this.name = tag;
            this.tag = tag;
            this.tags = base.and("channel", tag);
            this.handlers = new ConcurrentHashMap<>();
        }

        private ChannelMeters(ChannelMeters of, String name) {
            this.name = name;
            this.tag = of.tag;
            this.tags = of.tags;
            this.handlers = of.handlers;
            this.publishOk = of.publishOk();
            this.publishedOk = of.publishedOk();
        }

        /** These meters as resolved for {@code channel} (for the publish cache: {@value #OTHER} serves many). */
        ChannelMeters named(String channel) {
            return channel.equals(name) ? this : new ChannelMeters(this, channel);
        }

        /**
         * Counts a publish that completed, normally when {@code failure} is null, and times it
         * unless {@code start} is {@link #UNTIMED}. Both meters exist from the first publish on,
         * timed or not.
         */
        void publishDone(long start, Throwable failure) {
            if (failure != null) {
                publishFailed(start, failure);
                return;
            }
            Timer timer = publishOk();
            if (start != UNTIMED) {
                timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            }
            publishedOk().increment();
        }

        Timer publishOk() {
            Timer t = publishOk;
            if (t == null) {
                t = publishTimer("success", NONE);
                publishOk = t;
            }
            return t;
        }

        Counter publishedOk() {
            Counter c = publishedOk;
            if (c == null) {
                c = publishedCounter("success", NONE);
                publishedOk = c;
            }
            return c;
        }

        /** Counts a failed publish, and times it unless {@code start} is {@link #UNTIMED}. */
        void publishFailed(long start, Throwable e) {
            String exception = e.getClass().getSimpleName();
            Timer timer = publishTimer("failure", exception);
            if (start != UNTIMED) {
                timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            }
            publishedCounter("failure", exception).increment();
        }

        private Counter publishedCounter(String outcome, String exception) {
            return Counter.builder(PUBLISHED).description("Publishes, counted when the transport confirmed or refused them").tags(tags)
                    .tag("outcome", outcome).tag("exception", exception).register(registry);
        }

        private Timer publishTimer(String outcome, String exception) {
            return Timer.builder(PUBLISH).description("Sampled publishes, from the call to the transport's confirmation").tags(tags)
                    .tag("outcome", outcome).tag("exception", exception).register(registry);
        }

        HandlerMeters handler(String subscription) {
            HandlerMeters m = handlers.get(subscription);
            return m != null ? m : handlers.computeIfAbsent(subscription, s -> new HandlerMeters(tags.and("subscription", s)));
        }

        @Override
        public String toString() {
            return tag;
        }
    }

    /** Records a publish's outcome when its stage completes; one per publish still in flight. */
    private static final class PublishTiming implements BiConsumer<Void, Throwable> {
        private final ChannelMeters channel;
        private final long start;

        PublishTiming(ChannelMeters channel, long start) {
            this.channel = channel;
            this.start = start;
        }

        @Override
        public void accept(Void ignored, Throwable failure) {
            channel.publishDone(start, failure == null ? null : unwrap(failure));
        }
    }

    /** A subscription and its handler meters, for the one-entry cache. */
    private static final class HandlerSlot {
        private final Subscription subscription;
        private final HandlerMeters meters;

        HandlerSlot(Subscription subscription, HandlerMeters meters) {
            this.subscription = subscription;
            this.meters = meters;
        }
    }

    /** The meters of one channel tag and subscription tag. */
    private final class HandlerMeters {
        private final Tags tags;
        private final Timer ok;
        private final Counter delivered;
        private volatile Counter redelivered;
        private volatile Counter retried;
        private volatile Counter deadLettered;

        HandlerMeters(Tags tags) {
            this.tags = tags;
            this.ok = handlerTimer("success", NONE);
            this.delivered = deliveredCounter("success", NONE);
        }

        private Timer handlerTimer(String outcome, String exception) {
            return Timer.builder(HANDLER).description("Sampled handler calls, one per delivery attempt").tags(tags).tag("outcome", outcome)
                    .tag("exception", exception).register(registry);
        }

        private Counter deliveredCounter(String outcome, String exception) {
            return Counter.builder(DELIVERED).description("Handler calls, one per delivery attempt").tags(tags).tag("outcome", outcome)
                    .tag("exception", exception).register(registry);
        }

        /** Counts a failed handler call, and times it unless {@code start} is {@link #UNTIMED}. */
        void failed(long start, Throwable t) {
            String exception = t.getClass().getSimpleName();
            Timer timer = handlerTimer("failure", exception);
            if (start != UNTIMED) {
                timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            }
            deliveredCounter("failure", exception).increment();
        }

        Counter redelivered() {
            Counter c = redelivered;
            if (c == null) {
                c = counter(REDELIVERED, "Deliveries that may have been delivered before (retries and broker redeliveries)");
                redelivered = c;
            }
            return c;
        }

        Counter retried() {
            Counter c = retried;
            if (c == null) {
                c = counter(RETRIED, "Failed handler attempts that will be retried");
                retried = c;
            }
            return c;
        }

        Counter deadLettered() {
            Counter c = deadLettered;
            if (c == null) {
                c = counter(DEAD_LETTERED, "Messages moved to the subscription's dead-letter channel after the last failed attempt");
                deadLettered = c;
            }
            return c;
        }

        private Counter counter(String name, String description) {
            return Counter.builder(name).description(description).tags(tags).register(registry);
        }
    }

    /** The meters of one shared cache name. */
    private final class CacheMeters {
        private final Tags tags;
        private final Map<CacheOperation.Kind, Timer> ok = new ConcurrentHashMap<>();
        private final Counter hits;
        private final Counter misses;

        CacheMeters(String cache) {
            this.tags = base.and("cache", cache).and("provider", cacheProvider);
            this.hits = gets("hit");
            this.misses = gets("miss");
        }

        private Counter gets(String result) {
            return Counter.builder(CACHE_GETS).description("Keys read from the shared cache, found (hit) or not (miss)").tags(tags)
                    .tag("result", result).register(registry);
        }

        Timer ok(CacheOperation.Kind kind) {
            Timer t = ok.get(kind);
            return t != null ? t : ok.computeIfAbsent(kind, k -> Timer.builder(CACHE_OPERATIONS)
                    .description("Shared cache operations, from the call to its completion").tags(tags)
                    .tag("operation", operation(k)).tag("outcome", "success").register(registry));
        }
    }

    /**
     * The meters of one near-cache name, summed over every near cache opened with it: closed ones
     * are folded into fixed totals when next read, so counters never go back.
     */
    private final class NearCacheMeters {
        private final List<NearCache<?>> open = new ArrayList<>();
        private long[] retired = new long[Stat.values().length];

        NearCacheMeters(String name) {
            Tags tags = base.and("cache", name);
            functionCounter(NEAR_CACHE_GETS, "Near-cache reads, served locally (hit) or from the shared cache (miss)",
                    tags.and("result", "hit"), Stat.HITS);
            functionCounter(NEAR_CACHE_GETS, "Near-cache reads, served locally (hit) or from the shared cache (miss)",
                    tags.and("result", "miss"), Stat.MISSES);
            functionCounter(NEAR_CACHE_INVALIDATIONS, "Near-cache announcements sent to or received from other instances",
                    tags.and("direction", "sent"), Stat.SENT);
            functionCounter(NEAR_CACHE_INVALIDATIONS, "Near-cache announcements sent to or received from other instances",
                    tags.and("direction", "received"), Stat.RECEIVED);
            functionCounter(NEAR_CACHE_GAPS, "Times local copies were dropped after a connection gap or a missing announcement",
                    tags.and("cause", "connection"), Stat.GAPS);
            functionCounter(NEAR_CACHE_GAPS, "Times local copies were dropped after a connection gap or a missing announcement",
                    tags.and("cause", "sequence"), Stat.SEQUENCE_GAPS);
            functionCounter(NEAR_CACHE_EVICTIONS, "Local entries evicted to respect the size bound", tags, Stat.EVICTIONS);
            Gauge.builder(NEAR_CACHE_SIZE, this, m -> m.size()).description("Entries held locally").baseUnit("entries").tags(tags)
                    .register(registry);
        }

        private void functionCounter(String name, String description, Tags tags, Stat stat) {
            FunctionCounter.builder(name, this, m -> m.sum(stat)).description(description).tags(tags).register(registry);
        }

        synchronized void add(NearCache<?> near) {
            open.add(near);
        }

        synchronized double sum(Stat stat) {
            long total = retired[stat.ordinal()];
            for (var it = open.iterator(); it.hasNext();) {
                NearCache<?> near = it.next();
                NearCacheStats s = near.stats();
                if (near.isClosed()) {
                    for (Stat each : Stat.values()) {
                        retired[each.ordinal()] += each.read.applyAsLong(s);
                    }
                    it.remove();
                }
                total += stat.read.applyAsLong(s);
            }
            return total;
        }

        synchronized double size() {
            long n = 0;
            for (NearCache<?> near : open) {
                if (!near.isClosed()) {
                    n += near.stats().localSize();
                }
            }
            return n;
        }
    }

    /** The near-cache counters, and how to read each from a snapshot. */
    private enum Stat {
        HITS(NearCacheStats::hits), MISSES(NearCacheStats::misses), SENT(NearCacheStats::invalidationsSent),
        RECEIVED(NearCacheStats::invalidationsReceived), GAPS(NearCacheStats::gapsRecovered), SEQUENCE_GAPS(NearCacheStats::sequenceGaps),
        EVICTIONS(NearCacheStats::evictions);

        private final ToLongFunction<NearCacheStats> read;

        Stat(ToLongFunction<NearCacheStats> read) {
            this.read = read;
        }
    }

    /** Builds a {@link MicrometerMetrics}. Not thread-safe. */
    public static final class Builder {
        private final MeterRegistry registry;
        private int maxChannelTags = DEFAULT_MAX_CHANNEL_TAGS;
        private int timingSample = DEFAULT_TIMING_SAMPLE;
        private Tags tags = Tags.empty();

        private Builder(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
        }

        /**
         * How many distinct channels (and patterns) get a {@code channel} tag of their own; later
         * ones are tagged {@value MicrometerMetrics#OTHER}. 0 tags every channel {@code other}.
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder maxChannelTags(int max) {
            if (max < 0) {
                throw new IllegalArgumentException("maxChannelTags must be 0 or more, got " + max);
            }
            this.maxChannelTags = max;
            return this;
        }

        /**
         * Times one publish and one handler call in {@code oneIn}, chosen at random; 1 times
         * every call. The counters count every call whatever this is. Default
         * {@value MicrometerMetrics#DEFAULT_TIMING_SAMPLE}.
         *
         * @throws IllegalArgumentException if less than 1
         */
        public Builder timingSample(int oneIn) {
            if (oneIn < 1) {
                throw new IllegalArgumentException("timingSample must be 1 (time every call) or more, got " + oneIn);
            }
            this.timingSample = oneIn;
            return this;
        }

        /** Tags added to every meter (for example an application or instance name). */
        public Builder tags(Iterable<Tag> tags) {
            this.tags = this.tags.and(Objects.requireNonNull(tags, "tags"));
            return this;
        }

        /** Builds; register the result with {@code Switchboard.builder().interceptor(...)}. */
        public MicrometerMetrics build() {
            return new MicrometerMetrics(this);
        }
    }
}
