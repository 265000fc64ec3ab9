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
