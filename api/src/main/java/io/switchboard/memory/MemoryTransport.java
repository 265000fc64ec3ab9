package io.switchboard.memory;

import io.switchboard.Health;
import io.switchboard.Message;
import io.switchboard.PublishException;
import io.switchboard.spi.DeliveryListener;
import io.switchboard.spi.SubscriptionRequest;
import io.switchboard.spi.Transport;
import io.switchboard.spi.TransportSubscription;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The in-memory transport of one {@code Switchboard}, a view onto a shared {@link MemoryBroker}.
 * Thread-safe. Publishing completes before it returns: the stage is already complete when the
 * message is in every matching queue, or already failed when one of them is full.
 */
final class MemoryTransport implements Transport {
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final MemoryBroker broker;
    private final int capacity;
    private final Set<Sub> subscriptions = ConcurrentHashMap.newKeySet();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();

    MemoryTransport(MemoryBroker broker, int capacity) {
        this.broker = broker;
        this.capacity = capacity;
    }

    @Override
    public CompletionStage<Void> publish(String channel, Message message) {
        if (closed.get()) {
            throw new IllegalStateException("the in-memory transport (broker '" + broker.name() + "') is closed");
        }
        try {
            broker.publish(channel, message);
        } catch (PublishException e) {
            refused.incrementAndGet();
            return CompletableFuture.failedFuture(e);
        }
        published.incrementAndGet();
        return DONE;
    }

    @Override
    public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
        if (closed.get()) {
            throw new IllegalStateException("the in-memory transport (broker '" + broker.name() + "') is closed");
        }
        MemoryQueue queue = request.durableName() != null
                ? broker.durableQueue(request.durableName(), request.channelOrPattern(), capacity)
                : broker.newTransientQueue(request.channelOrPattern(), capacity);
        Sub sub = new Sub(queue, queue.addConsumer(request, listener));
        subscriptions.add(sub);
        return sub;
    }

    @Override
    public boolean deleteDurable(String name) {
        return broker.deleteDurable(name);
    }

    /** Broker-wide queues, depth and deliveries; this instance's publishes and refusals. */
    @Override
    public Health health() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("broker", broker.name());
        d.put("subscriptions", subscriptions.size());
        long depth = 0;
        long delivered = 0;
        int queues = 0;
        for (MemoryQueue q : broker.queues()) {
            queues++;
            depth += q.depth();
            delivered += q.delivered();
        }
        d.put("queues", queues);
        d.put("depth", depth);
        d.put("delivered", delivered);
        d.put("published", published.get());
        d.put("refusedFull", refused.get());
        d.put("queueCapacity", capacity);
        if (closed.get()) {
            d.put("closed", true);
            return Health.of(Health.Status.DOWN, d);
        }
        return Health.of(Health.Status.UP, d);
    }

    /** Publishes finish inside {@link #publish}, so there is nothing to wait for; closes what the facade left open. */
    @Override
    public void close(Duration timeout) {
        if (closed.compareAndSet(false, true)) {
            for (Sub s : subscriptions) {
                s.close();
            }
        }
    }

    @Override
    public String toString() {
        return "MemoryTransport[broker=" + broker.name() + (closed.get() ? ", closed" : "") + "]";
    }

    /** A consumer on a queue; closing a transient one drops its queue, closing a durable one keeps it. */
    private final class Sub implements TransportSubscription {
        private final MemoryQueue queue;
        private final MemoryQueue.Consumer consumer;
        private final AtomicBoolean closed = new AtomicBoolean();

        Sub(MemoryQueue queue, MemoryQueue.Consumer consumer) {
            this.queue = queue;
            this.consumer = consumer;
        }

        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            consumer.closed = true;
            queue.removeConsumer(consumer);
            if (!queue.isDurable()) {
                broker.unbind(queue);
                queue.delete();
            }
            subscriptions.remove(this);
        }
    }
}
