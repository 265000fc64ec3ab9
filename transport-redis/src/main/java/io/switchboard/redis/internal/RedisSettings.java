package io.switchboard.redis.internal;

import io.switchboard.ConfigurationException;
import io.switchboard.redis.RedisConfigKeys;
import io.switchboard.redis.common.RedisEndpoint;
import io.switchboard.spi.Config;
import io.switchboard.spi.ProviderContext;
import io.switchboard.spi.ConfigKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;

/**
 * The parsed, validated Redis settings. Immutable. {@link #toString()} and {@link #describe()}
 * never show the password.
 */
public final class RedisSettings {
    /** Where and how to connect: URI, timeouts, client name (shared with the other Redis providers). */
    final RedisEndpoint endpoint;
    final Duration connectTimeout;
    final Duration commandTimeout;
    final String channelPrefix;
    final int maxInFlight;
    final boolean blockWhenFull;
    final Duration outageWait;
    final Duration minBackoff;
    final Duration maxBackoff;
    final Duration pingInterval;
    final Duration deadAfter;
    final boolean envelope;
    final int cachePoolSize;
    /** The largest message an envelope may carry, as the publishing side checks it. */
    final long maxMessageSize;

    private RedisSettings(Config config, String instanceName, long maxMessageSize, List<String> problems) {
        this.endpoint = RedisEndpoint.parse(config, RedisConfigKeys.CONNECTION, instanceName, problems);
        this.connectTimeout = endpoint.connectTimeout();
        this.commandTimeout = endpoint.commandTimeout();
        this.channelPrefix = RedisEndpoint.channelPrefix(config, RedisConfigKeys.CONNECTION, problems);
        this.maxInFlight = config.get(RedisConfigKeys.PUBLISH_MAX_IN_FLIGHT);
        if (maxInFlight < 1) {
            problems.add(key(RedisConfigKeys.PUBLISH_MAX_IN_FLIGHT) + " is " + maxInFlight + "; it must be at least 1");
        }
        this.blockWhenFull = "block".equals(config.get(RedisConfigKeys.PUBLISH_WHEN_FULL));
        this.outageWait = config.get(RedisConfigKeys.PUBLISH_OUTAGE_WAIT);
        if (outageWait.isNegative()) {
            problems.add(key(RedisConfigKeys.PUBLISH_OUTAGE_WAIT) + " must not be negative");
        }
        this.minBackoff = positive(config.get(RedisConfigKeys.RECONNECT_MIN_BACKOFF), RedisConfigKeys.RECONNECT_MIN_BACKOFF.name(), problems);
        this.maxBackoff = positive(config.get(RedisConfigKeys.RECONNECT_MAX_BACKOFF), RedisConfigKeys.RECONNECT_MAX_BACKOFF.name(), problems);
        if (minBackoff.compareTo(maxBackoff) > 0) {
            problems.add(key(RedisConfigKeys.RECONNECT_MIN_BACKOFF) + " (" + minBackoff.toMillis() + "ms) is larger than "
                    + key(RedisConfigKeys.RECONNECT_MAX_BACKOFF) + " (" + maxBackoff.toMillis() + "ms)");
        }
        this.pingInterval = positive(config.get(RedisConfigKeys.PING_INTERVAL), RedisConfigKeys.PING_INTERVAL.name(), problems);
        this.deadAfter = positive(config.get(RedisConfigKeys.DEAD_AFTER), RedisConfigKeys.DEAD_AFTER.name(), problems);
        if (deadAfter.compareTo(pingInterval) <= 0) {
            problems.add(key(RedisConfigKeys.DEAD_AFTER) + " (" + deadAfter.toMillis() + "ms) must be longer than "
                    + key(RedisConfigKeys.PING_INTERVAL) + " (" + pingInterval.toMillis() + "ms); twice or three times is typical");
        }
        this.envelope = config.get(RedisConfigKeys.ENVELOPE);
        this.maxMessageSize = maxMessageSize;
        this.cachePoolSize = config.get(RedisConfigKeys.CACHE_POOL_SIZE);
        if (cachePoolSize < 1) {
            problems.add(key(RedisConfigKeys.CACHE_POOL_SIZE) + " is " + cachePoolSize + "; it must be at least 1");
        }
    }

    /**
     * Reads and validates the settings of a provider context.
     *
     * @throws ConfigurationException listing every problem found
     */
    public static RedisSettings from(ProviderContext context) {
        return from(context.config(), context.instanceName(), context.maxMessageSize());
    }

    /**
     * Reads and validates the settings.
     *
     * @param maxMessageSize the core's {@code switchboard.message.max-size}, which foreign envelopes are held to
     * @throws ConfigurationException listing every problem found
     */
    static RedisSettings from(Config config, String instanceName, long maxMessageSize) {
        List<String> problems = new ArrayList<>();
        RedisSettings s = new RedisSettings(config, instanceName, maxMessageSize, problems);
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems, null);
        }
        return s;
    }

    HostAndPort hostAndPort() {
        return endpoint.hostAndPort();
    }

    /** The Jedis client configuration; the socket timeout is the command timeout. */
    JedisClientConfig clientConfig() {
        return endpoint.clientConfig();
    }

    /** The server as shown in messages: scheme, user, host, port, database; never the password. */
    public String describe() {
        return endpoint.describe();
    }

    static int millis(Duration d) {
        return RedisEndpoint.millis(d);
    }

    private static Duration positive(Duration d, String key, List<String> problems) {
        return RedisEndpoint.positive(d, key, problems);
    }

    private static String key(ConfigKey<?> k) {
        return k.name();
    }

    @Override
    public String toString() {
        return "RedisSettings[" + describe() + (endpoint.hasPassword() ? " (password set)" : "") + ", prefix='" + channelPrefix
                + "', envelope=" + envelope + "]";
    }
}
