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
 * A transport named {@code inline} that delivers on the publishing thread and grants it to the
 * handler ({@link InboundDelivery#claimDeliveryThread()}), so tests can see where handlers run.
 * Registered only through {@link TestClassLoaders}.
 */
public final class InlineTransportProvider implements TransportProvider {
    @Override
    public String name() {
        return "inline";
    }

    @Override
    public List<ConfigKey<?>> configKeys() {
        return List.of();
    }

    @Override
    public Capabilities capabilities(Config config) {
        return Capabilities.of("inline");
    }

    @Override
    public Transport create(ProviderContext context) {
        context.events().connected();
        return new Transport() {
            private final Map<String, List<DeliveryListener>> listeners = new ConcurrentHashMap<>();

            @Override
            public CompletionStage<Void> publish(String channel, Message message) {
                for (DeliveryListener l : listeners.getOrDefault(channel, List.of())) {
                    l.onDelivery(InboundDelivery.atMostOnce(() -> message, () -> true));
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
