package io.switchboard.redis.streams.internal;

import io.switchboard.Message;
import io.switchboard.spi.InboundDelivery;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One delivery of a stream entry. The first of {@link #ack()}, {@link #release()},
 * {@link #retry(Duration)} and {@link #deadLetter(String, int)} counts; later calls do nothing.
 * Thread-safe and non-blocking: each queues its command on the writer.
 */
final class StreamsDelivery implements InboundDelivery {
    final StreamsSubscription subscription;
    final String entryId;
    final Message message;
    final int attempt;
    private final boolean redelivered;
    private final long size;
    /** The subscription's connection when this was delivered: an acknowledgement across a reconnection is not trusted. */
    final int epoch;
    private final AtomicBoolean settled = new AtomicBoolean();

    StreamsDelivery(StreamsSubscription subscription, String entryId, Message message, int attempt, boolean redelivered, long size) {
        this.subscription = subscription;
        this.entryId = entryId;
        this.message = message;
        this.attempt = attempt;
        this.redelivered = redelivered;
        this.size = size;
        this.epoch = subscription.epoch();
    }

    @Override
    public Message message() {
        return message;
    }

    @Override
    public int attempt() {
        return attempt;
    }

    @Override
    public boolean redelivered() {
        return redelivered;
    }

    @Override
    public long sizeHint() {
        return size;
    }

    @Override
    public void ack() {
        if (settled.compareAndSet(false, true)) {
            subscription.acked(this);
        }
    }

    @Override
    public void release() {
        if (settled.compareAndSet(false, true)) {
            subscription.released(this);
        }
    }

    @Override
    public void retry(Duration delay) {
        if (settled.compareAndSet(false, true)) {
            subscription.retry(this, delay);
        }
    }

    @Override
    public void deadLetter(String reason, int attempts) {
        if (settled.compareAndSet(false, true)) {
            subscription.deadLetter(this, reason, attempts);
        }
    }

    /**
     * Lets the facade run the handler on the subscription's reader thread for the last entry of a
     * read, sparing a thread hand-off (see {@link StreamsSubscription#lend}).
     */
    @Override
    public boolean claimDeliveryThread() {
        return subscription.lend();
    }

    /** A new delivery of the same entry, as attempt {@code next}. */
    StreamsDelivery again(int next) {
        return new StreamsDelivery(subscription, entryId, message, next, true, size);
    }

    @Override
    public String toString() {
        return "StreamsDelivery[" + entryId + ", attempt " + attempt + ", " + message + "]";
    }
}
