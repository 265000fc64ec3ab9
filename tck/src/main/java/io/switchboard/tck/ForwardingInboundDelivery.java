package io.switchboard.tck;

import io.switchboard.Message;
import io.switchboard.spi.InboundDelivery;
import java.time.Duration;
import java.util.Objects;

/**
 * An {@link InboundDelivery} that forwards every call, default methods included, to another one:
 * extend it and override what you change (a delivery whose settlement goes somewhere else, a
 * message with a field altered). The kit's own tests check that every method of
 * {@link InboundDelivery} is forwarded.
 *
 * <p>As thread-safe as the delegate; adds no state.
 */
public class ForwardingInboundDelivery implements InboundDelivery {
    /** The delivery every call goes to. */
    protected final InboundDelivery delegate;

    /** Forwards to {@code delegate}. */
    public ForwardingInboundDelivery(InboundDelivery delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    public Message message() {
        return delegate.message();
    }

    @Override
    public int attempt() {
        return delegate.attempt();
    }

    @Override
    public boolean redelivered() {
        return delegate.redelivered();
    }

    @Override
    public void ack() {
        delegate.ack();
    }

    @Override
    public void release() {
        delegate.release();
    }

    @Override
    public void retry(Duration delay) {
        delegate.retry(delay);
    }

    @Override
    public void deadLetter(String reason, int attempts) {
        delegate.deadLetter(reason, attempts);
    }

    @Override
    public boolean claimDeliveryThread() {
        return delegate.claimDeliveryThread();
    }

    @Override
    public long sizeHint() {
        return delegate.sizeHint();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + delegate + "]";
    }
}
