package io.switchboard;

import io.switchboard.internal.Runtime;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * The entry point: one per application instance. Opens the configured transport and cache and
 * hands out the {@link Publisher}, {@link Subscriber} and {@link SharedCache}. Thread-safe.
 *
 * <p>Providers are found with {@link java.util.ServiceLoader} and chosen by name
 * ({@code switchboard.transport}, {@code switchboard.cache}), never by classpath order.
 * Configuration is read, highest first, from the map given to {@code open}, system properties,
 * environment variables ({@code SWITCHBOARD_REDIS_URI} stands for {@code switchboard.redis.uri})
 * and {@code switchboard.properties} on the classpath. Every problem is reported at once by
 * {@link ConfigurationException}.
 *
 * <pre>{@code
 * try (Switchboard sb = Switchboard.open(Map.of("switchboard.transport", "memory"))) {
 *     sb.subscriber().subscribe("orders.*", d -> System.out.println(d.message().text()));
 *     sb.publisher().publishText("orders.created", "42").toCompletableFuture().join();
 * }
 * }</pre>
 */
public final class Switchboard implements AutoCloseable {
    private final Runtime runtime;

    private Switchboard(Runtime runtime) {
        this.runtime = runtime;
    }

    /**
     * Opens with configuration from system properties, environment and classpath only.
     *
     * @throws ConfigurationException if the configuration is wrong (every problem listed)
     * @throws ConnectionException if a server cannot be reached within its timeout
     */
    public static Switchboard open() {
        return builder().open();
    }

    /**
     * Opens with the given settings on top of the other sources; values are turned into strings.
     *
     * @throws ConfigurationException if the configuration is wrong (every problem listed)
     * @throws ConnectionException if a server cannot be reached within its timeout
     */
    public static Switchboard open(Map<String, ?> properties) {
        return builder().properties(properties).open();
    }

