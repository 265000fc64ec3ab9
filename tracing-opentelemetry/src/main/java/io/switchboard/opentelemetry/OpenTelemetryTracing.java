package io.switchboard.opentelemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.switchboard.Delivery;
import io.switchboard.Interceptor;
import io.switchboard.Message;
import io.switchboard.Publisher;
import io.switchboard.Subscription;
import io.switchboard.Switchboard;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * OpenTelemetry tracing for one {@link Switchboard}, as an {@link Interceptor}: each publish gets
 * a {@code PRODUCER} span whose context travels in the message headers ({@value #TRACEPARENT} and
 * {@value #TRACESTATE}, W3C Trace Context), and each handler call a {@code CONSUMER} span that
 * continues it, current while the handler runs. A publish in one service and the handler in
 * another, on any transport that carries headers, are one trace; every attempt of a retried
 * message is a child of the same producer span, so the retries stay in its trace.
 *
 * <pre>{@code
 * Switchboard sb = Switchboard.builder().interceptor(OpenTelemetryTracing.create(openTelemetry)).open();
 * }</pre>
 *
 * <p>Spans follow OpenTelemetry's messaging semantic conventions: names
 * {@code "publish <channel>"} ({@code "publish (temporary)"} for a {@code Delivery.reply}, whose
 * destination is the requester's own inbox, with {@code messaging.destination.temporary} true) and
 * {@code "process <channel or pattern>"}; attributes
 * {@code messaging.system} (the transport's name: {@code rabbitmq}, {@code redis}, {@code memory}),
 * {@code messaging.destination.name}, {@code messaging.destination.template} (the pattern of a
 * pattern subscription), {@code messaging.operation.type} ({@code send}, {@code process}),
 * {@code messaging.operation.name} ({@code publish}, {@code process}), {@code messaging.message.id},
 * {@code messaging.message.body.size}, {@code messaging.consumer.group.name} and
 * {@code messaging.destination.subscription.name} (a durable subscription's name); and, as
 * semantic conventions have no name for them, {@value #ATTEMPT} and {@value #REDELIVERED}. A failed
 * publish or handler call records the exception, {@code error.type} and status {@code ERROR}. The
 * consumer span also links to the producer's span context, as the conventions recommend.
 *
 * <p>Headers are written with the propagator given to the builder; by default the
 * OpenTelemetry instance's text-map propagator, or W3C Trace Context when that one writes nothing
 * (an SDK built without propagators). Thread-safe. {@link #onOpen} refuses a second Switchboard
 * with {@link IllegalStateException}: {@code messaging.system} belongs to one.
 */
public final class OpenTelemetryTracing implements Interceptor {
    /** Header of the W3C trace context: {@code 00-<trace id>-<parent span id>-<flags>}. */
    public static final String TRACEPARENT = "traceparent";
    /** Header of vendor trace state, W3C Trace Context; absent when empty. */
    public static final String TRACESTATE = "tracestate";
    /** Span attribute: the delivery attempt, 1 for the first. */
    public static final String ATTEMPT = "switchboard.delivery.attempt";
    /** Span attribute: whether the message may have been delivered before. */
    public static final String REDELIVERED = "switchboard.delivery.redelivered";
    /** Instrumentation scope name of the spans. */
    public static final String INSTRUMENTATION_NAME = "io.switchboard.opentelemetry";

    private static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
    private static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    private static final AttributeKey<String> TEMPLATE = AttributeKey.stringKey("messaging.destination.template");
    private static final AttributeKey<Boolean> TEMPORARY = AttributeKey.booleanKey("messaging.destination.temporary");
    private static final AttributeKey<String> OPERATION_TYPE = AttributeKey.stringKey("messaging.operation.type");
    private static final AttributeKey<String> OPERATION_NAME = AttributeKey.stringKey("messaging.operation.name");
    private static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
    private static final AttributeKey<Long> BODY_SIZE = AttributeKey.longKey("messaging.message.body.size");
    private static final AttributeKey<String> CONSUMER_GROUP = AttributeKey.stringKey("messaging.consumer.group.name");
    private static final AttributeKey<String> SUBSCRIPTION = AttributeKey.stringKey("messaging.destination.subscription.name");
    private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    private static final AttributeKey<Long> ATTEMPT_KEY = AttributeKey.longKey(ATTEMPT);
    private static final AttributeKey<Boolean> REDELIVERED_KEY = AttributeKey.booleanKey(REDELIVERED);

    private static final TextMapGetter<Map<String, String>> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private final Tracer tracer;
    private final TextMapPropagator propagator;
    private final AtomicBoolean opened = new AtomicBoolean();
    private volatile String system = "unknown";

    private OpenTelemetryTracing(Builder b) {
        this.tracer = b.openTelemetry.getTracer(INSTRUMENTATION_NAME);
        TextMapPropagator p = b.propagator != null ? b.propagator : b.openTelemetry.getPropagators().getTextMapPropagator();
        this.propagator = p.fields().isEmpty() ? W3CTraceContextPropagator.getInstance() : p;
    }

    /** Tracing with the given OpenTelemetry's tracer and propagator. */
    public static OpenTelemetryTracing create(OpenTelemetry openTelemetry) {
        return builder(openTelemetry).build();
    }

    /** Starts a builder. */
    public static Builder builder(OpenTelemetry openTelemetry) {
        return new Builder(openTelemetry);
    }

    /** The propagator that writes and reads the headers. */
    public TextMapPropagator propagator() {
        return propagator;
    }

    /**
     * Takes the transport's name for {@code messaging.system}.
     *
     * @throws IllegalStateException if this instance already serves a Switchboard
     */
    @Override
    public void onOpen(Switchboard switchboard) {
        if (!opened.compareAndSet(false, true)) {
            throw new IllegalStateException("this OpenTelemetryTracing already serves a Switchboard: its messaging.system belongs to that one; "
                    + "create one OpenTelemetryTracing per Switchboard");
        }
        system = switchboard.transportName();
    }

    @Override
    public CompletionStage<Void> aroundPublish(PublishCall call) {
        Message m = call.message();
        Context parent = Context.current();
        // A reply goes to the requester's own inbox: one destination per instance, too many for span names.
        boolean reply = m.header(Publisher.CORRELATION_ID_HEADER) != null && m.header(Publisher.REPLY_TO_HEADER) == null;
        SpanBuilder builder = tracer.spanBuilder(reply ? "publish (temporary)" : "publish " + call.channel()).setSpanKind(SpanKind.PRODUCER)
                .setParent(parent).setAttribute(SYSTEM, system).setAttribute(DESTINATION, call.channel()).setAttribute(OPERATION_TYPE, "send")
                .setAttribute(OPERATION_NAME, "publish").setAttribute(MESSAGE_ID, m.id()).setAttribute(BODY_SIZE, (long) m.payloadSize());
        if (reply) {
            builder.setAttribute(TEMPORARY, true);
        }
        Span span = builder.startSpan();
        CompletionStage<Void> stage;
        try (Scope ignored = span.makeCurrent()) {
            Map<String, String> headers = new LinkedHashMap<>(4);
            propagator.inject(Context.current(), headers, Map::put);
            Message traced = headers.isEmpty() ? m : m.toBuilder().headers(headers).build();
            stage = call.proceed(traced);
        } catch (RuntimeException | Error e) {
            fail(span, e);
            span.end();
            throw e;
        }
        stage.whenComplete((v, e) -> {
            if (e != null) {
                fail(span, unwrap(e));
            }
            span.end();
        });
        return stage;
    }

    @Override
    public void aroundHandler(HandlerCall call) throws Exception {
        Delivery d = call.delivery();
        Message m = d.message();
        Subscription s = d.subscription();
        Context producer = propagator.extract(Context.root(), m.headers(), HEADERS);
        SpanContext link = Span.fromContext(producer).getSpanContext();
        SpanBuilder b = tracer.spanBuilder("process " + s.channelOrPattern()).setSpanKind(SpanKind.CONSUMER)
                .setAttribute(SYSTEM, system).setAttribute(DESTINATION, d.channel()).setAttribute(OPERATION_TYPE, "process")
                .setAttribute(OPERATION_NAME, "process").setAttribute(MESSAGE_ID, m.id()).setAttribute(BODY_SIZE, (long) m.payloadSize())
                .setAttribute(ATTEMPT_KEY, (long) d.attempt()).setAttribute(REDELIVERED_KEY, d.redelivered());
        if (link.isValid()) {
            b.setParent(producer).addLink(link);
        } else {
            b.setNoParent();
        }
        if (s.isPattern()) {
            b.setAttribute(TEMPLATE, s.channelOrPattern());
        }
        if (s.options().isDurable()) {
            b.setAttribute(CONSUMER_GROUP, s.options().durableName()).setAttribute(SUBSCRIPTION, s.options().durableName());
        }
        Span span = b.startSpan();
        try (Scope ignored = span.makeCurrent()) {
            call.proceed();
        } catch (Throwable t) {
            fail(span, t);
            throw t;
        } finally {
            span.end();
        }
    }

    private static void fail(Span span, Throwable t) {
        span.recordException(t);
        span.setAttribute(ERROR_TYPE, t.getClass().getName());
        span.setStatus(StatusCode.ERROR, String.valueOf(t.getMessage()));
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    @Override
    public String toString() {
        return "OpenTelemetryTracing[system=" + system + ", propagator=" + propagator + "]";
    }

    /** Builds an {@link OpenTelemetryTracing}. Not thread-safe. */
    public static final class Builder {
        private final OpenTelemetry openTelemetry;
        private TextMapPropagator propagator;

        private Builder(OpenTelemetry openTelemetry) {
            this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
        }

        /**
         * The propagator that writes and reads message headers, instead of the OpenTelemetry
         * instance's (for example {@code W3CTraceContextPropagator.getInstance()} alone, without baggage).
         */
        public Builder propagator(TextMapPropagator propagator) {
            this.propagator = Objects.requireNonNull(propagator, "propagator");
            return this;
        }

        /** Builds; register the result with {@code Switchboard.builder().interceptor(...)}. */
        public OpenTelemetryTracing build() {
            return new OpenTelemetryTracing(this);
        }
    }
}
