package io.switchboard;

import java.util.Objects;

/**
 * A cached value with the version token to pass to {@link SharedCache#compareAndSet}. The token
 * is opaque: compare it only for equality. Immutable.
 *
 * @param <T> the value type
 */
public final class Versioned<T> {
    private final T value;
    private final long version;

    /** Creates a versioned value. */
    public Versioned(T value, long version) {
        this.value = Objects.requireNonNull(value, "value");
        this.version = version;
    }

    /** The value, never {@code null}. */
    public T value() {
        return value;
    }

    /** The opaque version token. */
    public long version() {
        return version;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Versioned && ((Versioned<?>) o).version == version && ((Versioned<?>) o).value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode() * 31 + Long.hashCode(version);
    }

    @Override
    public String toString() {
        return "Versioned[version=" + version + "]";
    }
}
