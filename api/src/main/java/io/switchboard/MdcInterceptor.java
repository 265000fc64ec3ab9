package io.switchboard;

import org.slf4j.MDC;

/**
 * Puts the delivery in SLF4J's {@link MDC} while a handler runs, so that every line the handler
 * logs names the message: {@value #CHANNEL} (the channel it was published to),
 * {@value #MESSAGE_ID} and {@value #SUBSCRIPTION} (the durable name, or the channel or pattern
 * subscribed to). Values the thread held under those keys before are put back afterwards.
 * Register with {@code Switchboard.builder().interceptor(new MdcInterceptor())}; show the values
 * with, for Logback, {@code %X{switchboard.message.id}} in the pattern.
 *
 * <p>Thread-safe and stateless. Needs nothing but slf4j-api; without an SLF4J provider that
 * keeps an MDC, it has no effect.
 */
public final class MdcInterceptor implements Interceptor {
    /** MDC key of the channel the message was published to. */
    public static final String CHANNEL = "switchboard.channel";
    /** MDC key of the message id. */
    public static final String MESSAGE_ID = "switchboard.message.id";
    /** MDC key of the subscription: its durable name, or the channel or pattern it subscribed to. */
    public static final String SUBSCRIPTION = "switchboard.subscription";

    /** Creates the interceptor. */
    public MdcInterceptor() {
    }

    @Override
    public void aroundHandler(HandlerCall call) throws Exception {
        Delivery d = call.delivery();
        Subscription s = d.subscription();
        String previousChannel = MDC.get(CHANNEL);
        String previousId = MDC.get(MESSAGE_ID);
        String previousSubscription = MDC.get(SUBSCRIPTION);
        MDC.put(CHANNEL, d.channel());
        MDC.put(MESSAGE_ID, d.message().id());
        MDC.put(SUBSCRIPTION, s.options().isDurable() ? s.options().durableName() : s.channelOrPattern());
        try {
            call.proceed();
        } finally {
            restore(CHANNEL, previousChannel);
            restore(MESSAGE_ID, previousId);
            restore(SUBSCRIPTION, previousSubscription);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            MDC.remove(key);
        } else {
            MDC.put(key, value);
        }
    }

    @Override
    public String toString() {
        return "MdcInterceptor";
    }
}
