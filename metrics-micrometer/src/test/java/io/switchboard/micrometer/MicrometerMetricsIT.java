package io.switchboard.micrometer;

import static io.switchboard.micrometer.MicrometerMetricsTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.switchboard.Switchboard;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The meters on the real servers (Redis 127.0.0.1:6379, RabbitMQ 127.0.0.1:5672), tagged by transport. */
class MicrometerMetricsIT {
    private static Map<String, Object> properties(String transport) {
        return transport.equals("redis")
                ? Map.of("switchboard.transport", "redis", "switchboard.cache", "redis", "switchboard.redis.uri", "redis://127.0.0.1:6379")
                : Map.of("switchboard.transport", "rabbitmq", "switchboard.rabbitmq.uri", "amqp://guest:guest@127.0.0.1:5672/");
    }

    @ParameterizedTest
    @ValueSource(strings = {"redis", "rabbitmq"})
    void publishesDeliveriesAndTheConnectionAreMeteredPerTransport(String transport) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        String channel = "metrics-it." + Long.toHexString(System.nanoTime());
        try (Switchboard sb = Switchboard.builder().properties(properties(transport)).interceptor(MicrometerMetrics.of(registry)).open()) {
            AtomicInteger handled = new AtomicInteger();
            sb.subscriber().subscribe(channel, d -> handled.incrementAndGet());
            for (int i = 0; i < 20; i++) {
                sb.publisher().publishText(channel, "m" + i).toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
            await(() -> handled.get() == 20, "20 deliveries on " + transport);
            Counter published = registry.find(MicrometerMetrics.PUBLISHED).tags("transport", transport, "channel", channel, "outcome", "success")
                    .counter();
            assertNotNull(published, registry.getMetersAsString());
            assertEquals(20, published.count());
            assertNotNull(registry.find(MicrometerMetrics.PUBLISH).tags("transport", transport, "channel", channel).timer(), "publish timer");
            await(() -> {
                Counter c = registry.find(MicrometerMetrics.DELIVERED).tags("transport", transport, "channel", channel).counter();
                return c != null && c.count() == 20;
            }, "20 handler calls counted");
            assertNotNull(registry.find(MicrometerMetrics.HANDLER).tags("transport", transport, "channel", channel).timer(), "handler timer");
            assertEquals(1, registry.find(MicrometerMetrics.CONNECTION_UP).tags("transport", transport, "component", "transport").gauge()
                    .value(), "connection up");
            if (transport.equals("redis")) {
                sb.cache().put(channel, "v");
                sb.cache().get(channel, String.class);
                sb.cache().delete(channel);
                await(() -> registry.find(MicrometerMetrics.CACHE_GETS).tags("provider", "redis", "result", "hit").counter() != null
                        && registry.find(MicrometerMetrics.CACHE_GETS).tags("provider", "redis", "result", "hit").counter().count() == 1,
                        "Redis cache hit counted");
            }
        }
    }
}
