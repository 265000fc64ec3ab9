package io.switchboard.examples.products;

import io.switchboard.NearCache;
import io.switchboard.NearCacheOptions;
import io.switchboard.NearCacheStats;
import io.switchboard.Switchboard;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;

/**
 * One service instance's product catalog: a {@link NearCache} over the shared cache
 * {@code products}, in front of the system of record ({@code database}). Reads are served from
 * local memory after the first; an update writes the shared cache and tells every other instance
 * to drop its copy, so the next read there sees the new price. Thread-safe; reads and writes
 * block for at most the cache's operation timeout.
 */
public final class ProductCatalog implements AutoCloseable {
    /** The near cache's name: its keys live in {@code switchboard.cache("products")}. */
    public static final String NAME = "products";

    private final NearCache<Product> products;
    private final Function<String, Product> database;

    /**
     * Opens the catalog on {@code switchboard}, loading misses from {@code database} (which may
     * return {@code null} for an unknown SKU).
     */
    public ProductCatalog(Switchboard switchboard, Function<String, Product> database) {
        this.database = Objects.requireNonNull(database, "database");
        this.products = switchboard.nearCache(NAME, Product.class,
                NearCacheOptions.defaults().writeTtl(Duration.ofHours(1)).localTtl(Duration.ofMinutes(5)));
    }

    /** The product, from local memory, the shared cache or the database; {@code null} if unknown. */
    public Product get(String sku) {
        return products.getOrLoad(sku, () -> database.apply(sku));
    }

    /** Stores a changed product and announces it; other instances read the new value next. */
    public void update(Product product) {
        products.put(product.sku(), product);
    }

    /** Removes a product from the cache everywhere; returns whether the shared cache held it. */
    public boolean evict(String sku) {
        return products.remove(sku);
    }

    /** This instance's local copy only, {@code null} if it holds none (for demonstrations and tests). */
    public Product localCopy(String sku) {
        return products.peek(sku);
    }

    /** Hits, misses and invalidations of this instance. */
    public NearCacheStats stats() {
        return products.stats();
    }

    /** Stops listening for announcements; the shared cache keeps its values. */
    @Override
    public void close() {
        products.close();
    }
}
