package io.switchboard;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * Publishes messages to channels. Thread-safe; share one per {@link Switchboard}.
 *
 * <p>Channel names are dot-separated segments of letters, digits, {@code _} and {@code -}, at most
 * 200 characters, for example {@code orders.eu.created}; see {@code docs/semantics.md}. A publish
 * names an exact channel, never a pattern.
 */
public interface Publisher {
    /**
     * Publishes a message asynchronously. The returned stage completes when the transport's
     * guarantee holds: the server accepted the message (at-most-once transports) or the broker
     * confirmed it (at-least-once transports). It fails with {@link PublishException} when the
     * broker refuses or does not confirm it in time, and with {@link ConnectionException} when
     * the connection is down (after waiting, if the transport is configured to wait). Never
     * blocks for a server round trip; may block briefly when the transport's bound on in-flight
     * publishes is reached, as the transport documents.
     *
     * @param channel an exact channel name
     * @param message the message; its channel, if set, is replaced by {@code channel}
     * @return a stage completing when the message is accepted as described
     * @throws NullPointerException if an argument is {@code null}
     * @throws IllegalArgumentException if the channel name is invalid or is a pattern
     * @throws PayloadTooLargeException if the message is over {@code switchboard.message.max-size}
     * @throws IllegalStateException if the {@link Switchboard} is closed, or closing and the caller is
     *     not one of its handlers (handlers finishing during the drain may still publish)
     */
    CompletionStage<Void> publish(String channel, Message message);

    /**
     * Publishes and waits until the stage of {@link #publish(String, Message)} completes.
     *
     * @throws PublishException as {@link #publish(String, Message)} fails, or if {@code timeout}
     *     passes first (the message may still be delivered)
     * @throws ConnectionException as {@link #publish(String, Message)} fails
     * @throws IllegalArgumentException as for {@link #publish(String, Message)}
     * @throws PayloadTooLargeException as for {@link #publish(String, Message)}
     * @throws IllegalStateException as for {@link #publish(String, Message)}
     */
    void publishAndWait(String channel, Message message, Duration timeout);

    /** Publishes a UTF-8 text message; shorthand for {@code publish(channel, Message.ofText(text))}. */
    default CompletionStage<Void> publishText(String channel, String text) {
        return publish(channel, Message.ofText(text));
    }

    /** Publishes a value as JSON; shorthand for {@code publish(channel, Message.ofJson(value))}. */
    default CompletionStage<Void> publishJson(String channel, Object value) {
        return publish(channel, Message.ofJson(value));
    }
}
