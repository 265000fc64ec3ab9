package io.switchboard.spi;

import java.time.Duration;

/**
 * The settlement side of an at-most-once delivery, for transports that build their own delivery
 * objects (to spare the decoder and claim objects {@link InboundDelivery#atMostOnce} takes):
 * attempt 1, never redelivered, nothing to acknowledge or release, and retries and dead letters
 * refused, since the facade retries such deliveries in-process. A subclass gives the message, its
 * size and, if it may, the delivering thread.
 */
public abstract class AtMostOnceDelivery implements InboundDelivery {
    /** For subclasses. */
    protected AtMostOnceDelivery() {
    }

    @Override
    public final int attempt() {
        return 1;
    }

    @Override
    public final boolean redelivered() {
        return false;
    }

    @Override
    public final void ack() {
    }

    @Override
    public final void release() {
    }

    @Override
    public final void retry(Duration delay) {
        throw new IllegalStateException("retry() called on an at-most-once delivery; the facade retries in-process");
    }

    @Override
    public final void deadLetter(String reason, int attempts) {
        throw new IllegalStateException("deadLetter() called on a transport without dead letters");
    }
}
