package io.switchboard.internal;

import io.switchboard.ConnectionException;
import io.switchboard.Message;
import io.switchboard.PayloadTooLargeException;
import io.switchboard.PublishException;
import io.switchboard.Publisher;
import io.switchboard.SwitchboardException;
import io.switchboard.spi.Channels;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/** Validates and hands publishes to the transport. */
final class DefaultPublisher implements Publisher {
    private final Runtime runtime;
    private final long maxSize;
    private final Interception interception;
    /** The end of the interceptor chain: the final message, its channel set, to the transport. */
    private final Function<Message, CompletionStage<Void>> send = this::send;

    DefaultPublisher(Runtime runtime) {
        this.runtime = runtime;
        this.maxSize = runtime.config().get(CoreKeys.MESSAGE_MAX_SIZE);
        this.interception = runtime.interception();
    }

    @Override
    public CompletionStage<Void> publish(String channel, Message message) {
        Objects.requireNonNull(message, "message");
        Channels.requireChannel(channel);
        runtime.ensureOpenForPublish();
        if (message.size() > maxSize) {
            throw tooLarge(message, "message " + message.id() + " to channel '" + channel + "'");
        }
        if (interception.none()) {
            return runtime.transport().publish(channel, message.withChannel(channel));
        }
        return interception.publish(channel, message.withChannel(channel), send);
    }

    /** The caller's message was checked; headers interceptors added may take it over the limit. */
    private CompletionStage<Void> send(Message m) {
        if (m.size() > maxSize) {
            throw tooLarge(m, "message " + m.id() + " to channel '" + m.channel() + "' with the headers interceptors added");
        }
        return runtime.transport().publish(m.channel(), m);
    }

    /** The error for a message over {@code switchboard.message.max-size}; {@code what} names it (built only when it is). */
    private PayloadTooLargeException tooLarge(Message m, String what) {
        return new PayloadTooLargeException(what, m.size(), maxSize, CoreKeys.MESSAGE_MAX_SIZE.name());
    }

    @Override
    public CompletionStage<Message> request(String channel, Message message, Duration timeout) {
        return runtime.requests().request(this, channel, message, timeout);
    }

    @Override
    public Message requestAndWait(String channel, Message message, Duration timeout) {
        return runtime.requests().requestAndWait(this, channel, message, timeout);
    }

    /**
     * Publishes a handler's reply through the interceptors to the transport's reply path; the
     * reply's channel is the address.
     */
    CompletionStage<Void> publishReply(String address, Message reply, Message request) {
        runtime.ensureOpenForPublish();
        if (reply.size() > maxSize) {
            throw tooLarge(reply, "reply " + reply.id() + " to request " + request.id() + " (reply address '" + address + "')");
        }
        Function<Message, CompletionStage<Void>> sendReply = m -> {
            if (m.size() > maxSize) {
                throw tooLarge(m, "reply " + m.id() + " to request " + request.id() + " with the headers interceptors added");
            }
            try {
                return runtime.transport().publishReply(address, m);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("cannot reply to message " + request.id() + " from channel '" + request.channel()
                        + "': its reply address (header " + REPLY_TO_HEADER + ") is not one transport '" + runtime.transportName()
                        + "' can reply to: " + e.getMessage(), e);
            }
        };
        if (interception.none()) {
            return sendReply.apply(reply);
        }
        return interception.publish(address, reply, sendReply);
    }

    @Override
    public void publishAndWait(String channel, Message message, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        CompletionStage<Void> stage = publish(channel, message);
        try {
            stage.toCompletableFuture().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new PublishException(channel, message.id(), "not accepted within " + timeout
                    + " (it may still be delivered)", e, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PublishException(channel, message.id(), "interrupted while waiting (it may still be delivered)", e, true);
        } catch (ExecutionException e) {
            throw rethrow(channel, message.id(), e.getCause());
        }
    }

    static RuntimeException rethrow(String channel, String id, Throwable cause) {
        if (cause instanceof SwitchboardException) {
            return (SwitchboardException) cause;
        }
        if (cause instanceof java.io.IOException) {
            return new ConnectionException("publish of message " + id + " to channel '" + channel + "' failed: " + cause, cause);
        }
        return new PublishException(channel, id, String.valueOf(cause), cause, false);
    }
}
