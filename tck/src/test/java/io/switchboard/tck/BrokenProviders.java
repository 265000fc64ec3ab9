package io.switchboard.tck;

import io.switchboard.Capabilities;
import io.switchboard.Health;
import io.switchboard.Message;
import io.switchboard.memory.MemoryCacheProvider;
import io.switchboard.memory.MemoryTransportProvider;
import io.switchboard.spi.CacheDriver;
import io.switchboard.spi.CacheEntry;
import io.switchboard.spi.CacheProvider;
import io.switchboard.spi.Config;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.DeliveryListener;
import io.switchboard.spi.InboundDelivery;
import io.switchboard.spi.ProviderContext;
import io.switchboard.spi.SubscriptionRequest;
import io.switchboard.spi.Transport;
import io.switchboard.spi.TransportProvider;
import io.switchboard.spi.TransportSubscription;
import io.switchboard.spi.ValueFormat;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Deliberately broken providers, each an SPI decorator around the in-memory one with one defect,
 * for {@link BrokenVariantsTest} to prove that the kit catches them. Registered in
 * {@code META-INF/services} of the test classpath only.
 */
public final class BrokenProviders {
    private BrokenProviders() {
    }

    /** A transport provider that delegates to the memory provider and wraps what it creates. */
    abstract static class BrokenTransportProvider implements TransportProvider {
        private final TransportProvider memory = new MemoryTransportProvider();
        private final String name;

        BrokenTransportProvider(String name) {
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

        @Override
        public Transport create(ProviderContext context) {
            return wrap(memory.create(context));
        }

        abstract Transport wrap(Transport memoryTransport);
    }

    /** Forwards everything; broken variants (here and in the sync package) override what they break. */
    public static class ForwardingTransport implements Transport {
        protected final Transport delegate;

        public ForwardingTransport(Transport delegate) {
            this.delegate = delegate;
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
    }

    /** Reports the third publish of each transport as accepted, and drops it. */
    public static final class DropsOneMessage extends BrokenTransportProvider {
        public DropsOneMessage() {
            super("broken-drop");
        }

        @Override
        Transport wrap(Transport memory) {
            AtomicInteger published = new AtomicInteger();
            return new ForwardingTransport(memory) {
                @Override
                public CompletionStage<Void> publish(String channel, Message message) {
                    if (published.incrementAndGet() == 3) {
                        return CompletableFuture.completedFuture(null);
                    }
                    return delegate.publish(channel, message);
                }
            };
        }
    }

    /** Delivers the third message of each subscription twice. */
    public static final class DeliversOneTwice extends BrokenTransportProvider {
        public DeliversOneTwice() {
            super("broken-duplicate");
        }

        @Override
        Transport wrap(Transport memory) {
            return new ForwardingTransport(memory) {
                @Override
                public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                    AtomicInteger delivered = new AtomicInteger();
                    return delegate.subscribe(request, d -> {
                        listener.onDelivery(d);
                        if (delivered.incrementAndGet() == 3) {
                            listener.onDelivery(new DetachedCopy(d));
                        }
                    });
                }
            };
        }
    }

    /** Ignores Subscription.close (the consumer stays registered) until the whole transport closes. */
    public static final class IgnoresClose extends BrokenTransportProvider {
        public IgnoresClose() {
            super("broken-ignores-close");
        }

        @Override
        Transport wrap(Transport memory) {
            Set<TransportSubscription> kept = ConcurrentHashMap.newKeySet();
            return new ForwardingTransport(memory) {
                @Override
                public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                    TransportSubscription real = delegate.subscribe(request, listener);
                    kept.add(real);
                    return () -> { };
                }

                @Override
                public void close(Duration timeout) {
                    kept.forEach(TransportSubscription::close);
                    delegate.close(timeout);
                }
            };
        }
    }

    /** Holds the second delivery of each subscription back and hands it over after the third. */
    public static final class Reorders extends BrokenTransportProvider {
        public Reorders() {
            super("broken-reorder");
        }

