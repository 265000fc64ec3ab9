package io.switchboard.memcached.internal;

/** A value as memcached holds it: the bytes and the 32-bit flags. Immutable by convention; bytes are not copied. */
public final class Item {
    private final int flags;
    private final byte[] bytes;

    /** Creates an item. */
    public Item(int flags, byte[] bytes) {
        this.flags = flags;
        this.bytes = bytes;
    }

    /** The flags word stored with the value. */
    public int flags() {
        return flags;
    }

    /** The stored bytes (not a copy). */
    public byte[] bytes() {
        return bytes;
    }
}
