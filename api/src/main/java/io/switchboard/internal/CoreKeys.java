package io.switchboard.internal;

import io.switchboard.spi.ConfigKey;
import java.time.Duration;
import java.util.List;

/** The configuration keys the facade itself reads. */
public final class CoreKeys {
    /** Selects the transport provider by name. */
    public static final ConfigKey<String> TRANSPORT = ConfigKey.string("switchboard.transport", null,
            "Name of the transport provider (memory, redis, rabbitmq, ...). Optional when exactly one non-memory transport is on the classpath.");
    /** Selects the cache provider by name. */
    public static final ConfigKey<String> CACHE = ConfigKey.string("switchboard.cache", null,
            "Name of the cache provider (memory, redis, memcached, ...). Optional when exactly one non-memory cache is on the classpath; "
                    + "with none, the memory transport implies the memory cache; otherwise cache() fails, saying what to set.");
    /** Demands a delivery guarantee. */
    public static final ConfigKey<String> REQUIRE_DELIVERY = ConfigKey.oneOf("switchboard.require.delivery", null,
            List.of("at-most-once", "at-least-once"),
            "Delivery guarantee the application needs; open() fails on a transport that offers less.");
    /** Demands capabilities. */
    public static final ConfigKey<List<String>> REQUIRE_CAPABILITIES = ConfigKey.list("switchboard.require.capabilities", List.of(),
            "Capabilities the application needs (for example durable-subscriptions,dead-letters); open() fails on a transport that lacks one.");
    /** Maximum message size. */
    public static final ConfigKey<Long> MESSAGE_MAX_SIZE = ConfigKey.size("switchboard.message.max-size", 4L * 1024 * 1024,
            "Largest message accepted by publish: payload plus header names and values, in bytes.");
    /** Close timeout. */
    public static final ConfigKey<Duration> CLOSE_TIMEOUT = ConfigKey.duration("switchboard.close.timeout", Duration.ofSeconds(30),
            "How long close() waits for running handlers and pending publishes.");
    /** Buffer per subscription. */
    public static final ConfigKey<Integer> SUBSCRIBER_BUFFER = ConfigKey.integer("switchboard.subscriber.buffer-size", 10_000,
            "Messages buffered per subscription waiting for its handler on an at-most-once transport; beyond it new messages are dropped and counted.");
    /**
     * Bytes buffered per subscription. Unset, it is the smaller of 64 MiB and an eighth of the
     * maximum heap: 64 MiB still holds the whole count bound of 6 KiB messages, so the count stays
     * the bound for ordinary traffic, while a small heap keeps room for several stalled subscriptions.
     */
    public static final ConfigKey<Long> SUBSCRIBER_BUFFER_BYTES = ConfigKey.size("switchboard.subscriber.buffer-bytes", null,
            "Bytes of messages (payload and headers) buffered per subscription waiting for its handler on an at-most-once transport; "
                    + "beyond it new messages are dropped and counted (one message is buffered whatever its size when nothing else is). "
                    + "Default: the smaller of 64MiB and an eighth of the maximum heap.");

    /** Prefetch per subscription. */
    public static final ConfigKey<Integer> SUBSCRIBER_PREFETCH = ConfigKey.integer("switchboard.subscriber.prefetch", 256,
            "Most unacknowledged messages an at-least-once transport hands to one subscription at a time.");
    /** Cache namespace. */
    public static final ConfigKey<String> CACHE_NAMESPACE = ConfigKey.string("switchboard.cache.namespace", "",
            "Prefix for every cache key, so that applications can share one cache server; for example 'billing:'.");
    /** Default TTL. */
    public static final ConfigKey<Duration> CACHE_DEFAULT_TTL = ConfigKey.duration("switchboard.cache.default-ttl", Duration.ZERO,
            "TTL of cache writes that give none; 0 means no expiry.");
    /** Value size limit. */
    public static final ConfigKey<Long> CACHE_MAX_VALUE_SIZE = ConfigKey.size("switchboard.cache.max-value-size", null,
            "Largest cache value accepted, in bytes after encoding; default and upper bound: the provider's own limit.");

    /** Every core key. */
    public static final List<ConfigKey<?>> ALL = List.of(TRANSPORT, CACHE, REQUIRE_DELIVERY, REQUIRE_CAPABILITIES,
            MESSAGE_MAX_SIZE, CLOSE_TIMEOUT, SUBSCRIBER_BUFFER, SUBSCRIBER_BUFFER_BYTES, SUBSCRIBER_PREFETCH, CACHE_NAMESPACE, CACHE_DEFAULT_TTL,
            CACHE_MAX_VALUE_SIZE);

    private CoreKeys() {
    }

    /** {@link #SUBSCRIBER_BUFFER_BYTES} as configured, or its default for this JVM. */
    static long subscriberBufferBytes(io.switchboard.spi.Config config) {
        Long set = config.get(SUBSCRIBER_BUFFER_BYTES);
        return set != null ? set : Math.min(64L * 1024 * 1024, java.lang.Runtime.getRuntime().maxMemory() / 8);
    }
}
