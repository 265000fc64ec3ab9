package io.switchboard.spring;

import io.switchboard.ConnectionListener;
import io.switchboard.DropListener;
import io.switchboard.Interceptor;
import io.switchboard.JsonCodec;
import io.switchboard.MdcInterceptor;
import io.switchboard.Publisher;
import io.switchboard.SharedCache;
import io.switchboard.Subscriber;
import io.switchboard.Switchboard;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Lazy;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * Auto-configuration of a {@link Switchboard} and its {@link Publisher}, {@link Subscriber} and
 * (lazily, since not every application configures a cache) {@link SharedCache} from the
 * {@code switchboard.*} properties of Spring's environment, with Boot's relaxed binding; unknown
 * {@code switchboard.*} keys fail the start with the core's did-you-mean. Every
 * {@link Interceptor}, {@link ConnectionListener} and {@link DropListener} bean is registered, in
 * {@code @Order}, and a {@link JsonCodec} bean replaces the default codec. {@link MdcInterceptor}
 * is registered unless {@code logging.switchboard.mdc.enabled=false}.
 * {@link SwitchboardListener} methods are subscribed at start-up; {@link SwitchboardLifecycle} and
 * {@link SwitchboardListenerRegistry} shut down in Boot's order.
 */
@AutoConfiguration
@ConditionalOnClass(Switchboard.class)
public final class SwitchboardAutoConfiguration {
    /** Order of the {@link MdcInterceptor} bean: inside tracing (100), outside metrics (300). */
    public static final int MDC_ORDER = 200;

    /** The Switchboard, opened (and connected) when the context starts; closed by {@link SwitchboardLifecycle}. */
    @Bean
    @ConditionalOnMissingBean
    public Switchboard switchboard(ConfigurableEnvironment environment, ObjectProvider<Interceptor> interceptors,
            ObjectProvider<ConnectionListener> connectionListeners, ObjectProvider<DropListener> dropListeners,
            ObjectProvider<JsonCodec> codec) {
        Switchboard.Builder b = Switchboard.builder()
                .properties(SwitchboardEnvironment.properties(environment, Thread.currentThread().getContextClassLoader()));
        codec.ifAvailable(b::codec);
        interceptors.orderedStream().forEach(b::interceptor);
        connectionListeners.orderedStream().forEach(b::connectionListener);
        dropListeners.orderedStream().forEach(b::dropListener);
        return b.open();
    }

    /** The publisher. */
    @Bean
    @ConditionalOnMissingBean
    public Publisher switchboardPublisher(Switchboard switchboard) {
        return switchboard.publisher();
    }

    /** The subscriber. */
    @Bean
    @ConditionalOnMissingBean
    public Subscriber switchboardSubscriber(Switchboard switchboard) {
        return switchboard.subscriber();
    }

    /** The default shared cache, made when first injected: without a configured cache that injection fails saying what to set. */
    @Bean
    @Lazy
    @ConditionalOnMissingBean
    public SharedCache switchboardCache(Switchboard switchboard) {
        return switchboard.cache();
    }

    /** Channel, message id and subscription in the MDC while a handler runs. */
    @Bean
    @Order(MDC_ORDER)
    @ConditionalOnMissingBean
    @ConditionalOnBooleanProperty(name = "logging.switchboard.mdc.enabled", matchIfMissing = true)
    public MdcInterceptor switchboardMdcInterceptor() {
        return new MdcInterceptor();
    }

    /** Closes the Switchboard late in shutdown. */
    @Bean
    @ConditionalOnSingleCandidate(Switchboard.class)
    public SwitchboardLifecycle switchboardLifecycle(Switchboard switchboard) {
        return new SwitchboardLifecycle(switchboard);
    }

    /** Finds {@link SwitchboardListener} methods; static, as post-processors are made before other beans. */
    @Bean
    public static SwitchboardListenerPostProcessor switchboardListenerPostProcessor() {
        return new SwitchboardListenerPostProcessor();
    }

    /** Subscribes the {@link SwitchboardListener} methods at start-up and closes them first at shutdown. */
    @Bean
    @ConditionalOnSingleCandidate(Switchboard.class)
    public SwitchboardListenerRegistry switchboardListenerRegistry(Switchboard switchboard, SwitchboardListenerPostProcessor listeners) {
        return new SwitchboardListenerRegistry(switchboard, listeners);
    }
}
