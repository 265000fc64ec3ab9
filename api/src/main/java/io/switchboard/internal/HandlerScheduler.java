package io.switchboard.internal;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs subscriptions' handler turns on the instance's handler pool, and keeps a message that
 * finds its subscription idle from costing a thread wake-up whenever another turn has just ended.
 *
 * <p>Each busy subscription still gets a pool thread of its own, so a slow handler stalls no other
 * subscription. What changes is what a pool thread does when its turn ends: it takes the next
 * subscription waiting for a thread from a shared queue, and, while turns come closer together
 * than {@value #SPIN_NANOS} ns, one thread of the instance at a time (the spinner) waits that long
 * for one before it parks. A turn is handed to the pool, which wakes or starts a thread, only when
 * no spinner is there to take it. At lower rates nobody spins: a wake-up per turn costs less than
 * spinning through the gaps.
 *
 * <p>Measured with {@code bin/bench scale} (dimension {@code exact}: traffic spread over many
 * subscriptions, where every delivery found its subscription idle and cost a wake-up): see
 * docs/benchmarks.md. Hand-written rather than a {@code ForkJoinPool}, whose work stealing would
 * run a blocked handler's queued turns on no other thread.
 */
final class HandlerScheduler {
    /** How long the spinner looks for a waiting turn before it parks: about one wake-up's cost. */
    static final long SPIN_NANOS = 20_000;

    private final ExecutorService pool;
    private final ConcurrentLinkedQueue<SubscriptionImpl> waiting = new ConcurrentLinkedQueue<>();
    private final AtomicInteger spinning = new AtomicInteger();
    /** When the last turn was queued, and the gap before it; racy by design: a hint, not a count. */
    private volatile long lastQueued;
    private volatile long lastGap = Long.MAX_VALUE;

    HandlerScheduler(ExecutorService pool) {
        this.pool = pool;
    }

    /**
     * Queues one turn of {@code s}, which already holds the active slot for it.
     *
     * @throws RejectedExecutionException if the pool is shut down and no thread took the turn
     */
    void schedule(SubscriptionImpl s) {
        long now = System.nanoTime();
        lastGap = now - lastQueued;
        lastQueued = now;
        waiting.add(s);
        if (spinning.get() == 0) {
            try {
                pool.execute(this::run);
            } catch (RejectedExecutionException e) {
                if (waiting.remove(s)) {
                    throw e;
                }
                // another thread took it meanwhile
            }
        }
    }

    /** A pool thread's life: turns until none is waiting, spinning for one if no one else is. */
    private void run() {
        while (true) {
            SubscriptionImpl s = waiting.poll();
            if (s != null) {
                s.work();
                continue;
            }
            if (lastGap >= SPIN_NANOS || !spinning.compareAndSet(0, 1)) {
                return;
            }
            long end = System.nanoTime() + SPIN_NANOS;
            while ((s = waiting.poll()) == null && System.nanoTime() - end < 0) {
                Thread.onSpinWait();
            }
            spinning.set(0);
            if (s == null) {
                // Cleared before this last look: a turn queued after it saw no spinner and asked the pool.
                s = waiting.poll();
                if (s == null) {
                    return;
                }
            }
            s.work();
        }
    }
}
