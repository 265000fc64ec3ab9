package io.switchboard;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;

/**
 * A cache shared by every instance of a service, held by a cache server. Thread-safe.
 *
 * <p><b>Values.</b> A {@code byte[]} is stored as is, a {@link String} as its UTF-8 bytes, and any
 * other value as JSON through the {@link Switchboard}'s {@link JsonCodec}; reading with type
 * {@code byte[]} or {@code String} returns the stored bytes or their UTF-8 text, any other type
 * decodes JSON. So values written by another language's client read naturally, and vice versa
 * ({@code docs/wire-format.md}). Java serialization is never used. {@code null} values are refused.
 *
 * <p><b>Keys.</b> 1 to {@link #maxKeyLength()} bytes of UTF-8 (namespace included), without
 * spaces or control characters, well-formed UTF-16 (no unpaired surrogate); anything else is
 * refused with {@link IllegalArgumentException} naming the key. A {@code String} value that is not
 * well-formed UTF-16 is refused the same way. Values over {@link #maxValueSize()} bytes are refused with
 * {@link PayloadTooLargeException} before anything is sent.
 *
 * <p><b>Expiry.</b> A TTL is positive, or {@link Duration#ZERO} for no expiry; methods without a
 * TTL use {@code switchboard.cache.default-ttl}. Servers may round TTLs up to whole seconds.
 *
 * <p><b>Absent keys</b> read as {@code null}. <b>Errors</b>: asynchronous methods fail their stage
 * with {@link ConnectionException} (server unreachable or timed out), {@link CacheException}
 * (server refused the operation) or {@link CodecException} (stored value not of the requested
 * type); blocking forms throw the same exceptions. Argument errors are thrown at the call. After
 * the {@link Switchboard} is closed every method throws {@link IllegalStateException}.
 *
 * <p><b>Generic types.</b> Every read that takes a {@code Class} also takes a {@link TypeRef},
 * for values such as {@code List<Order>} that a class alone would read as maps and lists:
 * {@code cache.get("orders", new TypeRef<List<Order>>() {})}.
 *
 * <p>Asynchronous forms never block for a round trip, so a caller can keep many operations in
 * flight; the blocking forms wait at most the provider's operation timeout.
 */
public interface SharedCache {
    /** The cache's name: {@code default} for {@link Switchboard#cache()}. */
    String name();

    /** The longest key accepted, in UTF-8 bytes, excluding the namespace prefix. */
    int maxKeyLength();

    /** The largest value accepted, in bytes after encoding. */
    int maxValueSize();

    /** Reads a value, or {@code null} if absent. */
    <T> CompletionStage<T> getAsync(String key, Class<T> type);

    /** As {@link #getAsync(String, Class)}, for a generic type. */
    <T> CompletionStage<T> getAsync(String key, TypeRef<T> type);

    /** Reads many values at once; absent keys are missing from the map. */
    <T> CompletionStage<Map<String, T>> getAllAsync(Collection<String> keys, Class<T> type);

    /** As {@link #getAllAsync(Collection, Class)}, for a generic type. */
    <T> CompletionStage<Map<String, T>> getAllAsync(Collection<String> keys, TypeRef<T> type);

    /** Reads a value with its version token for {@link #compareAndSetAsync}, or {@code null} if absent. */
    <T> CompletionStage<Versioned<T>> getVersionedAsync(String key, Class<T> type);

    /** As {@link #getVersionedAsync(String, Class)}, for a generic type. */
    <T> CompletionStage<Versioned<T>> getVersionedAsync(String key, TypeRef<T> type);

    /** Writes a value with the default TTL. */
    CompletionStage<Void> putAsync(String key, Object value);

    /** Writes a value with a TTL ({@link Duration#ZERO}: no expiry). */
    CompletionStage<Void> putAsync(String key, Object value, Duration ttl);

    /** Writes a value only if the key is absent; completes with whether it was written. */
    CompletionStage<Boolean> putIfAbsentAsync(String key, Object value, Duration ttl);

    /**
     * Replaces a value only if it still has the version read by {@link #getVersionedAsync};
     * completes with {@code false} if it changed or disappeared meanwhile.
     */
    CompletionStage<Boolean> compareAndSetAsync(String key, long version, Object newValue, Duration ttl);

