package io.switchboard.internal;

import io.switchboard.DropEvent;
import io.switchboard.DropListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands drop events to the application's listeners on one thread, in order, through a bounded
 * queue, so that a slow listener never stalls the thread that dropped the message (for
 * {@link DropEvent.Reason#BUFFER_FULL}, a transport's socket reader). The thread starts with the
 * first event that has a listener to go to.
 */
final class DropBus {
    private static final Logger LOG = LoggerFactory.getLogger(DropBus.class);

    private final String instanceName;
    private final List<DropListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong missed = new AtomicLong();
    private volatile long lastMissLogNanos;
    private ThreadPoolExecutor thread;
    private boolean closed;

    DropBus(String instanceName) {
        this.instanceName = instanceName;
    }

    void add(DropListener l) {
        listeners.add(l);
    }

    void remove(DropListener l) {
        listeners.remove(l);
    }

    /** Whether an event would go anywhere: callers build none otherwise. */
    boolean hasListeners() {
        return !listeners.isEmpty();
    }

    void publish(DropEvent event) {
        ThreadPoolExecutor t = thread();
        if (t == null) {
            return;
        }
        try {
            t.execute(() -> deliver(event));
        } catch (RejectedExecutionException full) {
            if (t.isShutdown()) {
                return;
            }
            long n = missed.incrementAndGet();
            long now = System.nanoTime();
            if (now - lastMissLogNanos > TimeUnit.SECONDS.toNanos(10)) {
                lastMissLogNanos = now;
                LOG.warn("drop listeners of {} cannot keep up: {} events waiting; {} events not delivered so far "
                        + "(the counters in health() are complete)", instanceName, DropEvent.MAX_PENDING, n);
            }
        }
    }

    private synchronized ThreadPoolExecutor thread() {
        if (thread == null && !closed) {
            thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(DropEvent.MAX_PENDING),
                    Runtime.threads(instanceName + "-drops"));
        }
        return closed && thread == null ? null : thread;
    }

    private void deliver(DropEvent event) {
        for (DropListener l : listeners) {
            try {
                l.onDrop(event);
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) {
                LOG.warn("drop listener {} threw on {}; ignored", l, event, e);
            }
        }
    }

    /** Events that found the queue full and were not delivered. */
    long missed() {
        return missed.get();
    }

    /** Stops taking events; those already queued are still delivered. */
    synchronized void close() {
        closed = true;
        if (thread != null) {
            thread.shutdown();
        }
    }
}
