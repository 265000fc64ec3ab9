package io.switchboard.cli;

import io.switchboard.NearCache;
import io.switchboard.NearCacheOptions;
import io.switchboard.NearCacheStats;
import io.switchboard.Switchboard;

/**
 * One service instance of the demo in this JVM: a {@link NearCache} of the catalogue over the
 * shared cache, kept in sync with the other instances by the near cache's announcements.
 * Thread-safe.
 */
final class DemoInstance implements DemoNode {
    private final String name;
    private final Switchboard switchboard;
    private final NearCache<Product> catalogue;

    DemoInstance(String name, Switchboard switchboard, String runId) {
        this.name = name;
        this.switchboard = switchboard;
        this.catalogue = switchboard.nearCache(cacheName(runId), Product.class, NearCacheOptions.defaults());
    }

    /** The shared cache holding one run's catalogue. */
    static String cacheName(String runId) {
        return "demo-" + runId;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void create(Product p) {
        catalogue.put(p.id(), p);
    }

    @Override
    public Product changePrice(String id, long cents) {
        Product current = catalogue.get(id);
        if (current == null) {
            throw new IllegalStateException(name + " found no product " + id);
        }
        Product next = current.withPrice(cents, name);
        catalogue.put(id, next);
        return next;
    }

    @Override
    public Product read(String id) {
        return catalogue.get(id);
    }

    @Override
    public String stats() {
        NearCacheStats s = catalogue.stats();
        return String.format("hits %d, misses %d, announcements sent %d / received %d, gaps %d, local %d", s.hits(), s.misses(),
                s.invalidationsSent(), s.invalidationsReceived(), s.gapsRecovered() + s.sequenceGaps(), s.localSize());
    }

    @Override
    public void close() {
        try {
            catalogue.close();
        } finally {
            switchboard.close();
        }
    }
}
