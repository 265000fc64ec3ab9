package io.switchboard.internal;

import io.switchboard.CacheException;
import io.switchboard.ConnectionException;
import io.switchboard.Interceptor.CacheOperation.Kind;
import io.switchboard.JsonCodec;
import io.switchboard.PayloadTooLargeException;
import io.switchboard.SharedCache;
import io.switchboard.SwitchboardException;
import io.switchboard.TypeRef;
import io.switchboard.Versioned;
import io.switchboard.spi.CacheDriver;
import io.switchboard.spi.CacheEntry;
import io.switchboard.spi.ValueFormat;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * The facade over a {@link CacheDriver}: validates keys and sizes, applies the namespace, encodes
 * values ({@code byte[]} raw, {@code String} UTF-8, anything else JSON), and implements
 * single-flight {@code getOrLoad}.
 */
final class DefaultSharedCache implements SharedCache {
    private static final TypeRef<byte[]> BYTES = TypeRef.of(byte[].class);
    private static final TypeRef<String> STRING = TypeRef.of(String.class);

    private final Runtime runtime;
    private final String name;
    private final CacheDriver driver;
    private final JsonCodec codec;
    private final String prefix;
    private final int prefixBytes;
    private final int maxKeyLength;
    private final int maxValueSize;
    private final String maxValueSource;
    private final Duration defaultTtl;
    private final Interception interception;
    /** Loads in progress in this JVM, by cache server scope and full key, shared by every Switchboard instance. */
    private static final Map<String, CompletableFuture<Object>> LOADING = new ConcurrentHashMap<>();

    DefaultSharedCache(Runtime runtime, String name, CacheDriver driver, JsonCodec codec) {
        this.runtime = runtime;
        this.name = name;
        this.driver = driver;
        this.codec = codec;
        String namespace = runtime.config().get(CoreKeys.CACHE_NAMESPACE);
        this.prefix = namespace + (name.equals("default") ? "" : name + ":");
        this.prefixBytes = Utf8.length(prefix);
        this.maxKeyLength = driver.maxKeyLength() - prefixBytes;
        if (maxKeyLength < 1) {
            throw new IllegalStateException("cache namespace '" + prefix + "' leaves no room for keys: provider limit is "
                    + driver.maxKeyLength() + " bytes");
        }
        Long configured = runtime.config().get(CoreKeys.CACHE_MAX_VALUE_SIZE);
        if (configured != null && configured < driver.maxValueSize()) {
            this.maxValueSize = (int) Math.max(1, configured);
            this.maxValueSource = CoreKeys.CACHE_MAX_VALUE_SIZE.name();
        } else {
            this.maxValueSize = driver.maxValueSize();
            this.maxValueSource = "limit of cache provider '" + runtime.cacheProviderName() + "'";
        }
        this.defaultTtl = runtime.config().get(CoreKeys.CACHE_DEFAULT_TTL);
        this.interception = runtime.interception();
    }

    /** When an operation starts, if anyone is told of it. */
    private long start() {
        return interception.none() ? 0 : System.nanoTime();
    }

    /** Tells the interceptors when a write completes; returns the stage as it is. */
    private <T> CompletionStage<T> observed(Kind kind, long start, CompletionStage<T> stage) {
        if (!interception.none()) {
            stage.whenComplete((v, e) -> report(kind, start, 0, 0, e));
        }
        return stage;
    }

    /** As {@link #observed}, for a read of one key: found is a hit, {@code null} a miss. */
    private <T> CompletionStage<T> observedRead(Kind kind, long start, CompletionStage<T> stage) {
        if (!interception.none()) {
            stage.whenComplete((v, e) -> report(kind, start, e == null && v != null ? 1 : 0, e == null && v == null ? 1 : 0, e));
        }
        return stage;
    }

    private void report(Kind kind, long start, int hits, int misses, Throwable failure) {
        interception.cacheOperation(new io.switchboard.Interceptor.CacheOperation(name, kind, System.nanoTime() - start, hits, misses,
                failure == null ? null : unwrapFailure(failure)));
    }

