package io.switchboard.memory;

import io.switchboard.Health;
import io.switchboard.spi.CacheDriver;
import io.switchboard.spi.CacheEntry;
import io.switchboard.spi.ValueFormat;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * The in-memory cache of one {@code Switchboard}, a view onto its broker's {@link MemoryCacheStore}.
 * Thread-safe; every stage is complete when the method returns. Values are stored as given (the
 * facade does not reuse the arrays it hands over).
 */
final class MemoryCacheDriver implements CacheDriver {
    /** As memcached, so that keys that work here work there too. */
    static final int MAX_KEY_LENGTH = 250;

    private final MemoryBroker broker;
    private final MemoryCacheStore store;
    private final int maxValueSize;
    private volatile boolean closed;

    MemoryCacheDriver(MemoryBroker broker, int maxValueSize) {
        this.broker = broker;
        this.store = broker.cache();
        this.maxValueSize = maxValueSize;
    }

    @Override
    public int maxKeyLength() {
        return MAX_KEY_LENGTH;
    }

    @Override
    public int maxValueSize() {
        return maxValueSize;
    }

    @Override
    public CompletionStage<CacheEntry> get(String key) {
        return run(() -> store.get(key));
    }

    @Override
    public CompletionStage<Map<String, CacheEntry>> getAll(Collection<String> keys) {
        return run(() -> {
            Map<String, CacheEntry> found = new LinkedHashMap<>();
            for (String k : keys) {
                CacheEntry e = store.get(k);
                if (e != null) {
                    found.put(k, e);
                }
            }
            return found;
        });
    }

    @Override
    public CompletionStage<Void> put(String key, byte[] value, ValueFormat format, Duration ttl) {
        return run(() -> {
            store.put(key, value, format, ttl);
            return null;
        });
    }

    @Override
    public CompletionStage<Boolean> putIfAbsent(String key, byte[] value, ValueFormat format, Duration ttl) {
        return run(() -> store.putIfAbsent(key, value, format, ttl));
    }

    @Override
    public CompletionStage<Boolean> compareAndSet(String key, long version, byte[] value, ValueFormat format, Duration ttl) {
        return run(() -> store.compareAndSet(key, version, value, format, ttl));
    }

    @Override
    public CompletionStage<Boolean> delete(String key) {
        return run(() -> store.delete(key));
    }

    @Override
    public CompletionStage<Boolean> touch(String key, Duration ttl) {
        return run(() -> store.touch(key, ttl));
    }

    @Override
    public CompletionStage<Long> increment(String key, long delta, long initial, Duration ttl) {
        return run(() -> store.increment(key, delta, initial, ttl));
    }

    @Override
    public Health health() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("broker", broker.name());
        d.put("entries", store.size());
        d.put("expired", store.expiredCount());
        d.put("maxValueSize", maxValueSize);
        if (closed) {
            d.put("closed", true);
            return Health.of(Health.Status.DOWN, d);
        }
        return Health.of(Health.Status.UP, d);
    }

    /** Nothing to release: the entries belong to the broker and stay for other instances. */
    @Override
    public void close(Duration timeout) {
        closed = true;
    }

    private <T> CompletionStage<T> run(Supplier<T> op) {
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("the in-memory cache (broker '" + broker.name()
                    + "') is closed"));
        }
        try {
            return CompletableFuture.completedFuture(op.get());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public String toString() {
        return "MemoryCacheDriver[broker=" + broker.name() + (closed ? ", closed" : "") + "]";
    }
}
