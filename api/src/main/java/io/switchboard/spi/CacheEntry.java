package io.switchboard.spi;

import java.util.Objects;

/**
 * A stored cache value as a {@link CacheDriver} returns it. Immutable by convention: the facade
 * does not modify {@link #value()}, and drivers must not either after returning it.
 */
public final class CacheEntry {
    private final byte[] value;
    private final ValueFormat format;
    private final long version;
    private final boolean handedOver;

    /**
     * Creates an entry.
     *
     * @param value the stored bytes (not copied)
     * @param format the recorded format, or {@code null} when the backend records none
     * @param version the version token for compare-and-set; it must change on every write, also one
     *     of the same bytes (a memcached CAS value, or a per-write token; never a digest of the value)
     */
    public CacheEntry(byte[] value, ValueFormat format, long version) {
        this(value, format, version, false);
    }

    private CacheEntry(byte[] value, ValueFormat format, long version, boolean handedOver) {
        this.value = Objects.requireNonNull(value, "value");
        this.format = format;
        this.version = version;
        this.handedOver = handedOver;
    }

    /**
     * An entry whose bytes the driver gives up: it keeps no reference to them (say, an array just
     * read from the network), so the facade may hand them to the caller who asked for
     * {@code byte[]} without copying them first. Otherwise as the constructor.
     */
    public static CacheEntry handedOver(byte[] value, ValueFormat format, long version) {
        return new CacheEntry(value, format, version, true);
    }

    /** Whether the driver keeps no reference to {@link #value()} (see {@link #handedOver}). */
    public boolean isHandedOver() {
        return handedOver;
    }

    /** The stored bytes (not a copy). */
    public byte[] value() {
        return value;
    }

    /** The recorded format, or {@code null} when unknown. */
    public ValueFormat format() {
        return format;
    }

    /** The version token. */
    public long version() {
        return version;
    }
}
