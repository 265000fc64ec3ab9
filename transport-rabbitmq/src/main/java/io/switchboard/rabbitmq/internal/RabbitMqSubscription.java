package io.switchboard.rabbitmq.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import io.switchboard.spi.DeliveryListener;
import io.switchboard.spi.SubscriptionRequest;
import io.switchboard.spi.TransportSubscription;
import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subscription: a queue, its bindings and a consumer with a prefetch of its own, on a channel
 * of the consuming connection's pool ({@link RabbitMqConsumerChannels}: a channel of its own for
 * the first subscriptions, shared with others of the same prefetch past them). Thread-safe.
 *
 * <p>{@link #establish} runs again on every reconnect; each run makes a new {@link Link}, and
 * deliveries settle on the link they came from, never on a newer one.
 */
final class RabbitMqSubscription implements TransportSubscription {
    private static final Logger LOG = LoggerFactory.getLogger(RabbitMqSubscription.class);

    private final RabbitMqTransport transport;
    final SubscriptionRequest request;
    private final DeliveryListener listener;
    private final int prefetch;
    private final RabbitMqInbound inbound;
    /** The reply inbox's queue, declared exclusive and bound to nothing; {@code null} for an ordinary subscription. */
    private final String replyQueue;
    private final ReentrantLock establishing = new ReentrantLock();
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile Link current;
    private volatile boolean closed;

    RabbitMqSubscription(RabbitMqTransport transport, SubscriptionRequest request, DeliveryListener listener, int prefetch) {
        this(transport, request, listener, prefetch, null);
    }

    RabbitMqSubscription(RabbitMqTransport transport, SubscriptionRequest request, DeliveryListener listener, int prefetch,
            String replyQueue) {
        this.replyQueue = replyQueue;
        this.transport = transport;
        this.request = request;
        this.listener = listener;
        this.prefetch = prefetch;
        this.inbound = new RabbitMqInbound(transport.topology, request, transport.settings.deliveryLimit);
    }

    boolean isDurable() {
        return request.durableName() != null;
    }

    /**
     * One consumer of this subscription on a pooled channel of the consuming connection. Acks and
     * nacks go through the link to its channel, which coalesces acks across the consumers it
     * carries (delivery tags are the channel's), and are dropped once the channel is closed: its
     * delivery tags mean nothing on any other channel.
     */
    final class Link {
        final RabbitMqConsumerChannels.ConsumerChannel pooled;
        final Channel channel;
        final String queue;
        final AtomicInteger outstanding = new AtomicInteger();
        private final AtomicBoolean released = new AtomicBoolean();
        volatile String consumerTag;
        private volatile boolean cancelled;
        /** Completes once the broker no longer offers this link's consumer anything: its cancel was answered, or the channel closed. */
        final CompletableFuture<Void> consumerGone = new CompletableFuture<>();

        Link(RabbitMqConsumerChannels.ConsumerChannel pooled, String queue) {
            this.pooled = pooled;
            this.channel = pooled.channel;
            this.queue = queue;
        }

        RabbitMqSubscription subscription() {
            return RabbitMqSubscription.this;
        }

        interface Settlement {
            void run(Channel ch) throws IOException;
        }

        void delivered(long tag) {
            outstanding.incrementAndGet();
            pooled.delivered(tag);
        }

        /** Acknowledges one delivery (coalesced); harmless when the channel is gone (the broker redelivers). */
        void ack(long tag) {
            try {
                pooled.ack(tag);
            } catch (IOException | ShutdownSignalException e) {
                LOG.debug("ack of a delivery of {} failed: {}; the broker redelivers it", RabbitMqSubscription.this, e.toString());
            } finally {
                settled();
            }
        }

        /** Settles one delivery otherwise than by ack, at once; harmless when the channel is gone. */
        void settle(long tag, Settlement s, String what) {
            try {
                if (!pooled.settle(tag, s)) {
                    LOG.debug("{} of a delivery of {} dropped: its channel closed; the broker redelivers it", what, RabbitMqSubscription.this);
                }
            } catch (IOException | ShutdownSignalException e) {
                LOG.debug("{} of a delivery of {} failed: {}; the broker redelivers it", what, RabbitMqSubscription.this, e.toString());
            } finally {
                settled();
            }
        }

        private void settled() {
            if (outstanding.decrementAndGet() == 0 && cancelled && consumerGone.isDone()) {
                release();
            }
        }

        /** Whether this consumer still runs on an open channel. */
        boolean isLive() {
            return !cancelled && channel.isOpen();
        }

        /**
         * Stops the consumer: sends the acks held back, then {@code basic.cancel} unless the
         * broker already cancelled it. Returns at once: the cancel goes out from another thread.
         *
         * @param alreadyGone whether the broker cancelled the consumer itself
         * @return completed when the broker no longer offers the consumer anything
         */
        CompletableFuture<Void> cancel(boolean alreadyGone) {
            String tag;
            synchronized (this) {
                if (cancelled) {
                    return consumerGone;
                }
                cancelled = true;
                tag = consumerTag;
            }
            pooled.flushFinalAcks();
            pooled.pool().consumerCancelled(pooled);
            // Not on the caller's thread (a frozen broker would hold it for the RPC timeout, and
            // this may be the connection's I/O thread, which must stay free to read the
            // cancel-ok): the caller waits for consumerGone as long as it sees fit. Deliveries
            // that still arrive meanwhile are handed back by the facade, which stopped its intake.
            if (tag == null || alreadyGone || !channel.isOpen()) {
                consumerGone.complete(null);
            } else {
                transport.cancelling(this);
                try {
                    transport.cancelExecutor().execute(() -> sendCancel(tag));
                } catch (java.util.concurrent.RejectedExecutionException closing) {
                    consumerGone.complete(null); // the transport closed: closing the connection ends the consumer
                }
            }
            // The channel is left (and, if no one else uses it, closed) only once the broker has
            // answered the cancel: closing it first would end the consumer without the broker
            // having confirmed it, and a deleteDurable right after could still count it.
            consumerGone.whenComplete((ok, e) -> {
                if (outstanding.get() == 0) {
                    release();
                }
            });
            return consumerGone;
        }

        private void sendCancel(String tag) {
            try {
                if (channel.isOpen()) {
                    channel.basicCancel(tag);
                    transport.cancelAnswered();
                }
            } catch (IOException | ShutdownSignalException e) {
                LOG.debug("cancelling consumer of {}: {}", RabbitMqSubscription.this, e.toString());
            } finally {
                consumerGone.complete(null);
            }
        }

        /** Done with the channel: on another thread, since this may run on the connection's I/O thread, where a blocking close would deadlock. */
        private void release() {
            if (released.compareAndSet(false, true)) {
                transport.closeLater(this);
            }
        }

        /** Sends the acks still held back and leaves the channel, closing it if no one else uses it; idempotent. */
        void closeNow() {
            try {
                pooled.links.remove(this);
                pooled.pool().released(pooled);
            } finally {
                transport.closed(this);
            }
        }

        /** Sends the acks still held back, without waiting for anything: the connection is about to close. */
        void flushFinalAcks() {
            pooled.flushFinalAcks();
        }

        void channelShutdown(ShutdownSignalException sig) {
            onChannelShutdown(this, sig);
        }
    }

    /**
     * Declares the queue and bindings and starts consuming on a pooled channel of {@code pool}.
     * Called at subscribe and after every reconnect, never on an amqp-client thread. Runs of it are
     * serialized by a lock of their own, which {@link #close} does not take: close must not wait
     * for these round trips.
     */
    void establish(RabbitMqConsumerChannels pool) throws IOException {
        Link link;
        establishing.lock();
        try {
            if (closed) {
                return;
            }
            Link old = current;
            if (old != null && old.channel.getConnection() == pool.connection() && old.isLive()) {
                return;
            }
            link = open(pool);
            current = link;
        } finally {
            establishing.unlock();
        }
        // close() sets the flag before it reads current, this wrote current before reading the
        // flag: whichever came second cancels the new link.
        if (closed) {
            link.cancel(false);
        }
    }

    private Link open(RabbitMqConsumerChannels pool) throws IOException {
        Topology topology = transport.topology;
        String queue;
        Channel admin = pool.borrowAdmin("subscription " + this);
        try {
            if (replyQueue != null) {
                queue = replyQueue;
                admin.queueDeclare(queue, false, true, true, null);
            } else if (isDurable()) {
                queue = topology.subscriptionQueue(request.durableName());
                admin.queueDeclare(queue, true, false, false, subscriptionQueueArguments());
            } else {
                // Exclusive to the connection, not the channel: the consumer channel may read it.
                queue = admin.queueDeclare("", false, true, true, null).getQueue();
            }
            if (replyQueue != null) {
                // Replies come through the default exchange, straight to the queue.
            } else if (request.isPattern()) {
                transport.declareTopicExchange(admin);
                admin.queueBind(queue, topology.topicExchange(), request.channelOrPattern());
            } else {
                transport.declareChannelExchange(admin, request.channelOrPattern());
                admin.queueBind(queue, topology.channelExchange(request.channelOrPattern()), "");
            }
            String dl = request.deadLetterChannel();
            if (dl != null) {
                transport.declareChannelExchange(admin, dl);
                String dlq = topology.deadLetterQueue(dl);
                admin.queueDeclare(dlq, true, false, false, queueArguments());
                admin.queueBind(dlq, topology.channelExchange(dl), "");
            }
        } finally {
            pool.giveBack(admin);
        }
        RabbitMqConsumerChannels.ConsumerChannel pooled = pool.reserve(prefetch, "subscription " + this);
        Link link = new Link(pooled, queue);
        pooled.links.add(link);
        boolean ok = false;
        try {
            link.consumerTag = pooled.channel.basicConsume(queue, false, new Consumer(link));
            ok = true;
            return link;
        } finally {
            if (!ok) {
                link.cancel(true);
            }
        }
    }

    private Map<String, Object> queueArguments() {
        return transport.settings.quorum ? Map.of("x-queue-type", "quorum") : null;
    }

    /**
     * The queue type, and with a delivery limit the limit and where the broker dead-letters what
     * reaches it: the dead-letter channel's exchange, routed as this transport's own dead letters are.
     */
    private Map<String, Object> subscriptionQueueArguments() {
        Integer limit = transport.settings.deliveryLimit;
        if (limit == null) {
            return queueArguments();
        }
        Map<String, Object> args = new HashMap<>();
        args.put("x-queue-type", "quorum");
        args.put("x-delivery-limit", limit);
        String dl = request.deadLetterChannel();
        if (dl != null) {
            args.put("x-dead-letter-exchange", transport.topology.channelExchange(dl));
            args.put("x-dead-letter-routing-key", dl);
        }
        return args;
    }

    private void onChannelShutdown(Link link, ShutdownSignalException sig) {
        link.consumerGone.complete(null);
        if (closed || transport.isClosing() || sig.isHardError() || sig.isInitiatedByApplication() || current != link) {
            return;
        }
        LOG.warn("the broker closed the channel of subscription {} ({}); its unacknowledged deliveries are requeued, "
                + "re-subscribing. If this says 'delivery acknowledgement timed out', a handler ran longer than the broker's "
                + "consumer_timeout: raise it or make the handler faster", this, RabbitMqTransport.describe(sig));
        transport.reestablishLater(this);
    }

    /** Whether the broker knows a consumer of this subscription now (counted in its queue's consumers). */
    boolean isConsuming() {
        Link link = current;
        return !closed && link != null && link.consumerTag != null && link.isLive();
    }

    /** The subscription could not be started: nothing to clean up but the flag. */
    void abandon() {
        closed = true;
    }

    @Override
    public void close() {
        CompletableFuture<Void> gone = startClose();
        if (gone != null) {
            transport.awaitConsumerGone(gone, this);
        }
    }

    /**
     * Sends the cancel and returns at once; completes when the broker answered it or after
     * {@link RabbitMqTransport#CANCEL_WAIT_MILLIS}, whichever comes first.
     */
    @Override
    public CompletableFuture<Void> closeAsync() {
        CompletableFuture<Void> gone = startClose();
        return gone == null ? CompletableFuture.completedFuture(null)
                : gone.copy().completeOnTimeout(null, RabbitMqTransport.CANCEL_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** The first call cancels the consumer and returns when the broker no longer offers it anything; later calls null. */
    private CompletableFuture<Void> startClose() {
        if (closing.getAndSet(true)) {
            return null;
        }
        closed = true;
        transport.removed(this);
        Link link = current;
        return link == null ? null : link.cancel(false);
    }

    private final class Consumer extends DefaultConsumer {
        private final Link link;

        Consumer(Link link) {
            super(link.channel);
            this.link = link;
        }

        @Override
        public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
            long tag = envelope.getDeliveryTag();
            link.delivered(tag);
            RabbitMqInbound.Read read;
            try {
                read = inbound.read(envelope, props, body, link.queue);
            } catch (RuntimeException e) {
                // read() is meant to take anything; should it not, the message is still not lost.
                read = new RabbitMqInbound.Read(inbound.minimal(envelope, body), 1, List.of("it could not be read (" + e + ")"));
            }
            RabbitMqDelivery d = new RabbitMqDelivery(transport, link, tag, envelope.isRedeliver(), read.message, read.attempt, props, body);
            if (!read.problems.isEmpty()) {
                String reason = "unreadable message: " + String.join("; ", read.problems);
                String dl = request.deadLetterChannel();
                if (dl != null) {
                    transport.unreadableDeadLettered.incrementAndGet();
                    LOG.warn("subscription {} got a message it cannot read as sent ({}); dead-lettering it unchanged to '{}'",
                            RabbitMqSubscription.this, reason, dl);
                    d.deadLetter(reason, 0);
                    return;
                }
                transport.unreadableDelivered.incrementAndGet();
                LOG.warn("subscription {} got a message it cannot read as sent ({}); delivering it with substitutes, the original "
                        + "values in headers {} / {} (a dead-letter channel would receive it unchanged instead)", RabbitMqSubscription.this,
                        reason, RabbitMqInbound.RAW_MESSAGE_ID_HEADER, RabbitMqInbound.RAW_CONTENT_TYPE_HEADER);
            }
            try {
                listener.onDelivery(d);
            } catch (RuntimeException e) {
                LOG.warn("the listener of {} threw; releasing the delivery: {}", RabbitMqSubscription.this, e.toString());
                d.release();
            }
        }

        @Override
        public void handleCancel(String consumerTag) {
            if (!closed && !transport.isClosing()) {
                LOG.warn("the broker cancelled the consumer of subscription {} (its queue was deleted?); re-subscribing", RabbitMqSubscription.this);
                link.cancel(true);
                transport.reestablishLater(RabbitMqSubscription.this);
            }
        }
    }

    /**
     * The header's milliseconds; else those of a version 7 UUID message id, when they fall within
     * the {@code timestamp} property's second; else that second; else now.
     */
    static Instant timestampOf(AMQP.BasicProperties props) {
        Map<String, Object> headers = props.getHeaders();
        Object ms = headers == null ? null : headers.get(RabbitMqTransport.TIMESTAMP_HEADER);
        if (ms instanceof Number) {
            return Instant.ofEpochMilli(((Number) ms).longValue());
        }
        if (props.getTimestamp() == null) {
            return Instant.now();
        }
        long second = Math.floorDiv(props.getTimestamp().getTime(), 1000);
        long fromId = UuidTime.millis(props.getMessageId());
        return fromId >= 0 && Math.floorDiv(fromId, 1000) == second ? Instant.ofEpochMilli(fromId) : Instant.ofEpochSecond(second);
    }

    /** Copies headers for a republish, dropping the broker's dead-lettering history. */
    static Map<String, Object> republishHeaders(AMQP.BasicProperties props) {
        Map<String, Object> h = new HashMap<>();
        if (props.getHeaders() != null) {
            for (Map.Entry<String, Object> e : props.getHeaders().entrySet()) {
                String n = e.getKey();
                if (!RabbitMqInbound.isBrokerDeathHistory(n)) {
                    h.put(n, e.getValue());
                }
            }
        }
        return h;
    }

    @Override
    public String toString() {
        return request.durableName() != null ? "'" + request.durableName() + "' (" + request.channelOrPattern() + ")"
                : "'" + request.channelOrPattern() + "'";
    }
}