        @Override
        Transport wrap(Transport memory) {
            return new ForwardingTransport(memory) {
                @Override
                public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                    AtomicInteger delivered = new AtomicInteger();
                    InboundDelivery[] held = new InboundDelivery[1];
                    return delegate.subscribe(request, d -> {
                        int n = delivered.incrementAndGet();
                        if (n == 2) {
                            held[0] = d;
                            return;
                        }
                        listener.onDelivery(d);
                        if (n == 3) {
                            listener.onDelivery(held[0]);
                        }
                    });
                }
            };
        }
    }

    /**
     * Not broken: an honest at-most-once transport that declares no capability at all. It
     * acknowledges each message as it hands it over, as a fire-and-forget broker does, so the
     * kit's refusal rules and the facade's in-process retries get exercised.
     */
    public static final class AtMostOnce extends BrokenTransportProvider {
        public AtMostOnce() {
            super("at-most-once-memory");
        }

        @Override
        public Capabilities capabilities(Config config) {
            return Capabilities.of(name());
        }

        @Override
        Transport wrap(Transport memory) {
            return new ForwardingTransport(memory) {
                @Override
                public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                    return delegate.subscribe(request, d -> {
                        d.ack();
                        listener.onDelivery(new DetachedCopy(d));
                    });
                }
            };
        }
    }

    /**
     * Not broken: the memory transport with a simulated connection, which {@link #cutAll()} cuts.
     * On a cut it reports LOST, drops every consumer, subscribes them again and reports
     * RECOVERED, as a networked transport's reconnect loop does; lets the kit's fault rules run
     * without a server.
     */
    public static final class Reconnecting extends BrokenTransportProvider {
        private static final Set<SimulatedConnection> LIVE = ConcurrentHashMap.newKeySet();
        private final boolean resubscribes;

        public Reconnecting() {
            this("reconnecting-memory", true);
        }

        Reconnecting(String name, boolean resubscribes) {
            super(name);
            this.resubscribes = resubscribes;
        }

        /** Cuts the simulated connection of every open transport of this kind. */
        static void cutAll() {
            LIVE.forEach(SimulatedConnection::cut);
        }

        /** Fault hooks that cut the simulated connections, for both the cut and the restart rule. */
        static TransportFaults hooks() {
            return new TransportFaults() {
                @Override
                public boolean canCutConnections() {
                    return true;
                }

                @Override
                public void cutConnections() {
                    cutAll();
                }

                @Override
                public boolean canRestartServer() {
                    return true;
                }

                @Override
                public void restartServer() {
                    cutAll();
                }
            };
        }

        @Override
        public Transport create(ProviderContext context) {
            SimulatedConnection t = new SimulatedConnection(super.create(context), context, resubscribes);
            LIVE.add(t);
            return t;
        }

        @Override
        Transport wrap(Transport memoryTransport) {
            return memoryTransport;
        }

        private static final class SimulatedConnection extends ForwardingTransport {
            private final ProviderContext context;
            private final boolean resubscribes;
            private final Set<Consumer> consumers = ConcurrentHashMap.newKeySet();

            SimulatedConnection(Transport delegate, ProviderContext context, boolean resubscribes) {
                super(delegate);
                this.context = context;
                this.resubscribes = resubscribes;
            }

            @Override
            public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                Consumer c = new Consumer(request, listener, delegate.subscribe(request, listener));
                consumers.add(c);
                return () -> {
                    consumers.remove(c);
                    c.inner.close();
                };
            }

            void cut() {
                context.events().lost(new java.io.IOException("simulated connection cut"));
                for (Consumer c : consumers) {
                    c.inner.close();
                    if (resubscribes) {
                        c.inner = delegate.subscribe(c.request, c.listener);
                    }
                }
                context.events().recovered(true);
            }

            @Override
            public void close(Duration timeout) {
                LIVE.remove(this);
                delegate.close(timeout);
            }
        }

        private static final class Consumer {
            final SubscriptionRequest request;
            final DeliveryListener listener;
            volatile TransportSubscription inner;

            Consumer(SubscriptionRequest request, DeliveryListener listener, TransportSubscription inner) {
                this.request = request;
                this.listener = listener;
                this.inner = inner;
            }
        }
    }

    /** Reports RECOVERED after a cut but never subscribes its consumers again. */
    public static final class NeverResubscribes extends BrokenTransportProvider {
        private final Reconnecting broken = new Reconnecting("broken-no-resubscribe", false);

        public NeverResubscribes() {
            super("broken-no-resubscribe");
        }

        @Override
        public Transport create(ProviderContext context) {
            return broken.create(context);
        }

        @Override
        Transport wrap(Transport memoryTransport) {
            return memoryTransport;
        }
    }

    /** A copy of a delivery whose settlement does nothing: the original settles the message. */
    private static final class DetachedCopy implements InboundDelivery {
        private final InboundDelivery original;

        DetachedCopy(InboundDelivery original) {
            this.original = original;
        }

        @Override
        public Message message() {
            return original.message();
        }

        @Override
        public int attempt() {
            return original.attempt();
        }

        @Override
        public boolean redelivered() {
            return false;
        }

        @Override
        public void ack() {
        }

        @Override
        public void release() {
        }

        @Override
        public void retry(Duration delay) {
        }

        @Override
        public void deadLetter(String reason, int attempts) {
        }
    }

    /** A cache that stores every value without expiry, whatever TTL it is given. */
    public static final class IgnoresTtl implements CacheProvider {
        private final CacheProvider memory = new MemoryCacheProvider();

        @Override
        public String name() {
            return "broken-ttl";
        }

        @Override
        public List<ConfigKey<?>> configKeys() {
            return List.of();
        }

        @Override
        public CacheDriver create(ProviderContext context) {
            CacheDriver d = memory.create(context);
            return new CacheDriver() {
                @Override
                public int maxKeyLength() {
                    return d.maxKeyLength();
                }

                @Override
                public int maxValueSize() {
                    return d.maxValueSize();
                }

                @Override
                public CompletionStage<CacheEntry> get(String key) {
                    return d.get(key);
                }

                @Override
                public CompletionStage<Map<String, CacheEntry>> getAll(Collection<String> keys) {
                    return d.getAll(keys);
                }

                @Override
                public CompletionStage<Void> put(String key, byte[] value, ValueFormat format, Duration ttl) {
                    return d.put(key, value, format, Duration.ZERO);
                }

                @Override
                public CompletionStage<Boolean> putIfAbsent(String key, byte[] value, ValueFormat format, Duration ttl) {
                    return d.putIfAbsent(key, value, format, Duration.ZERO);
                }

                @Override
                public CompletionStage<Boolean> compareAndSet(String key, long version, byte[] value, ValueFormat format, Duration ttl) {
                    return d.compareAndSet(key, version, value, format, Duration.ZERO);
                }

                @Override
                public CompletionStage<Boolean> delete(String key) {
                    return d.delete(key);
                }

                @Override
                public CompletionStage<Long> increment(String key, long delta, long initial, Duration ttl) {
                    return d.increment(key, delta, initial, Duration.ZERO);
                }

                @Override
                public Health health() {
                    return d.health();
                }

                @Override
                public void close(Duration timeout) {
                    d.close(timeout);
                }
            };
        }
    }
}
