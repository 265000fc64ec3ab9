package io.switchboard.memory;

import io.switchboard.Message;
import io.switchboard.spi.DeliveryListener;
import io.switchboard.spi.InboundDelivery;
import io.switchboard.spi.SubscriptionRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subscription queue: transient (one consumer, dropped on close) or durable (kept in the
 * broker, shared by competing consumers).
 *
 * <p>Lock-free on the publish path. Fresh messages wait in a FIFO queue; messages given back
 * (released, or retried after their delay) wait in a map ordered by their original sequence
 * number and go first, so a released message returns to its place. Dispatch is serialized by a
 * work-in-progress counter: whichever thread finds it at zero delivers until nothing is
 * deliverable, and any thread that changes the state meanwhile (a publish, an acknowledgement, a
 * release from inside the listener) only bumps the counter, so listeners are never called under a
 * lock and re-entrant calls cannot deadlock.
 */
final class MemoryQueue {
    private static final Logger LOG = LoggerFactory.getLogger(MemoryQueue.class);
    private static final long BOUNCE_DELAY_MILLIS = 5;

    private final MemoryBroker broker;
    private final String description;
    private final int capacity;
    private final boolean durable;
    private final Queue<Envelope> fresh = new ConcurrentLinkedQueue<>();
    private final ConcurrentSkipListMap<Long, Envelope> returned = new ConcurrentSkipListMap<>();
    private final AtomicLong sequence = new AtomicLong();
    /** Messages waiting (fresh, returned or scheduled for retry) plus capacity reserved by publishes in progress. */
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicInteger wip = new AtomicInteger();
    private final AtomicLong delivered = new AtomicLong();
    private volatile Consumer[] consumers = new Consumer[0];
    private volatile boolean deleted;
    private int nextConsumer;

    MemoryQueue(MemoryBroker broker, String description, int capacity, boolean durable) {
        this.broker = broker;
        this.description = description;
        this.capacity = capacity;
        this.durable = durable;
    }

    String describe() {
        return description;
    }

    int capacity() {
        return capacity;
    }

    boolean isDurable() {
        return durable;
    }

    int depth() {
        return Math.max(0, size.get());
    }

    long delivered() {
        return delivered.get();
    }

    boolean reserve() {
        while (true) {
            int s = size.get();
            if (s >= capacity) {
                return false;
            }
            if (size.compareAndSet(s, s + 1)) {
                return true;
            }
        }
    }

    void unreserve() {
        size.decrementAndGet();
    }

    void offerReserved(Message message) {
        if (deleted) {
            size.decrementAndGet();
            return;
        }
        fresh.add(new Envelope(sequence.incrementAndGet(), message, 1, false));
        drain();
    }

    void offerOverCapacity(Message message) {
        size.incrementAndGet();
        offerReserved(message);
    }

    /** Gives a delivered message back, ahead of fresh messages and in its original place. */
    private void giveBack(Envelope e) {
        if (deleted) {
            return;
        }
        size.incrementAndGet();
        returned.put(e.sequence, e);
        drain();
    }

    Consumer addConsumer(SubscriptionRequest request, DeliveryListener listener) {
        Consumer c = new Consumer(request, listener);
        synchronized (this) {
            Consumer[] next = Arrays.copyOf(consumers, consumers.length + 1);
            next[next.length - 1] = c;
            consumers = next;
        }
        drain();
        return c;
    }

    synchronized void removeConsumer(Consumer c) {
        Consumer[] current = consumers;
        for (int i = 0; i < current.length; i++) {
            if (current[i] == c) {
                Consumer[] next = new Consumer[current.length - 1];
                System.arraycopy(current, 0, next, 0, i);
                System.arraycopy(current, i + 1, next, i, current.length - i - 1);
                consumers = next;
                return;
            }
        }
    }

    /** Drops every message and stops delivering, for a closed transient or deleted durable queue. */
    void delete() {
        deleted = true;
        for (Consumer c : consumers) {
            c.closed = true;
        }
        fresh.clear();
        returned.clear();
        size.set(0);
    }

