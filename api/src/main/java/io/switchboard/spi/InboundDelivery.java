package io.switchboard.spi;

import io.switchboard.Message;
import java.time.Duration;

/**
 * One delivery from a transport to the facade. The facade calls exactly one of {@link #ack()},
 * {@link #retry(Duration)}, {@link #deadLetter(String, int)} or {@link #release()} per delivery. Those
 * calls must be thread-safe and must not block for long, and must be harmless (no exception, no
 * channel closed) when the connection was replaced since the delivery: the broker then redelivers
 * on its own.
 */
public interface InboundDelivery {
    /** The message, its channel set to the channel it was published to. */
    Message message();

    /**
     * Which attempt this is, 1-based. At-least-once transports must carry the count across
     * redeliveries they trigger through {@link #retry}; a broker redelivery after a lost
     * connection may count as a new attempt or not, as the transport documents.
     */
    int attempt();

    /** Whether the broker flags this as a possible redelivery. */
    boolean redelivered();

    /** The handler succeeded: the message is done. On an at-most-once transport this does nothing. */
    void ack();

    /**
     * The handler never ran (the subscription closed first): give the message back so the broker
     * delivers it again, to this or another subscriber, without counting an attempt. On an
     * at-most-once transport this does nothing (the message is dropped).
     */
    void release();

    /**
     * The handler failed and the policy allows another attempt: deliver the message again to the
     * same subscription after at least {@code delay}, with {@link #attempt()} one higher. Must
     * not block messages behind it for longer than {@code delay}. Only called on at-least-once
     * transports (the facade retries in-process otherwise).
     */
    void retry(Duration delay);

    /**
     * The handler failed for the last time: move the message to the subscription's dead-letter
     * channel (see {@link SubscriptionRequest#deadLetterChannel()}) with headers
     * {@code sb-dead-letter-reason}, {@code sb-original-channel} and {@code sb-attempts}, and
     * acknowledge it. Only called when a dead-letter channel is set and
     * {@link io.switchboard.Capability#DEAD_LETTERS} is declared.
     *
     * @param reason the last failure, one line, for the {@code sb-dead-letter-reason} header
     * @param attempts how many attempts were made
     */
    void deadLetter(String reason, int attempts);

    /**
     * Asks for the delivering thread, to run the handler on it and spare a thread hand-off. The
     * facade calls this only inside {@link DeliveryListener#onDelivery}, for a subscription of
     * concurrency 1 with nothing buffered and no handler running. Return {@code true} only if
     * that thread may then be held for as long as the handler runs without stalling the
     * connection or other subscriptions: a dedicated dispatch thread, or a socket reader that has
     * just handed reading to another thread. The default, {@code false}, keeps the thread the
     * transport's; the handler then runs on a facade thread.
     */
    default boolean claimDeliveryThread() {
        return false;
    }

    /**
     * About how many bytes this delivery holds in memory. On an at-most-once transport the facade
     * bounds what it buffers for a subscription by this sum ({@code switchboard.subscriber.buffer-bytes}),
     * as well as by count. The facade calls it on the delivering thread for each delivery it
     * buffers, and again when it takes that delivery out: it must be cheap, must not block, and
     * must return the same value every time. The default is {@code message().size()} (payload and
     * headers), which decodes the message: a transport that decodes lazily should return the
     * length of the raw frame it holds instead, which is as good a measure and costs nothing.
     */
    default long sizeHint() {
        return message().size();
    }

    /**
     * A delivery for an at-most-once transport: attempt 1, not redelivered; {@link #ack()} and
     * {@link #release()} do nothing (the message is gone either way); {@link #retry(Duration)}
     * and {@link #deadLetter(String, int)} throw {@link IllegalStateException}, since the facade
     * never calls them on a transport without {@link io.switchboard.Capability#AT_LEAST_ONCE} and
     * {@link io.switchboard.Capability#DEAD_LETTERS}.
     *
     * @param message the received message, its channel set
     */
    static InboundDelivery atMostOnce(Message message) {
        java.util.Objects.requireNonNull(message, "message");
        return lazy(() -> message, null, message.size());
    }

    /**
     * As {@link #atMostOnce(Message)}, with the message decoded lazily: {@code decoder} is called
     * on the first {@link #message()} call, which the facade makes on its handler thread, so a
     * transport can keep decoding off its socket-reading thread. The decoder must not throw and
     * must return the same message if called again (deliveries of one message to several
     * subscriptions may share it).
     *
     * @param decoder produces the received message, its channel set
     */
    static InboundDelivery atMostOnce(java.util.function.Supplier<Message> decoder) {
        return atMostOnce(decoder, null);
    }

    /**
     * As {@link #atMostOnce(java.util.function.Supplier)}, with {@link #claimDeliveryThread()}
     * answered by {@code claim} ({@code null}: never granted). Without a size, {@link #sizeHint()}
     * decodes the message, on the delivering thread, when the facade buffers it: prefer
     * {@link #atMostOnce(java.util.function.Supplier, java.util.function.BooleanSupplier, long)}.
     *
     * @param decoder produces the received message, its channel set
     * @param claim called, on the delivering thread, when the facade asks for that thread
     */
    static InboundDelivery atMostOnce(java.util.function.Supplier<Message> decoder, java.util.function.BooleanSupplier claim) {
        return lazy(decoder, claim, -1);
    }

    /**
     * As {@link #atMostOnce(java.util.function.Supplier, java.util.function.BooleanSupplier)},
     * with {@link #sizeHint()} answered by {@code sizeHint}, so that measuring never decodes:
     * for example the length of the raw frame the decoder will read.
     *
     * @param decoder produces the received message, its channel set
     * @param claim called, on the delivering thread, when the facade asks for that thread ({@code null}: never granted)
     * @param sizeHint about how many bytes the message takes, 0 or more
     * @throws IllegalArgumentException if {@code sizeHint} is negative
     */
    static InboundDelivery atMostOnce(java.util.function.Supplier<Message> decoder, java.util.function.BooleanSupplier claim,
            long sizeHint) {
        if (sizeHint < 0) {
            throw new IllegalArgumentException("sizeHint must be 0 or more, got " + sizeHint);
        }
        return lazy(decoder, claim, sizeHint);
    }

    /** {@code size} negative: measured by decoding. */
    private static InboundDelivery lazy(java.util.function.Supplier<Message> decoder, java.util.function.BooleanSupplier claim,
            long size) {
        java.util.Objects.requireNonNull(decoder, "decoder");
        return new AtMostOnceDelivery() {
            private Message message;

            @Override
            public long sizeHint() {
                return size >= 0 ? size : message().size();
            }

            @Override
            public boolean claimDeliveryThread() {
                return claim != null && claim.getAsBoolean();
            }

            @Override
            public synchronized Message message() {
                if (message == null) {
                    message = java.util.Objects.requireNonNull(decoder.get(), "decoded message");
                }
                return message;
            }

            @Override
            public String toString() {
                return "InboundDelivery[at-most-once" + (message == null ? "" : ", " + message) + "]";
            }
        };
    }
}
