package io.switchboard;

import java.time.Duration;

/**
 * An open subscription. Thread-safe. Closing it stops deliveries; closing the
 * {@link Switchboard} closes every subscription.
 */
public interface Subscription extends AutoCloseable {
    /** The channel or pattern subscribed to. */
    String channelOrPattern();

    /** Whether {@link #channelOrPattern()} contains wildcards. */
    boolean isPattern();

    /** The options subscribed with. */
    SubscriptionOptions options();

    /** Whether the subscription still receives messages. */
    boolean isActive();

    /**
     * Stops deliveries and waits up to {@code switchboard.close.timeout} for handlers already
     * running to finish (their outcome is acknowledged as usual). Once this returns, no handler
     * call begins. For a durable subscription the broker keeps its messages for the next
     * subscriber. Idempotent. When called from one of this subscription's own handlers, it does
     * not wait for that handler.
     */
    @Override
    void close();

    /** As {@link #close()}, waiting at most {@code timeout} for running handlers. */
    void close(Duration timeout);
}