    private static Throwable unwrapFailure(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int maxKeyLength() {
        return maxKeyLength;
    }

    @Override
    public int maxValueSize() {
        return maxValueSize;
    }

    private String key(String key) {
        Objects.requireNonNull(key, "key");
        runtime.ensureOpen();
        if (key.isEmpty()) {
            throw new IllegalArgumentException("cache key must not be empty");
        }
        int bytes = Utf8.checkedKeyLength(key, "cache key");
        if (bytes > maxKeyLength) {
            throw new IllegalArgumentException("cache key '" + printable(key) + "' is " + bytes + " bytes"
                    + (prefixBytes > 0 ? " (plus " + prefixBytes + " bytes of namespace '" + prefix + "')" : "")
                    + ", over the limit of " + driver.maxKeyLength() + " bytes of cache provider '" + runtime.cacheProviderName() + "'");
        }
        return prefix.isEmpty() ? key : prefix + key;
    }

    private static String printable(String s) {
        return Utf8.printable(s, 60);
    }

    private Duration ttl(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("ttl must be positive, or Duration.ZERO for no expiry; got " + ttl);
        }
        return ttl;
    }

    private ValueFormat format(Object value) {
        Objects.requireNonNull(value, "value");
        return value instanceof byte[] ? ValueFormat.BYTES : value instanceof String ? ValueFormat.TEXT : ValueFormat.JSON;
    }

    private byte[] encode(String key, Object value, ValueFormat format) {
        byte[] bytes = format == ValueFormat.BYTES ? ((byte[]) value).clone()
                : format == ValueFormat.TEXT ? text(key, (String) value) : json(key, value);
        if (bytes.length > maxValueSize) {
            throw new PayloadTooLargeException("value for cache key '" + printable(key) + "'", bytes.length, maxValueSize, maxValueSource);
        }
        return bytes;
    }

    private byte[] json(String key, Object value) {
        try {
            return codec.encode(value);
        } catch (io.switchboard.CodecException e) {
            throw new io.switchboard.CodecException("value for cache key '" + printable(key) + "' cannot be stored: " + e.getMessage(), e);
        }
    }

    private static byte[] text(String key, String value) {
        Utf8.checkedValueLength(value, "value for cache key", key);
        return value.getBytes(StandardCharsets.UTF_8);
    }

    /** As {@link #decode(String, byte[], TypeRef)}, without copying bytes the driver handed over. */
    @SuppressWarnings("unchecked")
    private <T> T decode(String key, CacheEntry entry, TypeRef<T> ref) {
        if (entry.isHandedOver() && ref.type() == byte[].class) {
            return (T) entry.value();
        }
        return decode(key, entry.value(), ref);
    }

    /** {@code TypeRef.of(type)}, without a new one per call for the commonest types. */
    @SuppressWarnings("unchecked")
    private static <T> TypeRef<T> ref(Class<T> type) {
        if (type == byte[].class) {
            return (TypeRef<T>) BYTES;
        }
        if (type == String.class) {
            return (TypeRef<T>) STRING;
        }
        return TypeRef.of(Objects.requireNonNull(type, "type"));
    }

