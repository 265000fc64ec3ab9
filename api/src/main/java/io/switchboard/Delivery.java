package io.switchboard;

/** One delivery of a message to a subscription, as passed to a {@link MessageHandler}. Immutable. */
public interface Delivery {
    /** The message; its {@link Message#channel()} is the channel it was published to. */
    Message message();

    /** The channel the message was published to (useful for pattern subscriptions). */
    default String channel() {
        return message().channel();
    }

    /** Which attempt this is: 1 for the first delivery, 2 for the first retry, and so on. */
    int attempt();

    /** Whether the message may have been delivered before (attempt above 1, or a broker redelivery after a failure). */
    boolean redelivered();

    /** The subscription this delivery belongs to. */
    Subscription subscription();
}
