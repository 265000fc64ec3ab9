package io.switchboard.spi;

import io.switchboard.Health;
import io.switchboard.Message;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * A connected transport, created by a {@link TransportProvider}. Must be thread-safe.
 *
 * <p>The facade has validated every argument (channel names, message size, capabilities) before
 * calling in, and owns handler threads, concurrency and retry decisions: the transport delivers
 * each message to a {@link DeliveryListener} and carries out what the facade decides through
 * {@link InboundDelivery}.
 */
public interface Transport {
    /**
     * Publishes a message. Must not block for a server round trip (it may block briefly when a
     * documented bound on in-flight publishes is reached). The stage must complete only once the
     * transport's guarantee holds, and must fail with {@link io.switchboard.PublishException} or
     * {@link io.switchboard.ConnectionException} otherwise; it must always complete eventually
     * (a timeout is the transport's job).
     *
     * @param channel a valid exact channel name
     * @param message the message, its channel already set to {@code channel}
     */
    CompletionStage<Void> publish(String channel, Message message);

    /**
     * Starts a subscription. When this returns on a connected transport, messages published
     * afterwards must reach the listener. While disconnected, the transport must either keep the
     * request and establish it on reconnection, or throw {@link io.switchboard.ConnectionException}.
     *
     * <p>The transport must not have more than {@link SubscriptionRequest#maxUnacknowledged()}
     * deliveries outstanding (delivered but neither acknowledged, retried nor dead-lettered) if
     * it is at-least-once; an at-most-once transport may deliver without bound, and the facade
     * then drops what it cannot buffer.
     *
     * @throws io.switchboard.ConnectionException if the subscription cannot be established
     * @throws io.switchboard.ConfigurationException should be thrown when the server refuses it for want of a permission
     */
    TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener);

    /**
     * Deletes a durable subscription and its kept messages; returns whether it existed. Only
     * called when {@link io.switchboard.Capability#DURABLE_SUBSCRIPTIONS} is declared. This
     * instance's subscriptions of that name must stop receiving, and must not create the
     * subscription again (a re-created queue would collect messages nobody reads). May throw
     * {@link IllegalStateException}, naming the subscription, while other instances consume it.
     */
    boolean deleteDurable(String name);

    /**
     * The address that requests carry in their {@code sb-reply-to} header for replies to reach
     * the inbox {@link #subscribeReplies} opens; default: the inbox channel itself. A transport
     * on which a per-instance channel would leave something behind on the server (a durable
     * exchange, say) should return an address of its own and override the two methods below.
     *
     * @param inbox the instance's inbox channel, {@code switchboard.reply.<hex>}
     */
    default String replyAddress(String inbox) {
        return inbox;
    }

    /**
     * Subscribes this instance's reply inbox: the facade calls it once, at the first request.
     * Default: {@link #subscribe} to the inbox channel. An override must deliver what
     * {@link #publishReply} sends to {@link #replyAddress} and must leave nothing behind on the
     * server once the instance is gone; it should re-establish itself after a reconnect, as
     * {@link #subscribe} does.
     *
     * @param request a transient subscription to the inbox channel, {@code switchboard.reply.<hex>}
     * @param listener the facade's, which acknowledges every delivery at once
     * @throws io.switchboard.ConnectionException if the inbox cannot be established
     */
    default TransportSubscription subscribeReplies(SubscriptionRequest request, DeliveryListener listener) {
        return subscribe(request, listener);
    }

    /**
     * Publishes a reply to an address taken from a request's {@code sb-reply-to} header, as
     * {@link #publish} does. Default: {@link #publish} to the address as a channel.
     *
     * @param address the address, as the request carried it; not validated by the facade
     * @param reply the reply, its channel set to {@code address}
     * @throws IllegalArgumentException if the address is not one this transport replies to,
     *     naming it (the default refuses anything but a valid exact channel)
     */
    default CompletionStage<Void> publishReply(String address, Message reply) {
        Channels.requireChannel(address);
        return publish(address, reply);
    }

    /** The current health: connection state, counters, server version. Must not block for long. */
    Health health();

    /**
     * Closes the transport: pending publishes must complete or fail within {@code timeout}, then
     * connections are released. The facade has already closed every subscription and waited for
     * running handlers. Idempotent.
     */
    void close(Duration timeout);

    /**
     * The native client object of the given type (for example a Jedis pool or an amqp-client
     * {@code Connection}).
     *
     * @throws IllegalArgumentException if there is none of that type; the message lists the supported types
     */
    default <T> T unwrap(Class<T> type) {
        throw new IllegalArgumentException("this transport offers no native object of type " + type.getName());
    }
}
