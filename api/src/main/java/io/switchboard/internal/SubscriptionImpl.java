package io.switchboard.internal;

import io.switchboard.Delivery;
import io.switchboard.DropEvent;
import io.switchboard.Health;
import io.switchboard.Message;
import io.switchboard.MessageHandler;
import io.switchboard.RetryPolicy;
import io.switchboard.Subscription;
import io.switchboard.SubscriptionOptions;
import io.switchboard.spi.DeliveryListener;
import io.switchboard.spi.InboundDelivery;
import io.switchboard.spi.SubscriptionRequest;
import io.switchboard.spi.TransportSubscription;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subscription: takes deliveries from the transport without blocking, queues them, and runs
 * the handler on pool threads with at most {@code concurrency} at once (FIFO, so concurrency 1
 * keeps order). With concurrency 1, a delivery that finds nothing buffered and no handler running
 * is handled on the delivering thread itself when the transport grants it
 * ({@link InboundDelivery#claimDeliveryThread()}), without a hand-off, as is what queues up meanwhile.
 * Applies the retry policy: through the transport on at-least-once transports, in
 * this process otherwise.
 */
final class SubscriptionImpl implements Subscription, DeliveryListener {
    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionImpl.class);
    private static final ThreadLocal<SubscriptionImpl> CURRENT = new ThreadLocal<>();

    private final DefaultSubscriber owner;
    private final SubscriptionRequest request;
    private final MessageHandler handler;
    private final boolean atLeastOnce;
    private final int bufferSize;
    private final long bufferBytes;
    private final int concurrency;
    private final RetryPolicy retry;
    private final Interception interception;
    private final Queue<InboundDelivery> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    /** Bytes of the queued deliveries, by {@link InboundDelivery#sizeHint()}; at-most-once only. */
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicBoolean intakeStopped = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch closeSignal = new CountDownLatch(1);
    private final Object idle = new Object();
    private volatile TransportSubscription transportSubscription;

    private final AtomicLong received = new AtomicLong();
    private final AtomicLong succeeded = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final AtomicLong exhausted = new AtomicLong();
    private final AtomicLong overflowed = new AtomicLong();
    /** When the last message was dropped (overflow or exhausted retries): health is DEGRADED for a minute after. */
    private volatile long lastDropNanos;
    private volatile long lastOverflowLogNanos;

    SubscriptionImpl(DefaultSubscriber owner, SubscriptionRequest request, MessageHandler handler, boolean atLeastOnce, int bufferSize,
            long bufferBytes) {
        this.owner = owner;
        this.request = request;
        this.handler = handler;
        this.atLeastOnce = atLeastOnce;
        this.bufferSize = bufferSize;
        this.bufferBytes = bufferBytes;
        this.concurrency = request.options().concurrency();
        this.retry = request.options().retryPolicy();
        this.interception = owner.runtime().interception();
    }

    void attach(TransportSubscription ts) {
        this.transportSubscription = ts;
        if (intakeStopped.get()) {
            ts.close();
        }
    }

    /** The transport refused the subscription: nothing to stop. */
    void abandon() {
        intakeStopped.set(true);
        closed.set(true);
        closeSignal.countDown();
    }

    @Override
    public void onDelivery(InboundDelivery delivery) {
        if (intakeStopped.get()) {
            handBack(delivery);
            return;
        }
        received.incrementAndGet();
        if (!atLeastOnce && queued.get() >= bufferSize) {
            overflow(CoreKeys.SUBSCRIBER_BUFFER.name());
            return;
        }
        // The active count first: a busy handler (the usual case under load) answers without a
        // look at the queue's head, the line the handler thread keeps writing.
        if (concurrency == 1 && active.get() == 0 && queue.isEmpty() && active.compareAndSet(0, 1)) {
            if (claim(delivery)) {
                drain(delivery);
                return;
            }
            active.decrementAndGet();
        }
        if (!atLeastOnce) {
            // Reserve first, so that concurrent deliveries never overshoot together; one message
            // is let in whatever its size when nothing is buffered, or a large one could never pass.
            long size = size(delivery);
            long after = queuedBytes.addAndGet(size);
            if (after > bufferBytes && after != size) {
                queuedBytes.addAndGet(-size);
                overflow(CoreKeys.SUBSCRIBER_BUFFER_BYTES.name());
                return;
            }
        }
        queued.incrementAndGet();
        queue.add(delivery);
        if (intakeStopped.get()) {
            releaseQueued();
        } else {
            startWorkers();
        }
    }

    private void overflow(String bound) {
        overflowed.incrementAndGet();
        long now = System.nanoTime();
        lastDropNanos = now;
        dropped(DropEvent.Reason.BUFFER_FULL, null, 0, null);
        if (now - lastOverflowLogNanos > TimeUnit.SECONDS.toNanos(10)) {
            lastOverflowLogNanos = now;
            LOG.warn("subscription '{}' cannot keep up: {} messages of {} bytes buffered, {} reached; dropping new ones; "
                    + "{} dropped so far", describe(), queued.get(), queuedBytes.get(), bound, overflowed.get());
        }
    }

    private long size(InboundDelivery d) {
        try {
            return Math.max(0, d.sizeHint());
        } catch (RuntimeException e) {
            LOG.warn("subscription '{}': the transport failed to size a delivery: {}", describe(), e.toString());
            return 0;
        }
    }

    /** Takes one delivery out of the queue, giving back its bytes. */
    private InboundDelivery poll() {
        InboundDelivery d = queue.poll();
        if (d != null) {
            queued.decrementAndGet();
            if (!atLeastOnce) {
                queuedBytes.addAndGet(-size(d));
            }
        }
        return d;
    }

    /** The runtime whose handler is running on this thread, or {@code null}. */
    static Runtime currentRuntime() {
        SubscriptionImpl s = CURRENT.get();
        return s == null ? null : s.owner.runtime();
    }

    private void startWorkers() {
        while (true) {
            int a = active.get();
            if (a >= concurrency || queue.isEmpty() || intakeStopped.get()) {
                return;
            }
            if (active.compareAndSet(a, a + 1)) {
                try {
                    owner.runtime().handlerScheduler().schedule(this);
                } catch (RejectedExecutionException e) {
                    workerDone();
                    return;
                }
            }
        }
    }

    /** A pool thread's turn, holding one active slot. */
    void work() {
        drain(null);
    }

    private boolean claim(InboundDelivery d) {
        try {
            return d.claimDeliveryThread();
        } catch (RuntimeException e) {
            LOG.warn("subscription '{}': the transport failed to hand over its delivery thread: {}", describe(), e.toString());
            return false;
        }
    }

    /**
     * Handles {@code first} (if not null), then whatever is queued, while holding one active slot
     * (a pool thread's, or the delivering thread's after a granted claim); then frees the slot.
     */
    private void drain(InboundDelivery first) {
        CURRENT.set(this);
        try {
            if (first != null) {
                if (intakeStopped.get()) {
                    handBack(first);
                } else {
                    process(first);
                }
            }
            InboundDelivery d;
            while (!intakeStopped.get() && (d = poll()) != null) {
                process(d);
            }
        } finally {
            CURRENT.remove();
            workerDone();
        }
        if (!intakeStopped.get() && !queue.isEmpty()) {
            startWorkers();
        }
    }

    /**
     * Frees an active slot, waking {@link #close(Duration)} only when it may be waiting: it waits
     * only after intake stopped, and reads {@code active} after setting that flag, as this reads
     * the flag after decrementing {@code active} (both atomic), so one of the two sees the other.
     * No monitor per handled message otherwise.
     */
    private void workerDone() {
        active.decrementAndGet();
        if (intakeStopped.get()) {
            synchronized (idle) {
                idle.notifyAll();
            }
        }
    }

    private void process(InboundDelivery d) {
        int attempt = d.attempt();
        while (true) {
            Throwable failure;
            DeliveryImpl delivery = new DeliveryImpl(d.message(), attempt, d.redelivered() || attempt > 1, this);
            try {
                if (interception.none()) {
                    handler.handle(delivery);
                } else {
                    interception.handle(delivery, handler);
                }
                if (atLeastOnce) {
                    delivery.awaitReply();
                }
                succeeded.incrementAndGet();
                ack(d);
                return;
            } catch (VirtualMachineError e) {
                settle(() -> release(d), "release");
                throw e;
            } catch (Throwable t) {
                failure = t;
            }
            failed.incrementAndGet();
            String reason = oneLine(failure);
            boolean again = retry.shouldRetry(attempt);
            if (atLeastOnce) {
                if (again) {
                    retried.incrementAndGet();
                    LOG.warn("handler of subscription '{}' failed on message {} (attempt {} of {}); retrying: {}", describe(),
                            d.message().id(), attempt, retry.maxAttempts(), reason, failure);
                    Duration delay = retry.backoff(attempt);
                    settle(() -> d.retry(delay), "retry");
                    if (!interception.none()) {
                        interception.retry(delivery, failure);
                    }
                } else if (request.deadLetterChannel() != null) {
                    deadLettered.incrementAndGet();
                    LOG.warn("handler of subscription '{}' failed on message {} after {} attempts; dead-lettered to '{}': {}",
                            describe(), d.message().id(), attempt, request.deadLetterChannel(), reason, failure);
                    int attempts = attempt;
                    settle(() -> d.deadLetter(reason, attempts), "dead-letter");
                    if (!interception.none()) {
                        interception.deadLetter(delivery, failure);
                    }
                } else {
                    exhausted.incrementAndGet();
                    lastDropNanos = System.nanoTime();
                    LOG.warn("handler of subscription '{}' failed on message {} after {} attempts; dropped (no dead-letter channel): {}",
                            describe(), d.message().id(), attempt, reason, failure);
                    settle(d::ack, "acknowledge");
                    dropped(DropEvent.Reason.RETRIES_EXHAUSTED, d.message(), attempt, reason);
                }
                return;
            }
            if (again) {
                if (!closed.get()) {
                    retried.incrementAndGet();
                    LOG.warn("handler of subscription '{}' failed on message {} (attempt {} of {}); retrying in this process: {}",
                            describe(), d.message().id(), attempt, retry.maxAttempts(), reason, failure);
                    if (!interception.none()) {
                        interception.retry(delivery, failure);
                    }
                    try {
                        if (!closeSignal.await(retry.backoff(attempt).toNanos(), TimeUnit.NANOSECONDS)) {
                            attempt++;
                            continue;
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                LOG.warn("subscription '{}' closed while message {} waited for attempt {} of {}; dropped: {}", describe(),
                        d.message().id(), attempt + 1, retry.maxAttempts(), reason);
                closedDrop(d.message(), attempt, reason);
                return;
            }
            exhausted.incrementAndGet();
            lastDropNanos = System.nanoTime();
            LOG.warn("handler of subscription '{}' failed on message {} after {} attempts; dropped: {}", describe(),
                    d.message().id(), attempt, reason, failure);
            dropped(DropEvent.Reason.RETRIES_EXHAUSTED, d.message(), attempt, reason);
            return;
        }
    }

    /** {@code settle(d::ack, "acknowledge")} without a lambda per handled message. */
    private void ack(InboundDelivery d) {
        try {
            d.ack();
        } catch (RuntimeException e) {
            LOG.warn("could not {} a delivery of subscription '{}': {}", "acknowledge", describe(), e.toString());
        }
    }

    private void settle(Runnable action, String what) {
        try {
            action.run();
        } catch (RuntimeException e) {
            LOG.warn("could not {} a delivery of subscription '{}': {}", what, describe(), e.toString());
        }
    }

    private void release(InboundDelivery d) {
        try {
            d.release();
        } catch (RuntimeException e) {
            LOG.debug("could not hand back a delivery of subscription '{}': {}", describe(), e.toString());
        }
    }

    /** Gives back a delivery the handler never saw because the subscription closed: on at-most-once, a drop. */
    private void handBack(InboundDelivery d) {
        release(d);
        if (!atLeastOnce) {
            closedDrop(null, 0, null);
        }
    }

    /** At-most-once: the subscription closed with the message buffered, arriving, or waiting for a retry. */
    private void closedDrop(Message m, int attempts, String failure) {
        owner.droppedAtClose();
        dropped(DropEvent.Reason.CLOSED, m, attempts, failure);
    }

    /** Tells the drop listeners; {@code m} null for a message dropped unread. */
    private void dropped(DropEvent.Reason reason, Message m, int attempts, String failure) {
        DropBus drops = owner.runtime().drops();
        if (drops.hasListeners()) {
            String channel = m != null ? m.channel() : request.isPattern() ? null : request.channelOrPattern();
            drops.publish(new DropEvent(this, reason, channel, m == null ? null : m.id(), attempts, failure));
        }
    }

    /** Stops taking deliveries; hands queued ones back. */
    void stopIntake() {
        stopIntake(false);
    }

    /**
     * Stops taking deliveries and hands queued ones back, without waiting for the transport's
     * answer; the future completes when the transport has stopped delivering (or gave up waiting).
     * Deliveries that arrive meanwhile are handed back, as after {@link #stopIntake()}.
     */
    CompletableFuture<Void> stopIntakeAsync() {
        return stopIntake(true);
    }

    private CompletableFuture<Void> stopIntake(boolean async) {
        CompletableFuture<Void> done = CompletableFuture.completedFuture(null);
        if (!intakeStopped.compareAndSet(false, true)) {
            return done;
        }
        TransportSubscription ts = transportSubscription;
        if (ts != null) {
            try {
                if (async) {
                    done = ts.closeAsync().exceptionally(e -> {
                        LOG.warn("could not stop subscription '{}' at the transport: {}", describe(), e.toString());
                        return null;
                    });
                } else {
                    ts.close();
                }
            } catch (RuntimeException e) {
                LOG.warn("could not stop subscription '{}' at the transport: {}", describe(), e.toString());
            }
        }
        releaseQueued();
        return done;
    }

    private void releaseQueued() {
        InboundDelivery d;
        while ((d = poll()) != null) {
            handBack(d);
        }
    }

    @Override
    public void close() {
        close(owner.runtime().config().get(CoreKeys.CLOSE_TIMEOUT));
    }

    @Override
    public void close(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        stopIntake();
        if (closed.compareAndSet(false, true)) {
            closeSignal.countDown();
        }
        int own = CURRENT.get() == this ? 1 : 0;
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (active.get() > own) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    LOG.warn("subscription '{}' closed with {} handler(s) still running after {}", describe(), active.get() - own, timeout);
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(idle, Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        owner.closed(this);
    }

    @Override
    public String channelOrPattern() {
        return request.channelOrPattern();
    }

    @Override
    public boolean isPattern() {
        return request.isPattern();
    }

    @Override
    public SubscriptionOptions options() {
        return request.options();
    }

    @Override
    public boolean isActive() {
        return !intakeStopped.get();
    }

    Health health() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("channel", request.channelOrPattern());
        if (request.durableName() != null) {
            d.put("durable", request.durableName());
        }
        d.put("received", received.get());
        d.put("succeeded", succeeded.get());
        d.put("failed", failed.get());
        d.put("retried", retried.get());
        d.put("deadLettered", deadLettered.get());
        d.put("droppedAfterRetries", exhausted.get());
        d.put("droppedOverflow", overflowed.get());
        d.put("buffered", queued.get());
        if (!atLeastOnce) {
            d.put("bufferedBytes", queuedBytes.get());
        }
        d.put("running", active.get());
        boolean recentDrop = overflowed.get() + exhausted.get() > 0 && System.nanoTime() - lastDropNanos < TimeUnit.MINUTES.toNanos(1);
        return Health.of(recentDrop ? Health.Status.DEGRADED : Health.Status.UP, d);
    }

    private String describe() {
        return request.durableName() != null ? request.durableName() + " (" + request.channelOrPattern() + ")" : request.channelOrPattern();
    }

    /** The failure as the dead-letter reason header: one line, well-formed (the builder refuses anything else). */
    static String oneLine(Throwable t) {
        String s = t.getClass().getName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        s = s.replace('\r', ' ').replace('\n', ' ');
        if (s.length() > 500) {
            s = s.substring(0, Character.isHighSurrogate(s.charAt(499)) ? 499 : 500) + "...";
        }
        return Utf8.wellFormed(s);
    }

    @Override
    public String toString() {
        return "Subscription[" + describe() + (isActive() ? "" : ", closed") + "]";
    }

    private static final class DeliveryImpl implements Delivery {
        private final Message message;
        private final int attempt;
        private final boolean redelivered;
        private final SubscriptionImpl subscription;
        /**
         * The stages of replies sent while the handler ran, awaited before the ack on at-least-once
         * transports; made on the first reply, so that a delivery without one allocates nothing.
         */
        private volatile java.util.List<CompletionStage<Void>> replies;

        DeliveryImpl(Message message, int attempt, boolean redelivered, SubscriptionImpl subscription) {
            this.message = message;
            this.attempt = attempt;
            this.redelivered = redelivered;
            this.subscription = subscription;
        }

        @Override
        public CompletionStage<Void> reply(Message reply) {
            Runtime rt = subscription.owner.runtime();
            CompletionStage<Void> stage = rt.requests().reply((DefaultPublisher) rt.publisher(), message, reply);
            java.util.List<CompletionStage<Void>> r = replies;
            if (r == null) {
                synchronized (this) {
                    if (replies == null) {
                        replies = new java.util.concurrent.CopyOnWriteArrayList<>();
                    }
                    r = replies;
                }
            }
            r.add(stage);
            return stage;
        }

        /**
         * Waits for the replies the handler sent, so that the request is acknowledged only once
         * they are accepted; a failed one fails the handling. Bounded by the transport's publish
         * timeout, and at most by {@code switchboard.close.timeout}.
         */
        void awaitReply() throws Exception {
            java.util.List<CompletionStage<Void>> sent = replies;
            if (sent == null) {
                return;
            }
            long bound = subscription.owner.runtime().config().get(CoreKeys.CLOSE_TIMEOUT).toNanos();
            long deadline = System.nanoTime() + bound;
            for (CompletionStage<Void> s : sent) {
                try {
                    s.toCompletableFuture().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
                }
            }
        }

        @Override
        public Message message() {
            return message;
        }

        @Override
        public int attempt() {
            return attempt;
        }

        @Override
        public boolean redelivered() {
            return redelivered;
        }

        @Override
        public Subscription subscription() {
            return subscription;
        }

        @Override
        public String toString() {
            return "Delivery[" + message + ", attempt=" + attempt + "]";
        }
    }
}
