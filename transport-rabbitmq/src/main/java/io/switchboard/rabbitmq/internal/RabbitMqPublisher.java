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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes on one confirm-mode channel and completes each publish's future when the broker
 * confirms it. Thread-safe.
 *
 * <p>No caller ever waits for the broker. A publish whose channel exchange (or delay queue) is
 * known to exist, while the confirm channel is open, goes out at once on the caller's thread,
 * under a lock held only across {@code basic.publish}. Anything else (the first publish to a
 * channel on a connection, a publish while the confirm channel is being reopened) joins a
 * backlog that one thread of its own, the pump, works through in order: it opens the channel,
 * makes the declarations, and sends. While the backlog is not empty every publish joins it, so
 * one thread's publishes keep their order. Every publish completes within {@code confirm-timeout}
 * (give or take the sweep period), sent or not.
 *
 * <p>User publishes take a permit of a window of {@code confirm-window} outstanding confirms and
 * wait at most {@code confirm-timeout} for one; the transport's own republishes (retries, dead
 * letters) do not, so that settling a delivery never waits on user traffic. While the broker
 * blocks the connection (a memory or disk alarm), user publishes fail at once, and those awaiting
 * a confirm fail when the block starts; republishes wait in the backlog for the unblock, within
 * their timeout, rather than fail and have their original redelivered in a tight loop.
 */
final class RabbitMqPublisher {
    private static final Logger LOG = LoggerFactory.getLogger(RabbitMqPublisher.class);

    private final RabbitMqTransport transport;
    private final Semaphore window;
    private final int windowSize;
    private final Duration confirmTimeout;
    /** The confirm timeout in nanoseconds, read on every publish (Duration.toNanos multiplies with overflow checks each time). */
    private final long confirmTimeoutNanos;
    /** Guards the confirm channel's use (amqp-client channels are not for concurrent use); held across basic.publish only. */
    private final ReentrantLock lock = new ReentrantLock();
    /** The one thread that waits for broker round trips on the publishing side: channel opens and declarations. */
    private final ThreadPoolExecutor pump;
    /** Publishes waiting for the pump, in order. Guarded by itself. */
    private final ArrayDeque<Pending> backlog = new ArrayDeque<>();
    /** Whether a drain of the backlog is scheduled or running. Guarded by the backlog. */
    private boolean draining;
    /** False from the moment a publish joins the backlog until the pump finds it empty. */
    private volatile boolean backlogEmpty = true;
    /** What the pump is waiting for, for the message of publishes that time out meanwhile. */
    private volatile String pumpWaitingFor;
    /** The publish the pump has taken from the backlog and works on, so that the sweeper can time it out too. */
    private volatile Pending inHand;
    private volatile ConfirmChannel current;
    /** Declarations channel; used by the pump thread only. */
    private Channel admin;
    private volatile String blockedReason;
    /** The thread that reads confirms (the publishing connection's I/O thread), where a publish must not wait for the window. */
    private volatile Thread ioThread;

    final AtomicLong published = new AtomicLong();
    final AtomicLong confirmed = new AtomicLong();
    final AtomicLong nacked = new AtomicLong();
    final AtomicLong timedOut = new AtomicLong();
    final AtomicLong failedOnConnectionLoss = new AtomicLong();
    final AtomicLong failedWhileBlocked = new AtomicLong();

