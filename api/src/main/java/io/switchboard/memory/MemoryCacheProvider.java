package io.switchboard.memory;

import io.switchboard.ConfigurationException;
import io.switchboard.spi.CacheDriver;
import io.switchboard.spi.CacheProvider;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.ProviderContext;
import java.util.List;

/**
 * The in-process cache, selected with {@code switchboard.cache=memory} (and implied by
 * {@code switchboard.transport=memory} when no other cache is on the classpath).
 *
 * <p>Every {@code Switchboard} in the JVM naming the same broker
 * ({@value MemoryTransportProvider#BROKER_KEY}) shares the entries. Keys are at most 250 UTF-8
 * bytes, as with memcached, so keys stay portable; values at most
 * {@code switchboard.memory.max-value-size} (default 1 MiB, memcached's default item size).
 * Expiry is exact to the millisecond; expired entries are swept every second. Nothing crosses a
 * process boundary and nothing survives a JVM restart.
 *
 * <p>Thread-safe. No method accepts {@code null} ({@link NullPointerException}). {@link #create}
 * never blocks; the driver it creates completes every stage before returning, fails an increment
 * of a value that is not a decimal counter (or that would overflow) with
 * {@link io.switchboard.CacheException}, and fails every stage with {@link IllegalStateException}
 * after {@code close}.
 */
public final class MemoryCacheProvider implements CacheProvider {
    /** Largest value, in bytes after encoding. */
    public static final ConfigKey<Long> MAX_VALUE_SIZE = ConfigKey.size("switchboard.memory.max-value-size", 1024L * 1024,
            "Largest value the in-memory cache stores, in bytes after encoding (default 1 MiB, as memcached).");

    /** Creates the provider; cheap, as {@link java.util.ServiceLoader} requires. */
    public MemoryCacheProvider() {
    }

    @Override
    public String name() {
        return MemoryTransportProvider.NAME;
    }

    @Override
    public List<ConfigKey<?>> configKeys() {
        return List.of(MemoryTransportProvider.BROKER, MAX_VALUE_SIZE);
    }

    /**
     * Joins the configured broker's cache (creating it on first use) and reports the connection.
     *
     * @throws ConfigurationException if the maximum value size is not between 1 byte and 2 GiB - 1
     */
    @Override
    public CacheDriver create(ProviderContext context) {
        long max = context.config().get(MAX_VALUE_SIZE);
        if (max < 1 || max > Integer.MAX_VALUE) {
            throw new ConfigurationException("'" + MAX_VALUE_SIZE.name() + "' is " + max + " bytes but must be between 1 and "
                    + Integer.MAX_VALUE + ".");
        }
        MemoryCacheDriver driver = new MemoryCacheDriver(MemoryBroker.named(context.config().get(MemoryTransportProvider.BROKER)),
                (int) max);
        context.events().connected();
        return driver;
    }

    @Override
    public String toString() {
        return "MemoryCacheProvider";
    }
}
