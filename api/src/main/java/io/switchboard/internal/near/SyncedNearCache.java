package io.switchboard.internal.near;

import io.switchboard.CacheException;
import io.switchboard.CodecException;
import io.switchboard.ConnectionEvent;
import io.switchboard.ConnectionListener;
import io.switchboard.Delivery;
import io.switchboard.Health;
import io.switchboard.Message;
import io.switchboard.NearCache;
import io.switchboard.NearCacheOptions;
import io.switchboard.NearCacheStats;
import io.switchboard.PayloadTooLargeException;
import io.switchboard.SharedCache;
import io.switchboard.Subscription;
import io.switchboard.Switchboard;
import io.switchboard.TypeRef;
import io.switchboard.internal.Utf8;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link NearCache}: an access-ordered map under one lock, in front of a {@link SharedCache},
 * with announcements on a channel.
 *
 * <p>Staleness guard: every key maps to one of {@value #STRIPES} stripe counters and the whole map
 * has a generation. Evictions and writes bump the key's stripe, clears bump the generation. A read
 * from the shared cache notes both before it starts and installs its value only if neither moved
 * (and no connection is down); a write installs its own value only if nothing moved since it
 * started, and otherwise evicts the key, because two overlapping writes cannot tell which one the
 * shared cache kept.
 *
 * @param <V> the value type
 */
public final class SyncedNearCache<V> implements NearCache<V> {
    /** Header: the announcing near cache instance (a random UUID per open near cache). */
    public static final String ORIGIN = "nearcache-origin";
    /** Header: the announcement's sequence number, 1, 2, 3... per origin. */
    public static final String SEQUENCE = "nearcache-seq";
    /** Header: {@code invalidate}, {@code update} or {@code clear}. */
    public static final String OP = "nearcache-op";
    /** Header: the key (absent for {@code clear}). */
    public static final String KEY = "nearcache-key";
    /** Header: the write's TTL in milliseconds, 0 for none; absent when the shared cache's default applied or for a delete. */
    public static final String TTL = "nearcache-ttl-ms";

    private static final Logger LOG = LoggerFactory.getLogger(SyncedNearCache.class);
    private static final int STRIPES = 4096;
    private static final int MAX_ORIGINS = 4096;
    private static final long NO_EXPIRY = Long.MAX_VALUE;

    private final Switchboard switchboard;
    private final String name;
    private final TypeRef<V> type;
    private final NearCacheOptions options;
    private final SharedCache shared;
    private final String channel;
    private final String origin = UUID.randomUUID().toString();

    private final Object lock = new Object();
    private final Map<String, Entry<V>> local;
    private final Map<String, Long> ttlHints;
    private final long[] stripes = new long[STRIPES];
    private long generation;
    private final Set<String> downComponents = new HashSet<>();
    private final Map<String, Long> lastSequence;

    private final Object publishLock = new Object();
    private long nextSequence;
    private final AtomicBoolean clearPending = new AtomicBoolean();
    private final AtomicBoolean clearScheduled = new AtomicBoolean();

    private final Map<String, CompletableFuture<V>> loading = new ConcurrentHashMap<>();
    private final ConnectionListener listener = this::onConnectionEvent;
    private final Subscription subscription;
    private volatile boolean closed;

    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder sent = new LongAdder();
    private final LongAdder received = new LongAdder();
    private final LongAdder gapsRecovered = new LongAdder();
    private final LongAdder sequenceGaps = new LongAdder();
    private final LongAdder staleLoads = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder publishFailures = new LongAdder();

    private record Entry<V>(V value, long expiresAtNanos) {
        boolean expired(long now) {
            return expiresAtNanos != NO_EXPIRY && now - expiresAtNanos >= 0;
        }
    }

    private record Stamp(long stripe, long generation) {
    }

    /**
     * Opens a near cache: takes {@code switchboard.cache(name)}, listens for connection events and
     * subscribes to the channel.
     */
    public SyncedNearCache(Switchboard switchboard, String name, TypeRef<V> type, NearCacheOptions options) {
        this.switchboard = Objects.requireNonNull(switchboard, "switchboard");
        this.name = Objects.requireNonNull(name, "near cache name");
        this.type = Objects.requireNonNull(type, "type");
        this.options = Objects.requireNonNull(options, "options");
        this.shared = switchboard.cache(name);
        this.channel = options.channel() != null ? options.channel() : "switchboard.near." + name;
        int max = options.maxEntries();
        this.local = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry<V>> eldest) {
                if (size() > max) {
                    evictions.increment();
                    return true;
                }
                return false;
            }
        };
        this.ttlHints = lru(max);
        this.lastSequence = lru(MAX_ORIGINS);
        switchboard.addConnectionListener(listener);
        try {
            this.subscription = switchboard.subscriber().subscribe(channel, this::onAnnouncement);
        } catch (RuntimeException e) {
            switchboard.removeConnectionListener(listener);
            throw e;
        }
    }

    private static <T> Map<String, T> lru(int max) {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, T> eldest) {
                return size() > max;
            }
        };
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String channel() {
        return channel;
    }

    @Override
    public NearCacheOptions options() {
        return options;
    }

    @Override
    public V get(String key) {
        Objects.requireNonNull(key, "key");
        ensureOpen();
        V held = localValue(key);
        if (held != null) {
            hits.increment();
            return held;
        }
        misses.increment();
        Stamp stamp = stamp(key);
        V value = shared.get(key, type);
        if (value != null) {
            installLoaded(key, value, stamp);
        }
        return value;
    }

    @Override
    public V getOrLoad(String key, Callable<? extends V> loader) {
        Objects.requireNonNull(loader, "loader");
        V value = get(key);
        if (value != null) {
            return value;
        }
        CompletableFuture<V> mine = new CompletableFuture<>();
        CompletableFuture<V> running = loading.putIfAbsent(key, mine);
        if (running != null) {
            return join(running);
        }
        try {
            V again = shared.get(key, type);
            V loaded = again != null ? again : loader.call();
            if (again == null && loaded != null) {
                put(key, loaded);
            }
            mine.complete(loaded);
            return loaded;
        } catch (Exception e) {
            RuntimeException failure = e instanceof RuntimeException ? (RuntimeException) e
                    : new CacheException("loader for near cache '" + name + "' key '" + key + "' failed: " + e, e, false);
            mine.completeExceptionally(failure);
            throw failure;
        } finally {
            loading.remove(key, mine);
        }
    }

    @Override
    public V peek(String key) {
        Objects.requireNonNull(key, "key");
        // The other methods leave key checks to the shared cache; a key it refuses is never held here.
        Utf8.checkedLength(key, "near cache key");
        ensureOpen();
        synchronized (lock) {
            Entry<V> e = local.get(key);
            return e == null || e.expired(System.nanoTime()) ? null : e.value();
        }
    }

    @Override
    public void put(String key, V value) {
        write(key, value, options.writeTtl());
    }

    @Override
    public void put(String key, V value, Duration ttl) {
        write(key, value, Objects.requireNonNull(ttl, "ttl"));
    }

    private void write(String key, V value, Duration ttl) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        ensureOpen();
        Stamp stamp = beginWrite(key);
        try {
            if (ttl == null) {
                shared.put(key, value);
            } else {
                shared.put(key, value, ttl);
            }
        } catch (RuntimeException e) {
            evict(key);
            announce("invalidate", key, null, null);
            throw e;
        }
        synchronized (lock) {
            hint(key, ttl);
            if (!installIfUnchanged(key, value, stamp, expiry(ttl), true)) {
                evictLocked(key);
            }
        }
        announce(options.sync() == NearCacheOptions.Sync.UPDATE ? "update" : "invalidate", key, value, ttl);
    }

    @Override
    public boolean remove(String key) {
        Objects.requireNonNull(key, "key");
        ensureOpen();
        beginWrite(key);
        try {
            return shared.delete(key);
        } finally {
            evict(key);
            announce("invalidate", key, null, null);
        }
    }

    @Override
    public boolean touch(String key, Duration ttl) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(ttl, "ttl");
        ensureOpen();
        boolean existed;
        try {
            existed = shared.touch(key, ttl);
        } catch (RuntimeException e) {
            evict(key);
            announce("invalidate", key, null, null);
            throw e;
        }
        synchronized (lock) {
            hint(key, ttl);
            Entry<V> held = local.get(key);
            long now = System.nanoTime();
            if (!existed || held != null && held.expired(now)) {
                evictLocked(key);
            } else if (held != null) {
                // Never later than before: the local TTL bounds how long a copy may miss an announcement.
                long shared = expiry(ttl);
                long kept = held.expiresAtNanos() == NO_EXPIRY ? shared
                        : shared == NO_EXPIRY || shared - held.expiresAtNanos() > 0 ? held.expiresAtNanos() : shared;
                local.put(key, new Entry<>(held.value(), kept));
            }
        }
        // An invalidation with the TTL: instances that know no touch drop the copy and read it again.
        announce("invalidate", key, null, ttl);
        return existed;
    }

    @Override
    public void clearLocal() {
        ensureOpen();
        synchronized (lock) {
            clearLocked();
        }
    }

    @Override
    public int localSize() {
        synchronized (lock) {
            return local.size();
        }
    }

    @Override
    public NearCacheStats stats() {
        return new NearCacheStats(hits.sum(), misses.sum(), sent.sum(), received.sum(), gapsRecovered.sum(), sequenceGaps.sum(),
                staleLoads.sum(), evictions.sum(), publishFailures.sum(), localSize());
    }

    /** The counters of {@link #stats()} as a health component: DEGRADED while a failed announcement awaits its clear broadcast. */
    public Health health() {
        NearCacheStats st = stats();
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("channel", channel);
        d.put("hits", st.hits());
        d.put("misses", st.misses());
        d.put("invalidationsSent", st.invalidationsSent());
        d.put("invalidationsReceived", st.invalidationsReceived());
        d.put("gapsRecovered", st.gapsRecovered());
        d.put("sequenceGaps", st.sequenceGaps());
        d.put("staleLoadsDiscarded", st.staleLoadsDiscarded());
        d.put("evictions", st.evictions());
        d.put("publishFailures", st.publishFailures());
        d.put("localSize", st.localSize());
        return Health.of(clearPending.get() ? Health.Status.DEGRADED
                : Health.Status.UP, d);
    }

    @Override
    public boolean isClosed() {
        return closed || switchboard.isClosed();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        switchboard.removeConnectionListener(listener);
        try {
            subscription.close();
        } finally {
            synchronized (lock) {
                clearLocked();
            }
        }
    }

    @Override
    public String toString() {
        return "NearCache[" + name + ", channel=" + channel + ", " + options.sync() + ", origin=" + origin + (closed ? ", closed" : "") + "]";
    }

    private void ensureOpen() {
        if (isClosed()) {
            throw new IllegalStateException("near cache '" + name + "' is closed" + (closed ? "" : " (its Switchboard is closed)"));
        }
    }

    private V localValue(String key) {
        synchronized (lock) {
            Entry<V> e = local.get(key);
            if (e == null) {
                return null;
            }
            if (e.expired(System.nanoTime())) {
                local.remove(key);
                return null;
            }
            return e.value();
        }
    }

    private static int stripe(String key) {
        int h = key.hashCode();
        return (h ^ (h >>> 16)) & (STRIPES - 1);
    }

    private Stamp stamp(String key) {
        synchronized (lock) {
            return new Stamp(stripes[stripe(key)], generation);
        }
    }

    private Stamp beginWrite(String key) {
        synchronized (lock) {
            evictLocked(key);
            return new Stamp(stripes[stripe(key)], generation);
        }
    }

    private void evict(String key) {
        synchronized (lock) {
            evictLocked(key);
        }
    }

    private void evictLocked(String key) {
        stripes[stripe(key)]++;
        local.remove(key);
    }

    private void clearLocked() {
        generation++;
        local.clear();
    }

    /** Installs if nothing touched the key's stripe or the generation since the stamp; holds the lock. */
    private boolean installIfUnchanged(String key, V value, Stamp stamp, long expiresAt, boolean bump) {
        int s = stripe(key);
        if (stripes[s] != stamp.stripe() || generation != stamp.generation() || !downComponents.isEmpty()) {
            return false;
        }
        if (bump) {
            stripes[s]++;
        }
        local.put(key, new Entry<>(value, expiresAt));
        return true;
    }

    private void installLoaded(String key, V value, Stamp stamp) {
        synchronized (lock) {
            Long hinted = ttlHints.get(key);
            long expiresAt = expiry(hinted == null ? null : Duration.ofNanos(hinted));
            if (!installIfUnchanged(key, value, stamp, expiresAt, false) && downComponents.isEmpty()) {
                staleLoads.increment();
            }
        }
    }

    /** Holds the lock. */
    private void hint(String key, Duration ttl) {
        if (ttl != null && !ttl.isZero()) {
            ttlHints.put(key, ttl.toNanos());
        } else {
            ttlHints.remove(key);
        }
    }

    /** The local deadline for a value written with {@code ttl} (null: unknown), bounded by the local TTL and the write TTL. */
    private long expiry(Duration ttl) {
        long bound = Long.MAX_VALUE;
        if (!options.localTtl().isZero()) {
            bound = options.localTtl().toNanos();
        }
        Duration writeTtl = options.writeTtl();
        if (ttl == null && writeTtl != null && !writeTtl.isZero()) {
            bound = Math.min(bound, writeTtl.toNanos());
        }
        if (ttl != null && !ttl.isZero()) {
            bound = Math.min(bound, ttl.toNanos());
        }
        return bound == Long.MAX_VALUE ? NO_EXPIRY : System.nanoTime() + bound;
    }

    private void announce(String op, String key, V value, Duration ttl) {
        Message.Builder b = Message.builder().header(ORIGIN, origin).header(OP, op);
        if (key != null) {
            b.header(KEY, key);
        }
        if (ttl != null) {
            b.header(TTL, Long.toString(ttl.toMillis()));
        }
        if (value != null) {
            encodeInto(b, value);
        }
        publish(b);
    }

    private void publish(Message.Builder b) {
        CompletionStage<Void> stage;
        synchronized (publishLock) {
            long seq = ++nextSequence;
            b.header(SEQUENCE, Long.toString(seq));
            Message m = b.build();
            try {
                stage = switchboard.publisher().publish(channel, m);
            } catch (PayloadTooLargeException tooLarge) {
                Message slim = Message.builder().headers(m.headers()).header(OP, "invalidate").build();
                stage = safePublish(slim);
            } catch (IllegalStateException closing) {
                return;
            } catch (RuntimeException e) {
                stage = CompletableFuture.failedFuture(e);
            }
        }
        sent.increment();
        stage.whenComplete((ok, err) -> {
            if (err != null) {
                publishFailures.increment();
                LOG.warn("near cache '{}': an announcement on '{}' failed ({}); every instance will be asked to drop its local copies",
                        name, channel, err.toString());
                requestClear();
            }
        });
    }

    private CompletionStage<Void> safePublish(Message m) {
        try {
            return switchboard.publisher().publish(channel, m);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private void requestClear() {
        clearPending.set(true);
        scheduleClear();
    }

    private void scheduleClear() {
        if (closed || switchboard.isClosed() || !clearScheduled.compareAndSet(false, true)) {
            return;
        }
        CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS).execute(() -> {
            clearScheduled.set(false);
            flushClear();
        });
    }

    /** Sends the pending clear request, if any; retried until the transport accepts it. */
    private void flushClear() {
        if (closed || switchboard.isClosed() || !clearPending.compareAndSet(true, false)) {
            return;
        }
        Message.Builder b = Message.builder().header(ORIGIN, origin).header(OP, "clear");
        publish(b);
    }

    private void encodeInto(Message.Builder b, V value) {
        if (value instanceof byte[]) {
            b.payload((byte[]) value);
        } else if (value instanceof String) {
            b.text((String) value);
        } else {
            b.json(value, switchboard.codec());
        }
    }

    @SuppressWarnings("unchecked")
    private V decode(Message m) {
        if (type.type() == byte[].class) {
            return (V) m.payload();
        }
        if (type.type() == String.class) {
            return (V) m.text();
        }
        return m.json(type, switchboard.codec());
    }

    private void onAnnouncement(Delivery d) {
        Message m = d.message();
        String from = m.header(ORIGIN);
        if (from == null || from.equals(origin) || closed) {
            return;
        }
        try {
            apply(m, from);
        } finally {
            received.increment();
        }
    }

    private void apply(Message m, String from) {
        String op = m.header(OP);
        String key = m.header(KEY);
        long seq = parseLong(m.header(SEQUENCE), -1);
        synchronized (lock) {
            Long last = lastSequence.get(from);
            if (last != null && seq > last + 1) {
                sequenceGaps.increment();
                LOG.info("near cache '{}': announcements {}..{} from {} are missing; dropping local copies", name, last + 1, seq - 1, from);
                clearLocked();
            }
            if (last == null || seq > last) {
                lastSequence.put(from, seq);
            }
        }
        if ("clear".equals(op) || key == null) {
            synchronized (lock) {
                clearLocked();
            }
            return;
        }
        String ttlHeader = m.header(TTL);
        Duration ttl = ttlHeader == null ? null : Duration.ofMillis(parseLong(ttlHeader, 0));
        if (!"update".equals(op) || m.payloadSize() == 0) {
            synchronized (lock) {
                evictLocked(key);
                hint(key, ttl);
            }
            return;
        }
        V value;
        try {
            value = decode(m);
        } catch (CodecException e) {
            evict(key);
            return;
        }
        Stamp confirm;
        synchronized (lock) {
            boolean held = local.containsKey(key);
            evictLocked(key);
            hint(key, ttl);
            if (!held || !downComponents.isEmpty()) {
                return;
            }
            local.put(key, new Entry<>(value, expiry(ttl)));
            confirm = new Stamp(stripes[stripe(key)], generation);
        }
        confirm(key, confirm);
    }

    /** Re-reads a key installed from an update, because updates from concurrent writers may arrive in any order. */
    private void confirm(String key, Stamp stamp) {
        CompletionStage<V> read;
        try {
            read = shared.getAsync(key, type);
        } catch (RuntimeException e) {
            evict(key);
            return;
        }
        read.whenComplete((v, err) -> {
            if (err != null || v == null) {
                evict(key);
            } else {
                installLoaded(key, v, stamp);
            }
        });
    }

    private void onConnectionEvent(ConnectionEvent event) {
        if (closed) {
            return;
        }
        String component = event.component();
        switch (event.type()) {
            case LOST:
                synchronized (lock) {
                    downComponents.add(component);
                    clearLocked();
                    lastSequence.clear();
                }
                break;
            case RECOVERED:
                synchronized (lock) {
                    downComponents.remove(component);
                    if (event.possibleGap() || !component.equals("transport")) {
                        clearLocked();
                        lastSequence.clear();
                    }
                }
                if (event.possibleGap() || !component.equals("transport")) {
                    gapsRecovered.increment();
                }
                if (component.equals("transport")) {
                    flushClear();
                }
                break;
            default:
                break;
        }
    }

    private static long parseLong(String s, long fallback) {
        if (s == null) {
            return fallback;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static <T> T join(CompletableFuture<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CacheException("interrupted while waiting for another thread's load", e, true);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof CompletionException && c.getCause() != null) {
                c = c.getCause();
            }
            throw c instanceof RuntimeException ? (RuntimeException) c : new CacheException(String.valueOf(c), c, false);
        }
    }

    String origin() {
        return origin;
    }
}
