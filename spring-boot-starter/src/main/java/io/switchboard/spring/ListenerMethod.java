package io.switchboard.spring;

import io.switchboard.Delivery;
import io.switchboard.JsonCodec;
import io.switchboard.Message;
import io.switchboard.MessageHandler;
import io.switchboard.RetryPolicy;
import io.switchboard.Subscription;
import io.switchboard.SubscriptionOptions;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.time.Duration;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.env.Environment;
import org.springframework.util.ReflectionUtils;

/** One {@link SwitchboardListener} method: its channel and options, resolved once, and how to call it. */
final class ListenerMethod {
    private enum Kind { DELIVERY, MESSAGE, SUBSCRIPTION, TEXT, BYTES, JSON }

    private final String description;
    private final Object bean;
    private final Method method;
    private final String channel;
    private final SubscriptionOptions options;
    private final Kind[] kinds;
    private final Type[] types;

    private ListenerMethod(String description, Object bean, Method method, String channel, SubscriptionOptions options, Kind[] kinds,
            Type[] types) {
        this.description = description;
        this.bean = bean;
        this.method = method;
        this.channel = channel;
        this.options = options;
        this.kinds = kinds;
        this.types = types;
    }

    /**
     * Reads the annotation and the parameters.
     *
     * @throws IllegalStateException naming the bean and method if they cannot be bound
     */
    static ListenerMethod of(String beanName, Object bean, Method method, SwitchboardListener a, Environment env) {
        String description = "@SwitchboardListener method " + method.getDeclaringClass().getSimpleName() + "." + method.getName()
                + " of bean '" + beanName + "'";
        try {
            String channel = env.resolveRequiredPlaceholders(a.channel()).trim();
            if (channel.isEmpty()) {
                throw new IllegalArgumentException("no channel: set channel (or value) to a channel or pattern");
            }
            SubscriptionOptions options = SubscriptionOptions.defaults();
            String durable = env.resolveRequiredPlaceholders(a.durable()).trim();
            if (!durable.isEmpty()) {
                options = options.durable(durable);
            }
            String concurrency = env.resolveRequiredPlaceholders(a.concurrency()).trim();
            try {
                options = options.concurrency(Integer.parseInt(concurrency));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("concurrency '" + concurrency + "' is not a number");
            }
            options = options.retry(retry(a, env));
            String dead = env.resolveRequiredPlaceholders(a.deadLetter()).trim();
            if (!dead.isEmpty()) {
                options = options.deadLetterChannel(dead);
            }
            Class<?>[] params = method.getParameterTypes();
            Type[] generic = method.getGenericParameterTypes();
            Kind[] kinds = new Kind[params.length];
            int payloads = 0;
            for (int i = 0; i < params.length; i++) {
                kinds[i] = kind(params[i]);
                if (kinds[i] == Kind.TEXT || kinds[i] == Kind.BYTES || kinds[i] == Kind.JSON) {
                    payloads++;
                }
            }
            if (payloads > 1) {
                throw new IllegalArgumentException("has " + payloads + " payload parameters; at most one may take the payload "
                        + "(the others can be Delivery, Message or Subscription)");
            }
            ReflectionUtils.makeAccessible(method);
            return new ListenerMethod(description, bean, method, channel, options, kinds, generic);
        } catch (RuntimeException e) {
            throw new IllegalStateException(description + " cannot be subscribed: " + e.getMessage(), e);
        }
    }

    private static RetryPolicy retry(SwitchboardListener a, Environment env) {
        String backoff = env.resolveRequiredPlaceholders(a.backoff()).trim();
        String maxBackoff = env.resolveRequiredPlaceholders(a.maxBackoff()).trim();
        if (a.maxAttempts() == 0 && backoff.isEmpty() && maxBackoff.isEmpty()) {
            return RetryPolicy.defaults();
        }
        RetryPolicy base = RetryPolicy.defaults();
        int attempts = a.maxAttempts() == 0 ? base.maxAttempts() : a.maxAttempts();
        if (attempts < 1) {
            throw new IllegalArgumentException("maxAttempts is " + a.maxAttempts() + " but must be at least 1 (or 0 for the default)");
        }
        if (attempts == 1) {
            return RetryPolicy.none();
        }
        Duration initial = backoff.isEmpty() ? base.initialBackoff() : duration("backoff", backoff);
        Duration max = maxBackoff.isEmpty() ? (initial.compareTo(base.maxBackoff()) > 0 ? initial : base.maxBackoff())
                : duration("maxBackoff", maxBackoff);
        return RetryPolicy.exponential(attempts, initial, max);
    }

    private static Duration duration(String attribute, String value) {
        try {
            return DurationStyle.detectAndParse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(attribute + " '" + value + "' is not a duration such as 250ms, 2s or PT2S");
        }
    }

    private static Kind kind(Class<?> type) {
        if (type == Delivery.class) {
            return Kind.DELIVERY;
        }
        if (type == Message.class) {
            return Kind.MESSAGE;
        }
        if (type == Subscription.class) {
            return Kind.SUBSCRIPTION;
        }
        if (type == String.class) {
            return Kind.TEXT;
        }
        if (type == byte[].class) {
            return Kind.BYTES;
        }
        return Kind.JSON;
    }

    String channel() {
        return channel;
    }

    SubscriptionOptions options() {
        return options;
    }

    String description() {
        return description;
    }

    /** The handler calling the method, decoding JSON payloads with {@code codec}. */
    MessageHandler handler(JsonCodec codec) {
        return delivery -> {
            Object[] args = new Object[kinds.length];
            Message m = delivery.message();
            for (int i = 0; i < kinds.length; i++) {
                switch (kinds[i]) {
                    case DELIVERY -> args[i] = delivery;
                    case MESSAGE -> args[i] = m;
                    case SUBSCRIPTION -> args[i] = delivery.subscription();
                    case TEXT -> args[i] = m.text();
                    case BYTES -> args[i] = m.payload();
                    default -> args[i] = codec.decode(m.payload(), types[i]);
                }
            }
            try {
                method.invoke(bean, args);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                if (cause instanceof Exception ex) {
                    throw ex;
                }
                throw (Error) cause;
            }
        };
    }

    @Override
    public String toString() {
        return description + " on '" + channel + "'";
    }
}
