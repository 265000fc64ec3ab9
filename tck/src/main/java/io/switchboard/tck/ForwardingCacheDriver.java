package io.switchboard.tck;

import io.switchboard.Health;
import io.switchboard.spi.CacheDriver;
import io.switchboard.spi.CacheEntry;
import io.switchboard.spi.ValueFormat;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * A {@link CacheDriver} that forwards every call, default methods included, to another one:
 * extend it and override what you change. The kit's own tests check that every method of
 * {@link CacheDriver} is forwarded.
 *
 * <p>As thread-safe and non-blocking as the delegate; adds no state.
 */
public class ForwardingCacheDriver implements CacheDriver {
    /** The driver every call goes to. */
    protected final CacheDriver delegate;

    /** Forwards to {@code delegate}. */
    public ForwardingCacheDriver(CacheDriver delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    public int maxKeyLength() {
        return delegate.maxKeyLength();
    }

    @Override
    public int maxValueSize() {
        return delegate.maxValueSize();
    }

    @Override
    public CompletionStage<CacheEntry> get(String key) {
        return delegate.get(key);
    }

    @Override
    public CompletionStage<Map<String, CacheEntry>> getAll(Collection<String> keys) {
        return delegate.getAll(keys);
    }

    @Override
    public CompletionStage<Void> put(String key, byte[] value, ValueFormat format, Duration ttl) {
        return delegate.put(key, value, format, ttl);
    }

    @Override
    public CompletionStage<Boolean> putIfAbsent(String key, byte[] value, ValueFormat format, Duration ttl) {
        return delegate.putIfAbsent(key, value, format, ttl);
    }

    @Override
    public CompletionStage<Boolean> compareAndSet(String key, long version, byte[] value, ValueFormat format, Duration ttl) {
        return delegate.compareAndSet(key, version, value, format, ttl);
    }

    @Override
    public CompletionStage<Boolean> delete(String key) {
        return delegate.delete(key);
    }

    @Override
    public CompletionStage<Boolean> touch(String key, Duration ttl) {
        return delegate.touch(key, ttl);
    }

    @Override
    public CompletionStage<Long> increment(String key, long delta, long initial, Duration ttl) {
        return delegate.increment(key, delta, initial, ttl);
    }

    @Override
    public Health health() {
        return delegate.health();
    }

    @Override
    public void close(Duration timeout) {
        delegate.close(timeout);
    }

    @Override
    public <T> T unwrap(Class<T> type) {
        return delegate.unwrap(type);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + delegate + "]";
    }
}
