package io.switchboard.spi;

/** A subscription as held by a transport. */
public interface TransportSubscription {
    /**
     * Stops new deliveries to the listener (a broker consumer is cancelled, a channel
     * unsubscribed). Deliveries already handed to the listener may still be acknowledged, retried
     * or dead-lettered afterwards, and the transport must honour those calls. Durable
     * subscriptions keep their messages. Idempotent; must not block for long.
     */
    void close();
}