    private void drain() {
        if (wip.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        List<Consumer> bounced = null;
        while (true) {
            Dispatch d;
            while ((d = next(bounced)) != null) {
                try {
                    d.consumer.listener.onDelivery(d.delivery);
                } catch (RuntimeException e) {
                    LOG.warn("listener of in-memory subscription {} failed to take message {}; giving it back: {}",
                            description, d.delivery.envelope.message.id(), e.toString());
                    d.delivery.release();
                }
                // A listener that hands a message straight back is closing (or broken): offering it
                // the same message again in this pass would only spin, so it waits for a later pass.
                if (d.delivery.released) {
                    if (bounced == null) {
                        bounced = new ArrayList<>(2);
                    }
                    bounced.add(d.consumer);
                }
            }
            missed = wip.addAndGet(-missed);
            if (missed == 0) {
                if (bounced != null) {
                    broker.timer().schedule(this::drain, BOUNCE_DELAY_MILLIS, TimeUnit.MILLISECONDS);
                }
                return;
            }
        }
    }

    /** The next message and the consumer to give it to, or null; only called by the draining thread. */
    private Dispatch next(List<Consumer> bounced) {
        if (deleted) {
            return null;
        }
        Consumer[] cs = consumers;
        if (cs.length == 0 || fresh.isEmpty() && returned.isEmpty()) {
            return null;
        }
        Consumer chosen = null;
        for (int i = 0; i < cs.length; i++) {
            Consumer c = cs[(nextConsumer + i) % cs.length];
            if (!c.closed && c.outstanding.get() < c.maxUnacknowledged && (bounced == null || !bounced.contains(c))) {
                chosen = c;
                nextConsumer = (nextConsumer + i + 1) % cs.length;
                break;
            }
        }
        if (chosen == null) {
            return null;
        }
        Map.Entry<Long, Envelope> back = returned.pollFirstEntry();
        Envelope e = back != null ? back.getValue() : fresh.poll();
        if (e == null) {
            return null;
        }
        size.decrementAndGet();
        chosen.outstanding.incrementAndGet();
        delivered.incrementAndGet();
        return new Dispatch(chosen, new Delivery(this, chosen, e));
    }

    /** A message waiting in the queue, with its delivery count. */
    private static final class Envelope {
        final long sequence;
        final Message message;
        final int attempt;
        final boolean redelivered;

        Envelope(long sequence, Message message, int attempt, boolean redelivered) {
            this.sequence = sequence;
            this.message = message;
            this.attempt = attempt;
            this.redelivered = redelivered;
        }
    }

    private static final class Dispatch {
        final Consumer consumer;
        final Delivery delivery;

        Dispatch(Consumer consumer, Delivery delivery) {
            this.consumer = consumer;
            this.delivery = delivery;
        }
    }

    /** One subscriber of this queue, with its credit. */
    static final class Consumer {
        final SubscriptionRequest request;
        final DeliveryListener listener;
        final int maxUnacknowledged;
        final AtomicInteger outstanding = new AtomicInteger();
        volatile boolean closed;

        Consumer(SubscriptionRequest request, DeliveryListener listener) {
            this.request = request;
            this.listener = listener;
            this.maxUnacknowledged = request.maxUnacknowledged();
        }
    }

    /** One delivery; the first settling call wins, later ones do nothing. */
    private static final class Delivery implements InboundDelivery {
        private final MemoryQueue queue;
        private final Consumer consumer;
        final Envelope envelope;
        private final AtomicBoolean settled = new AtomicBoolean();
        volatile boolean released;

        Delivery(MemoryQueue queue, Consumer consumer, Envelope envelope) {
            this.queue = queue;
            this.consumer = consumer;
            this.envelope = envelope;
        }

        @Override
        public Message message() {
            return envelope.message;
        }

        @Override
        public long sizeHint() {
            return envelope.message.size();
        }

        @Override
        public int attempt() {
            return envelope.attempt;
        }

        @Override
        public boolean redelivered() {
            return envelope.redelivered;
        }

        @Override
        public void ack() {
            settle();
        }

        @Override
        public void release() {
            if (settled.compareAndSet(false, true)) {
                released = true;
                consumer.outstanding.decrementAndGet();
                queue.giveBack(new Envelope(envelope.sequence, envelope.message, envelope.attempt, true));
            }
        }

        @Override
        public void retry(Duration delay) {
            if (!settled.compareAndSet(false, true)) {
                return;
            }
            consumer.outstanding.decrementAndGet();
            Envelope again = new Envelope(envelope.sequence, envelope.message, envelope.attempt + 1, true);
            long nanos = Math.max(0, delay.toNanos());
            if (nanos == 0) {
                queue.giveBack(again);
            } else {
                queue.size.incrementAndGet();
                queue.broker.timer().schedule(() -> {
                    queue.size.decrementAndGet();
                    queue.giveBack(again);
                }, nanos, TimeUnit.NANOSECONDS);
            }
            queue.drain();
        }

        @Override
        public void deadLetter(String reason, int attempts) {
            if (!settled.compareAndSet(false, true)) {
                return;
            }
            String channel = consumer.request.deadLetterChannel();
            if (channel != null) {
                Message m = envelope.message;
                Message dead = m.toBuilder()
                        .header("sb-dead-letter-reason", reason == null ? "" : reason.replace('\0', ' '))
                        .header("sb-original-channel", m.channel() == null ? "" : m.channel())
                        .header("sb-attempts", Integer.toString(attempts))
                        .channel(channel)
                        .build();
                queue.broker.publishDeadLetter(channel, dead);
            }
            consumer.outstanding.decrementAndGet();
            queue.drain();
        }

        private void settle() {
            if (settled.compareAndSet(false, true)) {
                consumer.outstanding.decrementAndGet();
                queue.drain();
            }
        }

        @Override
        public String toString() {
            return "MemoryDelivery[" + envelope.message + ", attempt=" + envelope.attempt + "]";
        }
    }
}