    RabbitMqPublisher(RabbitMqTransport transport, String threadName, int windowSize, Duration confirmTimeout) {
        this.transport = transport;
        this.windowSize = windowSize;
        this.window = new Semaphore(windowSize);
        this.confirmTimeout = confirmTimeout;
        this.confirmTimeoutNanos = confirmTimeout.toNanos();
        this.pump = new ThreadPoolExecutor(1, 1, 5, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        pump.allowCoreThreadTimeOut(true);
    }

    /** What must exist on the broker before a publish can go out. */
    interface Requirement {
        /** Whether it is known to exist; cheap, called on every publish. */
        boolean met();

        /** Declares it; called on the pump thread only. */
        void declare(Channel admin) throws IOException;

        /** For messages: "exchange 'sb.ch.x'". */
        String describe();
    }

    /** What a backlogged publish sends; dropped once sent, so that no payload is kept until its confirm. */
    private static final class Send {
        final String exchange;
        final String routingKey;
        final AMQP.BasicProperties props;
        final byte[] body;
        final Requirement need;

        Send(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body, Requirement need) {
            this.exchange = exchange;
            this.routingKey = routingKey;
            this.props = props;
            this.body = body;
            this.need = need;
        }
    }

    /**
     * A publish until its outcome. Completes once, releasing its window permit first: the
     * future's callbacks may publish again, on this very thread.
     */
    private final class Pending {
        final CompletableFuture<Void> future = new CompletableFuture<>();
        final String channel;
        final String messageId;
        final long deadline;
        final boolean permit;
        /** The confirm sequence number once sent; written before the publish goes out, read by whoever settles it. */
        long seq;
        Send send;
        private boolean claimed;
        volatile int finished;

        Pending(String channel, String messageId, boolean permit, long deadline) {
            this.channel = channel;
            this.messageId = messageId;
            this.deadline = deadline;
            this.permit = permit;
        }

        void succeed() {
            if (finish()) {
                confirmed.incrementAndGet();
                future.complete(null);
            }
        }

        /**
         * The first half of a settlement in a batch: claims the outcome without releasing the
         * permit, which the caller releases for the whole batch at once before completing any
         * future ({@link #complete}).
         *
         * @return whether this settlement won and holds a permit to release
         */
        boolean claimOutcome() {
            if (!FINISHED.compareAndSet(this, 0, 1)) {
                return false;
            }
            send = null;
            return true;
        }

        /** The second half, after {@link #claimOutcome} won and the batch's permits are back. */
        void complete(Throwable failure) {
            if (failure == null) {
                future.complete(null);
            } else {
                future.completeExceptionally(failure);
            }
        }

        boolean fail(Throwable t) {
            if (finish()) {
                future.completeExceptionally(t);
                return true;
            }
            return false;
        }

        private boolean finish() {
            if (!FINISHED.compareAndSet(this, 0, 1)) {
                return false;
            }
            send = null;
            if (permit) {
                window.release();
            }
            return true;
        }

        /**
         * Takes a backlogged publish for sending, or for failing unsent; only one of the two
         * wins, so that a publish that timed out is never sent, nor one that went out reported unsent.
         */
        synchronized boolean claim() {
            if (claimed) {
                return false;
            }
            claimed = true;
            return true;
        }
    }

    private static final AtomicIntegerFieldUpdater<Pending> FINISHED = AtomicIntegerFieldUpdater.newUpdater(Pending.class, "finished");

    /**
     * One confirm-mode channel and the confirms it still owes, in sequence order: publishes are
     * added under the publishing lock in the order of their sequence numbers, and the broker
     * confirms mostly the oldest ones, often many at once, so an array deque under its own
     * monitor (held only to add or take entries, never while a future completes) does with one
     * small lock what a skip list did with a node and index allocation per publish.
     */
    private final class ConfirmChannel implements ConfirmListener {
        final Channel channel;
        /** Unconfirmed publishes in sequence order. Guarded by itself. */
        private final ArrayDeque<Pending> pending = new ArrayDeque<>();

        ConfirmChannel(Channel channel) {
            this.channel = channel;
        }

        /** Records a publish about to go out with this sequence number. Publishing lock held. */
        void add(long seq, Pending p) {
            p.seq = seq;
            synchronized (pending) {
                pending.addLast(p);
            }
        }

        /** Takes back the publish just added, whose basic.publish failed. Publishing lock held. */
        void removeLast(Pending p) {
            synchronized (pending) {
                pending.removeLastOccurrence(p);
            }
        }

        int size() {
            synchronized (pending) {
                return pending.size();
            }
        }

        @Override
        public void handleAck(long seq, boolean multiple) {
            ioThread = Thread.currentThread();
            settle(seq, multiple, null);
        }

        @Override
        public void handleNack(long seq, boolean multiple) {
            ioThread = Thread.currentThread();
            nacked.addAndGet(settle(seq, multiple, p -> new PublishException(p.channel, p.messageId,
                    "the broker refused it (negative confirm: an internal error or a queue limit such as x-overflow=reject-publish)", null, true)));
        }

        /**
         * Takes the confirmed publish (or, with {@code multiple}, every one up to it) out of the
         * window: first gives back the window permits of all of them at once, then completes their
         * futures, successfully when {@code failure} is null. A callback that publishes again
         * (on this very thread) so finds the room its own publish made.
         *
         * @return how many publishes this settled
         */
        private int settle(long seq, boolean multiple, Function<Pending, Throwable> failure) {
            Pending single = null;
            List<Pending> batch = null;
            synchronized (pending) {
                Pending head = pending.peekFirst();
                if (head == null) {
                    return 0;
                }
                if (!multiple || head.seq == seq) {
                    if (head.seq == seq) {
                        single = pending.pollFirst();
                    } else {
                        for (Iterator<Pending> it = pending.iterator(); it.hasNext();) {
                            Pending p = it.next();
                            if (p.seq == seq) {
                                it.remove();
                                single = p;
                                break;
                            }
                            if (p.seq > seq) {
                                break;
                            }
                        }
                    }
                } else {
                    batch = new ArrayList<>();
                    while (head != null && head.seq <= seq) {
                        batch.add(pending.pollFirst());
                        head = pending.peekFirst();
                    }
                }
            }
            if (single != null) {
                if (failure == null) {
                    single.succeed();
                } else {
                    single.fail(failure.apply(single));
                }
                return 1;
            }
            if (batch == null) {
                return 0;
            }
            int permits = 0;
            int won = 0;
            for (int i = 0; i < batch.size(); i++) {
                Pending p = batch.get(i);
                if (p.claimOutcome()) {
                    won++;
                    if (p.permit) {
                        permits++;
                    }
                } else {
                    batch.set(i, null);
                }
            }
            if (permits > 0) {
                window.release(permits);
            }
            if (failure == null) {
                confirmed.addAndGet(won);
            }
            for (Pending p : batch) {
                if (p != null) {
                    p.complete(failure == null ? null : failure.apply(p));
                }
            }
            return batch.size();
        }

        /** Takes out every publish the filter selects, in order, stopping at the first for which {@code stop} holds. */
        private List<Pending> take(Predicate<Pending> filter, Predicate<Pending> stop) {
            List<Pending> out = new ArrayList<>();
            synchronized (pending) {
                for (Iterator<Pending> it = pending.iterator(); it.hasNext();) {
                    Pending p = it.next();
                    if (stop.test(p)) {
                        break;
                    }
                    if (filter.test(p)) {
                        it.remove();
                        out.add(p);
                    }
                }
            }
            return out;
        }

        void failAll(Throwable cause) {
            for (Pending p : take(p -> true, p -> false)) {
                if (p.fail(unconfirmed(p, cause))) {
                    failedOnConnectionLoss.incrementAndGet();
                }
            }
        }

        /** The block started: user publishes fail now rather than after the confirm timeout; republishes wait for the unblock. */
        void failUserPublishes(String reason) {
            for (Pending p : take(p -> p.permit, p -> false)) {
                if (p.fail(new PublishException(p.channel, p.messageId, "broker blocked: " + reason + " (a resource alarm) before it "
                        + "confirmed the message; it may or may not be delivered once the broker unblocks: publish it again then", null, true))) {
                    failedWhileBlocked.incrementAndGet();
                }
            }
        }

        void expire(long now) {
            for (Pending p : take(p -> true, p -> now - p.deadline < 0)) {
                if (p.fail(new PublishException(p.channel, p.messageId, "the broker did not confirm it within " + confirmTimeout
                        + " (switchboard.rabbitmq.confirm-timeout); it may or may not have been delivered", null, true))) {
                    timedOut.incrementAndGet();
                }
            }
        }

        void failRemaining(String why) {
            for (Pending p : take(p -> true, p -> false)) {
                p.fail(new PublishException(p.channel, p.messageId, why, null, true));
            }
        }
    }

    /**
     * Publishes and returns a future completed by the broker's confirm. Never waits for the
     * broker; a user publish waits at most {@code confirm-timeout} for a window permit.
     *
     * @param need what must exist first, or {@code null}
     * @param userPublish whether to take a window permit, and to fail at once while the broker blocks
     */
    CompletableFuture<Void> publish(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body, String channelName,
            String messageId, Requirement need, boolean userPublish) {
        long deadline = System.nanoTime() + confirmTimeoutNanos;
        if (userPublish) {
            String blocked = blockedReason;
            if (blocked != null) {
                failedWhileBlocked.incrementAndGet();
                return CompletableFuture.failedFuture(notSentBlocked(channelName, messageId, blocked));
            }
        }
        Connection conn = transport.publishingConnection();
        if (conn == null || !conn.isOpen()) {
            return CompletableFuture.failedFuture(new ConnectionException("publish of message " + messageId + " to channel '" + channelName
                    + "' failed: " + transport.notConnected(), null));
        }
        if (userPublish) {
            boolean got;
            try {
                if (Thread.currentThread() == ioThread) {
                    // A callback of another publish's stage: waiting here would stop the reading
                    // of the very confirms that free the window.
                    if (!window.tryAcquire()) {
                        return CompletableFuture.failedFuture(new PublishException(channelName, messageId, "the confirm window ("
                                + windowSize + ", switchboard.rabbitmq.confirm-window) is full, and this publish runs on the thread that "
                                + "reads confirms (in a callback of another publish), where it cannot wait for room: publish from "
                                + "another thread", null, true));
                    }
                    got = true;
                } else {
                    got = window.tryAcquire(confirmTimeoutNanos, TimeUnit.NANOSECONDS);
                }
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
        Pending p = new Pending(channelName, messageId, userPublish, deadline);
        if (backlogEmpty && blockedReason == null && (need == null || need.met())) {
            ConfirmChannel cc = current;
            if (cc != null && send(cc, p, exchange, routingKey, props, body, false)) {
                return p.future;
            }
        }
        p.send = new Send(exchange, routingKey, props, body, need);
        enqueue(p);
        return p.future;
    }

    /**
     * Sends on the given channel; returns false if it is closed (the publish is then still to be
     * sent), true once the publish is out or has failed.
     */
    private boolean send(ConfirmChannel cc, Pending p, String exchange, String routingKey, AMQP.BasicProperties props, byte[] body,
            boolean backlogged) {
        boolean locked;
        try {
            locked = lock.tryLock(Math.max(0, p.deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.fail(new PublishException(p.channel, p.messageId, "interrupted while waiting to send", e, true));
            return true;
        }
        if (!locked) {
            if (backlogged && !p.claim()) {
                return true;
            }
            timedOut.incrementAndGet();
            p.fail(new PublishException(p.channel, p.messageId, "not sent within " + confirmTimeout
                    + " (switchboard.rabbitmq.confirm-timeout): another publish was writing to a broker that did not read", null, true));
            return true;
        }
        try {
            if (!cc.channel.isOpen()) {
                return false;
            }
            if (backlogged && !p.claim()) {
                return true;
            }
            cc.add(cc.channel.getNextPublishSeqNo(), p);
            try {
                cc.channel.basicPublish(exchange, routingKey, false, props, body);
                published.incrementAndGet();
            } catch (IOException | ShutdownSignalException e) {
                cc.removeLast(p);
                p.fail(new ConnectionException("publish of message " + p.messageId + " to channel '" + p.channel
                        + "' failed: the connection to RabbitMQ is down (" + RabbitMqTransport.describe(e) + ")", e));
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void enqueue(Pending p) {
        synchronized (backlog) {
            backlog.add(p);
            backlogEmpty = false;
            if (draining) {
                return;
            }
            draining = true;
        }
        startDrain();
    }

    private void startDrain() {
        try {
            pump.execute(this::drain);
        } catch (RejectedExecutionException e) {
            synchronized (backlog) {
                draining = false;
            }
            failBacklog(p -> new PublishException(p.channel, p.messageId, "the transport is closing", null, true));
        }
    }

    /** Works through the backlog in order on the pump thread; stops while the broker blocks (the unblock restarts it). */
    private void drain() {
        while (true) {
            Pending p;
            synchronized (backlog) {
                p = blockedReason != null ? null : backlog.poll();
                if (p == null) {
                    if (backlog.isEmpty()) {
                        backlogEmpty = true;
                    }
                    draining = false;
                    return;
                }
            }
            inHand = p;
            Send s = p.send;
            boolean sent = false;
            while (!sent && s != null && !p.future.isDone()) {
                String step = "could not open a channel to RabbitMQ";
                try {
                    ConfirmChannel cc = openChannel();
                    if (s.need != null && !s.need.met()) {
                        step = "RabbitMQ refused to declare " + s.need.describe() + " or the connection is down";
                        pumpWaitingFor = "the broker to declare " + s.need.describe();
                        s.need.declare(admin());
                    }
                    sent = send(cc, p, s.exchange, s.routingKey, s.props, s.body, true);
                } catch (IOException | ShutdownSignalException | ConnectionException e) {
                    sent = true;
                    if (p.claim()) {
                        p.fail(e instanceof ConnectionException ? e : new ConnectionException("publish of message " + p.messageId
                            + " to channel '" + p.channel + "' failed: " + step + ": " + RabbitMqTransport.describe(e), e));
                    }
                } finally {
                    pumpWaitingFor = null;
                }
            }
            inHand = null;
        }
    }

    /** The open confirm channel, opening one if needed. Pump thread only. */
    private ConfirmChannel openChannel() throws IOException {
        ConfirmChannel cc = current;
        if (cc != null && cc.channel.isOpen()) {
            return cc;
        }
        pumpWaitingFor = "the broker to open the publishing channel";
        Channel ch = transport.publishingConnectionOrThrow().createChannel();
        if (ch == null) {
            throw new IOException("the connection has no free channel number");
        }
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

    /** The declarations channel. Pump thread only. */
    private Channel admin() throws IOException {
        Channel a = admin;
        if (a == null || !a.isOpen()) {
            a = transport.publishingConnectionOrThrow().createChannel();
            if (a == null) {
                throw new IOException("the connection has no free channel number");
            }
            admin = a;
        }
        return a;
    }

    /** A new publishing connection is in place: not blocked; opens the confirm channel ahead of the first publish. */
    void connected() {
        blockedReason = null;
        try {
            pump.execute(() -> {
                try {
                    openChannel();
                } catch (IOException | ShutdownSignalException | ConnectionException e) {
                    LOG.debug("opening the publishing channel ahead of time: {}", e.toString());
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.debug("not opening the publishing channel: closing");
        }
        resume();
    }

    /** The broker blocked the publishing connection (connection.blocked). Runs on its I/O thread. */
    void blocked(String reason) {
        blockedReason = reason;
        ConfirmChannel cc = current;
        if (cc != null) {
            cc.failUserPublishes(reason);
        }
    }

    /** The broker unblocked the publishing connection. */
    void unblocked() {
        blockedReason = null;
        resume();
    }

    /** Why the broker blocks publishing, or {@code null}. */
    String blockedReason() {
        return blockedReason;
    }

    private void resume() {
        synchronized (backlog) {
            if (draining || backlog.isEmpty()) {
                return;
            }
            draining = true;
        }
        startDrain();
    }

    private static PublishException notSentBlocked(String channel, String messageId, String reason) {
        return new PublishException(channel, messageId, "broker blocked: " + reason + " (a resource alarm: memory or disk); not sent, "
                + "publish it again once the broker unblocks (health shows 'blocked' meanwhile)", null, true);
    }

    private static ConnectionException unconfirmed(Pending p, Throwable cause) {
        return new ConnectionException("publish of message " + p.messageId + " to channel '" + p.channel
                + "' is unconfirmed: the channel to RabbitMQ closed before the broker confirmed it ("
                + RabbitMqTransport.describe(cause) + "); it may or may not have been delivered, publish it again to be sure", cause);
    }

    /** Fails publishes overdue by the confirm timeout, sent or still in the backlog; called periodically. */
    void expireOverdue() {
        long now = System.nanoTime();
        ConfirmChannel cc = current;
        if (cc != null) {
            cc.expire(now);
        }
        List<Pending> overdue = new ArrayList<>();
        Pending working = inHand;
        if (working != null && now - working.deadline >= 0) {
            overdue.add(working);
        }
        synchronized (backlog) {
            for (Iterator<Pending> it = backlog.iterator(); it.hasNext();) {
                Pending p = it.next();
                if (p.future.isDone() || now - p.deadline >= 0) {
                    it.remove();
                    overdue.add(p);
                }
            }
        }
        String waitingFor = pumpWaitingFor;
        String blocked = blockedReason;
        for (Pending p : overdue) {
            if (p.claim() && p.fail(new PublishException(p.channel, p.messageId, "not sent within " + confirmTimeout
                    + " (switchboard.rabbitmq.confirm-timeout): " + (blocked != null ? "broker blocked: " + blocked
                            : waitingFor != null ? "waiting for " + waitingFor : "waiting behind earlier publishes"), null, true))) {
                timedOut.incrementAndGet();
            }
        }
    }

    /** Fails every publish awaiting a confirm or still in the backlog, for a lost connection. */
    void connectionLost(ShutdownSignalException cause) {
        ConfirmChannel cc = current;
        if (cc != null) {
            cc.failAll(cause);
        }
        failBacklog(p -> new ConnectionException("publish of message " + p.messageId + " to channel '" + p.channel
                + "' failed: the connection to RabbitMQ was lost before it was sent (" + RabbitMqTransport.describe(cause)
                + "); publish it again once the connection is back", cause));
    }

    private void failBacklog(Function<Pending, Throwable> failure) {
        List<Pending> all;
        synchronized (backlog) {
            all = new ArrayList<>(backlog);
            backlog.clear();
        }
        for (Pending p : all) {
            if (p.claim()) {
                p.fail(failure.apply(p));
            }
        }
    }

    /** How many publishes await a confirm or wait to be sent. */
    int outstanding() {
        ConfirmChannel cc = current;
        return (cc == null ? 0 : cc.size()) + waiting();
    }

    /** How many publishes wait in the backlog to be sent. */
    int waiting() {
        synchronized (backlog) {
            return backlog.size();
        }
    }

    /** Waits until no publish is outstanding or the deadline passes; returns whether none is left. */
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

    /** Fails whatever is still pending at close and stops the pump. */
    void failRemaining(String why) {
        pump.shutdownNow();
        ConfirmChannel cc = current;
        if (cc != null) {
            cc.failRemaining(why);
        }
        failBacklog(p -> new PublishException(p.channel, p.messageId, why, null, true));
    }
}
