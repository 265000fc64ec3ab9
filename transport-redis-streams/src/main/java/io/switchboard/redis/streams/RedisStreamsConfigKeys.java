package io.switchboard.redis.streams;

import io.switchboard.redis.common.RedisConnectionKeys;
import io.switchboard.spi.ConfigKey;
import java.time.Duration;

/**
 * The configuration keys of the Redis Streams transport, all under
 * {@code switchboard.redis-streams.}. The connection keys follow the same rules as the Redis
 * transport's. Constants only; immutable and thread-safe. See {@code docs/redis-streams.md}.
 */
public final class RedisStreamsConfigKeys {
    /** The connection keys under {@code switchboard.redis-streams}. */
    public static final RedisConnectionKeys CONNECTION = RedisConnectionKeys.under("switchboard.redis-streams",
            "a publish, acknowledgement or read");
    /** Where Redis is; may hold a password, so it is masked everywhere. */
    public static final ConfigKey<String> URI = CONNECTION.uri();
    /** TCP connect timeout. */
    public static final ConfigKey<Duration> CONNECT_TIMEOUT = CONNECTION.connectTimeout();
    /** How long Redis may take to answer a command, the connection setup included. */
    public static final ConfigKey<Duration> COMMAND_TIMEOUT = CONNECTION.commandTimeout();
    /** Prefix added to every stream name and removed on receipt. */
    public static final ConfigKey<String> CHANNEL_PREFIX = CONNECTION.channelPrefix();
    /** CLIENT SETNAME of the connections. */
    public static final ConfigKey<String> CLIENT_NAME = CONNECTION.clientName();
    /** The ACL user the sentinels of a {@code redis-sentinel://} URI are asked as. */
    public static final ConfigKey<String> SENTINEL_USER = CONNECTION.sentinelUser();
    /** The password the sentinels of a {@code redis-sentinel://} URI require; masked everywhere. */
    public static final ConfigKey<String> SENTINEL_PASSWORD = CONNECTION.sentinelPassword();
    /** Retention by length. */
    public static final ConfigKey<Long> MAX_LENGTH = ConfigKey.longKey("switchboard.redis-streams.max-length", 1_000_000L,
            "Entries each stream keeps at least (XADD MAXLEN ~): older ones are trimmed in whole nodes; 0 keeps every entry (set max-age then).");
    /** Retention by age. */
    public static final ConfigKey<Duration> MAX_AGE = ConfigKey.duration("switchboard.redis-streams.max-age", Duration.ZERO,
            "Trim by age instead of by length (XADD MINID ~ now - max-age); set max-length only while this is 0; 0 trims by length.");
    /** Replicas a publish waits for. */
    public static final ConfigKey<Integer> WAIT_REPLICAS = ConfigKey.integer("switchboard.redis-streams.publish.wait-replicas", 0,
            "0: a publish completes when the XADD is answered; N: also WAIT until N replicas have it (the publish fails, retryably, if fewer acknowledge within command-timeout).");
    /** Bound on publishes queued or awaiting a reply. */
    public static final ConfigKey<Integer> PUBLISH_MAX_IN_FLIGHT = ConfigKey.integer("switchboard.redis-streams.publish.max-in-flight",
            16_384, "Most publishes queued or awaiting Redis's reply at once; beyond it publish fails at once with a retryable PublishException.");
    /** Idle time after which a consumer's unacknowledged entries are taken over. */
    public static final ConfigKey<Duration> CLAIM_IDLE = ConfigKey.duration("switchboard.redis-streams.claim-idle", Duration.ofSeconds(30),
            "An entry delivered to a consumer that has not touched it for this long (the consumer died) is taken over by another member with XAUTOCLAIM; live consumers touch theirs every third of it.");
    /** Idle time after which a consumer with nothing pending is deleted from its group. */
    public static final ConfigKey<Duration> REAP_AFTER = ConfigKey.duration("switchboard.redis-streams.reap-after", Duration.ofMinutes(10),
            "A consumer of a group with no pending entries that has not read for this long (its process died) is deleted (XGROUP DELCONSUMER) by a live member.");
    /** Longest block of one read. */
    public static final ConfigKey<Duration> POLL_INTERVAL = ConfigKey.duration("switchboard.redis-streams.subscriber.poll-interval",
            Duration.ofMillis(500), "Longest a subscription's XREAD/XREADGROUP blocks before it looks at its retries and housekeeping again.");
    /** Whether survives-restart is declared. */
    public static final ConfigKey<Boolean> SURVIVES_RESTART = ConfigKey.bool("switchboard.redis-streams.survives-restart", false,
            "true declares survives-restart; open() then checks that the server has appendonly yes and fails if not (see the appendfsync loss window in docs/redis-streams.md).");
    /** Smallest reconnection delay. */
    public static final ConfigKey<Duration> RECONNECT_MIN_BACKOFF = ConfigKey.duration("switchboard.redis-streams.reconnect.min-backoff",
            Duration.ofMillis(100), "First delay before reconnecting; doubles on each failure, with jitter.");
    /** Largest reconnection delay. */
    public static final ConfigKey<Duration> RECONNECT_MAX_BACKOFF = ConfigKey.duration("switchboard.redis-streams.reconnect.max-backoff",
            Duration.ofSeconds(2), "Largest delay between reconnection attempts.");

    private RedisStreamsConfigKeys() {
    }
}
