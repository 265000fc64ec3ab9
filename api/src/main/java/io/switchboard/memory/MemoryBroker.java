package io.switchboard.memory;

import io.switchboard.Message;
import io.switchboard.PublishException;
import io.switchboard.spi.Channels;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JVM-wide message broker and cache store, shared by every transport and cache driver that
 * names it. Thread-safe: publishing reads an immutable routing table without locking; subscribing
 * replaces the table under the broker's monitor.
 */
final class MemoryBroker {
    private static final Logger LOG = LoggerFactory.getLogger(MemoryBroker.class);
    private static final Map<String, MemoryBroker> BROKERS = new ConcurrentHashMap<>();
    private static final ScheduledExecutorService TIMER = newTimer();

    static {
        TIMER.scheduleWithFixedDelay(MemoryBroker::sweepAll, MemoryCacheStore.SWEEP_INTERVAL_MILLIS,
                MemoryCacheStore.SWEEP_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
    }

    private final String name;
    private final Map<String, MemoryQueue> durables = new ConcurrentHashMap<>();
    private final MemoryCacheStore cache;
    private final AtomicInteger transientIds = new AtomicInteger();
    private volatile Routing routing = new Routing(List.of());

    private MemoryBroker(String name) {
        this.name = name;
        this.cache = new MemoryCacheStore();
    }

    static MemoryBroker named(String name) {
        return BROKERS.computeIfAbsent(name, MemoryBroker::new);
    }

    String name() {
        return name;
    }

    MemoryCacheStore cache() {
        return cache;
    }

    ScheduledExecutorService timer() {
        return TIMER;
    }

    /**
     * Puts the message in every matching queue, or in none: capacity is reserved in every queue
     * first, so a full queue fails the publish without a partial delivery.
     *
     * @throws PublishException (retryable) naming the full subscription and the capacity
     */
    void publish(String channel, Message message) {
        MemoryQueue[] targets = routing.route(channel);
        for (int reserved = 0; reserved < targets.length; reserved++) {
            if (!targets[reserved].reserve()) {
                for (int i = 0; i < reserved; i++) {
                    targets[i].unreserve();
                }
                MemoryQueue full = targets[reserved];
                throw new PublishException(channel, message.id(), "in-memory subscription " + full.describe()
                        + " is full (" + full.capacity() + " messages, " + MemoryTransportProvider.QUEUE_CAPACITY.name()
                        + "); its consumers are behind, try again later", null, true);
            }
        }
        for (MemoryQueue q : targets) {
            q.offerReserved(message);
        }
    }

    /** Dead letters are accepted over capacity: the facade has already given up on the message, and losing it is worse. */
    void publishDeadLetter(String channel, Message message) {
        for (MemoryQueue q : routing.route(channel)) {
            q.offerOverCapacity(message);
        }
    }

    MemoryQueue newTransientQueue(String channelOrPattern, int capacity) {
        MemoryQueue q = new MemoryQueue(this, "'" + channelOrPattern + "' (transient #" + transientIds.incrementAndGet() + ")",
                capacity, false);
        bind(q, channelOrPattern);
        return q;
    }

    /** The durable queue of that name, created on first use; a new pattern adds a binding to it. */
    MemoryQueue durableQueue(String durableName, String channelOrPattern, int capacity) {
        synchronized (this) {
            MemoryQueue q = durables.computeIfAbsent(durableName,
                    n -> new MemoryQueue(this, "'" + n + "' (durable)", capacity, true));
            bind(q, channelOrPattern);
            return q;
        }
    }

    boolean deleteDurable(String durableName) {
        synchronized (this) {
            MemoryQueue q = durables.remove(durableName);
            if (q == null) {
                return false;
            }
            unbind(q);
            q.delete();
            return true;
        }
    }

    synchronized void bind(MemoryQueue q, String channelOrPattern) {
        for (Binding b : routing.bindings) {
            if (b.queue == q && b.channelOrPattern.equals(channelOrPattern)) {
                return;
            }
        }
        List<Binding> next = new ArrayList<>(routing.bindings);
        next.add(new Binding(channelOrPattern, q));
        routing = new Routing(next);
    }

    synchronized void unbind(MemoryQueue q) {
        List<Binding> next = new ArrayList<>(routing.bindings.size());
        for (Binding b : routing.bindings) {
            if (b.queue != q) {
                next.add(b);
            }
        }
        routing = new Routing(next);
    }

    /** Every queue currently bound, each once. */
    Collection<MemoryQueue> queues() {
        Map<MemoryQueue, Boolean> seen = new IdentityHashMap<>();
        for (Binding b : routing.bindings) {
            seen.put(b.queue, Boolean.TRUE);
        }
        for (MemoryQueue q : durables.values()) {
            seen.put(q, Boolean.TRUE);
        }
        return seen.keySet();
    }

    /** A periodic task dies silently on its first exception, so the sweep must never throw. */
    private static void sweepAll() {
        for (MemoryBroker b : BROKERS.values()) {
            try {
                b.cache.sweep();
            } catch (RuntimeException e) {
                LOG.warn("sweeping expired entries of in-memory cache '{}' failed; will try again: {}", b.name, e.toString());
            }
        }
    }

    private static ScheduledExecutorService newTimer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "switchboard-memory-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }

    private static final class Binding {
        final String channelOrPattern;
        final Predicate<String> matcher;
        final MemoryQueue queue;

        Binding(String channelOrPattern, MemoryQueue queue) {
            this.channelOrPattern = channelOrPattern;
            this.matcher = Channels.matcher(channelOrPattern);
            this.queue = queue;
        }
    }

    /** An immutable routing table with a per-channel cache of its answers; replaced, never changed. */
    private static final class Routing {
        private static final MemoryQueue[] NONE = new MemoryQueue[0];
        private static final int MAX_CACHED_CHANNELS = 10_000;

        final List<Binding> bindings;
        private final Map<String, MemoryQueue[]> cache = new ConcurrentHashMap<>();

        Routing(List<Binding> bindings) {
            this.bindings = List.copyOf(bindings);
        }

        MemoryQueue[] route(String channel) {
            MemoryQueue[] cached = cache.get(channel);
            if (cached != null) {
                return cached;
            }
            List<MemoryQueue> found = new ArrayList<>(2);
            for (Binding b : bindings) {
                if (b.matcher.test(channel) && !containsSame(found, b.queue)) {
                    found.add(b.queue);
                }
            }
            MemoryQueue[] result = found.isEmpty() ? NONE : found.toArray(NONE);
            if (cache.size() < MAX_CACHED_CHANNELS) {
                cache.put(channel, result);
            }
            return result;
        }

        private static boolean containsSame(List<MemoryQueue> list, MemoryQueue q) {
            for (MemoryQueue x : list) {
                if (x == q) {
                    return true;
                }
            }
            return false;
        }
    }
}
