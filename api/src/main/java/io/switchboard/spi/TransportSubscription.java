package io.switchboard.spi;

import java.util.concurrent.CompletableFuture;

/** A subscription as held by a transport. */
public interface TransportSubscription {
    /**
     * Stops new deliveries to the listener (a broker consumer is cancelled, a channel
     * unsubscribed). Deliveries already handed to the listener may still be acknowledged, retried
     * or dead-lettered afterwards, and the transport must honour those calls. Durable
     * subscriptions keep their messages. Idempotent; must not block for long.
     */
    void close();

    /**
     * Starts {@link #close()} without waiting for the broker's answer. The future completes when
     * new deliveries have stopped, or when the transport stopped waiting for that (within the
     * bound its {@code close()} documents); it never completes exceptionally. Closing an instance
     * starts this for every subscription before waiting for any, so that thousands of them take
     * about one broker round trip rather than one each. The default runs {@code close()}; a
     * transport whose close waits for a reply overrides it.
     *
     * @return completes when the subscription is closed at the transport
     */
    default CompletableFuture<Void> closeAsync() {
        close();
        return CompletableFuture.completedFuture(null);
    }
}
