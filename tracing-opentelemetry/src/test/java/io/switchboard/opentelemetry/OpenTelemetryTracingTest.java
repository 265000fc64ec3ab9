package io.switchboard.opentelemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.switchboard.Message;
import io.switchboard.RetryPolicy;
import io.switchboard.SubscriptionOptions;
import io.switchboard.Switchboard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Producer and consumer spans and W3C headers, between Switchboard instances on the in-memory transport. */
class OpenTelemetryTracingTest {
    private final String broker = "tracing-" + System.nanoTime();
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private TracingFixture service() {
        TracingFixture f = new TracingFixture();
        open.add(f);
        return f;
    }

    private Switchboard open(TracingFixture tracing) {
        Switchboard.Builder b = Switchboard.builder().property("switchboard.transport", "memory").property("switchboard.cache", "memory")
                .property("switchboard.memory.broker", broker);
        if (tracing != null) {
            b.interceptor(tracing.tracing());
        }
        Switchboard sb = b.open();
        open.add(() -> sb.close(Duration.ofSeconds(5)));
        return sb;
    }

    @Test
    void aReplyIsAPublishToATemporaryDestinationInTheHandlersTrace() throws Exception {
        TracingFixture a = service();
        TracingFixture b = service();
        Switchboard requester = open(a);
        Switchboard worker = open(b);
        worker.subscriber().subscribe("jobs.resize", d -> d.reply(Message.ofText("done")));
        Message reply = requester.publisher().requestAndWait("jobs.resize", Message.ofText("cat.png"), Duration.ofSeconds(5));
        assertEquals("done", reply.text());

        SpanData request = a.await(SpanKind.PRODUCER, 1).get(0);
        SpanData process = b.await(SpanKind.CONSUMER, 1).get(0);
        SpanData replied = b.await(SpanKind.PRODUCER, 1).get(0);
        assertEquals("publish jobs.resize", request.getName());
        assertEquals("publish (temporary)", replied.getName(), "one span name for every requester's inbox");
        assertEquals(Boolean.TRUE, replied.getAttributes().get(AttributeKey.booleanKey("messaging.destination.temporary")));
        assertTrue(replied.getAttributes().get(AttributeKey.stringKey("messaging.destination.name")).startsWith("switchboard.reply."));
        assertNull(request.getAttributes().get(AttributeKey.booleanKey("messaging.destination.temporary")), "a request is not temporary");
        assertEquals(process.getSpanId(), replied.getParentSpanId(), "the reply is published inside the handler's span");
        assertEquals(request.getTraceId(), replied.getTraceId(), "request, handling and reply are one trace");
    }

    @Test
    void aPublishInOneInstanceAndTheHandlerInAnotherShareOneTrace() throws Exception {
        TracingFixture a = service();
        TracingFixture b = service();
        Switchboard producer = open(a);
        Switchboard consumer = open(b);
        List<Message> received = new CopyOnWriteArrayList<>();
        List<SpanContext> currentInHandler = new CopyOnWriteArrayList<>();
        consumer.subscriber().subscribe("orders.created", d -> {
            received.add(d.message());
            currentInHandler.add(Span.current().getSpanContext());
        });
        Message sent = Message.ofText("42");
        producer.publisher().publishAndWait("orders.created", sent, Duration.ofSeconds(5));

        SpanData publish = a.await(SpanKind.PRODUCER, 1).get(0);
        SpanData process = b.await(SpanKind.CONSUMER, 1).get(0);
        assertEquals(publish.getTraceId(), process.getTraceId(), "one trace");
        assertEquals(publish.getSpanId(), process.getParentSpanId(), "the consumer span is the producer span's child");
        assertEquals(publish.getSpanId(), process.getLinks().get(0).getSpanContext().getSpanId(), "and links to it");
        assertEquals(publish.getTraceId(), process.getLinks().get(0).getSpanContext().getTraceId());
        assertEquals("00-" + publish.getTraceId() + "-" + publish.getSpanId() + "-" + publish.getSpanContext().getTraceFlags().asHex(), received.get(0).header(OpenTelemetryTracing.TRACEPARENT),
                "W3C traceparent header");
        assertNull(sent.header(OpenTelemetryTracing.TRACEPARENT), "the caller's message is not changed");
        assertEquals(process.getSpanContext(), currentInHandler.get(0), "the consumer span is current while the handler runs");
        assertTrue(a.spans(SpanKind.CONSUMER).isEmpty() && b.spans(SpanKind.PRODUCER).isEmpty(), "each instance exported its own span");
    }

