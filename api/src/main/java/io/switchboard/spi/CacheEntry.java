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

    /**
     * Creates an entry.
     *
     * @param value the stored bytes (not copied)
     * @param format the recorded format, or {@code null} when the backend records none
     * @param version the version token for compare-and-set; it must change on every write, also one
     *     of the same bytes (a memcached CAS value, or a per-write token; never a digest of the value)
     */
    public CacheEntry(byte[] value, ValueFormat format, long version) {
        this.value = Objects.requireNonNull(value, "value");
        this.format = format;
        this.version = version;
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
