package io.switchboard.redis.streams;

import io.switchboard.Capabilities;
import io.switchboard.Capability;
import io.switchboard.redis.streams.internal.RedisStreamsTransport;
import io.switchboard.spi.Config;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.ProviderContext;
import io.switchboard.spi.Transport;
import io.switchboard.spi.TransportProvider;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The Redis Streams transport, selected with {@code switchboard.transport=redis-streams}:
 * at-least-once on one Redis, each channel a stream, durable subscriptions as consumer groups.
 * Stateless and thread-safe; constructing it does not connect. See {@code docs/redis-streams.md}.
 */
public final class RedisStreamsTransportProvider implements TransportProvider {
    private static final List<ConfigKey<?>> KEYS = List.of(RedisStreamsConfigKeys.URI, RedisStreamsConfigKeys.CONNECT_TIMEOUT,
            RedisStreamsConfigKeys.COMMAND_TIMEOUT, RedisStreamsConfigKeys.CLIENT_NAME, RedisStreamsConfigKeys.SENTINEL_USER, RedisStreamsConfigKeys.SENTINEL_PASSWORD, RedisStreamsConfigKeys.CHANNEL_PREFIX,
            RedisStreamsConfigKeys.MAX_LENGTH, RedisStreamsConfigKeys.MAX_AGE, RedisStreamsConfigKeys.WAIT_REPLICAS,
            RedisStreamsConfigKeys.PUBLISH_MAX_IN_FLIGHT, RedisStreamsConfigKeys.CLAIM_IDLE, RedisStreamsConfigKeys.REAP_AFTER,
            RedisStreamsConfigKeys.POLL_INTERVAL, RedisStreamsConfigKeys.SURVIVES_RESTART, RedisStreamsConfigKeys.RECONNECT_MIN_BACKOFF,
            RedisStreamsConfigKeys.RECONNECT_MAX_BACKOFF);

    /** Creates the provider; does not connect. */
    public RedisStreamsTransportProvider() {
    }

    /** Returns {@code redis-streams}. */
    @Override
    public String name() {
        return "redis-streams";
    }

    /** Every {@code switchboard.redis-streams.*} key. */
    @Override
    public List<ConfigKey<?>> configKeys() {
        return KEYS;
    }

    /**
     * At-least-once, durable subscriptions, competing consumers, dead letters and per-channel
     * ordering; {@link Capability#SURVIVES_RESTART} too when {@code switchboard.redis-streams.survives-restart}
     * is true (then {@link #create} checks that the server persists). No pattern subscriptions.
     */
    @Override
    public Capabilities capabilities(Config config) {
        Set<Capability> set = EnumSet.of(Capability.AT_LEAST_ONCE, Capability.DURABLE_SUBSCRIPTIONS, Capability.COMPETING_CONSUMERS,
                Capability.DEAD_LETTERS, Capability.PER_CHANNEL_ORDERING);
        if (Boolean.TRUE.equals(config.get(RedisStreamsConfigKeys.SURVIVES_RESTART))) {
            set.add(Capability.SURVIVES_RESTART);
        }
        return Capabilities.of(name(), set);
    }

    /**
     * Opens the publishing connection (and checks persistence when survives-restart is declared),
     * blocking up to about the connect timeout plus the command timeout.
     *
     * @throws io.switchboard.ConfigurationException for a malformed setting, refused credentials, or
     *     survives-restart declared on a server without appendonly
     * @throws io.switchboard.ConnectionException if Redis is unreachable or does not answer as Redis in time
     */
    @Override
    public Transport create(ProviderContext context) {
        return RedisStreamsTransport.create(context);
    }
}