    @Test
    void spansCarryTheMessagingSemanticConventions() throws Exception {
        TracingFixture t = service();
        Switchboard sb = open(t);
        sb.subscriber().subscribe("orders.*", SubscriptionOptions.defaults().durable("billing"), d -> { });
        Message m = Message.ofText("12345");
        sb.publisher().publishAndWait("orders.paid", m, Duration.ofSeconds(5));
        SpanData publish = t.await(SpanKind.PRODUCER, 1).get(0);
        SpanData process = t.await(SpanKind.CONSUMER, 1).get(0);

        assertEquals("publish orders.paid", publish.getName());
        assertEquals("memory", publish.getAttributes().get(AttributeKey.stringKey("messaging.system")));
        assertEquals("orders.paid", publish.getAttributes().get(AttributeKey.stringKey("messaging.destination.name")));
        assertEquals("send", publish.getAttributes().get(AttributeKey.stringKey("messaging.operation.type")));
        assertEquals("publish", publish.getAttributes().get(AttributeKey.stringKey("messaging.operation.name")));
        assertEquals(m.id(), publish.getAttributes().get(AttributeKey.stringKey("messaging.message.id")));
        assertEquals(5L, publish.getAttributes().get(AttributeKey.longKey("messaging.message.body.size")));

        assertEquals("process orders.*", process.getName(), "named by the pattern: low cardinality");
        assertEquals("orders.paid", process.getAttributes().get(AttributeKey.stringKey("messaging.destination.name")));
        assertEquals("orders.*", process.getAttributes().get(AttributeKey.stringKey("messaging.destination.template")));
        assertEquals("process", process.getAttributes().get(AttributeKey.stringKey("messaging.operation.type")));
        assertEquals("billing", process.getAttributes().get(AttributeKey.stringKey("messaging.consumer.group.name")));
        assertEquals("billing", process.getAttributes().get(AttributeKey.stringKey("messaging.destination.subscription.name")));
        assertEquals(m.id(), process.getAttributes().get(AttributeKey.stringKey("messaging.message.id")));
        assertEquals(1L, process.getAttributes().get(AttributeKey.longKey(OpenTelemetryTracing.ATTEMPT)));
        assertEquals(false, process.getAttributes().get(AttributeKey.booleanKey(OpenTelemetryTracing.REDELIVERED)));
        assertEquals(StatusCode.UNSET, process.getStatus().getStatusCode());
    }

    @Test
    void everyAttemptOfARetriedMessageIsAChildOfTheSameProducerSpan() throws Exception {
        TracingFixture a = service();
        TracingFixture b = service();
        Switchboard producer = open(a);
        Switchboard consumer = open(b);
        consumer.subscriber().subscribe("orders.flaky", SubscriptionOptions.defaults().retry(RetryPolicy.fixed(3, Duration.ofMillis(10))),
                d -> {
                    if (d.attempt() < 3) {
                        throw new IllegalStateException("attempt " + d.attempt() + " fails");
                    }
                });
        producer.publisher().publishAndWait("orders.flaky", Message.ofText("x"), Duration.ofSeconds(5));
        SpanData publish = a.await(SpanKind.PRODUCER, 1).get(0);
        List<SpanData> attempts = b.await(SpanKind.CONSUMER, 3);
        for (int i = 0; i < 3; i++) {
            SpanData s = attempts.get(i);
            assertEquals(publish.getTraceId(), s.getTraceId(), "attempt " + (i + 1) + " in the publish's trace");
            assertEquals(publish.getSpanId(), s.getParentSpanId());
            assertEquals((long) i + 1, s.getAttributes().get(AttributeKey.longKey(OpenTelemetryTracing.ATTEMPT)));
        }
        assertEquals(StatusCode.ERROR, attempts.get(0).getStatus().getStatusCode());
        assertEquals("java.lang.IllegalStateException", attempts.get(0).getAttributes().get(AttributeKey.stringKey("error.type")));
        assertEquals("exception", attempts.get(0).getEvents().get(0).getName(), "the exception is recorded");
        assertEquals(true, attempts.get(1).getAttributes().get(AttributeKey.booleanKey(OpenTelemetryTracing.REDELIVERED)));
        assertEquals(StatusCode.UNSET, attempts.get(2).getStatus().getStatusCode());
    }

