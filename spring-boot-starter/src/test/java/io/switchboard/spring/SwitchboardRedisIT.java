package io.switchboard.spring;

import static io.switchboard.spring.SwitchboardAutoConfigurationTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.MeterRegistry;
import io.switchboard.Delivery;
import io.switchboard.Publisher;
import io.switchboard.SharedCache;
import io.switchboard.Switchboard;
import io.switchboard.micrometer.MicrometerMetrics;
import io.switchboard.spring.SwitchboardAutoConfigurationTest.Order;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** A Spring Boot application on the real Redis (127.0.0.1:6379): transport and cache from application properties. */
@SpringBootTest(classes = SwitchboardRedisIT.App.class, webEnvironment = SpringBootTest.WebEnvironment.NONE,
        properties = {"switchboard.transport=redis", "switchboard.cache=redis", "switchboard.redis.uri=redis://127.0.0.1:6379"})
class SwitchboardRedisIT {
    private static final String RUN = Long.toHexString(System.nanoTime());

    @DynamicPropertySource
    static void unique(DynamicPropertyRegistry registry) {
        registry.add("switchboard.redis.channel-prefix", () -> "sbboot-" + RUN + ":");
        registry.add("switchboard.cache.namespace", () -> "sbboot-" + RUN + ":");
    }

    /** The application under test. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
        @Bean
        Orders orders() {
            return new Orders();
        }
    }

    /** A listener bean. */
    static class Orders {
        final List<Order> got = new CopyOnWriteArrayList<>();
        final List<String> channels = new CopyOnWriteArrayList<>();

        @SwitchboardListener("orders.*")
        void on(Order order, Delivery delivery) {
            got.add(order);
            channels.add(delivery.channel());
        }
    }

    @Autowired
    Switchboard switchboard;
    @Autowired
    Publisher publisher;
    @Autowired
    SharedCache cache;
    @Autowired
    Orders orders;
    @Autowired
    MeterRegistry meters;
    @Autowired
    CompositeHealthContributor switchboardHealthContributor;

    @Test
    void aListenerReceivesJsonFromRedisAndTheMetersCountIt() throws Exception {
        assertEquals("redis", switchboard.transportName());
        publisher.publishJson("orders.created", new Order("r-1", 500)).toCompletableFuture().get(5, TimeUnit.SECONDS);
        await(() -> orders.got.size() == 1, "delivered through Redis");
        assertEquals(new Order("r-1", 500), orders.got.get(0));
        assertEquals(List.of("orders.created"), orders.channels);
        await(() -> meters.find(MicrometerMetrics.HANDLER).tags("transport", "redis", "channel", "orders.*").timer() != null,
                "handler meters in the application's registry, tagged by pattern");
        assertEquals(1, meters.find(MicrometerMetrics.PUBLISHED).tags("transport", "redis", "channel", "orders.created").counter().count());
    }

    @Test
    void theSharedCacheBeanIsTheRedisCache() {
        cache.put("k", new Order("c-1", 7));
        assertEquals(new Order("c-1", 7), cache.get("k", Order.class));
        assertTrue(cache.delete("k"));
        assertNotNull(meters.find(MicrometerMetrics.CACHE_GETS).tags("provider", "redis", "result", "hit").counter());
    }

    @Test
    void healthShowsTheTransportAndTheCacheUp() {
        for (String part : List.of("transport", "cache", "subscriptions")) {
            HealthIndicator h = (HealthIndicator) switchboardHealthContributor.getContributor(part);
            assertNotNull(h, part);
            assertEquals(Status.UP, h.health().getStatus(), part + ": " + h.health());
        }
    }
}
