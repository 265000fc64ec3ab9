package io.switchboard.spring;

import io.micrometer.core.instrument.MeterRegistry;
import io.switchboard.Switchboard;
import io.switchboard.micrometer.MicrometerMetrics;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;

/**
 * Registers {@link MicrometerMetrics} in the application's {@link MeterRegistry} when
 * {@code switchboard-micrometer} is on the classpath and Boot has made a registry (so the meters
 * show at {@code /actuator/metrics} and in a Prometheus scrape). Off with
 * {@code management.metrics.switchboard.enabled=false}; {@code management.metrics.switchboard.max-channel-tags}
 * sets the cardinality guard (default {@value MicrometerMetrics#DEFAULT_MAX_CHANNEL_TAGS});
 * {@code management.metrics.switchboard.timing-sample} times one publish and one handler call in N
 * (default {@value MicrometerMetrics#DEFAULT_TIMING_SAMPLE}; 1 times every call; counters count
 * every call).
 */
@AutoConfiguration(before = SwitchboardAutoConfiguration.class, afterName = {
        "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration"})
@ConditionalOnClass({MicrometerMetrics.class, MeterRegistry.class, Switchboard.class})
@ConditionalOnBean(MeterRegistry.class)
@ConditionalOnBooleanProperty(name = "management.metrics.switchboard.enabled", matchIfMissing = true)
public final class SwitchboardMetricsAutoConfiguration {
    /** Property: how many distinct channels get a tag of their own. */
    public static final String MAX_CHANNEL_TAGS = "management.metrics.switchboard.max-channel-tags";
    /** Property: time one publish and one handler call in this many. */
    public static final String TIMING_SAMPLE = "management.metrics.switchboard.timing-sample";
    /** Order of the interceptor: innermost of the three, so it times the handler alone. */
    public static final int ORDER = 300;

    /** The meters, as an interceptor of the auto-configured Switchboard. */
    @Bean
    @Order(ORDER)
    @ConditionalOnMissingBean
    public MicrometerMetrics switchboardMetrics(MeterRegistry registry, Environment environment) {
        int max = Binder.get(environment).bind(MAX_CHANNEL_TAGS, Integer.class).orElse(MicrometerMetrics.DEFAULT_MAX_CHANNEL_TAGS);
        int sample = Binder.get(environment).bind(TIMING_SAMPLE, Integer.class).orElse(MicrometerMetrics.DEFAULT_TIMING_SAMPLE);
        return MicrometerMetrics.builder(registry).maxChannelTags(max).timingSample(sample).build();
    }
}
