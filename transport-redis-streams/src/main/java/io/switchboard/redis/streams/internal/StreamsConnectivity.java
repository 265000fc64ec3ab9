package io.switchboard.redis.streams.internal;

import io.switchboard.spi.ConnectionEvents;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transport's connection state over all its connections (the writer's and each
 * subscription's): {@code LOST} when the first one breaks, {@code RECOVERED} (with a possible gap)
 * when the last broken one is back. Thread-safe; the lock is never held across I/O, and the
 * events it reports return at once.
 */
final class StreamsConnectivity {
    private static final Logger LOG = LoggerFactory.getLogger(StreamsConnectivity.class);

    private final ConnectionEvents events;
    private final Set<Object> broken = new HashSet<>();
    private long gaps;

    StreamsConnectivity(ConnectionEvents events) {
        this.events = events;
    }

    /** A connection broke. */
    void down(Object who, Throwable cause) {
        boolean first;
        synchronized (this) {
            first = broken.isEmpty() && broken.add(who);
            if (!first) {
                broken.add(who);
            }
        }
        if (first) {
            events.lost(cause);
        }
    }

    /** A connection is back (its subscription re-established); harmless if it was not down. */
    void up(Object who) {
        boolean last;
        synchronized (this) {
            last = broken.remove(who) && broken.isEmpty();
        }
        if (last) {
            events.recovered(true);
        }
    }

    /** A part that will not come back (a closed subscription) no longer counts. */
    void forget(Object who) {
        up(who);
    }

    /** A subscription fell behind the trimmed part of its stream: reported as a recovery with a gap. */
    void gap(String what) {
        synchronized (this) {
            gaps++;
        }
        LOG.warn("{}; reporting RECOVERED with possibleGap=true", what);
        events.recovered(true);
    }

    synchronized boolean allUp() {
        return broken.isEmpty();
    }

    synchronized long gaps() {
        return gaps;
    }
}
