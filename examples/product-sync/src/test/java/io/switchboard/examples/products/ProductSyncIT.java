package io.switchboard.examples.products;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.Switchboard;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Two instances keep one catalog in sync, on the in-memory provider and on the real servers of
 * bin/services: Redis for both messages and cache, and RabbitMQ with memcached.
 */
class ProductSyncIT {
    private final List<AutoCloseable> opened = new ArrayList<>();

    static Stream<Arguments> setups() {
        return Stream.of(
                Arguments.of("memory", Map.of("switchboard.transport", "memory", "switchboard.cache", "memory",
                        "switchboard.memory.broker", "products-" + UUID.randomUUID())),
                Arguments.of("redis", Map.of("switchboard.transport", "redis", "switchboard.cache", "redis",
                        "switchboard.redis.uri", "redis://127.0.0.1:6379")),
                Arguments.of("rabbitmq + memcached", Map.of("switchboard.transport", "rabbitmq", "switchboard.cache", "memcached",
                        "switchboard.rabbitmq.uri", "amqp://guest:guest@127.0.0.1:5672/", "switchboard.memcached.servers", "127.0.0.1:11211")));
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("setups")
    void aPriceChangedOnOneInstanceIsReadOnTheOther(String name, Map<String, Object> settings) {
        // A namespace per run, so runs against the shared servers never see each other's products.
        Map<String, Object> props = new java.util.HashMap<>(settings);
        props.put("switchboard.cache.namespace", "example-" + UUID.randomUUID().toString().substring(0, 8) + ":");
        Map<String, Product> database = new ConcurrentHashMap<>();
        AtomicInteger loads = new AtomicInteger();
        database.put("p-1", new Product("p-1", "Kettle", 2999, Instant.parse("2026-12-01T10:00:00Z")));
        ProductCatalog a = catalog(props, sku -> {
            loads.incrementAndGet();
            return database.get(sku);
        });
        ProductCatalog b = catalog(props, sku -> {
            loads.incrementAndGet();
            return database.get(sku);
        });

        assertEquals(2999, a.get("p-1").priceCents(), "A loads from the database");
        // A announced its write; on a real broker that takes a moment, and would evict a copy B took before it arrived.
        await(() -> b.stats().invalidationsReceived() >= 1, "B hears of A's first write");
        assertEquals(2999, b.get("p-1").priceCents(), "B reads the shared cache");
        assertEquals(1, loads.get(), "the database was read once for both instances");
        assertNotNull(b.localCopy("p-1"), "B keeps a local copy");
        long hits = b.stats().hits();
        b.get("p-1");
        assertEquals(hits + 1, b.stats().hits(), "B's second read is local");

        Product cheaper = a.get("p-1").withPrice(2499);
        database.put("p-1", cheaper);
        long heard = b.stats().invalidationsReceived();
        a.update(cheaper);
        await(() -> b.stats().invalidationsReceived() > heard, "B hears of A's update");
        assertNull(b.localCopy("p-1"), "B dropped its copy on A's announcement");
        assertEquals(2499, b.get("p-1").priceCents(), "B reads A's new price");
        assertEquals(cheaper.updatedAt(), b.get("p-1").updatedAt(), "java.time values survive the JSON round trip");
        assertEquals(1, loads.get(), "the update went through the cache, not the database");
        assertTrue(b.stats().invalidationsReceived() >= 1, () -> "B's counters: " + b.stats());

        assertNotNull(a.localCopy("p-1"), "A holds its own update");
        long heardByA = a.stats().invalidationsReceived();
        assertTrue(b.evict("p-1"), "B evicts the product everywhere");
        await(() -> a.stats().invalidationsReceived() > heardByA, "A hears of B's eviction");
        assertNull(a.localCopy("p-1"), "A dropped its copy on B's announcement");
        assertNull(a.get("unknown"), "an unknown SKU is null and not remembered");
    }

    private ProductCatalog catalog(Map<String, Object> settings, java.util.function.Function<String, Product> database) {
        Switchboard sb = Switchboard.open(settings);
        opened.add(sb);
        ProductCatalog catalog = new ProductCatalog(sb, database);
        opened.add(catalog);
        return catalog;
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 10 s: " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what, e);
            }
        }
    }
}
