package io.switchboard;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One message a subscription dropped, for a {@link DropListener}. Immutable; holds no payload.
 */
public final class DropEvent {
    /** Most events waiting for the drop listeners of one {@link Switchboard}; see {@link DropListener}. */
    public static final int MAX_PENDING = 10_000;

    /** Why the message was dropped. */
    public enum Reason {
        /**
         * An at-most-once transport delivered it while the subscription's buffer was full
         * ({@code switchboard.subscriber.buffer-size} or {@code buffer-bytes}): it was dropped
         * unread, so the event has no message id.
         */
        BUFFER_FULL,
        /** The handler failed on every attempt of the retry policy and no dead-letter channel is set. */
        RETRIES_EXHAUSTED,
        /**
         * On an at-most-once transport, the subscription closed while the message waited in its
         * buffer, arrived, or waited for a retry: nothing can deliver it again. (At-least-once
         * transports get such messages back and redeliver them.)
         */
        CLOSED
    }

    private final Subscription subscription;
    private final Reason reason;
    private final String channel;
    private final String messageId;
    private final int attempts;
    private final String failure;
    private final Instant timestamp;

    /**
     * Creates an event.
     *
     * @param subscription the subscription that dropped the message
     * @param reason why
     * @param channel the channel the message was published to, or {@code null} if not known
     * @param messageId the message's id, or {@code null} if the message was dropped unread
     * @param attempts how many times the handler was called with it (0: never)
     * @param failure the last handler failure, one line, or {@code null}
     */
    public DropEvent(Subscription subscription, Reason reason, String channel, String messageId, int attempts, String failure) {
        this.subscription = Objects.requireNonNull(subscription, "subscription");
        this.reason = Objects.requireNonNull(reason, "reason");
        this.channel = channel;
        this.messageId = messageId;
        this.attempts = attempts;
        this.failure = failure;
        this.timestamp = Instant.now();
    }

    /** The subscription that dropped the message (its channel or pattern, options, and whether it is still active). */
    public Subscription subscription() {
        return subscription;
    }

    /** Why the message was dropped. */
    public Reason reason() {
        return reason;
    }

    /**
     * The channel the message was published to, if known: always for a handled message, for an
     * unread one only when the subscription names an exact channel.
     */
    public Optional<String> channel() {
        return Optional.ofNullable(channel);
    }

    /** The message's id, unless it was dropped unread ({@link Reason#BUFFER_FULL}, or buffered at close). */
    public Optional<String> messageId() {
        return Optional.ofNullable(messageId);
    }

    /** How many times the handler was called with the message: 0 if never. */
    public int attempts() {
        return attempts;
    }

    /** The handler's last failure (exception class and message, one line), if it failed. */
    public Optional<String> failure() {
        return Optional.ofNullable(failure);
    }

    /** When the drop was recorded. */
    public Instant timestamp() {
        return timestamp;
    }

    @Override
    public String toString() {
        return "DropEvent[" + reason + " by " + subscription + (channel != null ? ", channel=" + channel : "")
                + (messageId != null ? ", message=" + messageId : "") + ", attempts=" + attempts
                + (failure != null ? ", failure=" + failure : "") + "]";
    }
}
