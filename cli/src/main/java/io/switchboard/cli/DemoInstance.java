package io.switchboard.cli;

import io.switchboard.SharedCache;
import io.switchboard.Subscription;
import io.switchboard.Switchboard;
import io.switchboard.Versioned;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One service instance of the demo: a local in-memory copy of the catalogue, kept in sync by
 * change events; changes go to the shared cache (compare-and-set, so concurrent writers
 * converge) and are then announced on the channel. Thread-safe.
 */
final class DemoInstance implements AutoCloseable {
    private final String name;
    private final Switchboard switchboard;
    private final SharedCache cache;
    private final String channel;
    private final Map<String, Product> local = new ConcurrentHashMap<>();
    private final Subscription subscription;
    private final AtomicLong applied = new AtomicLong();
    private final DemoOutput out;

    DemoInstance(String name, Switchboard switchboard, String runId, DemoOutput out) {
        this.name = name;
        this.switchboard = switchboard;
        this.cache = switchboard.cache("demo-" + runId);
        this.channel = "demo." + runId + ".product.changed";
        this.out = out;
        this.subscription = switchboard.subscriber().subscribe(channel, delivery -> {
            ChangeEvent event = delivery.message().json(ChangeEvent.class);
            refresh(event.id());
        });
    }

    /** A change announcement: which product changed, to which version. */
    record ChangeEvent(String id, long version, String by) {
    }

    String name() {
        return name;
    }

    /** Loads every product from the shared cache into the local copy (what an instance does at start). */
    void warmUp(Iterable<String> ids) {
        for (String id : ids) {
            refresh(id);
        }
    }

    /** Re-reads one product from the source of truth and keeps it if it is newer than the local copy. */
    void refresh(String id) {
        Product p = cache.get("product:" + id, Product.class);
        if (p == null) {
            local.remove(id);
            return;
        }
        local.merge(id, p, (old, fresh) -> fresh.version() >= old.version() ? fresh : old);
        applied.incrementAndGet();
    }

    /** Writes a new product to the shared cache and announces it. */
    void create(Product p) {
        cache.put("product:" + p.id(), p, Duration.ZERO);
        local.put(p.id(), p);
        announce(p);
    }

    /** Changes a product's price: compare-and-set on the shared cache, retried on conflict, then announced. */
    Product changePrice(String id, long cents) {
        while (true) {
            Versioned<Product> current = cache.getVersioned("product:" + id, Product.class);
            Product next = current.value().withPrice(cents, name);
            if (cache.compareAndSet("product:" + id, current.version(), next, Duration.ZERO)) {
                local.put(id, next);
                announce(next);
                return next;
            }
            out.detail(name + " lost a compare-and-set race on " + id + "; re-reading and retrying");
        }
    }

    private void announce(Product p) {
        switchboard.publisher().publishJson(channel, new ChangeEvent(p.id(), p.version(), name))
                .toCompletableFuture().join();
    }

    /** The version of the local copy, or -1. */
    long localVersion(String id) {
        Product p = local.get(id);
        return p == null ? -1 : p.version();
    }

    /** A sorted snapshot of the local copy. */
    Map<String, Product> snapshot() {
        return new TreeMap<>(local);
    }

    long applied() {
        return applied.get();
    }

    SharedCache cache() {
        return cache;
    }

    @Override
    public void close() {
        subscription.close();
        switchboard.close();
    }
}
