package io.switchboard.memcached.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;

/**
 * Fails operations that outlive the operation timeout. spymemcached completes a future only when
 * the reply arrives or the operation is cancelled; a frozen server would leave listeners waiting
 * forever. Every operation has the same timeout, so tracking them in submission order and sweeping
 * from the head is enough: cheaper than a timer task per operation. Thread-safe.
 */
public final class Deadlines {
    /** What to do with an operation whose deadline passed. */
    public interface Expired {
        /** Called once, on the sweeping thread; must not block. */
        void expire(String key, String serverKey, Future<?> operation, CompletableFuture<?> result);
    }

    private static final class Entry {
        final String key;
        final String serverKey;
        final Future<?> operation;
        final CompletableFuture<?> result;
        final long deadline;

        Entry(String key, String serverKey, Future<?> operation, CompletableFuture<?> result, long deadline) {
            this.key = key;
            this.serverKey = serverKey;
            this.operation = operation;
            this.result = result;
            this.deadline = deadline;
        }
    }

    private final ConcurrentLinkedQueue<Entry> pending = new ConcurrentLinkedQueue<>();
    private final long timeoutNanos;
    private final Expired expired;

    /** Creates a tracker with the given timeout. */
    public Deadlines(long timeoutNanos, Expired expired) {
        this.timeoutNanos = timeoutNanos;
        this.expired = expired;
    }

    /** Tracks an operation on {@code key} (sent as {@code serverKey}) submitted now. */
    public void track(String key, String serverKey, Future<?> operation, CompletableFuture<?> result) {
        pending.add(new Entry(key, serverKey, operation, result, System.nanoTime() + timeoutNanos));
    }

    /** Number of operations tracked and not yet swept away (counts them: for tests and health, not hot paths). */
    public int size() {
        return pending.size();
    }

    /** Drops completed operations and expires overdue ones; called periodically. */
    public void sweep() {
        long now = System.nanoTime();
        Entry e;
        while ((e = pending.peek()) != null) {
            if (e.result.isDone()) {
                pending.poll();
            } else if (now - e.deadline >= 0) {
                pending.poll();
                expired.expire(e.key, e.serverKey, e.operation, e.result);
            } else {
                return;
            }
        }
    }

    /** Expires everything still pending, for close. */
    public void expireAll() {
        Entry e;
        while ((e = pending.poll()) != null) {
            if (!e.result.isDone()) {
                expired.expire(e.key, e.serverKey, e.operation, e.result);
            }
        }
    }
}
