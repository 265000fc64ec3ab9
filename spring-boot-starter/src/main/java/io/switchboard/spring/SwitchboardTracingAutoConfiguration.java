package io.switchboard.spring;

import io.opentelemetry.api.OpenTelemetry;
import io.switchboard.Switchboard;
import io.switchboard.opentelemetry.OpenTelemetryTracing;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.annotation.Order;

/**
 * Registers {@link OpenTelemetryTracing} when {@code switchboard-opentelemetry} is on the classpath
 * and the application has an {@link OpenTelemetry} bean (Spring Boot's OpenTelemetry starter makes
 * one). Off with {@code management.tracing.switchboard.enabled=false}.
 */
@AutoConfiguration(before = SwitchboardAutoConfiguration.class,
        afterName = "org.springframework.boot.opentelemetry.autoconfigure.OpenTelemetrySdkAutoConfiguration")
@ConditionalOnClass({OpenTelemetryTracing.class, OpenTelemetry.class, Switchboard.class})
@ConditionalOnBean(OpenTelemetry.class)
@ConditionalOnBooleanProperty(name = "management.tracing.switchboard.enabled", matchIfMissing = true)
public final class SwitchboardTracingAutoConfiguration {
    /** Order of the interceptor: outermost, so that its span covers the others and the handler. */
    public static final int ORDER = 100;

    /** Producer and consumer spans, W3C headers. */
    @Bean
    @Order(ORDER)
    @ConditionalOnMissingBean
    public OpenTelemetryTracing switchboardTracing(OpenTelemetry openTelemetry) {
        return OpenTelemetryTracing.create(openTelemetry);
    }
}
