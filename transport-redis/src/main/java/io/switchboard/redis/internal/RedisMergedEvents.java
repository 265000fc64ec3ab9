package io.switchboard.redis.internal;

import io.switchboard.spi.ConnectionEvents;
import java.util.HashSet;
import java.util.Set;

/**
 * Merges the connection events of several subscriber connections (one per cluster shard, one for
 * patterns) into the one state the facade knows: {@code LOST} when the first of them is lost,
 * {@code RECOVERED} (with {@code possibleGap=true}) when none is lost any more. Thread-safe; the
 * lock is held only to update the set, never while reporting.
 */
final class RedisMergedEvents {
    private final ConnectionEvents out;
    private final Set<Object> lost = new HashSet<>();

    RedisMergedEvents(ConnectionEvents out) {
        this.out = out;
    }

    /** The events of one member connection. */
    ConnectionEvents member(Object id) {
        return new ConnectionEvents() {
            @Override
            public void connected() {
                // The transport reports connected once, when all of its first connections are up.
            }

            @Override
            public void lost(Throwable cause) {
                boolean first;
                synchronized (lost) {
                    first = lost.isEmpty();
                    lost.add(id);
                }
                if (first) {
                    out.lost(cause);
                }
            }

            @Override
            public void recovered(boolean possibleGap) {
                removed(id);
            }
        };
    }

    /** A member recovered or was closed (its subscriptions moved elsewhere): it counts as lost no more. */
    void removed(Object id) {
        boolean last;
        synchronized (lost) {
            last = lost.remove(id) && lost.isEmpty();
        }
        if (last) {
            out.recovered(true);
        }
    }

    boolean anyLost() {
        synchronized (lost) {
            return !lost.isEmpty();
        }
    }
}
