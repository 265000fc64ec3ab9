package io.switchboard.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.core.annotation.AliasFor;

/**
 * Subscribes a bean method to a channel or pattern when the application starts; the subscription
 * is closed, after its running calls finish, when the application shuts down (see
 * {@link SwitchboardListenerRegistry}). String attributes may hold {@code ${...}} placeholders.
 *
 * <pre>{@code
 * @SwitchboardListener(channel = "orders.created", durable = "billing", concurrency = "4",
 *         maxAttempts = 5, backoff = "200ms", deadLetter = "orders.dead")
 * void on(Order order, Delivery delivery) { ... }
 * }</pre>
 *
 * <p>Parameters, in any order: a {@link io.switchboard.Delivery}, {@link io.switchboard.Message}
 * or {@link io.switchboard.Subscription}, and at most one payload parameter: {@code String} (the
 * payload as UTF-8 text), {@code byte[]} (the raw payload) or any other type, decoded from JSON by
 * the Switchboard's {@link io.switchboard.JsonCodec} into the parameter's generic type
 * ({@code List<Order>} works). The method returning normally acknowledges the message; throwing
 * (a payload that is not JSON for the type included) retries it, then dead-letters or drops it,
 * as {@link io.switchboard.MessageHandler} describes. A method that cannot be bound (two payload
 * parameters, an invalid channel or option) fails the application's start, naming the method.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface SwitchboardListener {
    /** Alias for {@link #channel()}. */
    @AliasFor("channel")
    String value() default "";

    /** The exact channel or pattern ({@code *} one segment, {@code #} any number) to subscribe to. */
    @AliasFor("value")
    String channel() default "";

    /** A durable subscription's name (competing consumers share it); empty for a transient subscription. */
    String durable() default "";

    /** Handler calls at once in this instance, 1 to 1024 (1 keeps order); a number or a placeholder. */
    String concurrency() default "1";

    /** Attempts in all, at least 1 (1: no retry); 0 keeps {@link io.switchboard.RetryPolicy#defaults()}. */
    int maxAttempts() default 0;

    /** Wait before the first retry, as {@code 100ms}, {@code 2s} or {@code PT2S}, doubling each time; empty for the default. */
    String backoff() default "";

    /** Longest wait between retries; empty for the default (10s, or the first backoff if longer). */
    String maxBackoff() default "";

    /** The dead-letter channel for messages that fail every attempt; empty for none (they are dropped and counted). */
    String deadLetter() default "";
}
