package io.switchboard.spring;

import static io.switchboard.spring.SwitchboardAutoConfigurationTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.Switchboard;
import io.switchboard.spring.SwitchboardAutoConfigurationTest.Order;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * A rolling restart of a two-instance Spring Boot service on the real RabbitMQ loses nothing:
 * while a producer publishes steadily, each instance in turn is shut down (Boot's graceful
 * sequence: listeners stop taking messages and finish the running ones, then the Switchboard
 * closes) and started again. Every message is handled at least once.
 */
class RollingRestartIT {
    private static final int MESSAGES = 600;
    private static final Set<String> HANDLED = ConcurrentHashMap.newKeySet();
    private static final AtomicInteger CALLS = new AtomicInteger();

    private final String prefix = SharedRabbitMq.newPrefix();
    private final List<ConfigurableApplicationContext> running = new ArrayList<>();

    @AfterEach
    void stopAll() throws Exception {
        running.forEach(ConfigurableApplicationContext::close);
        try (Switchboard cleaner = Switchboard.open(rabbit())) {
            SharedRabbitMq.deleteTopology(cleaner, prefix);
        }
    }

    private Map<String, Object> rabbit() {
        return Map.of("switchboard.transport", "rabbitmq", "switchboard.rabbitmq.uri", SharedRabbitMq.URI, "switchboard.rabbitmq.prefix", prefix);
    }

    /** One instance of the service. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class Service {
        @Bean
        Worker worker() {
            return new Worker();
        }
    }

    /** The service's listener: a little work per message, so that some is always running at shutdown. */
    static class Worker {
        @SwitchboardListener(channel = "orders.created", durable = "order-workers", concurrency = "4")
        void on(Order order) throws InterruptedException {
            CALLS.incrementAndGet();
            Thread.sleep(5);
            HANDLED.add(order.id());
        }
    }

    private ConfigurableApplicationContext start(String instance) {
        Map<String, Object> props = new java.util.HashMap<>(rabbit());
        props.put("spring.application.name", "orders-" + instance);
        props.put("switchboard.rabbitmq.connection-name", "rolling-" + instance);
        props.put("management.metrics.switchboard.enabled", "false");
        ConfigurableApplicationContext ctx = new SpringApplicationBuilder(Service.class).web(WebApplicationType.NONE).properties(props)
                .logStartupInfo(false).run();
        running.add(ctx);
        return ctx;
    }

    private void stop(ConfigurableApplicationContext ctx) {
        ctx.close();
        running.remove(ctx);
    }

    @Test
    void aRollingRestartOfBothInstancesLosesNoMessage() throws Exception {
        HANDLED.clear();
        CALLS.set(0);
        ConfigurableApplicationContext a = start("a");
        ConfigurableApplicationContext b = start("b");
        AtomicInteger published = new AtomicInteger();
        AtomicReference<Throwable> producerFailure = new AtomicReference<>();
        CountDownLatch producerDone = new CountDownLatch(1);
        Thread producer = new Thread(() -> {
            try (Switchboard sb = Switchboard.open(rabbit())) {
                for (int i = 0; i < MESSAGES; i++) {
                    sb.publisher().publishAndWait("orders.created", io.switchboard.Message.ofJson(new Order("o-" + i, i)), Duration.ofSeconds(10));
                    published.incrementAndGet();
                    Thread.sleep(4);
                }
            } catch (Throwable t) {
                producerFailure.set(t);
            } finally {
                producerDone.countDown();
            }
        }, "rolling-restart-producer");
        producer.start();

        await(() -> published.get() >= MESSAGES / 5, "a fifth published");
        stop(a);
        int whileAWasDown = published.get();
        a = start("a2");
        await(() -> published.get() >= whileAWasDown + MESSAGES / 5, "more published after a came back");
        stop(b);
        b = start("b2");

        assertTrue(producerDone.await(60, TimeUnit.SECONDS), "the producer finished");
        assertEquals(null, producerFailure.get(), "every publish was confirmed");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (HANDLED.size() < MESSAGES && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < MESSAGES; i++) {
            if (!HANDLED.contains("o-" + i)) {
                missing.add("o-" + i);
            }
        }
        assertEquals(List.of(), missing, "messages never handled (" + CALLS.get() + " handler calls for " + MESSAGES + " messages)");
        System.out.println("rolling restart: " + MESSAGES + " messages, " + CALLS.get() + " handler calls (" + (CALLS.get() - MESSAGES)
                + " redelivered)");
    }
}
