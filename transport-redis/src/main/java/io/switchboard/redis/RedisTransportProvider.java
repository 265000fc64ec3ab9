package io.switchboard.redis;

import io.switchboard.Capabilities;
import io.switchboard.Capability;
import io.switchboard.redis.internal.RedisTransport;
import io.switchboard.spi.Config;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.ProviderContext;
import io.switchboard.spi.Transport;
import io.switchboard.spi.TransportProvider;
import java.util.List;

/**
 * The Redis pub/sub transport, selected with {@code switchboard.transport=redis}: at-most-once,
 * with pattern subscriptions and per-channel ordering. Stateless and thread-safe; constructing it
 * does not connect. See {@code docs/redis.md} and {@code docs/wire-format-redis.md}.
 */
public final class RedisTransportProvider implements TransportProvider {
    private static final List<ConfigKey<?>> KEYS = List.of(RedisConfigKeys.URI, RedisConfigKeys.CONNECT_TIMEOUT,
            RedisConfigKeys.COMMAND_TIMEOUT, RedisConfigKeys.CLIENT_NAME, RedisConfigKeys.SENTINEL_USER, RedisConfigKeys.SENTINEL_PASSWORD, RedisConfigKeys.CHANNEL_PREFIX,
            RedisConfigKeys.PUBLISH_MAX_IN_FLIGHT, RedisConfigKeys.PUBLISH_WHEN_FULL, RedisConfigKeys.PUBLISH_OUTAGE_WAIT,
            RedisConfigKeys.RECONNECT_MIN_BACKOFF, RedisConfigKeys.RECONNECT_MAX_BACKOFF, RedisConfigKeys.PING_INTERVAL,
            RedisConfigKeys.DEAD_AFTER, RedisConfigKeys.ENVELOPE, RedisConfigKeys.CACHE_POOL_SIZE,
            RedisConfigKeys.CLUSTER_PATTERN_BROADCAST);
    private static final Capabilities CAPABILITIES = Capabilities.of("redis", Capability.PATTERN_SUBSCRIPTIONS,
            Capability.PER_CHANNEL_ORDERING);
    private static final Capabilities SHARDED_ONLY = Capabilities.of("redis", Capability.PER_CHANNEL_ORDERING);

    /** Creates the provider; does not connect. */
    public RedisTransportProvider() {
    }

    /** Returns {@code redis}. */
    @Override
    public String name() {
        return "redis";
    }

    /** Every {@code switchboard.redis.*} key, shared with {@link RedisCacheProvider}. */
    @Override
    public List<ConfigKey<?>> configKeys() {
        return KEYS;
    }

    /**
     * At-most-once, {@link Capability#PATTERN_SUBSCRIPTIONS} and {@link Capability#PER_CHANNEL_ORDERING};
     * on a Redis Cluster with {@code cluster.pattern-broadcast=false}, without pattern subscriptions.
     */
    @Override
    public Capabilities capabilities(Config config) {
        return isCluster(config.get(RedisConfigKeys.URI)) && !config.get(RedisConfigKeys.CLUSTER_PATTERN_BROADCAST) ? SHARDED_ONLY : CAPABILITIES;
    }

    /**
     * Opens the publisher and subscriber connections (on a Redis Cluster, one of each per shard and
     * one for patterns), blocking up to about the connect timeout plus the command timeout per connection.
     *
     * @throws io.switchboard.ConfigurationException for a malformed setting or refused credentials
     * @throws io.switchboard.ConnectionException if Redis is unreachable or does not answer as Redis in time
     */
    @Override
    public Transport create(ProviderContext context) {
        return RedisTransport.create(context);
    }

    /** Whether the URI names a Redis Cluster. */
    static boolean isCluster(String uri) {
        return uri != null && (uri.startsWith("redis-cluster://") || uri.startsWith("rediss-cluster://"));
    }
}