    /** Deletes a key; completes with whether it existed. */
    CompletionStage<Boolean> deleteAsync(String key);

    /**
     * Gives a key a new TTL counted from now, without rewriting its value: sliding expiry, as a
     * session store's {@code touch}. {@link Duration#ZERO} removes the expiry. The value and its
     * version (for {@link #compareAndSetAsync}) are unchanged. Completes with whether the key
     * existed; a missing or expired key stays absent (nothing is created). Servers may round the
     * TTL up to whole seconds, as for writes.
     */
    CompletionStage<Boolean> touchAsync(String key, Duration ttl);

    /**
     * Adds {@code delta} (which may be negative) to a counter stored as decimal text, creating it
     * with {@code initial} (and the TTL) when absent; completes with the new value. Fails with
     * {@link CacheException} if the stored value is not a counter. Counters never go below 0 on
     * memcached; see {@code docs/semantics.md}.
     */
    CompletionStage<Long> incrementAsync(String key, long delta, long initial, Duration ttl);

    /**
     * Reads a value, or when absent calls {@code loader} and stores its non-null result with
     * the TTL. Within one JVM at most one load per key runs at a time; concurrent callers for the
     * same key wait for it and share its result. A loader exception fails the stage (wrapped in
     * {@link CacheException} if checked) and nothing is stored.
     */
    <T> CompletionStage<T> getOrLoadAsync(String key, Class<T> type, Duration ttl, Callable<? extends T> loader);

    /** As {@link #getOrLoadAsync(String, Class, Duration, Callable)}, for a generic type. */
    <T> CompletionStage<T> getOrLoadAsync(String key, TypeRef<T> type, Duration ttl, Callable<? extends T> loader);

    /** Blocking {@link #getAsync(String, Class)}. */
    <T> T get(String key, Class<T> type);

    /** Blocking {@link #getAsync(String, TypeRef)}. */
    <T> T get(String key, TypeRef<T> type);

    /** Blocking {@link #getAllAsync(Collection, Class)}. */
    <T> Map<String, T> getAll(Collection<String> keys, Class<T> type);

    /** Blocking {@link #getAllAsync(Collection, TypeRef)}. */
    <T> Map<String, T> getAll(Collection<String> keys, TypeRef<T> type);

    /** Blocking {@link #getVersionedAsync(String, Class)}. */
    <T> Versioned<T> getVersioned(String key, Class<T> type);

    /** Blocking {@link #getVersionedAsync(String, TypeRef)}. */
    <T> Versioned<T> getVersioned(String key, TypeRef<T> type);

    /** Blocking {@link #putAsync(String, Object)}. */
    void put(String key, Object value);

    /** Blocking {@link #putAsync(String, Object, Duration)}. */
    void put(String key, Object value, Duration ttl);

    /** Blocking {@link #putIfAbsentAsync}. */
    boolean putIfAbsent(String key, Object value, Duration ttl);

    /** Blocking {@link #compareAndSetAsync}. */
    boolean compareAndSet(String key, long version, Object newValue, Duration ttl);

    /** Blocking {@link #deleteAsync}. */
    boolean delete(String key);

    /** Blocking {@link #touchAsync}. */
    boolean touch(String key, Duration ttl);

    /** Blocking {@link #incrementAsync}. */
    long increment(String key, long delta, long initial, Duration ttl);

    /** Blocking {@code increment(key, delta, 0, default TTL)}. */
    long increment(String key, long delta);

    /** Blocking {@link #getOrLoadAsync(String, Class, Duration, Callable)}. */
    <T> T getOrLoad(String key, Class<T> type, Duration ttl, Callable<? extends T> loader);

    /** Blocking {@link #getOrLoadAsync(String, TypeRef, Duration, Callable)}. */
    <T> T getOrLoad(String key, TypeRef<T> type, Duration ttl, Callable<? extends T> loader);

    /**
     * The provider's native client, for what this interface does not offer.
     *
     * @throws IllegalArgumentException if the provider has no object of that type; the message lists what it offers
     */
    <T> T unwrap(Class<T> type);
}
