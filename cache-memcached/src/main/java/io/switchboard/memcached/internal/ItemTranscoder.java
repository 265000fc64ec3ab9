package io.switchboard.memcached.internal;

import net.spy.memcached.CachedData;
import net.spy.memcached.transcoders.Transcoder;

/**
 * Passes bytes and flags through untouched in both directions. Interpreting flags is the driver's
 * job ({@link WireFormat}), so that a foreign flag (such as spymemcached's Java-serialized 1)
 * fails with a message naming the key instead of being decoded here, where no key is known.
 * Never deserializes anything. Thread-safe.
 */
public final class ItemTranscoder implements Transcoder<Item> {
    private final int maxSize;

    /** Creates a transcoder refusing values over {@code maxSize} bytes. */
    public ItemTranscoder(int maxSize) {
        this.maxSize = maxSize;
    }

    @Override
    public boolean asyncDecode(CachedData d) {
        return false;
    }

    @Override
    public CachedData encode(Item item) {
        return new CachedData(item.flags(), item.bytes(), maxSize);
    }

    @Override
    public Item decode(CachedData d) {
        return new Item(d.getFlags(), d.getData());
    }

    @Override
    public int getMaxSize() {
        return maxSize;
    }
}