    /**
     * Opens with the given properties on top of the other sources.
     *
     * @throws ConfigurationException if the configuration is wrong (every problem listed)
     * @throws ConnectionException if a server cannot be reached within its timeout
     */
    public static Switchboard open(Properties properties) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String name : properties.stringPropertyNames()) {
            map.put(name, properties.getProperty(name));
        }
        return open(map);
    }

    /** Starts a builder, for settings that are not strings (a custom {@link JsonCodec}, listeners, interceptors). */
    public static Builder builder() {
        return new Builder();
    }

    /** The publisher. */
    public Publisher publisher() {
        return runtime.publisher();
    }

    /** The subscriber. */
    public Subscriber subscriber() {
        return runtime.subscriber();
    }

    /**
     * The default shared cache.
     *
     * @throws IllegalStateException if no cache provider is configured (the message says how to configure one)
     */
    public SharedCache cache() {
        return runtime.cache("default");
    }

    /**
     * A named cache: the same cache server, with keys kept apart from other names by the prefix
     * {@code NAMESPACE + name + ":"}.
     *
     * @param name 1 to 64 letters, digits, {@code _} or {@code -}
     * @throws IllegalArgumentException if the name is invalid
     * @throws IllegalStateException if no cache provider is configured
     */
    public SharedCache cache(String name) {
        return runtime.cache(Objects.requireNonNull(name, "cache name"));
    }

    /**
     * Opens a {@link NearCache}: a bounded local copy of {@code cache(name)} kept coherent with
     * the other instances' copies through announcements on a channel. Close it when done (closing
     * the Switchboard ends it too).
     *
     * @param name the cache name, as for {@link #cache(String)}
     * @param type the value type ({@code byte[]}, {@code String} or a JSON-mapped type)
     * @param options size, TTLs, sync strategy and channel
     * @throws IllegalArgumentException if the name is invalid
     * @throws IllegalStateException if no cache provider is configured, or this Switchboard is closed
     * @throws ConnectionException if the transport cannot establish the subscription
     */
    public <V> NearCache<V> nearCache(String name, Class<V> type, NearCacheOptions options) {
        return nearCache(name, TypeRef.of(Objects.requireNonNull(type, "type")), options);
    }

    /**
     * As {@link #nearCache(String, Class, NearCacheOptions)}, for a generic value type such as
     * {@code new TypeRef<List<Price>>() {}}.
     */
    public <V> NearCache<V> nearCache(String name, TypeRef<V> type, NearCacheOptions options) {
        io.switchboard.internal.near.SyncedNearCache<V> near = new io.switchboard.internal.near.SyncedNearCache<>(this, name, type, options);
        runtime.addHealthComponent("near-cache:" + name, () -> near.isClosed() ? null : near.health());
        runtime.nearCacheOpened(near);
        return near;
    }

    /** What the transport offers. */
    public Capabilities capabilities() {
        return runtime.capabilities();
    }

    /** The health of the transport, the cache and the subscriptions. Does not block for long. */
    public Health health() {
        return runtime.health();
    }

    /** The name of the selected transport provider. */
    public String transportName() {
        return runtime.transportName();
    }

    /** The name of the selected cache provider, or {@code null} when there is none. */
    public String cacheName() {
        return runtime.cacheProviderName();
    }

    /** The codec used for typed cache values. */
    public JsonCodec codec() {
        return runtime.codec();
    }

    /** Adds a listener for connection events of the transport and caches. */
    public void addConnectionListener(ConnectionListener listener) {
        runtime.addConnectionListener(Objects.requireNonNull(listener, "listener"));
    }

    /** Removes a listener. */
    public void removeConnectionListener(ConnectionListener listener) {
        runtime.removeConnectionListener(listener);
    }

    /**
     * Adds a listener for every message a subscription drops (buffer full, retries exhausted
     * without a dead-letter channel, closed with messages buffered on an at-most-once transport).
     * See {@link DropListener} for its thread and ordering; {@link #health()} counts the same drops.
     */
    public void addDropListener(DropListener listener) {
        runtime.addDropListener(Objects.requireNonNull(listener, "listener"));
    }

    /** Removes a drop listener. */
    public void removeDropListener(DropListener listener) {
        runtime.removeDropListener(listener);
    }

    /**
     * The transport's native client (for example {@code redis.clients.jedis.JedisPooled} or
     * {@code com.rabbitmq.client.Connection}), for what Switchboard does not offer.
     *
     * @throws IllegalArgumentException if the transport has no object of that type
     */
    public <T> T unwrap(Class<T> type) {
        return runtime.unwrapTransport(Objects.requireNonNull(type, "type"));
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return runtime.isClosed();
    }

    /**
     * Closes with the configured {@code switchboard.close.timeout}: new publishes and subscribes
     * are refused at once; subscriptions stop taking deliveries; running handlers finish and are
     * acknowledged; pending publishes complete or fail; then connections close. Whatever is not
     * done by the timeout is abandoned (an at-least-once broker redelivers unacknowledged
     * messages). Idempotent.
     */
    @Override
    public void close() {
        runtime.close(null);
    }

    /** As {@link #close()}, with an explicit timeout for the whole drain. */
    public void close(Duration timeout) {
        runtime.close(Objects.requireNonNull(timeout, "timeout"));
    }

    @Override
    public String toString() {
        return "Switchboard[" + runtime + "]";
    }

    /** Builds a {@link Switchboard}. Not thread-safe. */
    public static final class Builder {
        private final Map<String, Object> properties = new LinkedHashMap<>();
        private JsonCodec codec = JsonCodec.defaults();
        private final java.util.List<ConnectionListener> listeners = new java.util.ArrayList<>();
        private final java.util.List<DropListener> dropListeners = new java.util.ArrayList<>();
        private final java.util.List<Interceptor> interceptors = new java.util.ArrayList<>();

        private Builder() {
        }

        /** Adds one setting (value turned into a string). */
        public Builder property(String key, Object value) {
            properties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value of " + key));
            return this;
        }

        /** Adds settings. */
        public Builder properties(Map<String, ?> properties) {
            properties.forEach(this::property);
            return this;
        }

        /** Sets the codec for typed cache values (default {@link JsonCodec#defaults()}). */
        public Builder codec(JsonCodec codec) {
            this.codec = Objects.requireNonNull(codec, "codec");
            return this;
        }

        /** Adds a connection listener that hears events from the first connection on. */
        public Builder connectionListener(ConnectionListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** Adds a drop listener that hears about drops from the first subscription on; see {@link DropListener}. */
        public Builder dropListener(DropListener listener) {
            dropListeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * Adds an interceptor (metrics, tracing, logging context; see {@link Interceptor}). The
         * first added runs outermost: around the ones added after it, and before them when told
         * of an event. Interceptors are fixed once the Switchboard is open.
         */
        public Builder interceptor(Interceptor interceptor) {
            interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
            return this;
        }

        /**
         * Opens.
         *
         * @throws ConfigurationException if the configuration is wrong (every problem listed)
         * @throws ConnectionException if a server cannot be reached within its timeout
         * @throws RuntimeException what an interceptor's {@link Interceptor#onOpen} threw
         */
        public Switchboard open() {
            Runtime runtime = Runtime.prepare(properties, codec, listeners, dropListeners, java.util.List.copyOf(interceptors));
            Switchboard switchboard = new Switchboard(runtime);
            runtime.connect(switchboard);
            return switchboard;
        }
    }
}
