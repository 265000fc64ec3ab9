package io.switchboard.rabbitmq.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import io.switchboard.ConnectionException;
import io.switchboard.PublishException;
import java.io.IOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.function.Consumer;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Publishes on one confirm-mode channel, shared by every thread under a lock (an amqp-client
 * channel must not be used by two threads at once), and completes each publish's future when the
 * broker confirms it. Thread-safe.
 *
 * <p>User publishes take a permit of a window of {@code confirm-window} outstanding confirms and
 * wait at most {@code confirm-timeout} for one; the transport's own republishes (retries, dead
 * letters) do not, so that settling a delivery never waits on user traffic.
 */
final class RabbitMqPublisher {
    private final RabbitMqTransport transport;
    private final Semaphore window;
    private final int windowSize;
    private final Duration confirmTimeout;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile ConfirmChannel current;

    final AtomicLong published = new AtomicLong();
    final AtomicLong confirmed = new AtomicLong();
    final AtomicLong nacked = new AtomicLong();
    final AtomicLong timedOut = new AtomicLong();
    final AtomicLong failedOnConnectionLoss = new AtomicLong();

    RabbitMqPublisher(RabbitMqTransport transport, int windowSize, Duration confirmTimeout) {
        this.transport = transport;
        this.windowSize = windowSize;
        this.window = new Semaphore(windowSize);
        this.confirmTimeout = confirmTimeout;
    }

    /** A pending confirm. Completes once; releases its window permit then. */
    private final class Pending {
        final CompletableFuture<Void> future = new CompletableFuture<>();
        final String channel;
        final String messageId;
        final long deadline;
        final boolean permit;

        Pending(String channel, String messageId, boolean permit) {
            this.channel = channel;
            this.messageId = messageId;
            this.deadline = System.nanoTime() + confirmTimeout.toNanos();
            this.permit = permit;
        }

        void succeed() {
            if (future.complete(null)) {
                confirmed.incrementAndGet();
                done();
            }
        }

        void fail(Throwable t) {
            if (future.completeExceptionally(t)) {
                done();
            }
        }

        private void done() {
            if (permit) {
                window.release();
            }
        }
    }

    /** One confirm-mode channel and the confirms it still owes. */
    private final class ConfirmChannel implements ConfirmListener {
        final Channel channel;
        final ConcurrentNavigableMap<Long, Pending> pending = new ConcurrentSkipListMap<>();

        ConfirmChannel(Channel channel) {
            this.channel = channel;
        }

        @Override
        public void handleAck(long seq, boolean multiple) {
            settle(seq, multiple, Pending::succeed);
        }

        @Override
        public void handleNack(long seq, boolean multiple) {
            settle(seq, multiple, this::nack);
        }

        /** Takes the confirmed publish (or, with {@code multiple}, every one up to it) out of the window. */
        private void settle(long seq, boolean multiple, Consumer<Pending> outcome) {
            if (!multiple) {
                Pending p = pending.remove(seq);
                if (p != null) {
                    outcome.accept(p);
                }
                return;
            }
            for (Iterator<Pending> it = pending.headMap(seq, true).values().iterator(); it.hasNext();) {
                Pending p = it.next();
                it.remove();
                outcome.accept(p);
            }
        }

        private void nack(Pending p) {
            nacked.incrementAndGet();
            p.fail(new PublishException(p.channel, p.messageId,
                    "the broker refused it (negative confirm: an internal error or a queue limit such as x-overflow=reject-publish)", null, true));
        }

        void failAll(Throwable cause) {
            for (Iterator<Map.Entry<Long, Pending>> it = pending.entrySet().iterator(); it.hasNext();) {
                Pending p = it.next().getValue();
                it.remove();
                failedOnConnectionLoss.incrementAndGet();
                p.fail(new ConnectionException("publish of message " + p.messageId + " to channel '" + p.channel
                        + "' is unconfirmed: the channel to RabbitMQ closed before the broker confirmed it ("
                        + RabbitMqTransport.describe(cause) + "); it may or may not have been delivered, publish it again to be sure", cause));
            }
        }