    @Test
    void aPublishFromAHandlerContinuesTheTrace() throws Exception {
        TracingFixture a = service();
        TracingFixture b = service();
        TracingFixture c = service();
        Switchboard first = open(a);
        Switchboard middle = open(b);
        Switchboard last = open(c);
        middle.subscriber().subscribe("orders.created", d -> middle.publisher().publishText("invoices.due", "x").toCompletableFuture()
                .get(5, TimeUnit.SECONDS));
        last.subscriber().subscribe("invoices.due", d -> { });
        first.publisher().publishAndWait("orders.created", Message.ofText("x"), Duration.ofSeconds(5));
        SpanData origin = a.await(SpanKind.PRODUCER, 1).get(0);
        SpanData end = c.await(SpanKind.CONSUMER, 1).get(0);
        SpanData relay = b.await(SpanKind.PRODUCER, 1).get(0);
        SpanData relayProcess = b.await(SpanKind.CONSUMER, 1).get(0);
        assertEquals(origin.getTraceId(), end.getTraceId(), "three services, one trace");
        assertEquals(relayProcess.getSpanId(), relay.getParentSpanId(), "the second publish is a child of the handler's span");
        assertEquals(relay.getSpanId(), end.getParentSpanId());
    }

    @Test
    void traceStateTravelsWithTheTraceParent() throws Exception {
        TracingFixture a = service();
        TracingFixture b = service();
        Switchboard producer = open(a);
        Switchboard consumer = open(b);
        List<Message> received = new CopyOnWriteArrayList<>();
        consumer.subscriber().subscribe("with.state", d -> received.add(d.message()));
        SpanContext upstream = SpanContext.create("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", TraceFlags.getSampled(),
                TraceState.builder().put("vendor", "v1").build());
        try (Scope ignored = Span.wrap(upstream).makeCurrent()) {
            producer.publisher().publishAndWait("with.state", Message.ofText("x"), Duration.ofSeconds(5));
        }
        SpanData process = b.await(SpanKind.CONSUMER, 1).get(0);
        assertEquals("vendor=v1", received.get(0).header(OpenTelemetryTracing.TRACESTATE));
        assertEquals(upstream.getTraceId(), process.getTraceId(), "the upstream trace goes on through the message");
        assertEquals("v1", process.getSpanContext().getTraceState().get("vendor"));
    }

    @Test
    void aMessageFromAnUntracedProducerStartsItsOwnTrace() throws Exception {
        TracingFixture b = service();
        Switchboard producer = open(null);
        Switchboard consumer = open(b);
        consumer.subscriber().subscribe("plain", d -> { });
        producer.publisher().publishAndWait("plain", Message.ofText("x"), Duration.ofSeconds(5));
        SpanData process = b.await(SpanKind.CONSUMER, 1).get(0);
        assertFalse(process.getParentSpanContext().isValid(), "a root span");
        assertTrue(process.getLinks().isEmpty(), "nothing to link to");
    }

    @Test
    void aPublishTheTransportRefusesEndsItsSpanAsAnError() throws Exception {
        TracingFixture t = service();
        Switchboard.Builder builder = Switchboard.builder().property("switchboard.transport", "memory").property("switchboard.cache", "memory")
                .property("switchboard.memory.broker", broker).property("switchboard.memory.queue-capacity", "1")
                .property("switchboard.subscriber.prefetch", "1").interceptor(t.tracing());
        Switchboard sb = builder.open();
        open.add(() -> sb.close(Duration.ofSeconds(5)));
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        open.add(release::countDown);
        sb.subscriber().subscribe("full", d -> release.await(10, TimeUnit.SECONDS));
        Throwable refused = null;
        for (int i = 0; i < 10 && refused == null; i++) {
            try {
                sb.publisher().publishText("full", "m" + i).toCompletableFuture().get(5, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                refused = e.getCause();
            } catch (RuntimeException e) {
                refused = e;
            }
        }
        assertTrue(refused != null, "a full queue refuses a publish");
        Throwable e = refused;
        TracingFixture.await(() -> t.spans(SpanKind.PRODUCER).stream().anyMatch(s -> s.getStatus().getStatusCode() == StatusCode.ERROR),
                "an ERROR producer span");
        SpanData failed = t.spans(SpanKind.PRODUCER).stream().filter(s -> s.getStatus().getStatusCode() == StatusCode.ERROR).findFirst()
                .orElseThrow();
        assertEquals(e.getClass().getName(), failed.getAttributes().get(AttributeKey.stringKey("error.type")));
    }

    @Test
    void oneInstanceServesOneSwitchboard() {
        TracingFixture t = service();
        OpenTelemetryTracing tracing = t.tracing();
        Switchboard first = Switchboard.builder().property("switchboard.transport", "memory").property("switchboard.cache", "memory")
                .property("switchboard.memory.broker", broker).interceptor(tracing).open();
        open.add(first);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Switchboard.builder()
                .property("switchboard.transport", "memory").property("switchboard.cache", "memory")
                .property("switchboard.memory.broker", broker).interceptor(tracing).open());
        assertTrue(e.getMessage().contains("one OpenTelemetryTracing per Switchboard"), e.getMessage());
    }
}
