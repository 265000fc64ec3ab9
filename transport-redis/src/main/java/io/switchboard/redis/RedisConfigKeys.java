package io.switchboard.redis;

import io.switchboard.redis.common.RedisConnectionKeys;
import io.switchboard.spi.ConfigKey;
import java.time.Duration;
import java.util.List;

/**
 * The configuration keys of the Redis transport and cache, all under {@code switchboard.redis.}.
 * Constants only; immutable and thread-safe. See {@code docs/redis.md} for what each one does.
 */
public final class RedisConfigKeys {
    /** The connection keys under {@code switchboard.redis}, with the rules every Redis provider shares. */
    public static final RedisConnectionKeys CONNECTION = RedisConnectionKeys.under("switchboard.redis", "a publish or cache operation");
    /** Where Redis is; may hold a password, so it is masked everywhere. */
    public static final ConfigKey<String> URI = CONNECTION.uri();
    /** TCP connect timeout. */
    public static final ConfigKey<Duration> CONNECT_TIMEOUT = CONNECTION.connectTimeout();
    /** How long Redis may take to answer a command, the connection setup included. */
    public static final ConfigKey<Duration> COMMAND_TIMEOUT = CONNECTION.commandTimeout();
    /** Prefix added to every Redis channel name and removed on receipt. */
    public static final ConfigKey<String> CHANNEL_PREFIX = CONNECTION.channelPrefix();
    /** CLIENT SETNAME of the connections. */
    public static final ConfigKey<String> CLIENT_NAME = CONNECTION.clientName();
    /** The ACL user the sentinels of a {@code redis-sentinel://} URI are asked as. */
    public static final ConfigKey<String> SENTINEL_USER = CONNECTION.sentinelUser();
    /** The password the sentinels of a {@code redis-sentinel://} URI require; masked everywhere. */
    public static final ConfigKey<String> SENTINEL_PASSWORD = CONNECTION.sentinelPassword();
    /** Bound on publishes queued or awaiting a reply. */
    public static final ConfigKey<Integer> PUBLISH_MAX_IN_FLIGHT = ConfigKey.integer("switchboard.redis.publish.max-in-flight", 16_384,
            "Most publishes queued or awaiting Redis's reply at once.");
    /** What publish does when the in-flight bound is reached. */
    public static final ConfigKey<String> PUBLISH_WHEN_FULL = ConfigKey.oneOf("switchboard.redis.publish.when-full", "block",
            List.of("block", "fail"),
            "When max-in-flight publishes are pending: 'block' makes publish() wait up to command-timeout for room, 'fail' fails the publish at once.");
    /** How long a publish may wait for Redis to come back during an outage. */
    public static final ConfigKey<Duration> PUBLISH_OUTAGE_WAIT = ConfigKey.duration("switchboard.redis.publish.outage-wait", Duration.ZERO,
            "While Redis is unreachable: 0 fails publishes at once (ConnectionException); a positive duration queues them that long for the reconnection.");
    /** Smallest reconnection delay. */
    public static final ConfigKey<Duration> RECONNECT_MIN_BACKOFF = ConfigKey.duration("switchboard.redis.reconnect.min-backoff",
            Duration.ofMillis(100), "First delay before reconnecting; doubles on each failure, with jitter.");
    /** Largest reconnection delay. */
    public static final ConfigKey<Duration> RECONNECT_MAX_BACKOFF = ConfigKey.duration("switchboard.redis.reconnect.max-backoff",
            Duration.ofSeconds(5), "Largest delay between reconnection attempts.");
    /** How often the subscriber connection is pinged. */
    public static final ConfigKey<Duration> PING_INTERVAL = ConfigKey.duration("switchboard.redis.subscriber.ping-interval",
            Duration.ofSeconds(1), "How often the subscriber connection (and an idle publisher connection) sends PING.");
    /** Silence after which the subscriber connection is declared dead (half-open detection). */
    public static final ConfigKey<Duration> DEAD_AFTER = ConfigKey.duration("switchboard.redis.subscriber.dead-after",
            Duration.ofSeconds(3), "A subscriber connection that receives nothing (not even a PING reply) for this long is closed and reconnected; must exceed ping-interval.");
    /** Envelope on or off. */
    public static final ConfigKey<Boolean> ENVELOPE = ConfigKey.bool("switchboard.redis.envelope", true,
            "true: publish the documented SB1 envelope (id, timestamp, content type, headers, payload); false: publish and receive the raw payload only.");
    /** Connections in the cache pool. */
    public static final ConfigKey<Integer> CACHE_POOL_SIZE = ConfigKey.integer("switchboard.redis.cache.pool-size", 8,
            "Connections (and threads) the Redis cache uses; operations beyond that queue.");

    /** On a Redis Cluster: whether every publish is also broadcast for pattern subscriptions. */
    public static final ConfigKey<Boolean> CLUSTER_PATTERN_BROADCAST = ConfigKey.bool("switchboard.redis.cluster.pattern-broadcast", true,
            "Redis Cluster only: true also PUBLISHes every message (the cluster bus carries it to every node) so that pattern"
                    + " subscriptions see it; false uses SPUBLISH alone (the channel's shard only) and refuses pattern subscriptions.");

    private RedisConfigKeys() {
    }
}
