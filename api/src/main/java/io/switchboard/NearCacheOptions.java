package io.switchboard;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How a {@link NearCache} behaves: local size bound, local and write TTLs, what an announcement
 * carries, and the channel. Immutable; derive variants from {@link #defaults()}.
 *
 * <p>Defaults: at most 10,000 local entries (least recently used evicted first), local copies
 * kept at most 10 minutes, writes without TTL use the shared cache's default TTL,
 * {@link Sync#INVALIDATE}, channel {@code switchboard.near.NAME}.
 */
public final class NearCacheOptions {
    private static final Pattern CHANNEL = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");
    private static final NearCacheOptions DEFAULTS = new NearCacheOptions(10_000, Duration.ofMinutes(10), null, Sync.INVALIDATE, null);

    /** What a write announces to the other instances. */
    public enum Sync {
        /**
         * Only the key: the others evict their copy and read the shared cache on their next read.
         * Small messages; one shared-cache read per instance that reads the key again.
         */
        INVALIDATE,
        /**
         * The key and the new value: the others replace their copy at once, then confirm it with
         * one read of the shared cache (the message order of concurrent writers is not trusted).
         * Values travel twice; the others never miss on a key they held.
         */
        UPDATE
    }

    private final int maxEntries;
    private final Duration localTtl;
    private final Duration writeTtl;
    private final Sync sync;
    private final String channel;

    private NearCacheOptions(int maxEntries, Duration localTtl, Duration writeTtl, Sync sync, String channel) {
        this.maxEntries = maxEntries;
        this.localTtl = localTtl;
        this.writeTtl = writeTtl;
        this.sync = sync;
        this.channel = channel;
    }

    /** The defaults described above. */
    public static NearCacheOptions defaults() {
        return DEFAULTS;
    }

    /**
     * The most entries held locally; beyond it the least recently used is evicted.
     *
     * @throws IllegalArgumentException if not between 1 and 10,000,000
     */
    public NearCacheOptions maxEntries(int maxEntries) {
        if (maxEntries < 1 || maxEntries > 10_000_000) {
            throw new IllegalArgumentException("near cache maxEntries must be between 1 and 10000000, got " + maxEntries);
        }
        return new NearCacheOptions(maxEntries, localTtl, writeTtl, sync, channel);
    }

    /**
     * The longest a local copy is kept, whatever the shared cache's TTL ({@link Duration#ZERO}:
     * no limit). A backstop against announcements lost without any gap being reported, and the
     * bound on how long a value read from the shared cache outlives its remote expiry when the
     * instance never saw the TTL it was written with.
     *
     * @throws IllegalArgumentException if negative
     */
    public NearCacheOptions localTtl(Duration localTtl) {
        return new NearCacheOptions(maxEntries, nonNegative(localTtl, "localTtl"), writeTtl, sync, channel);
    }

    /**
     * The TTL of writes that give none, in the shared cache and locally ({@link Duration#ZERO}:
     * none). Unset: the shared cache's {@code switchboard.cache.default-ttl}.
     *
     * @throws IllegalArgumentException if negative
     */
    public NearCacheOptions writeTtl(Duration writeTtl) {
        return new NearCacheOptions(maxEntries, localTtl, nonNegative(writeTtl, "writeTtl"), sync, channel);
    }

    /** What writes announce; see {@link Sync}. */
    public NearCacheOptions sync(Sync sync) {
        return new NearCacheOptions(maxEntries, localTtl, writeTtl, Objects.requireNonNull(sync, "sync"), channel);
    }

    /**
     * The channel for announcements, instead of {@code switchboard.near.NAME}; every instance of
     * one near cache must use the same.
     *
     * @throws IllegalArgumentException if not a valid exact channel name
     */
    public NearCacheOptions channel(String channel) {
        Objects.requireNonNull(channel, "channel");
        if (channel.length() > 200 || !CHANNEL.matcher(channel).matches()) {
            throw new IllegalArgumentException("near cache channel '" + channel
                    + "' must be dot-separated segments of letters, digits, '_' and '-', at most 200 characters");
        }
        return new NearCacheOptions(maxEntries, localTtl, writeTtl, sync, channel);
    }

    /** The local size bound. */
    public int maxEntries() {
        return maxEntries;
    }

    /** The local TTL bound; {@link Duration#ZERO} for none. */
    public Duration localTtl() {
        return localTtl;
    }

    /** The write TTL, or {@code null} for the shared cache's default. */
    public Duration writeTtl() {
        return writeTtl;
    }

    /** What writes announce. */
    public Sync sync() {
        return sync;
    }

    /** The configured channel, or {@code null} for {@code switchboard.near.NAME}. */
    public String channel() {
        return channel;
    }

    private static Duration nonNegative(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative()) {
            throw new IllegalArgumentException("near cache " + what + " must not be negative, got " + d);
        }
        return d;
    }

    @Override
    public String toString() {
        return "NearCacheOptions[maxEntries=" + maxEntries + ", localTtl=" + localTtl + ", writeTtl=" + writeTtl + ", sync=" + sync
                + ", channel=" + channel + "]";
    }
}
