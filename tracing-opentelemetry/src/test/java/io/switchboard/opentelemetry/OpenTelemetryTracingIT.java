package io.switchboard.opentelemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.switchboard.Message;
import io.switchboard.RetryPolicy;
import io.switchboard.SubscriptionOptions;
import io.switchboard.Switchboard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One trace across two Switchboard instances, each with its own OpenTelemetry SDK as two services
 * would have, over the real Redis (127.0.0.1:6379) and RabbitMQ (127.0.0.1:5672); retried and
 * dead-lettered deliveries stay in the publish's trace.
 */
class OpenTelemetryTracingIT {
    private final String prefix = SharedRabbitMq.newPrefix();
    private final List<AutoCloseable> open = new ArrayList<>();
    private boolean usedRabbitMq;

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        if (usedRabbitMq) {
            try (Switchboard cleaner = Switchboard.open(Map.of("switchboard.transport", "rabbitmq", "switchboard.rabbitmq.uri", SharedRabbitMq.URI,
                    "switchboard.rabbitmq.prefix", prefix))) {
                SharedRabbitMq.deleteTopology(cleaner, prefix);
            }
        }
    }

    private Switchboard open(String transport, TracingFixture tracing) {
        Map<String, Object> props = transport.equals("redis")
                ? Map.of("switchboard.transport", "redis", "switchboard.redis.uri", "redis://127.0.0.1:6379")
                : Map.of("switchboard.transport", "rabbitmq", "switchboard.rabbitmq.uri", SharedRabbitMq.URI, "switchboard.rabbitmq.prefix",
                        prefix);
        Switchboard sb = Switchboard.builder().properties(props).interceptor(tracing.tracing()).open();
        open.add(() -> sb.close(Duration.ofSeconds(10)));
        usedRabbitMq |= transport.equals("rabbitmq");
        return sb;
    }

    private TracingFixture service() {
        TracingFixture f = new TracingFixture();
        open.add(f);
        return f;
    }

    @ParameterizedTest
    @ValueSource(strings = {"redis", "rabbitmq"})
    void aPublishAndItsRetriedHandlerInAnotherInstanceShareOneTrace(String transport) throws Exception {
        TracingFixture a = service();
        TracingFixture b = service();
        Switchboard producer = open(transport, a);
        Switchboard consumer = open(transport, b);
        String channel = "otel-it." + Long.toHexString(System.nanoTime());
        List<String> traceparents = new CopyOnWriteArrayList<>();
        consumer.subscriber().subscribe(channel, SubscriptionOptions.defaults().retry(RetryPolicy.fixed(3, Duration.ofMillis(50))), d -> {
            traceparents.add(d.message().header(OpenTelemetryTracing.TRACEPARENT));
            if (d.attempt() == 1) {
                throw new IllegalStateException("first attempt fails");
            }
        });
        producer.publisher().publishAndWait(channel, Message.ofText("x"), Duration.ofSeconds(10));

        SpanData publish = a.await(SpanKind.PRODUCER, 1).get(0);
        List<SpanData> attempts = b.await(SpanKind.CONSUMER, 2);
        assertEquals(transport, publish.getAttributes().get(AttributeKey.stringKey("messaging.system")));
        for (SpanData attempt : attempts) {
            assertEquals(publish.getTraceId(), attempt.getTraceId(), "every attempt in the publish's trace on " + transport);
            assertEquals(publish.getSpanId(), attempt.getParentSpanId());
            assertEquals(transport, attempt.getAttributes().get(AttributeKey.stringKey("messaging.system")));
        }
        assertEquals(List.of(1L, 2L), List.of(attempts.get(0).getAttributes().get(AttributeKey.longKey(OpenTelemetryTracing.ATTEMPT)),
                attempts.get(1).getAttributes().get(AttributeKey.longKey(OpenTelemetryTracing.ATTEMPT))));
        assertEquals(2, traceparents.size());
        assertTrue(traceparents.get(0).startsWith("00-" + publish.getTraceId() + "-" + publish.getSpanId() + "-"), traceparents.toString());
        assertEquals(traceparents.get(0), traceparents.get(1), "the retry carries the same header");
    }

    @Test
    void aDeadLetterOnRabbitMqContinuesThePublishsTrace() throws Exception {
        TracingFixture a = service();
        TracingFixture b = service();
        Switchboard producer = open("rabbitmq", a);
        Switchboard consumer = open("rabbitmq", b);
        String channel = "otel-it.poison";
        String dead = "otel-it.dead";
        consumer.subscriber().subscribe(dead, d -> { });
        consumer.subscriber().subscribe(channel, SubscriptionOptions.defaults().retry(RetryPolicy.fixed(2, Duration.ofMillis(50)))
                .deadLetterChannel(dead), d -> {
                    throw new IllegalStateException("poison");
                });
        producer.publisher().publishAndWait(channel, Message.ofText("x"), Duration.ofSeconds(10));
        SpanData publish = a.await(SpanKind.PRODUCER, 1).get(0);
        List<SpanData> consumed = b.await(SpanKind.CONSUMER, 3);
        SpanData deadLetter = consumed.stream().filter(s -> s.getName().equals("process " + dead)).findFirst().orElseThrow();
        assertEquals(publish.getTraceId(), deadLetter.getTraceId(), "the dead letter is handled in the publish's trace");
        assertEquals(publish.getSpanId(), deadLetter.getParentSpanId());
    }
}
