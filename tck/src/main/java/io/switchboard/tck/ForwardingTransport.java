package io.switchboard.tck;

import io.switchboard.Health;
import io.switchboard.Message;
import io.switchboard.spi.DeliveryListener;
import io.switchboard.spi.SubscriptionRequest;
import io.switchboard.spi.Transport;
import io.switchboard.spi.TransportSubscription;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * A {@link Transport} that forwards every call, default methods included, to another one: extend
 * it and override what you change, for example to add a fault or a bug to a working transport in
 * a test, or to wrap one in a {@link SimulatedConnection}. The kit's own tests check that every
 * method of {@link Transport} is forwarded, so a default method added to the SPI cannot be lost.
 *
 * <p>As thread-safe, blocking and null-tolerant as the delegate; adds no state.
 */
public class ForwardingTransport implements Transport {
    /** The transport every call goes to. */
    protected final Transport delegate;

    /** Forwards to {@code delegate}. */
    public ForwardingTransport(Transport delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    public CompletionStage<Void> publish(String channel, Message message) {
        return delegate.publish(channel, message);
    }

    @Override
    public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
        return delegate.subscribe(request, listener);
    }

    @Override
    public String replyAddress(String inbox) {
        return delegate.replyAddress(inbox);
    }

    @Override
    public TransportSubscription subscribeReplies(SubscriptionRequest request, DeliveryListener listener) {
        return delegate.subscribeReplies(request, listener);
    }

    @Override
    public CompletionStage<Void> publishReply(String address, Message reply) {
        return delegate.publishReply(address, reply);
    }

    @Override
    public boolean deleteDurable(String name) {
        return delegate.deleteDurable(name);
    }

    @Override
    public Health health() {
        return delegate.health();
    }

    @Override
    public void close(Duration timeout) {
        delegate.close(timeout);
    }

    @Override
    public <T> T unwrap(Class<T> type) {
        return delegate.unwrap(type);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + delegate + "]";
    }
}
