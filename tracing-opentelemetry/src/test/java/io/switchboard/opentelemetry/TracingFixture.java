package io.switchboard.opentelemetry;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * One service instance's OpenTelemetry SDK, exporting to memory: a test gives each Switchboard its
 * own, as two processes would have. Built without propagators, so the tracing falls back to W3C.
 */
final class TracingFixture implements AutoCloseable {
    final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()).build();

    OpenTelemetryTracing tracing() {
        return OpenTelemetryTracing.create(sdk);
    }

    List<SpanData> spans(SpanKind kind) {
        return exporter.getFinishedSpanItems().stream().filter(s -> s.getKind() == kind).collect(Collectors.toList());
    }

    /** Waits until {@code n} spans of the kind have ended; returns them. */
    List<SpanData> await(SpanKind kind, int n) {
        await(() -> spans(kind).size() >= n, n + " " + kind + " spans, have " + exporter.getFinishedSpanItems());
        return spans(kind);
    }

    static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after 15s: " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    @Override
    public void close() {
        sdk.close();
    }
}
