package io.switchboard.tck;

import io.switchboard.Capabilities;
import io.switchboard.ConfigurationException;
import io.switchboard.ConnectionException;
import io.switchboard.Health;
import io.switchboard.Message;
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
import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A test double for transport (and cache) authors who have no server harness yet: a simulated
 * network connection wrapped around your transport, with fault hooks that cut it, restart it and
 * hold it down, so the kit's fault rules run from day one.
 *
 * <pre>{@code
 * class MyTransportContractTest extends TransportContract {
 *     private final SimulatedConnection connection = new SimulatedConnection();
 *     protected Map<String, Object> properties() { return connection.around(Map.of("switchboard.transport", "mine")); }
 *     protected Faults faults() { return connection.faults(); }
 * }
 * }</pre>
 *
 * <p>{@link #around} rewrites the settings so that the kit opens the transport (and the cache, if
 * {@code switchboard.cache} is set) named there through a provider called {@code simulated},
 * which the kit makes visible to the Switchboards it opens, and to nothing else. The simulated
 * connection behaves like a client whose server, shared by every Switchboard of one
 * {@code SimulatedConnection}, fails:
 *
 * <ul>
 *   <li>{@code cutConnections()}: reports {@code LOST}; closes every subscription at your
 *       transport; hands the deliveries not yet settled back ({@link InboundDelivery#release()}, as a
 *       broker requeues a dead connection's unacknowledged messages) and ignores their later
 *       settlement; subscribes every request again; reports {@code RECOVERED} with
 *       {@code possibleGap=true}.
 *   <li>{@code restartServer()}: the same (the simulated server keeps its data).
 *   <li>Both also break every cache connection: the next operation of each cache fails once
 *       with a retryable {@link ConnectionException}, as a pooled connection does that the
 *       server closed; later ones work.
 *   <li>{@code stopServer()}: reports {@code LOST} and drops the subscriptions as above; until
 *       {@code startServer()}, {@code publish} fails its stage with a retryable
 *       {@link ConnectionException}, {@code subscribe} keeps the request for the reconnection,
 *       {@code deleteDurable} throws {@link ConnectionException}, {@code health()} is
 *       {@code DOWN}, and every cache operation fails with {@link ConnectionException}. Then
 *       everything is subscribed again and {@code RECOVERED} reported.
 * </ul>
 *
 * <p>What it proves: that your transport survives being closed and subscribed again with the same
 * requests, honours settlement of deliveries from a closed subscription, and that the rules run.
 * What it cannot prove: your own reconnect loop; for that, give the kit a private server.
 *
 * <p>Thread-safe. Each instance is one simulated server with its own scope, so tests running at
 * once do not cut each other's connections.
 */
public final class SimulatedConnection {
    /** The provider name the settings are rewritten to, for transport and cache. */
    public static final String NAME = "simulated";

    static final ConfigKey<String> TRANSPORT = ConfigKey.string("switchboard.simulated.transport", null,
            "Transport the simulated connection wraps (the kit's test double).");
    static final ConfigKey<String> CACHE = ConfigKey.string("switchboard.simulated.cache", null,
            "Cache the simulated connection wraps (the kit's test double).");
    static final ConfigKey<String> SCOPE = ConfigKey.string("switchboard.simulated.scope", null,
            "Which simulated server a connection belongs to (the kit's test double).");
    private static final List<ConfigKey<?>> KEYS = List.of(TRANSPORT, CACHE, SCOPE);

    private static final Map<String, Server> SERVERS = new ConcurrentHashMap<>();
    private static final AtomicInteger SCOPES = new AtomicInteger();

    private final Server server;

    /** A new simulated server, up, with no connection yet. */
    public SimulatedConnection() {
        String scope = "sim-" + SCOPES.incrementAndGet();
        this.server = new Server(scope);
        SERVERS.put(scope, server);
    }

    /**
     * The settings with {@code switchboard.transport} (and {@code switchboard.cache}, when set)
     * replaced by the simulated provider wrapping the one named there; every other setting is kept.
     *
     * @throws IllegalArgumentException if {@code properties} sets neither
     */
    public Map<String, Object> around(Map<String, ?> properties) {
        Map<String, Object> p = new LinkedHashMap<>(properties);
        Object transport = p.get("switchboard.transport");
        Object cache = p.get("switchboard.cache");
        if (transport == null && cache == null) {
            throw new IllegalArgumentException("around() needs switchboard.transport or switchboard.cache to wrap: " + properties.keySet());
        }
        if (transport != null) {
            p.put("switchboard.transport", NAME);
            p.put(TRANSPORT.name(), transport);
        }
        if (cache != null) {
            p.put("switchboard.cache", NAME);
            p.put(CACHE.name(), cache);
        }
        p.put(SCOPE.name(), server.scope);
        return p;
    }

    /** Hooks that cut, restart and hold down this simulated server. */
    public Faults faults() {
        return Faults.builder().name("SimulatedConnection " + server.scope).cutConnections(server::cut)
                .restartServer(server::cut).outage(server::stop, server::start).build();
    }

    @Override
    public String toString() {
        return "SimulatedConnection[" + server.scope + (server.up ? "" : ", down") + "]";
    }

    private static Server server(Config config) {
        String scope = config.get(SCOPE);
        Server s = scope == null ? null : SERVERS.get(scope);
        if (s == null) {
            throw new ConfigurationException("'" + SCOPE.name() + "' is '" + scope + "', which no SimulatedConnection created;"
                    + " build the settings with SimulatedConnection.around(...)");
        }
        return s;
    }

    private static <P> P inner(Class<P> type, java.util.function.Function<P, String> name, Config config, ConfigKey<String> key) {
        String wanted = config.get(key);
        if (wanted == null || wanted.equals(NAME)) {
            throw new ConfigurationException("'" + key.name() + "' must name the provider to wrap; got " + wanted);
        }
        for (P p : ServiceLoader.load(type, Thread.currentThread().getContextClassLoader())) {
            if (name.apply(p).equals(wanted)) {
                return p;
            }
        }
        throw new ConfigurationException("'" + key.name() + "' is '" + wanted + "' but no " + type.getSimpleName() + " has that name");
    }

    private static ConnectionException outage(Server s) {
        return new ConnectionException("simulated outage: the server of " + s.scope + " is down", null);
    }

    /** The simulated transport provider; found only by the Switchboards the kit opens. */
    public static final class Transports implements TransportProvider {
        /** For {@link ServiceLoader}. */
        public Transports() {
        }

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public List<ConfigKey<?>> configKeys() {
            return KEYS;
        }

        @Override
        public Capabilities capabilities(Config config) {
            TransportProvider p = inner(TransportProvider.class, TransportProvider::name, config, TRANSPORT);
            return Capabilities.of(NAME + "(" + p.name() + ")", p.capabilities(config).asSet());
        }

        @Override
        public Transport create(ProviderContext context) {
            Server s = server(context.config());
            TransportProvider p = inner(TransportProvider.class, TransportProvider::name, context.config(), TRANSPORT);
            if (!s.up) {
                throw outage(s);
            }
            Endpoint e = new Endpoint(s, context, p.create(context));
            s.endpoints.add(e);
            return e;
        }
    }

    /** The simulated cache provider; found only by the Switchboards the kit opens. */
    public static final class Caches implements CacheProvider {
        /** For {@link ServiceLoader}. */
        public Caches() {
        }

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public List<ConfigKey<?>> configKeys() {
            return KEYS;
        }

        @Override
        public CacheDriver create(ProviderContext context) {
            Server s = server(context.config());
            CacheProvider p = inner(CacheProvider.class, CacheProvider::name, context.config(), CACHE);
            if (!s.up) {
                throw outage(s);
            }
            CacheEndpoint c = new CacheEndpoint(s, context, p.create(context));
            s.caches.add(c);
            return c;
        }
    }

    /** The simulated server: up or down, and every connection to it. */
    private static final class Server {
        final String scope;
        final Set<Endpoint> endpoints = ConcurrentHashMap.newKeySet();
        final Set<CacheEndpoint> caches = ConcurrentHashMap.newKeySet();
        volatile boolean up = true;

        Server(String scope) {
            this.scope = scope;
        }

        synchronized void cut() {
            for (Endpoint e : endpoints) {
                e.drop(new IOException("simulated connection cut"));
                e.restore();
            }
            for (CacheEndpoint c : caches) {
                c.broken = true;
            }
        }

        synchronized void stop() {
            up = false;
            for (Endpoint e : endpoints) {
                e.drop(new IOException("simulated outage: server stopped"));
            }
            for (CacheEndpoint c : caches) {
                c.context.events().lost(new IOException("simulated outage: server stopped"));
            }
        }

        synchronized void start() {
            up = true;
            for (Endpoint e : endpoints) {
                e.restore();
            }
            for (CacheEndpoint c : caches) {
                c.context.events().recovered(true);
            }
        }
    }

    /** One transport's simulated connection. */
    private static final class Endpoint extends ForwardingTransport {
        private final Server server;
        private final ProviderContext context;
        private final Set<Consumer> consumers = ConcurrentHashMap.newKeySet();

        Endpoint(Server server, ProviderContext context, Transport inner) {
            super(inner);
            this.server = server;
            this.context = context;
        }

        @Override
        public CompletionStage<Void> publish(String channel, Message message) {
            if (!server.up) {
                return CompletableFuture.failedFuture(outage(server));
            }
            return delegate.publish(channel, message);
        }

        @Override
        public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
            return consume(request, listener, false);
        }

        /** The reply inbox is cut and restored with the connection, as every subscription is. */
        @Override
        public TransportSubscription subscribeReplies(SubscriptionRequest request, DeliveryListener listener) {
            return consume(request, listener, true);
        }

        @Override
        public CompletionStage<Void> publishReply(String address, Message reply) {
            if (!server.up) {
                return CompletableFuture.failedFuture(outage(server));
            }
            return delegate.publishReply(address, reply);
        }

        private TransportSubscription consume(SubscriptionRequest request, DeliveryListener listener, boolean replies) {
            Consumer c = new Consumer(request, listener, replies);
            consumers.add(c);
            synchronized (this) {
                if (server.up) {
                    c.attach(delegate);
                }
            }
            return () -> {
                consumers.remove(c);
                c.close();
            };
        }

        @Override
        public boolean deleteDurable(String name) {
            if (!server.up) {
                throw outage(server);
            }
            return delegate.deleteDurable(name);
        }

        @Override
        public Health health() {
            Health h = delegate.health();
            if (server.up) {
                return h;
            }
            Map<String, Object> d = new LinkedHashMap<>(h.details());
            d.put("simulated", "server down");
            return Health.of(Health.Status.DOWN, d);
        }

        @Override
        public void close(Duration timeout) {
            server.endpoints.remove(this);
            delegate.close(timeout);
        }

        synchronized void drop(Throwable cause) {
            context.events().lost(cause);
            for (Consumer c : consumers) {
                c.detach();
            }
        }

        synchronized void restore() {
            for (Consumer c : consumers) {
                c.attach(delegate);
            }
            context.events().recovered(true);
        }
    }

    /**
     * One subscription request and its current subscription at the wrapped transport. Each
     * attachment has an epoch; a delivery from an older one (still in flight when it was
     * dropped) is handed straight back.
     */
    private static final class Consumer {
        private final SubscriptionRequest request;
        private final DeliveryListener listener;
        private final Set<Tracked> unsettled = ConcurrentHashMap.newKeySet();
        private volatile long epoch;
        private volatile boolean closed;
        private TransportSubscription current;

        private final boolean replies;

        Consumer(SubscriptionRequest request, DeliveryListener listener, boolean replies) {
            this.request = request;
            this.listener = listener;
            this.replies = replies;
        }

        synchronized void attach(Transport transport) {
            if (closed || current != null) {
                return;
            }
            long mine = ++epoch;
            DeliveryListener l = d -> deliver(mine, d);
            current = replies ? transport.subscribeReplies(request, l) : transport.subscribe(request, l);
        }

        private void deliver(long from, InboundDelivery d) {
            if (closed || from != epoch) {
                d.release();
                return;
            }
            Tracked t = new Tracked(d, unsettled);
            unsettled.add(t);
            listener.onDelivery(t);
        }

        synchronized void detach() {
            epoch++;
            if (current != null) {
                current.close();
                current = null;
            }
            for (Tracked t : unsettled) {
                t.drop();
            }
        }

        /** Closed by the facade: deliveries already handed over may still be settled, as the SPI requires. */
        synchronized void close() {
            closed = true;
            if (current != null) {
                current.close();
                current = null;
            }
        }
    }

    /** A delivery whose settlement is ignored once its connection was dropped (the broker requeued it). */
    private static final class Tracked extends ForwardingInboundDelivery {
        private final AtomicBoolean settled = new AtomicBoolean();
        private final Set<Tracked> unsettled;

        Tracked(InboundDelivery delegate, Set<Tracked> unsettled) {
            super(delegate);
            this.unsettled = unsettled;
        }

        private boolean settle() {
            if (settled.compareAndSet(false, true)) {
                unsettled.remove(this);
                return true;
            }
            return false;
        }

        void drop() {
            if (settle()) {
                delegate.release();
            }
        }

        @Override
        public void ack() {
            if (settle()) {
                delegate.ack();
            }
        }

        @Override
        public void release() {
            if (settle()) {
                delegate.release();
            }
        }

        @Override
        public void retry(Duration delay) {
            if (settle()) {
                delegate.retry(delay);
            }
        }

        @Override
        public void deadLetter(String reason, int attempts) {
            if (settle()) {
                delegate.deadLetter(reason, attempts);
            }
        }
    }

    /** One cache driver's simulated connection: every operation fails while the server is down. */
    private static final class CacheEndpoint extends ForwardingCacheDriver {
        private final Server server;
        final ProviderContext context;
        volatile boolean broken;

        CacheEndpoint(Server server, ProviderContext context, CacheDriver inner) {
            super(inner);
            this.server = server;
            this.context = context;
        }

        private <T> CompletionStage<T> ifUp(Supplier<CompletionStage<T>> op) {
            if (!server.up) {
                return CompletableFuture.failedFuture(outage(server));
            }
            if (broken) {
                broken = false;
                return CompletableFuture.failedFuture(new ConnectionException("simulated connection of " + server.scope
                        + " was cut; the next operation reconnects", null));
            }
            return op.get();
        }

        @Override
        public CompletionStage<CacheEntry> get(String key) {
            return ifUp(() -> delegate.get(key));
        }

        @Override
        public CompletionStage<Map<String, CacheEntry>> getAll(Collection<String> keys) {
            return ifUp(() -> delegate.getAll(keys));
        }

        @Override
        public CompletionStage<Void> put(String key, byte[] value, ValueFormat format, Duration ttl) {
            return ifUp(() -> delegate.put(key, value, format, ttl));
        }

        @Override
        public CompletionStage<Boolean> putIfAbsent(String key, byte[] value, ValueFormat format, Duration ttl) {
            return ifUp(() -> delegate.putIfAbsent(key, value, format, ttl));
        }

        @Override
        public CompletionStage<Boolean> compareAndSet(String key, long version, byte[] value, ValueFormat format, Duration ttl) {
            return ifUp(() -> delegate.compareAndSet(key, version, value, format, ttl));
        }

        @Override
        public CompletionStage<Boolean> delete(String key) {
            return ifUp(() -> delegate.delete(key));
        }

        @Override
        public CompletionStage<Long> increment(String key, long delta, long initial, Duration ttl) {
            return ifUp(() -> delegate.increment(key, delta, initial, ttl));
        }

        @Override
        public Health health() {
            Health h = delegate.health();
            if (server.up) {
                return h;
            }
            Map<String, Object> d = new LinkedHashMap<>(h.details());
            d.put("simulated", "server down");
            return Health.of(Health.Status.DOWN, d);
        }

        @Override
        public void close(Duration timeout) {
            server.caches.remove(this);
            delegate.close(timeout);
        }
    }
}
