package io.switchboard.memcached.internal;

import java.nio.charset.StandardCharsets;
import net.spy.memcached.CachedData;
import net.spy.memcached.transcoders.Transcoder;

/**
 * The default transcoder of the spymemcached client handed out by {@code unwrap}, replacing
 * spymemcached's {@code SerializingTranscoder} so that the native client cannot deserialize Java
 * objects either. Writes {@code byte[]} and {@code String} with Switchboard's flags; reads TEXT and
 * JSON as {@code String}, BYTES as {@code byte[]}, and refuses any other flags. Thread-safe.
 */
public final class ObjectTranscoder implements Transcoder<Object> {
    private final int maxSize;

    /** Creates a transcoder refusing values over {@code maxSize} bytes. */
    public ObjectTranscoder(int maxSize) {
        this.maxSize = maxSize;
    }

    @Override
    public boolean asyncDecode(CachedData d) {
        return false;
    }

    @Override
    public CachedData encode(Object o) {
        if (o instanceof byte[]) {
            return new CachedData(WireFormat.BYTES, (byte[]) o, maxSize);
        }
        if (o instanceof String) {
            return new CachedData(WireFormat.TEXT, ((String) o).getBytes(StandardCharsets.UTF_8), maxSize);
        }
        throw new IllegalArgumentException("Switchboard's memcached client stores only byte[] and String, not "
                + (o == null ? "null" : o.getClass().getName()) + "; encode the value yourself (JSON, for example)");
    }

    @Override
    public Object decode(CachedData d) {
        switch (d.getFlags()) {
            case WireFormat.TEXT:
            case WireFormat.JSON:
                return new String(d.getData(), StandardCharsets.UTF_8);
            case WireFormat.BYTES:
                return d.getData();
            default:
                throw new IllegalStateException("refusing a memcached value with flags " + d.getFlags()
                        + ": Switchboard reads only flags 0, 32 and 64 and never deserializes Java objects");
        }
    }

    @Override
    public int getMaxSize() {
        return maxSize;
    }
}
