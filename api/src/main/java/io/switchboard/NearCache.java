package io.switchboard;

import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * A bounded in-process copy of a {@link SharedCache}, kept coherent with the copies of every other
 * instance of the service through pub/sub. Opened with
 * {@link Switchboard#nearCache(String, Class, NearCacheOptions)}. Thread-safe.
 *
 * <p><b>Reads</b> are served from local memory when the key is held locally and not expired;
 * otherwise the shared cache is read and the value kept locally (absent keys are not remembered).
 * <b>Writes</b> go to the shared cache first, then replace the local copy, then announce the key on
 * {@link #channel()} so that the other instances evict it (or, with
 * {@link NearCacheOptions.Sync#UPDATE}, take the new value and confirm it against the shared cache).
 * An instance sees its own writes at once; concurrent writers on different instances converge to
 * the value the shared cache ended with. See {@code docs/near-cache.md} for the wire format.
 *
 * <p><b>Gaps.</b> When the transport or the cache reports a lost connection, every local copy is
 * dropped and, until the connection is back, reads go to the shared cache without being kept; when
 * it is back, local copies are dropped again. When an announcement from another instance is found
 * missing (its sequence number jumps), local copies are dropped too. A value read from the shared
 * cache before an eviction of its key is never installed after it.
 *
 * <p><b>Values</b> are encoded as by {@link SharedCache} ({@code byte[]} raw, {@code String} UTF-8,
 * else JSON). The same local object is returned to every caller: treat values as immutable.
 * {@code null} keys, values and loaders are refused with {@link NullPointerException}. Keys follow
 * {@link SharedCache}'s rules; one that is not well-formed UTF-16 (an unpaired surrogate) is
 * refused with {@link IllegalArgumentException} by every method, {@link #peek} included.
 *
 * <p><b>Blocking and errors.</b> Methods that reach the shared cache block for at most its
 * operation timeout and throw what {@link SharedCache}'s blocking forms throw
 * ({@link ConnectionException}, {@link CacheException}, {@link CodecException}); announcements are
 * sent asynchronously, and a failed one makes this cache ask every instance to drop its local
 * copies as soon as the transport accepts messages again. After {@link #close()} (or after the
 * {@link Switchboard} is closed) every method except {@link #stats()}, {@link #close()} and
 * {@link #isClosed()} throws {@link IllegalStateException}.
 *
 * @param <V> the value type
 */
public interface NearCache<V> extends AutoCloseable {
    /** The name: keys live in {@code Switchboard.cache(name)}. */
    String name();

    /** The channel announcements travel on. */
    String channel();

    /** The options opened with. */
    NearCacheOptions options();

    /**
     * Reads a value: from local memory if held, else from the shared cache (then kept locally).
     *
     * @return the value, or {@code null} if the shared cache has none
     */
    V get(String key);

    /**
     * Reads a value, or when the shared cache has none calls {@code loader}, stores its non-null
     * result with the options' write TTL and announces the key. Within this near cache at most one
     * load per key runs at a time; concurrent callers wait for it and share its result, and a
     * loader's checked exception is thrown wrapped in {@link CacheException}.
     *
     * @return the value, or {@code null} if absent and the loader returned {@code null}
     */
    V getOrLoad(String key, Callable<? extends V> loader);

    /** The local copy only, without touching the shared cache or the statistics; {@code null} if not held. */
    V peek(String key);

    /** Writes with the options' write TTL; see {@link #put(String, Object, Duration)}. */
    void put(String key, V value);

    /**
     * Writes to the shared cache with a TTL ({@link Duration#ZERO}: none), keeps the value locally
     * (for at most the TTL) and announces the key to the other instances.
     */
    void put(String key, V value, Duration ttl);

    /**
     * Deletes from the shared cache and locally, and announces the key.
     *
     * @return whether the shared cache held the key
     */
    boolean remove(String key);

    /**
     * Gives the key a new TTL in the shared cache without rewriting its value (see
     * {@link SharedCache#touch}), keeps the local copy no longer than the new TTL (nor longer
     * than it was to be kept already), and announces
     * the key so that the other instances drop theirs and read it again with the new TTL: a
     * copy never outlives the shared entry. Touch keys a near cache holds through this method,
     * not through {@link SharedCache#touch} directly, which the other instances do not hear of.
     *
     * @return whether the shared cache held the key (when not, the local copy is dropped)
     */
    boolean touch(String key, Duration ttl);

    /** Drops every local copy of this instance (the shared cache and the other instances are untouched). */
    void clearLocal();

    /** How many entries are held locally (expired ones may still be counted until touched). */
    int localSize();

    /** Counters since opening. Works after close. */
    NearCacheStats stats();

    /** Whether {@link #close()} has been called or the {@link Switchboard} is closed. */
    boolean isClosed();

    /**
     * Unsubscribes from {@link #channel()}, stops listening for connection events and drops the
     * local copies. The shared cache keeps its values. Idempotent.
     */
    @Override
    void close();
}