        void expire(long now) {
            for (Iterator<Map.Entry<Long, Pending>> it = pending.entrySet().iterator(); it.hasNext();) {
                Pending p = it.next().getValue();
                if (now - p.deadline < 0) {
                    return;
                }
                it.remove();
                timedOut.incrementAndGet();
                p.fail(new PublishException(p.channel, p.messageId, "the broker did not confirm it within " + confirmTimeout
                        + " (switchboard.rabbitmq.confirm-timeout); it may or may not have been delivered", null, true));
            }
        }
    }

    /**
     * Publishes and returns a future completed by the broker's confirm.
     *
     * @param userPublish whether to take a window permit (blocking up to the confirm timeout for one)
     */
    CompletableFuture<Void> publish(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body, String channelName,
            String messageId, boolean userPublish) {
        Pending p = new Pending(channelName, messageId, userPublish);
        if (userPublish) {
            boolean got;
            try {
                got = window.tryAcquire(confirmTimeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return CompletableFuture.failedFuture(new PublishException(channelName, messageId, "interrupted while waiting for the confirm window", e, true));
            }
            if (!got) {
                return CompletableFuture.failedFuture(new PublishException(channelName, messageId, windowSize
                        + " publishes have waited for a broker confirm for " + confirmTimeout
                        + " (switchboard.rabbitmq.confirm-window / confirm-timeout); the broker is slow, blocked or unreachable", null, true));
            }
        }
        lock.lock();
        try {
            ConfirmChannel cc = channel();
            long seq = cc.channel.getNextPublishSeqNo();
            cc.pending.put(seq, p);
            try {
                cc.channel.basicPublish(exchange, routingKey, false, props, body);
                published.incrementAndGet();
            } catch (IOException | ShutdownSignalException e) {
                cc.pending.remove(seq);
                throw e;
            }
        } catch (IOException | ShutdownSignalException | ConnectionException e) {
            p.fail(e instanceof ConnectionException ? e : new ConnectionException("publish of message " + messageId + " to channel '"
                    + channelName + "' failed: the connection to RabbitMQ is down (" + RabbitMqTransport.describe(e) + ")", e));
        } finally {
            lock.unlock();
        }
        return p.future;
    }

    private ConfirmChannel channel() throws IOException {
        ConfirmChannel cc = current;
        if (cc != null && cc.channel.isOpen()) {
            return cc;
        }
        Connection conn = transport.connectionOrThrow();
        Channel ch = conn.createChannel();
        ch.confirmSelect();
        ConfirmChannel created = new ConfirmChannel(ch);
        ch.addConfirmListener(created);
        ch.addShutdownListener(sig -> {
            created.failAll(sig);
            if (!sig.isHardError() && !sig.isInitiatedByApplication()) {
                transport.forgetDeclarations();
            }
        });
        current = created;
        return created;
    }

    /** Fails confirms overdue by the confirm timeout; called periodically. */
    void expireOverdue() {
        ConfirmChannel cc = current;
        if (cc != null) {
            cc.expire(System.nanoTime());
        }
    }

    /** Fails every pending confirm of the current channel, for a lost connection. */
    void connectionLost(ShutdownSignalException cause) {
        ConfirmChannel cc = current;
        if (cc != null) {
            cc.failAll(cause);
        }
    }

    /** How many publishes await a confirm. */
    int outstanding() {
        ConfirmChannel cc = current;
        return cc == null ? 0 : cc.pending.size();
    }

    /** Waits until no confirm is outstanding or the deadline passes; returns whether none is left. */
    boolean awaitConfirms(long deadlineNanos) {
        while (outstanding() > 0) {
            if (System.nanoTime() - deadlineNanos >= 0) {
                return false;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** Fails whatever is still pending at close. */
    void failRemaining(String why) {
        ConfirmChannel cc = current;
        if (cc == null) {
            return;
        }
        for (Iterator<Map.Entry<Long, Pending>> it = cc.pending.entrySet().iterator(); it.hasNext();) {
            Pending p = it.next().getValue();
            it.remove();
            p.fail(new PublishException(p.channel, p.messageId, why, null, true));
        }
    }
}
