package io.switchboard.spi;

import io.switchboard.Health;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * A connected cache backend, created by a {@link CacheProvider}. Must be thread-safe.
 *
 * <p>The facade has already validated keys (against {@link #maxKeyLength()}), prefixed them with
 * the namespace, encoded values to bytes and checked them against {@link #maxValueSize()}. A TTL
 * is {@link Duration#ZERO} for no expiry, or positive; a driver whose server counts in seconds
 * must round up, and must convert TTLs its server would misread (memcached reads more than 30
 * days as an absolute time). Methods must not block for a server round trip; every stage must
 * complete within the driver's operation timeout, failing with
 * {@link io.switchboard.ConnectionException} when the server is unreachable or slow and
 * {@link io.switchboard.CacheException} when it refuses.
 */
public interface CacheDriver {
    /** The longest key the backend accepts, in UTF-8 bytes (memcached: 250). */
    int maxKeyLength();

    /** The largest value the backend accepts, in bytes. */
    int maxValueSize();

    /** Reads an entry, completing with {@code null} when absent. */
    CompletionStage<CacheEntry> get(String key);

    /** Reads several entries; absent keys are missing from the map. */
    CompletionStage<Map<String, CacheEntry>> getAll(Collection<String> keys);

    /** Writes unconditionally. */
    CompletionStage<Void> put(String key, byte[] value, ValueFormat format, Duration ttl);

    /** Writes only if absent; completes with whether it wrote. */
    CompletionStage<Boolean> putIfAbsent(String key, byte[] value, ValueFormat format, Duration ttl);

    /** Writes only if the current version equals {@code version}; completes with whether it wrote. */
    CompletionStage<Boolean> compareAndSet(String key, long version, byte[] value, ValueFormat format, Duration ttl);

    /** Deletes; completes with whether the key existed. */
    CompletionStage<Boolean> delete(String key);

    /**
     * Sets the TTL of an existing entry anew, counted from now ({@link Duration#ZERO}: no expiry),
     * without rewriting it; completes with whether the key existed. Must not change the value,
     * its format or its version, and must not create an entry for a missing or expired key. No
     * default: a read followed by a write would change the version and race with other writers.
     */
    CompletionStage<Boolean> touch(String key, Duration ttl);

    /**
     * Adds {@code delta} to a decimal-text counter, creating it with {@code initial} and the TTL
     * when absent (then the result is {@code initial}, delta not added); completes with the new
     * value. Must fail with {@link io.switchboard.CacheException} when the value is not a counter.
     */
    CompletionStage<Long> increment(String key, long delta, long initial, Duration ttl);

    /** The current health. Must not block for long. */
    Health health();

    /** Releases connections, waiting at most {@code timeout} for operations in flight. Idempotent. */
    void close(Duration timeout);

    /**
     * The native client object of the given type.
     *
     * @throws IllegalArgumentException if there is none of that type; the message lists the supported types
     */
    default <T> T unwrap(Class<T> type) {
        throw new IllegalArgumentException("this cache offers no native object of type " + type.getName());
    }
}
