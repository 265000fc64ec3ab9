package io.switchboard.near;

import io.switchboard.Health;
import io.switchboard.memory.MemoryCacheProvider;
import io.switchboard.spi.CacheDriver;
import io.switchboard.spi.CacheEntry;
import io.switchboard.spi.CacheProvider;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.ProviderContext;
import io.switchboard.spi.ValueFormat;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;

/**
 * Cache {@value #NAME} for tests: the memory cache, except that a gated read takes its value at
 * once and then completes only when the test opens the gate, so that a test can put an
 * invalidation between a read and its result. Reach it with {@code cache.unwrap(GatedDriver.class)}.
 */
public final class GatedCacheProvider implements CacheProvider {
    /** The provider name. */
    public static final String NAME = "gated-memory";
    private final MemoryCacheProvider memory = new MemoryCacheProvider();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<ConfigKey<?>> configKeys() {
        return List.of();
    }

    @Override
    public CacheDriver create(ProviderContext context) {
        return new GatedDriver(memory.create(context));
    }

    /** The driver with one gate. Thread-safe. */
    public static final class GatedDriver implements CacheDriver {
        private final CacheDriver inner;
        private volatile String gatedSuffix;
        private volatile CountDownLatch gate;
        private final CountDownLatch reading = new CountDownLatch(1);

        GatedDriver(CacheDriver inner) {
            this.inner = inner;
        }

        /** The next read of a key ending with {@code suffix} waits for {@link #open()} before completing. */
        public void gateNextRead(String suffix) {
            gate = new CountDownLatch(1);
            gatedSuffix = suffix;
        }

        /** Waits until the gated read has taken its value. */
        public void awaitGatedRead() throws InterruptedException {
            reading.await();
        }

        /** Lets the gated read complete. */
        public void open() {
            gate.countDown();
        }

        @Override
        public CompletionStage<CacheEntry> get(String key) {
            String suffix = gatedSuffix;
            if (suffix != null && key.endsWith(suffix)) {
                gatedSuffix = null;
                CountDownLatch g = gate;
                CacheEntry value = inner.get(key).toCompletableFuture().join();
                reading.countDown();
                return CompletableFuture.supplyAsync(() -> {
                    try {
                        g.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return value;
                });
            }
            return inner.get(key);
        }

        @Override
        public int maxKeyLength() {
            return inner.maxKeyLength();
        }

        @Override
        public int maxValueSize() {
            return inner.maxValueSize();
        }

        @Override
        public CompletionStage<Map<String, CacheEntry>> getAll(Collection<String> keys) {
            return inner.getAll(keys);
        }

        @Override
        public CompletionStage<Void> put(String key, byte[] value, ValueFormat format, Duration ttl) {
            return inner.put(key, value, format, ttl);
        }

        @Override
        public CompletionStage<Boolean> putIfAbsent(String key, byte[] value, ValueFormat format, Duration ttl) {
            return inner.putIfAbsent(key, value, format, ttl);
        }

        @Override
        public CompletionStage<Boolean> compareAndSet(String key, long version, byte[] value, ValueFormat format, Duration ttl) {
            return inner.compareAndSet(key, version, value, format, ttl);
        }

        @Override
        public CompletionStage<Boolean> delete(String key) {
            return inner.delete(key);
        }

        @Override
        public CompletionStage<Boolean> touch(String key, Duration ttl) {
            return inner.touch(key, ttl);
        }

        @Override
        public CompletionStage<Long> increment(String key, long delta, long initial, Duration ttl) {
            return inner.increment(key, delta, initial, ttl);
        }

        @Override
        public Health health() {
            return inner.health();
        }

        @Override
        public void close(Duration timeout) {
            inner.close(timeout);
        }

        @Override
        public <T> T unwrap(Class<T> type) {
            return type.isInstance(this) ? type.cast(this) : inner.unwrap(type);
        }
    }
}
