package io.switchboard.redis;

import io.switchboard.redis.internal.RedisCacheDriver;
import io.switchboard.spi.CacheDriver;
import io.switchboard.spi.CacheProvider;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.ProviderContext;
import java.util.List;

/**
 * The Redis shared cache, selected with {@code switchboard.cache=redis}: plain readable values,
 * millisecond TTLs, compare-and-set on a version that changes on every write. Stateless and
 * thread-safe; constructing it does not connect. See {@code docs/redis.md}.
 */
public final class RedisCacheProvider implements CacheProvider {
    private static final List<ConfigKey<?>> KEYS = new RedisTransportProvider().configKeys();

    /** Creates the provider; does not connect. */
    public RedisCacheProvider() {
    }

    /** Returns {@code redis}. */
    @Override
    public String name() {
        return "redis";
    }

    /** The same {@code switchboard.redis.*} keys as {@link RedisTransportProvider}, so one block of settings serves both. */
    @Override
    public List<ConfigKey<?>> configKeys() {
        return KEYS;
    }

    /**
     * Checks the server with one connection and builds the connection pool.
     *
     * @throws io.switchboard.ConfigurationException for a malformed setting or refused credentials
     * @throws io.switchboard.ConnectionException if Redis is unreachable or does not answer as Redis in time
     */
    @Override
    public CacheDriver create(ProviderContext context) {
        return RedisCacheDriver.create(context);
    }
}
