package io.switchboard;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * One delivery of a message to a subscription, as passed to a {@link MessageHandler}. Immutable
 * and thread-safe; {@link #reply(Message)} may be called from any thread.
 */
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

    /**
     * Where a reply to this message goes: its {@value Publisher#REPLY_TO_HEADER} header, present
     * when it was sent by {@link Publisher#request} (or by a foreign service following
     * {@code docs/wire-format.md}).
     */
    default Optional<String> replyTo() {
        return Optional.ofNullable(message().header(Publisher.REPLY_TO_HEADER));
    }

    /**
     * Answers this message, a request: publishes {@code reply} to its {@link #replyTo()} address
     * with the request's {@value Publisher#CORRELATION_ID_HEADER} header copied on (replacing
     * one the reply may carry). The first reply to a request wins; the requester drops later ones.
     * Returns the publish stage, as {@link Publisher#publish} does. Called by a handler before it
     * returns, on an at-least-once transport the request is acknowledged only once that stage
     * completed (the handler's thread waits for it, at most {@code switchboard.close.timeout}), and
     * a failed reply publish counts as a failure of the handler (so the request is retried as the
     * retry policy says).
     *
     * @param reply the reply; its channel, if set, is replaced
     * @return a stage completing when the reply is accepted as {@link Publisher#publish} describes
     * @throws NullPointerException if {@code reply} is {@code null}
     * @throws IllegalStateException if this message has no {@value Publisher#REPLY_TO_HEADER}
     *     header (it was published, not requested), or the Switchboard is closed
     * @throws IllegalArgumentException if the reply address is not one the transport can reply to
     *     (the message names it)
     * @throws PayloadTooLargeException if the reply is over {@code switchboard.message.max-size}
     */
    CompletionStage<Void> reply(Message reply);
}
