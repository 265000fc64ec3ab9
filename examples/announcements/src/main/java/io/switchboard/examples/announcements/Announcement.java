package io.switchboard.examples.announcements;

import java.time.Instant;
import java.util.Objects;

/**
 * One instance telling the others about itself, published as JSON on {@link Announcer#CHANNEL}
 * ({@code {"instance":"orders-7f3a","event":"started","host":"web-1","pid":4242,"at":"2026-12-02T10:15:30Z"}}),
 * so services in other languages can take part. Immutable.
 *
 * @param instance the sender's id, unique per process
 * @param event {@link #STARTED}, {@link #PRESENT} (the answer to another's start) or {@link #STOPPING}
 * @param host the sender's host name
 * @param pid the sender's process id
 * @param at when it was sent
 */
public record Announcement(String instance, String event, String host, long pid, Instant at) {
    /** Sent once subscribed, at start. */
    public static final String STARTED = "started";
    /** Sent in answer to another instance's {@link #STARTED}, so a newcomer learns who is there. */
    public static final String PRESENT = "present";
    /** Sent on shutdown (SIGTERM, or an orderly stop), before the connection closes. */
    public static final String STOPPING = "stopping";

    /** Checks the fields. */
    public Announcement {
        Objects.requireNonNull(instance, "instance");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(at, "at");
    }
}
