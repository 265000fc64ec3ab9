package io.switchboard;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A change in a provider's connection to its server. Immutable.
 *
 * <p>{@link #possibleGap()} is the important part for anything built on pub/sub: when true,
 * messages published while the connection was down may never be delivered (always so for an
 * at-most-once transport after {@link Type#LOST}), so local state derived from them must be
 * revalidated.
 */
public final class ConnectionEvent {
    /** What happened. */
    public enum Type {
        /** The first connection was established. */
        CONNECTED,
        /** The connection was lost; the provider is trying to get it back. */
        LOST,
        /** The connection is back and subscriptions are re-established. */
        RECOVERED
    }

    private final Type type;
    private final String component;
    private final boolean possibleGap;
    private final Instant timestamp;
    private final Throwable cause;

    /**
     * Creates an event.
     *
     * @param type what happened
     * @param component which component: {@code transport} or {@code cache:NAME}
     * @param possibleGap whether messages may have been missed
     * @param cause why the connection was lost, or {@code null}
     */
    public ConnectionEvent(Type type, String component, boolean possibleGap, Throwable cause) {
        this.type = Objects.requireNonNull(type, "type");
        this.component = Objects.requireNonNull(component, "component");
        this.possibleGap = possibleGap;
        this.timestamp = Instant.now();
        this.cause = cause;
    }

    /** What happened. */
    public Type type() {
        return type;
    }

    /** Which component: {@code transport} or {@code cache:NAME}. */
    public String component() {
        return component;
    }

    /** Whether messages may have been missed around this event. */
    public boolean possibleGap() {
        return possibleGap;
    }

    /** When the event was raised. */
    public Instant timestamp() {
        return timestamp;
    }

    /** Why the connection was lost, if known. */
    public Optional<Throwable> cause() {
        return Optional.ofNullable(cause);
    }

    @Override
    public String toString() {
        return "ConnectionEvent[" + type + " " + component + (possibleGap ? " possible gap" : "")
                + (cause != null ? " cause=" + cause.getClass().getSimpleName() + ": " + cause.getMessage() : "") + "]";
    }
}
