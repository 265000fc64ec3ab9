package io.switchboard.memcached.internal;

import io.switchboard.CacheException;
import io.switchboard.spi.CacheEntry;
import io.switchboard.spi.ValueFormat;

/**
 * The flags Switchboard writes and accepts (docs/wire-format-memcached.md). The values avoid the
 * bits that Python clients (pymemcache, pylibmc) and spymemcached give a meaning to (1 pickle or
 * Java serialization, 2 integer or compressed, 4 long, 8 zlib, 16 text, 0xff00 spymemcached
 * types), so those clients hand our values back as plain bytes, and so we can refuse theirs.
 */
public final class WireFormat {
    /** UTF-8 text; also what counters and most other clients' plain strings carry. */
    public static final int TEXT = 0;
    /** UTF-8 JSON. */
    public static final int JSON = 0x20;
    /** Opaque bytes. */
    public static final int BYTES = 0x40;

    private WireFormat() {
    }

    /** The flags for a format. */
    public static int flags(ValueFormat format) {
        switch (format) {
            case JSON:
                return JSON;
            case BYTES:
                return BYTES;
            default:
                return TEXT;
        }
    }

    /**
     * The entry for an item just read from the server, refusing flags Switchboard did not write.
     * Nothing else holds the bytes, so the entry hands them over (see {@link CacheEntry#handedOver}).
     *
     * @throws CacheException naming the key and the flags when they are not TEXT, JSON or BYTES
     */
    public static CacheEntry received(String key, int flags, byte[] bytes, long version) {
        return CacheEntry.handedOver(bytes, format(key, flags), version);
    }

    /**
     * As {@link #received}, for bytes another read may hold too: spymemcached merges consecutive
     * plain gets of one key, from any callers, into one multi-get and gives every one of them the
     * same array, so such an entry is not handed over (the facade copies it for a {@code byte[]}
     * caller).
     *
     * @throws CacheException naming the key and the flags when they are not TEXT, JSON or BYTES
     */
    public static CacheEntry receivedShared(String key, int flags, byte[] bytes, long version) {
        return new CacheEntry(bytes, format(key, flags), version);
    }

    private static ValueFormat format(String key, int flags) {
        ValueFormat format;
        switch (flags) {
            case TEXT:
                format = ValueFormat.TEXT;
                break;
            case JSON:
                format = ValueFormat.JSON;
                break;
            case BYTES:
                format = ValueFormat.BYTES;
                break;
            default:
                throw new CacheException("memcached key '" + Keys.printable(key) + "' holds a value with flags " + flags
                        + " (0x" + Integer.toHexString(flags) + ")" + describe(flags)
                        + "; Switchboard reads only flags 0 (text), 32 (JSON) and 64 (bytes) and never deserializes "
                        + "Java objects or decompresses. Rewrite the value with one of those flags (see docs/wire-format-memcached.md).");
        }
        return format;
    }

    private static String describe(int flags) {
        if (flags == 1) {
            return ", which spymemcached uses for Java-serialized objects (and Python clients for pickles)";
        }
        if ((flags & 2) != 0 && (flags & 0xff00) == 0) {
            return ", which marks a compressed value for spymemcached";
        }
        if ((flags & 0xff00) != 0) {
            return ", a spymemcached binary-encoded Java type";
        }
        return ", an unknown format";
    }
}
