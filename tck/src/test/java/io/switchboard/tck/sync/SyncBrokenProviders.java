package io.switchboard.tck.sync;

import io.switchboard.Capabilities;
import io.switchboard.Message;
import io.switchboard.memory.MemoryTransportProvider;
import io.switchboard.spi.Config;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.DeliveryListener;
import io.switchboard.spi.ProviderContext;
import io.switchboard.spi.SubscriptionRequest;
import io.switchboard.spi.Transport;
import io.switchboard.spi.TransportProvider;
import io.switchboard.spi.TransportSubscription;
import io.switchboard.tck.BrokenProviders;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Deliberately broken transports over the memory provider, each defect one cache-sync rule must catch. */
final class SyncBrokenProviders {
    private SyncBrokenProviders() {
    }

    abstract static class Base implements TransportProvider {
        final MemoryTransportProvider memory = new MemoryTransportProvider();
        private final String name;

        Base(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public List<ConfigKey<?>> configKeys() {
            return List.of();
        }

        @Override
        public Capabilities capabilities(Config config) {
            return Capabilities.of(name, memory.capabilities(config).asSet());
        }
    }

    /** Loses every message's headers on the way. */
    public static final class StripsHeaders extends Base {
        public StripsHeaders() {
            super("sync-strips-headers");
        }

        @Override
        public Transport create(ProviderContext context) {
            return new BrokenProviders.ForwardingTransport(memory.create(context)) {
                @Override
                public CompletionStage<Void> publish(String channel, Message message) {
                    Message.Builder b = message.toBuilder();
                    message.headers().keySet().forEach(b::removeHeader);
                    return delegate.publish(channel, b.build());
                }
            };
        }
    }

    /** On {@link #cutAll()} loses the next deliveries to every subscription and never reports it. */
    public static final class SilentCut extends Base {
        private static final Set<AtomicInteger> DROPS = ConcurrentHashMap.newKeySet();

        public SilentCut() {
            super("sync-silent-cut");
        }

        static void cutAll() {
            DROPS.forEach(d -> d.set(1_000));
        }

        @Override
        public Transport create(ProviderContext context) {
            AtomicInteger drop = new AtomicInteger();
            DROPS.add(drop);
            return new BrokenProviders.ForwardingTransport(memory.create(context)) {
                @Override
                public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                    return delegate.subscribe(request, d -> {
                        if (drop.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
                            d.ack();
                            return;
                        }
                        listener.onDelivery(d);
                    });
                }

                @Override
                public void close(Duration timeout) {
                    DROPS.remove(drop);
                    delegate.close(timeout);
                }
            };
        }
    }
}
