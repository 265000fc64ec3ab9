package io.switchboard.examples.products;

import io.switchboard.Switchboard;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * Two instances of a service, each with its own {@link Switchboard} and {@link ProductCatalog},
 * in one process for the demonstration: instance A changes a price, instance B reads the new one.
 * Configuration comes from system properties and the environment as for any application
 * ({@code -Dswitchboard.transport=redis -Dswitchboard.cache=redis}); unset, both use the in-memory
 * provider. Run: {@code mvn -pl examples/product-sync exec:java}.
 */
public final class ProductSyncApp {
    private ProductSyncApp() {
    }

    /** Runs the demonstration and prints what each instance sees. */
    public static void main(String[] args) throws InterruptedException {
        Map<String, String> defaults = Map.of("switchboard.transport", System.getProperty("switchboard.transport", "memory"),
                "switchboard.cache", System.getProperty("switchboard.cache", "memory"));
        Map<String, Product> database = new ConcurrentHashMap<>();
        database.put("p-1", new Product("p-1", "Kettle", 2999, Instant.now()));
        try (Switchboard a = Switchboard.open(defaults); Switchboard b = Switchboard.open(defaults);
                ProductCatalog catalogA = new ProductCatalog(a, database::get); ProductCatalog catalogB = new ProductCatalog(b, database::get)) {
            catalogA.evict("p-1");
            System.out.println("A reads " + catalogA.get("p-1"));
            // A announced its eviction and its load's write; a copy B took before they arrived would be dropped.
            waitFor(Duration.ofSeconds(10), () -> catalogB.stats().invalidationsReceived() >= 2);
            System.out.println("B reads " + catalogB.get("p-1") + " (from the shared cache; local copy now: " + (catalogB.localCopy("p-1") != null) + ")");
            Product cheaper = catalogA.get("p-1").withPrice(2499);
            database.put("p-1", cheaper);
            catalogA.update(cheaper);
            waitFor(Duration.ofSeconds(10), () -> catalogB.get("p-1").priceCents() == 2499);
            System.out.println("B reads " + catalogB.get("p-1") + " after A's update");
            System.out.println("B's counters: " + catalogB.stats());
        }
    }

    private static void waitFor(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the update did not reach instance B within " + timeout);
            }
            Thread.sleep(10);
        }
    }
}
