package io.switchboard.spring;

import static io.switchboard.spring.SwitchboardAutoConfigurationTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.Message;
import io.switchboard.Publisher;
import io.switchboard.Switchboard;
import io.switchboard.spring.SwitchboardAutoConfigurationTest.Order;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A Spring Boot application on the real RabbitMQ (127.0.0.1:5672): a durable, concurrent listener
 * with retries and a dead-letter channel, configured on the annotation.
 */
@SpringBootTest(classes = SwitchboardRabbitMqIT.App.class, webEnvironment = SpringBootTest.WebEnvironment.NONE,
        properties = {"switchboard.transport=rabbitmq", "switchboard.rabbitmq.uri=" + SharedRabbitMq.URI})
class SwitchboardRabbitMqIT {
    private static final String PREFIX = SharedRabbitMq.newPrefix();

    @DynamicPropertySource
    static void unique(DynamicPropertyRegistry registry) {
        registry.add("switchboard.rabbitmq.prefix", () -> PREFIX);
    }

    @AfterAll
    static void deleteTopology() throws Exception {
        try (Switchboard cleaner = Switchboard.open(Map.of("switchboard.transport", "rabbitmq", "switchboard.rabbitmq.uri", SharedRabbitMq.URI,
                "switchboard.rabbitmq.prefix", PREFIX))) {
            SharedRabbitMq.deleteTopology(cleaner, PREFIX);
        }
    }

    /** The application under test. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
        @Bean
        Workers workers() {
            return new Workers();
        }
    }

    /** Listener beans. */
    static class Workers {
        final Set<String> handled = ConcurrentHashMap.newKeySet();
        final Set<String> threads = ConcurrentHashMap.newKeySet();
        final List<Integer> poisonAttempts = new CopyOnWriteArrayList<>();
        final List<Message> dead = new CopyOnWriteArrayList<>();

        @SwitchboardListener(channel = "orders.created", durable = "order-workers", concurrency = "4", maxAttempts = 3, backoff = "50ms",
                deadLetter = "orders.dead")
        void on(Order order, io.switchboard.Delivery delivery) throws Exception {
            if (order.id().equals("poison")) {
                poisonAttempts.add(delivery.attempt());
                throw new IllegalArgumentException("cannot handle " + order.id());
            }
            threads.add(Thread.currentThread().getName());
            Thread.sleep(20);
            handled.add(order.id());
        }

        @SwitchboardListener(channel = "orders.dead", durable = "order-dead-letters")
        void dead(Message message) {
            dead.add(message);
        }
    }

    @Autowired
    Publisher publisher;
    @Autowired
    Workers workers;

    @Test
    void aDurableConcurrentListenerHandlesEveryMessageAndDeadLettersThePoisonAfterItsAttempts() throws Exception {
        for (int i = 0; i < 40; i++) {
            publisher.publishJson("orders.created", new Order("o-" + i, i));
        }
        publisher.publishJson("orders.created", new Order("poison", 0)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        await(() -> workers.handled.size() == 40, "40 orders handled, have " + workers.handled.size());
        assertTrue(workers.threads.size() > 1, "handled concurrently: " + workers.threads);
        await(() -> workers.dead.size() == 1, "the poison message dead-lettered");
        assertEquals(List.of(1, 2, 3), workers.poisonAttempts, "three attempts, as the annotation says");
        assertEquals("orders.created", workers.dead.get(0).header("sb-original-channel"));
        assertTrue(workers.dead.get(0).header("sb-dead-letter-reason").contains("cannot handle poison"));
    }
}
