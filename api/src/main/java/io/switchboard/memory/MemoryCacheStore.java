package io.switchboard.memory;

import io.switchboard.CacheException;
import io.switchboard.spi.CacheEntry;
import io.switchboard.spi.ValueFormat;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The cache entries of one broker, shared by every cache driver naming it. Thread-safe: each
 * operation is one atomic step of a {@link ConcurrentHashMap}. Expiry is exact to the
 * millisecond: an expired entry is invisible at once, and the broker's timer sweeps expired
 * entries out every second so memory does not grow with keys nobody reads again.
 */
final class MemoryCacheStore {
    static final long SWEEP_INTERVAL_MILLIS = 1000;

    private final Map<String, Item> items = new ConcurrentHashMap<>();
    private final AtomicLong versions = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();

    CacheEntry get(String key) {
        Item item = items.get(key);
        if (item == null) {
            return null;
        }
        if (item.isExpired(System.nanoTime())) {
            if (items.remove(key, item)) {
                expired.incrementAndGet();
            }
            return null;
        }
        return item.entry;
    }

    void put(String key, byte[] value, ValueFormat format, Duration ttl) {
        items.put(key, newItem(value, format, deadline(ttl)));
    }

    boolean putIfAbsent(String key, byte[] value, ValueFormat format, Duration ttl) {
        boolean[] wrote = new boolean[1];
        long now = System.nanoTime();
        items.compute(key, (k, old) -> {
            if (old != null && !old.isExpired(now)) {
                return old;
            }
            wrote[0] = true;
            return newItem(value, format, deadline(ttl));
        });
        return wrote[0];
    }

    boolean compareAndSet(String key, long version, byte[] value, ValueFormat format, Duration ttl) {
        boolean[] wrote = new boolean[1];
        long now = System.nanoTime();
        items.computeIfPresent(key, (k, old) -> {
            if (old.isExpired(now)) {
                return null;
            }
            if (old.entry.version() != version) {
                return old;
            }
            wrote[0] = true;
            return newItem(value, format, deadline(ttl));
        });
        return wrote[0];
    }

    boolean delete(String key) {
        boolean[] existed = new boolean[1];
        long now = System.nanoTime();
        items.computeIfPresent(key, (k, old) -> {
            existed[0] = !old.isExpired(now);
            return null;
        });
        return existed[0];
    }

    /** A new deadline for a live entry; the entry itself, and so its version, is kept. */
    boolean touch(String key, Duration ttl) {
        boolean[] existed = new boolean[1];
        long now = System.nanoTime();
        items.computeIfPresent(key, (k, old) -> {
            if (old.isExpired(now)) {
                expired.incrementAndGet();
                return null;
            }
            existed[0] = true;
            return new Item(old.entry, deadline(ttl));
        });
        return existed[0];
    }

    /** Counters are decimal text (as memcached and Redis keep them); an increment keeps the entry's TTL. */
    long increment(String key, long delta, long initial, Duration ttl) {
        long[] result = new long[1];
        long now = System.nanoTime();
        items.compute(key, (k, old) -> {
            if (old == null || old.isExpired(now)) {
                result[0] = initial;
                return newItem(Long.toString(initial).getBytes(StandardCharsets.US_ASCII), ValueFormat.TEXT, deadline(ttl));
            }
            long current = parseCounter(key, old.entry.value());
            try {
                result[0] = Math.addExact(current, delta);
            } catch (ArithmeticException e) {
                throw new CacheException("cannot increment cache key '" + key + "' by " + delta + ": " + current
                        + " would overflow a 64-bit counter");
            }
            return newItem(Long.toString(result[0]).getBytes(StandardCharsets.US_ASCII), ValueFormat.TEXT, old.expiresAtNanos);
        });
        return result[0];
    }

    int size() {
        return items.size();
    }

    long expiredCount() {
        return expired.get();
    }

    void sweep() {
        long now = System.nanoTime();
        items.values().removeIf(item -> {
            if (item.isExpired(now)) {
                expired.incrementAndGet();
                return true;
            }
            return false;
        });
    }

    private static long parseCounter(String key, byte[] value) {
        String text = new String(value, StandardCharsets.UTF_8);
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new CacheException("cannot increment cache key '" + key + "': its value is not a decimal counter ("
                    + value.length + " bytes)");
        }
    }

    private Item newItem(byte[] value, ValueFormat format, long expiresAtNanos) {
        return new Item(new CacheEntry(value, format, versions.incrementAndGet()), expiresAtNanos);
    }

    /** The expiry instant on the {@link System#nanoTime()} clock, or 0 for none. */
    private static long deadline(Duration ttl) {
        if (ttl.isZero() || ttl.isNegative()) {
            return 0;
        }
        long nanos;
        try {
            nanos = ttl.toNanos();
        } catch (ArithmeticException e) {
            return 0;
        }
        long at = System.nanoTime() + nanos;
        return at == 0 ? 1 : at;
    }

    private static final class Item {
        final CacheEntry entry;
        final long expiresAtNanos;

        Item(CacheEntry entry, long expiresAtNanos) {
            this.entry = entry;
            this.expiresAtNanos = expiresAtNanos;
        }

        boolean isExpired(long now) {
            return expiresAtNanos != 0 && now - expiresAtNanos >= 0;
        }
    }
}