    @SuppressWarnings("unchecked")
    private <T> T decode(String key, byte[] bytes, TypeRef<T> ref) {
        Type type = ref.type();
        if (type == byte[].class) {
            return (T) bytes.clone();
        }
        if (type == String.class) {
            return (T) new String(bytes, StandardCharsets.UTF_8);
        }
        try {
            return codec.decode(bytes, type);
        } catch (SwitchboardException e) {
            throw new io.switchboard.CodecException("cache key '" + printable(key) + "' holds a value that is not "
                    + (type instanceof Class ? ((Class<?>) type).getSimpleName() : type.getTypeName()) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public <T> CompletionStage<T> getAsync(String key, Class<T> type) {
        return getAsync(key, ref(type));
    }

    @Override
    public <T> CompletionStage<T> getAsync(String key, TypeRef<T> type) {
        Objects.requireNonNull(type, "type");
        String k = key(key);
        long start = start();
        return observedRead(Kind.GET, start, driver.get(k).thenApply(e -> e == null ? null : decode(key, e, type)));
    }

    @Override
    public <T> CompletionStage<Map<String, T>> getAllAsync(Collection<String> keys, Class<T> type) {
        return getAllAsync(keys, ref(type));
    }

    @Override
    public <T> CompletionStage<Map<String, T>> getAllAsync(Collection<String> keys, TypeRef<T> type) {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(type, "type");
        Map<String, String> full = new LinkedHashMap<>();
        for (String key : keys) {
            full.put(key(key), key);
        }
        if (full.isEmpty()) {
            return CompletableFuture.completedFuture(Map.of());
        }
        long start = start();
        CompletionStage<Map<String, T>> stage = driver.getAll(new ArrayList<>(full.keySet())).thenApply(found -> {
            Map<String, T> out = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : full.entrySet()) {
                CacheEntry entry = found.get(e.getKey());
                if (entry != null) {
                    out.put(e.getValue(), decode(e.getValue(), entry, type));
                }
            }
            return out;
        });
        if (!interception.none()) {
            int requested = full.size();
            stage.whenComplete((v, e) -> report(Kind.GET_ALL, start, v == null ? 0 : v.size(), v == null ? 0 : requested - v.size(), e));
        }
        return stage;
    }

    @Override
    public <T> CompletionStage<Versioned<T>> getVersionedAsync(String key, Class<T> type) {
        return getVersionedAsync(key, ref(type));
    }

    @Override
    public <T> CompletionStage<Versioned<T>> getVersionedAsync(String key, TypeRef<T> type) {
        Objects.requireNonNull(type, "type");
        String k = key(key);
        long start = start();
        return observedRead(Kind.GET_VERSIONED, start,
                driver.get(k).thenApply(e -> e == null ? null : new Versioned<>(decode(key, e, type), e.version())));
    }

    @Override
    public CompletionStage<Void> putAsync(String key, Object value) {
        return putAsync(key, value, defaultTtl);
    }

    @Override
    public CompletionStage<Void> putAsync(String key, Object value, Duration ttl) {
        String k = key(key);
        ValueFormat f = format(value);
        byte[] bytes = encode(key, value, f);
        Duration t = ttl(ttl);
        long start = start();
        return observed(Kind.PUT, start, driver.put(k, bytes, f, t));
    }

    @Override
    public CompletionStage<Boolean> putIfAbsentAsync(String key, Object value, Duration ttl) {
        String k = key(key);
        ValueFormat f = format(value);
        byte[] bytes = encode(key, value, f);
        Duration t = ttl(ttl);
        long start = start();
        return observed(Kind.PUT_IF_ABSENT, start, driver.putIfAbsent(k, bytes, f, t));
    }

    @Override
    public CompletionStage<Boolean> compareAndSetAsync(String key, long version, Object newValue, Duration ttl) {
        String k = key(key);
        ValueFormat f = format(newValue);
        byte[] bytes = encode(key, newValue, f);
        Duration t = ttl(ttl);
        long start = start();
        return observed(Kind.COMPARE_AND_SET, start, driver.compareAndSet(k, version, bytes, f, t));
    }

    @Override
    public CompletionStage<Boolean> deleteAsync(String key) {
        String k = key(key);
        long start = start();
        return observed(Kind.DELETE, start, driver.delete(k));
    }

    @Override
    public CompletionStage<Boolean> touchAsync(String key, Duration ttl) {
        String k = key(key);
        Duration t = ttl(ttl);
        long start = start();
        return observed(Kind.TOUCH, start, driver.touch(k, t));
    }

    @Override
    public CompletionStage<Long> incrementAsync(String key, long delta, long initial, Duration ttl) {
        String k = key(key);
        Duration t = ttl(ttl);
        long start = start();
        return observed(Kind.INCREMENT, start, driver.increment(k, delta, initial, t));
    }

    @Override
    public <T> CompletionStage<T> getOrLoadAsync(String key, Class<T> type, Duration ttl, Callable<? extends T> loader) {
        return getOrLoadAsync(key, ref(type), ttl, loader);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> CompletionStage<T> getOrLoadAsync(String key, TypeRef<T> type, Duration ttl, Callable<? extends T> loader) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(loader, "loader");
        String k = key(key);
        ttl(ttl);
        String flight = runtime.cacheScope() + '\0' + k;
        long start = start();
        // What the first read found, for the interceptors: 1 a hit, 2 a miss.
        int[] found = interception.none() ? null : new int[1];
        CompletionStage<T> stage = driver.get(k).thenCompose(e -> {
            if (found != null) {
                found[0] = e != null ? 1 : 2;
            }
            if (e != null) {
                return CompletableFuture.completedFuture(decode(key, e, type));
            }
            CompletableFuture<Object> mine = new CompletableFuture<>();
            CompletableFuture<Object> existing = LOADING.putIfAbsent(flight, mine);
            if (existing != null) {
                return existing.thenApply(v -> (T) v);
            }
            // A load that finished between the read above and registering ours has stored its value and
            // left the map already: read again, or a late caller would load a second time.
            driver.get(k).whenComplete((again, err) -> {
                if (err != null || again != null) {
                    LOADING.remove(flight, mine);
                    if (err != null) {
                        mine.completeExceptionally(unwrap(err));
                        return;
                    }
                    try {
                        mine.complete(decode(key, again, type));
                    } catch (RuntimeException decodeFailure) {
                        mine.completeExceptionally(decodeFailure);
                    }
                    return;
                }
                try {
                    runtime.handlerPool().execute(() -> load(key, k, flight, ttl, loader, mine));
                } catch (java.util.concurrent.RejectedExecutionException rejected) {
                    LOADING.remove(flight, mine);
                    mine.completeExceptionally(new IllegalStateException("Switchboard is closed"));
                }
            });
            return mine.thenApply(v -> (T) v);
        });
        if (found != null) {
            stage.whenComplete((v, e) -> report(Kind.GET_OR_LOAD, start, found[0] == 1 ? 1 : 0, found[0] == 2 ? 1 : 0, e));
        }
        return stage;
    }

    private <T> void load(String key, String k, String flight, Duration ttl, Callable<? extends T> loader,
            CompletableFuture<Object> result) {
        T value;
        try {
            value = loader.call();
        } catch (Throwable t) {
            LOADING.remove(flight, result);
            result.completeExceptionally(t instanceof RuntimeException ? t
                    : new CacheException("loader for cache key '" + printable(key) + "' failed: " + t, t, false));
            return;
        }
        if (value == null) {
            LOADING.remove(flight, result);
            result.complete(null);
            return;
        }
        CompletionStage<Void> stored;
        try {
            ValueFormat f = format(value);
            stored = driver.put(k, encode(key, value, f), f, ttl);
        } catch (RuntimeException e) {
            LOADING.remove(flight, result);
            result.completeExceptionally(e);
            return;
        }
        stored.whenComplete((ok, err) -> {
            LOADING.remove(flight, result);
            if (err != null) {
                result.completeExceptionally(unwrap(err));
            } else {
                result.complete(value);
            }
        });
    }

    @Override
    public <T> T get(String key, Class<T> type) {
        return join(getAsync(key, type));
    }

    @Override
    public <T> T get(String key, TypeRef<T> type) {
        return join(getAsync(key, type));
    }

    @Override
    public <T> Map<String, T> getAll(Collection<String> keys, Class<T> type) {
        return join(getAllAsync(keys, type));
    }

    @Override
    public <T> Map<String, T> getAll(Collection<String> keys, TypeRef<T> type) {
        return join(getAllAsync(keys, type));
    }

    @Override
    public <T> Versioned<T> getVersioned(String key, Class<T> type) {
        return join(getVersionedAsync(key, type));
    }

    @Override
    public <T> Versioned<T> getVersioned(String key, TypeRef<T> type) {
        return join(getVersionedAsync(key, type));
    }

    @Override
    public void put(String key, Object value) {
        join(putAsync(key, value));
    }

    @Override
    public void put(String key, Object value, Duration ttl) {
        join(putAsync(key, value, ttl));
    }

    @Override
    public boolean putIfAbsent(String key, Object value, Duration ttl) {
        return join(putIfAbsentAsync(key, value, ttl));
    }

    @Override
    public boolean compareAndSet(String key, long version, Object newValue, Duration ttl) {
        return join(compareAndSetAsync(key, version, newValue, ttl));
    }

    @Override
    public boolean delete(String key) {
        return join(deleteAsync(key));
    }

    @Override
    public boolean touch(String key, Duration ttl) {
        return join(touchAsync(key, ttl));
    }

    @Override
    public long increment(String key, long delta, long initial, Duration ttl) {
        return join(incrementAsync(key, delta, initial, ttl));
    }

    @Override
    public long increment(String key, long delta) {
        return increment(key, delta, 0, defaultTtl);
    }

    @Override
    public <T> T getOrLoad(String key, Class<T> type, Duration ttl, Callable<? extends T> loader) {
        return join(getOrLoadAsync(key, type, ttl, loader));
    }

    @Override
    public <T> T getOrLoad(String key, TypeRef<T> type, Duration ttl, Callable<? extends T> loader) {
        return join(getOrLoadAsync(key, type, ttl, loader));
    }

    @Override
    public <T> T unwrap(Class<T> type) {
        runtime.ensureOpen();
        return driver.unwrap(Objects.requireNonNull(type, "type"));
    }

    private static <T> T join(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CacheException("interrupted while waiting for the cache", e, true);
        } catch (ExecutionException e) {
            throw unwrap(e.getCause());
        }
    }

    private static RuntimeException unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof RuntimeException) {
            return (RuntimeException) t;
        }
        if (t instanceof Error) {
            throw (Error) t;
        }
        if (t instanceof java.io.IOException) {
            return new ConnectionException("cache operation failed: " + t, t);
        }
        return new CacheException("cache operation failed: " + t, t, false);
    }

    @Override
    public String toString() {
        return "SharedCache[" + name + ", provider=" + runtime.cacheProviderName() + ", prefix='" + prefix + "']";
    }

    List<String> describe() {
        return List.of(name, prefix);
    }
}
