package io.switchboard.testing;

import io.switchboard.Capabilities;
import io.switchboard.Health;
import io.switchboard.Message;
import io.switchboard.spi.Config;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.DeliveryListener;
import io.switchboard.spi.InboundDelivery;
import io.switchboard.spi.ProviderContext;
import io.switchboard.spi.SubscriptionRequest;
import io.switchboard.spi.Transport;
import io.switchboard.spi.TransportProvider;
import io.switchboard.spi.TransportSubscription;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A minimal at-most-once transport named {@code fake} with no capabilities at all: exact channels
 * only, synchronous delivery inside one Switchboard. Registered only through
 * {@link TestClassLoaders}, so other tests do not see a second transport.
 */
public class FakeTransportProvider implements TransportProvider {
    /** Whether deliveries grant the publishing thread to handlers ({@link InboundDelivery#claimDeliveryThread()}). */
    protected boolean grantsDeliveryThread() {
        return false;
    }

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public List<ConfigKey<?>> configKeys() {
        return List.of();
    }

    @Override
    public Capabilities capabilities(Config config) {
        return Capabilities.of(name());
    }

    @Override
    public Transport create(ProviderContext context) {
        context.events().connected();
        return new Transport() {
            private final Map<String, List<DeliveryListener>> listeners = new ConcurrentHashMap<>();

            @Override
            public CompletionStage<Void> publish(String channel, Message message) {
                for (DeliveryListener l : listeners.getOrDefault(channel, List.of())) {
                    l.onDelivery(grantsDeliveryThread() ? InboundDelivery.atMostOnce(() -> message, () -> true)
                            : InboundDelivery.atMostOnce(message));
                }
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                List<DeliveryListener> list = listeners.computeIfAbsent(request.channelOrPattern(), c -> new CopyOnWriteArrayList<>());
                list.add(listener);
                return () -> list.remove(listener);
            }

            @Override
            public boolean deleteDurable(String name) {
                throw new AssertionError("deleteDurable must not be called without the capability");
            }

            @Override
            public Health health() {
                return Health.up();
            }

            @Override
            public void close(Duration timeout) {
                listeners.clear();
            }
        };
    }
}
