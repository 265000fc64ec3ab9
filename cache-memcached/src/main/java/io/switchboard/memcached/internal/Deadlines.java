package io.switchboard.memcached.internal;

import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Fails operations that outlive the operation timeout. spymemcached completes an operation only
 * when the reply arrives or the operation is cancelled; a frozen server would leave callers waiting
 * forever. Every operation has the same timeout, so tracking them in submission order and sweeping
 * from the head is enough: cheaper than a timer task per operation. The operation itself is the
 * entry ({@link Tracked}), so tracking allocates nothing but a queue node. Thread-safe.
 */
public final class Deadlines {
    /** An operation with a deadline; subclasses say whether it is done and how it expires. */
    public abstract static class Tracked {
        private long deadline;

        /** Whether the operation has completed, so that it needs no expiry. */
        protected abstract boolean isDone();

        /** Called once, on the sweeping thread, when the deadline passed first; must not block. */
        protected abstract void expire();
    }

    private final ConcurrentLinkedQueue<Tracked> pending = new ConcurrentLinkedQueue<>();
    private final long timeoutNanos;

    /** Creates a tracker with the given timeout. */
    public Deadlines(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    /** Tracks an operation submitted now. */
    public void track(Tracked operation) {
        operation.deadline = System.nanoTime() + timeoutNanos;
        pending.add(operation);
    }

    /** Number of operations tracked and not yet swept away (counts them: for tests and health, not hot paths). */
    public int size() {
        return pending.size();
    }

    /** Whether every tracked operation has completed or expired (walks them all: for close, not hot paths). */
    public boolean allDone() {
        for (Tracked t : pending) {
            if (!t.isDone()) {
                return false;
            }
        }
        return true;
    }

    /** Drops completed operations and expires overdue ones; called periodically. */
    public void sweep() {
        long now = System.nanoTime();
        Tracked t;
        while ((t = pending.peek()) != null) {
            if (t.isDone()) {
                pending.poll();
            } else if (now - t.deadline >= 0) {
                pending.poll();
                t.expire();
            } else {
                return;
            }
        }
    }

    /** Expires everything still pending, for close. */
    public void expireAll() {
        Tracked t;
        while ((t = pending.poll()) != null) {
            if (!t.isDone()) {
                t.expire();
            }
        }
    }
}
