package io.switchboard;

/**
 * Subscribes handlers to channels and patterns. Thread-safe; share one per {@link Switchboard}.
 *
 * <p>Portable syntax (see {@code docs/semantics.md}): a channel is dot-separated segments of
 * letters, digits, {@code _} and {@code -}; in a pattern a segment may be {@code *} (exactly one
 * segment) or {@code #} (zero or more segments). {@code orders.*} matches {@code orders.created}
 * but not {@code orders} or {@code orders.eu.created}; {@code orders.#} matches all three.
 */
public interface Subscriber {
    /**
     * Subscribes with {@link SubscriptionOptions#defaults()}.
     *
     * @see #subscribe(String, SubscriptionOptions, MessageHandler)
     */
    Subscription subscribe(String channelOrPattern, MessageHandler handler);

    /**
     * Subscribes a handler. The subscription is active when this returns: on a connected
     * transport, messages published after the return are delivered to it. If the transport is
     * disconnected, the subscription is established when the connection returns (and a
     * {@link ConnectionEvent} reports the gap) or this method fails with
     * {@link ConnectionException}, as the transport documents; it is never silently lost.
     *
     * @param channelOrPattern an exact channel or a pattern
     * @param options durability, concurrency, retries and dead-lettering
     * @param handler the handler; see {@link MessageHandler} for threading and acknowledgement
     * @return the open subscription
     * @throws NullPointerException if an argument is {@code null}
     * @throws IllegalArgumentException if the channel, pattern or dead-letter channel is invalid
     * @throws UnsupportedCapabilityException if the options or the pattern need a capability the
     *     transport lacks (pattern subscriptions, durable subscriptions, dead letters; a retry
     *     policy is honoured by every transport)
     * @throws ConnectionException if the transport cannot establish the subscription
     * @throws ConfigurationException if the server refuses it for want of a permission (for example a Redis ACL)
     * @throws IllegalStateException if the {@link Switchboard} is closing or closed
     */
    Subscription subscribe(String channelOrPattern, SubscriptionOptions options, MessageHandler handler);

    /**
     * Deletes a durable subscription and every message kept for it. This instance's subscriptions
     * of that name stop receiving and are then closed (as by {@link Subscription#close()}, waiting
     * for their running handlers), so nothing re-creates it; a refusal leaves them as they were.
     * A transport may refuse while other instances
     * still consume it, where it can tell (the {@code rabbitmq} transport does), rather than
     * delete under them: they would only create it again.
     *
     * @return whether a subscription of that name existed
     * @throws UnsupportedCapabilityException if the transport has no durable subscriptions
     * @throws IllegalArgumentException if the name is not a valid durable subscription name
     * @throws IllegalStateException if the transport refuses because other instances consume the
     *     subscription; the message names it and how many consumers
     */
    boolean deleteDurable(String name);
}
