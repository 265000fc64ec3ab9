package io.switchboard.spi;

import io.switchboard.Message;
import io.switchboard.internal.PayloadAccess;
import java.util.Objects;

/**
 * A message's payload without the defensive copy {@link Message#payload()} and
 * {@link Message.Builder#payload(byte[])} make, for transports, which read every payload once to
 * write it and build every received one from bytes nobody else holds. {@link #view} gives the
 * message's own array: read it, never write to it. {@link #adopt} hands an array to a builder:
 * the caller must not write to it afterwards. Either way the message stays immutable as long as
 * its provider keeps that promise; application code has no need of this class.
 *
 * <p>Measured with {@code bin/bench scale} (payload dimension): RabbitMQ made two copies of a
 * received payload (amqp-client's body, then the builder's) and one on publish; with this, one
 * (amqp-client's) and none.
 */
public final class Payloads {
    private Payloads() {
    }

    /** The payload of {@code message} itself, not a copy: read it, never write to it. */
    public static byte[] view(Message message) {
        return PayloadAccess.get().view(Objects.requireNonNull(message, "message"));
    }

    /**
     * Sets {@code payload} as the builder's payload without copying it, for bytes the caller
     * allocated and will not write to again (a body a client library handed over, a slice copied
     * out of a read buffer). Like {@link Message.Builder#payload(byte[])} it keeps the content type
     * the builder has.
     *
     * @return {@code builder}
     */
    public static Message.Builder adopt(Message.Builder builder, byte[] payload) {
        return PayloadAccess.get().adopt(Objects.requireNonNull(builder, "builder"), Objects.requireNonNull(payload, "payload"));
    }
}
