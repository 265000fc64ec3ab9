package io.switchboard.near;

import io.switchboard.Capabilities;
import io.switchboard.ConnectionException;
import io.switchboard.Health;
import io.switchboard.Message;
import io.switchboard.memory.MemoryTransportProvider;
import io.switchboard.spi.Config;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.ConnectionEvents;
import io.switchboard.spi.DeliveryListener;
import io.switchboard.spi.ProviderContext;
import io.switchboard.spi.SubscriptionRequest;
import io.switchboard.spi.Transport;
import io.switchboard.spi.TransportProvider;
import io.switchboard.spi.TransportSubscription;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Transport {@value #NAME} for tests: the memory transport with a switch that loses messages the
 * way a real broker connection does (while "down" publishes fail and deliveries vanish), reports
 * LOST and RECOVERED, or loses messages silently. Reach it with {@code sb.unwrap(LossyTransport.class)}.
 */
public final class LossyTransportProvider implements TransportProvider {
    /** The provider name. */
    public static final String NAME = "lossy-memory";
    private final MemoryTransportProvider memory = new MemoryTransportProvider();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<ConfigKey<?>> configKeys() {
        return List.of();
    }

    @Override
    public Capabilities capabilities(Config config) {
        return Capabilities.of(NAME, memory.capabilities(config).asSet());
    }

    @Override
    public Transport create(ProviderContext context) {
        return new LossyTransport(memory.create(context), context.events());
    }

    /** The switchable transport. Thread-safe. */
    public static final class LossyTransport implements Transport {
        private final Transport inner;
        private final ConnectionEvents events;
        private volatile boolean down;
        private final AtomicInteger dropNext = new AtomicInteger();

        LossyTransport(Transport inner, ConnectionEvents events) {
            this.inner = inner;
            this.events = events;
        }

        /** Goes down: reports LOST; publishes fail and deliveries are lost until {@link #reconnect()}. */
        public void disconnect() {
            down = true;
            events.lost(new IOException("connection cut by the test"));
        }

        /** Comes back and reports RECOVERED with a possible gap. */
        public void reconnect() {
            down = false;
            events.recovered(true);
        }

        /** Reports RECOVERED with a possible gap without a LOST first (a reconnect faster than detection). */
        public void reportGap() {
            events.recovered(true);
        }

        /** Loses the next {@code n} deliveries to this instance's subscriptions without reporting anything. */
        public void dropSilently(int n) {
            dropNext.addAndGet(n);
        }

        @Override
        public CompletionStage<Void> publish(String channel, Message message) {
            if (down) {
                return CompletableFuture.failedFuture(new ConnectionException("lossy-memory transport is disconnected", null));
            }
            return inner.publish(channel, message);
        }

        @Override
        public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
            return inner.subscribe(request, d -> {
                if (down || dropNext.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
                    d.ack();
                    return;
                }
                listener.onDelivery(d);
            });
        }

        @Override
        public boolean deleteDurable(String name) {
            return inner.deleteDurable(name);
        }

        @Override
        public Health health() {
            return inner.health();
        }

        @Override
        public void close(Duration timeout) {
            inner.close(timeout);
        }

        @Override
        public <T> T unwrap(Class<T> type) {
            return type.isInstance(this) ? type.cast(this) : inner.unwrap(type);
        }
    }
}
