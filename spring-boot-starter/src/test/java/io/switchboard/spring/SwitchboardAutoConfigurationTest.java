package io.switchboard.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.switchboard.ConfigurationException;
import io.switchboard.Delivery;
import io.switchboard.Interceptor;
import io.switchboard.MdcInterceptor;
import io.switchboard.Message;
import io.switchboard.PayloadTooLargeException;
import io.switchboard.Publisher;
import io.switchboard.Subscriber;
import io.switchboard.Switchboard;
import io.switchboard.micrometer.MicrometerMetrics;
import io.switchboard.opentelemetry.OpenTelemetryTracing;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * The auto-configuration in real (small) application contexts on the in-memory transport:
 * binding, unknown keys, listeners, health, metrics, tracing and the shutdown order.
 */
class SwitchboardAutoConfigurationTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SwitchboardAutoConfiguration.class, SwitchboardHealthAutoConfiguration.class,
                    SwitchboardMetricsAutoConfiguration.class, SwitchboardTracingAutoConfiguration.class))
            .withPropertyValues("switchboard.transport=memory", "switchboard.cache=memory",
                    "switchboard.memory.broker=boot-" + System.nanoTime());

    static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after 10s: " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Every message of the causal chain, for failures whose useful part is not at either end. */
    private static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            sb.append(c).append(" | ");
        }
        return sb.toString();
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    /** A JSON payload. */
    public record Order(String id, int cents) {
    }

    /** Listeners binding each kind of parameter. */
    static class OrderListeners {
        final List<Object> got = new CopyOnWriteArrayList<>();
        final List<String> mdc = new CopyOnWriteArrayList<>();

        @SwitchboardListener(channel = "${test.orders.channel}", durable = "billing", concurrency = "${test.concurrency:2}")
        void order(Order order, Delivery delivery) {
            got.add(order);
            got.add(delivery.channel());
            mdc.add(MDC.get(MdcInterceptor.CHANNEL) + " " + MDC.get(MdcInterceptor.SUBSCRIPTION));
        }

        @SwitchboardListener("orders.batch")
        void batch(List<Order> orders) {
            got.add(orders);
        }

        @SwitchboardListener(channel = "notes.*")
        void text(String text, Message message) {
            got.add(text + " on " + message.channel());
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ListenerConfig {
        @Bean
        OrderListeners orderListeners() {
            return new OrderListeners();
        }
    }

    @Test
    void switchboardPublisherAndSubscriberAreBeansFromTheProperties() {
        runner.run(ctx -> {
            assertEquals(null, ctx.getStartupFailure());
            Switchboard sb = ctx.getBean(Switchboard.class);
            assertEquals("memory", sb.transportName());
            assertEquals(sb.publisher(), ctx.getBean(Publisher.class));
            assertEquals(sb.subscriber(), ctx.getBean(Subscriber.class));
            assertTrue(ctx.getBeansOfType(Interceptor.class).values().stream().anyMatch(i -> i instanceof MdcInterceptor));
        });
    }

    @Test
    void relaxedNamesAndEnvironmentStyleNamesBind() {
        runner.withPropertyValues("switchboard.message.maxSize=100").run(ctx -> {
            Switchboard sb = ctx.getBean(Switchboard.class);
            PayloadTooLargeException e = assertThrows(PayloadTooLargeException.class,
                    () -> sb.publisher().publish("big", Message.ofBytes(new byte[200])));
            assertTrue(e.getMessage().contains("100 bytes"), e.getMessage());
        });
        runner.withInitializer(ctx -> ctx.getEnvironment().getPropertySources().addFirst(
                new SystemEnvironmentPropertySource("test-systemEnvironment", Map.of("SWITCHBOARD_MESSAGE_MAXSIZE", "150")))).run(ctx -> {
                    PayloadTooLargeException e = assertThrows(PayloadTooLargeException.class,
                            () -> ctx.getBean(Switchboard.class).publisher().publish("big", Message.ofBytes(new byte[200])));
                    assertTrue(e.getMessage().contains("150 bytes"), e.getMessage());
                });
    }

    @Test
    void yamlStyleListsBindToListKeys() {
        runner.withPropertyValues("switchboard.require.capabilities[0]=durable-subscriptions", "switchboard.require.capabilities[1]=patterns")
                .run(ctx -> {
                    Throwable failure = rootCause(ctx.getStartupFailure());
                    assertInstanceOf(ConfigurationException.class, failure);
                    assertTrue(failure.getMessage().contains("'patterns'"), "the second list element reached the core: " + failure.getMessage());
                });
        runner.withPropertyValues("switchboard.require.capabilities[0]=durable-subscriptions",
                "switchboard.require.capabilities[1]=pattern-subscriptions").run(ctx -> assertNotNull(ctx.getBean(Switchboard.class)));
    }

    @Test
    void anUnknownKeyFailsTheStartWithTheCoresDidYouMean() {
        runner.withPropertyValues("switchboard.memory.brokr=typo", "switchboard.close.timeot=5s").run(ctx -> {
            Throwable failure = rootCause(ctx.getStartupFailure());
            assertInstanceOf(ConfigurationException.class, failure);
            assertTrue(failure.getMessage().contains("Did you mean 'switchboard.memory.broker'?"), failure.getMessage());
            assertTrue(failure.getMessage().contains("Did you mean 'switchboard.close.timeout'?"), "every problem at once: " + failure.getMessage());
        });
    }

    @Test
    void listenerMethodsAreSubscribedWithJsonPayloadsBoundToTheirParameterTypes() {
        runner.withUserConfiguration(ListenerConfig.class).withPropertyValues("test.orders.channel=orders.created").run(ctx -> {
            Switchboard sb = ctx.getBean(Switchboard.class);
            OrderListeners listeners = ctx.getBean(OrderListeners.class);
            SwitchboardListenerRegistry registry = ctx.getBean(SwitchboardListenerRegistry.class);
            assertEquals(3, registry.subscriptions().size());
            assertTrue(registry.subscriptions().stream().anyMatch(s -> "billing".equals(s.options().durableName())
                    && s.options().concurrency() == 2 && s.channelOrPattern().equals("orders.created")));

            sb.publisher().publishJson("orders.created", new Order("o-1", 1999)).toCompletableFuture().get(5, TimeUnit.SECONDS);
            sb.publisher().publishJson("orders.batch", List.of(new Order("o-2", 1), new Order("o-3", 2)))
                    .toCompletableFuture().get(5, TimeUnit.SECONDS);
            sb.publisher().publishText("notes.daily", "hello").toCompletableFuture().get(5, TimeUnit.SECONDS);
            await(() -> listeners.got.size() == 4, "four arguments recorded: " + listeners.got);
            assertTrue(listeners.got.contains(new Order("o-1", 1999)), listeners.got.toString());
            assertTrue(listeners.got.contains("orders.created"));
            assertTrue(listeners.got.contains(List.of(new Order("o-2", 1), new Order("o-3", 2))), "List<Order>, not maps: " + listeners.got);
            assertTrue(listeners.got.contains("hello on notes.daily"));
            assertEquals(List.of("orders.created billing"), listeners.mdc, "the MDC interceptor ran around the listener");
        });
    }

    /** A method that cannot be bound. */
    static class BadListener {
        @SwitchboardListener("orders.bad")
        void twoPayloads(Order a, String b) {
        }
    }

    @Test
    void aListenerThatCannotBeBoundFailsTheStartNamingTheMethod() {
        runner.withBean(BadListener.class).run(ctx -> {
            String failure = messages(ctx.getStartupFailure());
            assertTrue(failure.contains("BadListener.twoPayloads") && failure.contains("2 payload parameters"), failure);
        });
    }

    /** A listener on an invalid channel: refused when subscribing at start. */
    static class InvalidChannelListener {
        @SwitchboardListener("orders..bad")
        void on(String s) {
        }
    }

    @Test
    void aListenerOnAnInvalidChannelFailsTheStart() {
        runner.withBean(InvalidChannelListener.class).run(ctx -> {
            String all = messages(ctx.getStartupFailure());
            assertTrue(all.contains("InvalidChannelListener.on") && all.contains("orders..bad"), all);
        });
    }

    @Test
    void healthHasOneComponentPerPartAndGoesDownWhenClosed() {
        runner.run(ctx -> {
            CompositeHealthContributor health = ctx.getBean("switchboardHealthContributor", CompositeHealthContributor.class);
            List<String> names = health.stream().map(CompositeHealthContributor.Entry::name).toList();
            assertEquals(List.of("transport", "cache", "subscriptions"), names);
            HealthIndicator transport = (HealthIndicator) health.getContributor("transport");
            assertEquals(Status.UP, transport.health().getStatus());
            ctx.getBean(Switchboard.class).close();
            assertEquals(Status.DOWN, transport.health().getStatus());
        });
        runner.withPropertyValues("management.health.switchboard.enabled=false")
                .run(ctx -> assertFalse(ctx.containsBean("switchboardHealthContributor")));
    }

    @Configuration(proxyBeanMethods = false)
    static class Observability {
        final InMemorySpanExporter spans = InMemorySpanExporter.create();

        @Bean
        MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }

        @Bean
        InMemorySpanExporter spans() {
            return spans;
        }

        @Bean(destroyMethod = "close")
        OpenTelemetrySdk openTelemetry(InMemorySpanExporter spans) {
            return OpenTelemetrySdk.builder()
                    .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
        }
    }

    @Test
    void metricsAndTracingAreRegisteredWhenTheApplicationHasARegistryAndOpenTelemetry() {
        runner.withUserConfiguration(Observability.class).withPropertyValues(SwitchboardMetricsAutoConfiguration.MAX_CHANNEL_TAGS + "=1",
                SwitchboardMetricsAutoConfiguration.TIMING_SAMPLE + "=1")
                .run(ctx -> {
                    List<Interceptor> chain = ctx.getBeanProvider(Interceptor.class).orderedStream().toList();
                    assertEquals(List.of(OpenTelemetryTracing.class, MdcInterceptor.class, MicrometerMetrics.class),
                            chain.stream().map(Object::getClass).toList(), "tracing outermost, metrics innermost");
                    Switchboard sb = ctx.getBean(Switchboard.class);
                    CountDownLatch handled = new CountDownLatch(1);
                    sb.subscriber().subscribe("traced", d -> handled.countDown());
                    sb.publisher().publishText("traced", "x").toCompletableFuture().get(5, TimeUnit.SECONDS);
                    assertTrue(handled.await(5, TimeUnit.SECONDS));
                    MeterRegistry registry = ctx.getBean(MeterRegistry.class);
                    await(() -> registry.find(MicrometerMetrics.HANDLER).tags("channel", "traced").timer() != null, "handler timer");
                    sb.publisher().publishText("second", "x").toCompletableFuture().get(5, TimeUnit.SECONDS);
                    assertNotNull(registry.find(MicrometerMetrics.PUBLISH).tags("channel", "other").timer(),
                            "max-channel-tags=1 from the properties");
                    assertEquals(1, registry.find(MicrometerMetrics.PUBLISH).tags("channel", "other").timer().count(),
                            "timing-sample=1 from the properties: every publish timed");
                    InMemorySpanExporter spans = ctx.getBean(InMemorySpanExporter.class);
                    await(() -> spans.getFinishedSpanItems().stream().anyMatch(s -> s.getKind() == SpanKind.CONSUMER), "a consumer span");
                    assertInstanceOf(OpenTelemetry.class, ctx.getBean(OpenTelemetry.class));
                });
        runner.withUserConfiguration(Observability.class)
                .withPropertyValues("management.metrics.switchboard.enabled=false", "management.tracing.switchboard.enabled=false",
                        "logging.switchboard.mdc.enabled=false")
                .run(ctx -> assertEquals(List.of(), ctx.getBeanProvider(Interceptor.class).orderedStream().toList()));
    }

    /** A handler that is still running when the context closes, and publishes when done. */
    static class SlowListener {
        final CountDownLatch started = new CountDownLatch(1);
        final List<String> events = new CopyOnWriteArrayList<>();
        volatile Switchboard switchboard;

        @SwitchboardListener("jobs")
        void job(String text) throws Exception {
            started.countDown();
            Thread.sleep(300);
            switchboard.publisher().publishText("jobs.done", text).toCompletableFuture().get(5, TimeUnit.SECONDS);
            events.add("handler finished and published, switchboard closed=" + switchboard.isClosed());
        }
    }

    @Test
    void closingTheContextDrainsRunningHandlersBeforeTheSwitchboardCloses() throws Exception {
        SlowListener listener = new SlowListener();
        List<String> done = new CopyOnWriteArrayList<>();
        String broker = "drain-" + System.nanoTime();
        try (Switchboard other = Switchboard.open(Map.of("switchboard.transport", "memory", "switchboard.cache", "memory",
                "switchboard.memory.broker", broker))) {
            other.subscriber().subscribe("jobs.done", d -> done.add(d.message().text()));
            runner.withPropertyValues("switchboard.memory.broker=" + broker).withBean(SlowListener.class, () -> listener).run(ctx -> {
                Switchboard sb = ctx.getBean(Switchboard.class);
                listener.switchboard = sb;
                sb.publisher().publishText("jobs", "job-1").toCompletableFuture().get(5, TimeUnit.SECONDS);
                assertTrue(listener.started.await(5, TimeUnit.SECONDS), "the handler is running");
            });
            assertEquals(List.of("handler finished and published, switchboard closed=false"), listener.events,
                    "the listener stopped and drained before the Switchboard closed");
            assertTrue(listener.switchboard.isClosed(), "then the Switchboard closed");
            await(() -> done.size() == 1, "the handler's publish went out during the drain");
            assertEquals(List.of("job-1"), done);
        }
        assertTrue(SwitchboardListenerRegistry.PHASE > SwitchboardLifecycle.PHASE, "listeners stop in an earlier phase");
    }
}
