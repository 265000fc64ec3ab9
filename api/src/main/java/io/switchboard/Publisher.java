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

    /**
     * Sends a request and returns its reply. The message is published to {@code channel} with
     * headers {@value #REPLY_TO_HEADER} (this instance's reply address) and
     * {@value #CORRELATION_ID_HEADER} (a new id) added; a handler answers with
     * {@link Delivery#reply(Message)}. The first reply completes the stage; later ones, and
     * replies after the timeout, are dropped and counted in {@link Switchboard#health()}
     * ({@code requests}). The first request subscribes this instance's reply inbox (a
     * per-instance channel {@code switchboard.reply.<hex>}, or what the transport uses instead,
     * see {@code docs/semantics.md}), so it may block for that subscription as
     * {@link Subscriber#subscribe} does. Never blocks for the reply. The stage completes on a
     * Switchboard thread, never on the transport's I/O thread.
     *
     * <p>The stage fails with {@link RequestTimeoutException} when no reply came within
     * {@code timeout}, with what {@link #publish(String, Message)} fails with when the request
     * could not be published, and with {@link SwitchboardException} when this Switchboard closes
     * first (at once, not at the timeout). Several requests may be in flight at once, from any
     * number of threads.
     *
     * @param channel an exact channel name
     * @param message the request; headers {@value #REPLY_TO_HEADER} and
     *     {@value #CORRELATION_ID_HEADER} are replaced
     * @param timeout how long to wait for the reply; positive
     * @return a stage completing with the reply message
     * @throws NullPointerException if an argument is {@code null}
     * @throws IllegalArgumentException if the channel name is invalid or is a pattern, or the
     *     timeout is not positive
     * @throws PayloadTooLargeException if the message with the two headers is over
     *     {@code switchboard.message.max-size}
     * @throws ConnectionException if the reply inbox cannot be subscribed
     * @throws IllegalStateException if the {@link Switchboard} is closing or closed
     */
    CompletionStage<Message> request(String channel, Message message, Duration timeout);

    /**
     * Sends a request and waits for its reply, at most {@code timeout} (plus the time the first
     * request of this instance takes to subscribe its reply inbox).
     *
     * @return the reply message
     * @throws RequestTimeoutException if no reply came within {@code timeout}; the message names
     *     the channel and the timeout
     * @throws PublishException if the request could not be published
     * @throws ConnectionException as {@link #publish(String, Message)} fails
     * @throws SwitchboardException if this Switchboard closed while waiting, or the wait was
     *     interrupted (the interrupt flag is kept)
     * @throws IllegalArgumentException as for {@link #request(String, Message, Duration)}
     * @throws PayloadTooLargeException as for {@link #request(String, Message, Duration)}
     * @throws IllegalStateException as for {@link #request(String, Message, Duration)}
     */
    Message requestAndWait(String channel, Message message, Duration timeout);

    /** Header naming where a request's reply goes: a reply address of the requesting instance. */
    String REPLY_TO_HEADER = "sb-reply-to";

    /** Header carrying a request's correlation id, copied onto its reply. */
    String CORRELATION_ID_HEADER = "sb-correlation-id";

    /** Publishes a UTF-8 text message; shorthand for {@code publish(channel, Message.ofText(text))}. */
    default CompletionStage<Void> publishText(String channel, String text) {
        return publish(channel, Message.ofText(text));
    }

    /** Publishes a value as JSON; shorthand for {@code publish(channel, Message.ofJson(value))}. */
    default CompletionStage<Void> publishJson(String channel, Object value) {
        return publish(channel, Message.ofJson(value));
    }
}
