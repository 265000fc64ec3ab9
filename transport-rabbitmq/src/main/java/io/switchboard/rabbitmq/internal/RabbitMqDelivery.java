package io.switchboard.rabbitmq.internal;

import com.rabbitmq.client.AMQP;
import io.switchboard.Message;
import io.switchboard.spi.InboundDelivery;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One delivery, settled on the channel it arrived on. Thread-safe; only the first settlement
 * counts.
 *
 * <p>A retry republishes the message to a delay queue of the subscription that dead-letters it back
 * after the delay, with {@code sb-attempt} one higher, and acknowledges the original only once the
 * broker confirmed the copy; a dead letter does the same towards the dead-letter channel. If the
 * republish fails, the original is requeued, so the message is never lost, at worst seen again
 * with the same attempt number. A broker redelivery after a lost connection keeps the attempt
 * number.
 */
final class RabbitMqDelivery implements InboundDelivery {
    private static final Logger LOG = LoggerFactory.getLogger(RabbitMqDelivery.class);

    private final RabbitMqTransport transport;
    private final RabbitMqSubscription.Link link;
    private final long tag;
    private final boolean redelivered;
    private final Message message;
    private final int attempt;
    private final AMQP.BasicProperties props;
    private final byte[] body;
    /** 1 once settled; a field updater rather than an AtomicBoolean: one object less per delivery. */
    private volatile int settled;
    private static final AtomicIntegerFieldUpdater<RabbitMqDelivery> SETTLED =
            AtomicIntegerFieldUpdater.newUpdater(RabbitMqDelivery.class, "settled");

    RabbitMqDelivery(RabbitMqTransport transport, RabbitMqSubscription.Link link, long tag, boolean redelivered, Message message,
            int attempt, AMQP.BasicProperties props, byte[] body) {
        this.transport = transport;
        this.link = link;
        this.tag = tag;
        this.redelivered = redelivered;
        this.message = message;
        this.attempt = attempt;
        this.props = props;
        this.body = body;
    }

    @Override
    public Message message() {
        return message;
    }

    @Override
    public int attempt() {
        return attempt;
    }

    /**
     * Granted on a channel of the subscription's own: amqp-client calls consumers on the
     * transport's unbounded delivery pool, one thread per channel at a time and never on the
     * socket reader. Refused on a shared channel, where holding the thread would stall the
     * other subscriptions' consumers on it.
     */
    @Override
    public boolean claimDeliveryThread() {
        return link.pooled.dedicated;
    }

    @Override
    public boolean redelivered() {
        return redelivered;
    }

    @Override
    public void ack() {
        if (SETTLED.compareAndSet(this, 0, 1)) {
            link.ack(tag);
        }
    }

    @Override
    public void release() {
        if (SETTLED.compareAndSet(this, 0, 1)) {
            link.settle(tag, ch -> ch.basicNack(tag, false, true), "release");
        }
    }

    @Override
    public void retry(Duration delay) {
        if (!SETTLED.compareAndSet(this, 0, 1)) {
            return;
        }
        Map<String, Object> headers = RabbitMqSubscription.republishHeaders(props);
        headers.put(RabbitMqTransport.ATTEMPT_HEADER, attempt + 1);
        headers.put(RabbitMqTransport.CHANNEL_HEADER, message.channel());
        AMQP.BasicProperties copy = props.builder().headers(headers).expiration(null).build();
        long ms = bucket(delay.toMillis());
        republishThenAck("schedule its retry", () -> {
            if (ms == 0) {
                return transport.republish("", link.queue, copy, body, message.channel(), message.id(), null);
            }
            String target = transport.topology.retryQueue(link.queue, ms);
            return transport.republish("", target, copy, body, message.channel(), message.id(),
                    transport.retryQueueNeeded(target, link.queue, link.subscription().isDurable(), ms));
        });
    }

    @Override
    public void deadLetter(String reason, int attempts) {
        if (!SETTLED.compareAndSet(this, 0, 1)) {
            return;
        }
        String dl = link.subscription().request.deadLetterChannel();
        Map<String, Object> headers = RabbitMqSubscription.republishHeaders(props);
        headers.remove(RabbitMqTransport.ATTEMPT_HEADER);
        headers.remove(RabbitMqTransport.CHANNEL_HEADER);
        headers.put(RabbitMqInbound.DEAD_LETTER_REASON_HEADER, reason);
        headers.put(RabbitMqInbound.ORIGINAL_CHANNEL_HEADER, message.channel());
        headers.put(RabbitMqInbound.ATTEMPTS_HEADER, Integer.toString(attempts));
        AMQP.BasicProperties copy = props.builder().headers(headers).expiration(null).build();
        republishThenAck("dead-letter it to '" + dl + "'", () -> transport.republish(transport.topology.channelExchange(dl), dl, copy,
                body, dl, message.id(), transport.channelExchangeNeeded(dl)));
    }

    /**
     * Republishes a copy and acknowledges the original once the broker confirmed the copy; if the
     * republish fails, requeues the original, so the message is never lost.
     */
    private void republishThenAck(String what, Supplier<CompletableFuture<Void>> republish) {
        CompletableFuture<Void> sent;
        try {
            sent = republish.get();
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        // Not on the thread that completes the confirm (the connection's I/O thread): settling
        // takes the delivery channel's lock and writes to the socket, and that thread must stay
        // free to read the replies other threads wait for.
        sent.whenCompleteAsync((ok, failure) -> {
            if (failure == null) {
                link.ack(tag);
            } else {
                LOG.warn("message {} (attempt {}): could not {}: {}; requeueing it at once instead", message.id(), attempt, what,
                        failure.toString());
                link.settle(tag, ch -> ch.basicNack(tag, false, true), "requeue after failing to " + what);
            }
        }, transport.settlementExecutor());
    }

    /**
     * Rounds a delay up to one of a few dozen values (steps of about 25%), so that a subscription
     * needs few delay queues despite jitter, and every message in one queue has the same TTL (a
     * queue expires messages only at its head).
     */
    static long bucket(long ms) {
        if (ms <= 0) {
            return 0;
        }
        long b = 10;
        while (b < ms) {
            b = b + Math.max(1, b / 4);
        }
        return b;
    }

    @Override
    public String toString() {
        return "RabbitMqDelivery[" + message + ", attempt=" + attempt + "]";
    }
}
