package io.switchboard;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The health of a component (a transport, a cache) or of a whole {@link Switchboard}: a status,
 * details (counters, server versions, the last error; never credentials) and, for the whole, one
 * entry per component. Immutable.
 */
public final class Health {
    /** Overall state. */
    public enum Status {
        /** Working normally. */
        UP,
        /** Working, with problems worth attention (dropped messages, a reconnect in progress, one of several servers down). */
        DEGRADED,
        /** Not working. */
        DOWN
    }

    private final Status status;
    private final Map<String, Object> details;
    private final Map<String, Health> components;

    private Health(Status status, Map<String, Object> details, Map<String, Health> components) {
        this.status = Objects.requireNonNull(status, "status");
        this.details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
        this.components = Collections.unmodifiableMap(new LinkedHashMap<>(components));
    }

    /** A component's health with details (values should be numbers, strings or booleans). */
    public static Health of(Status status, Map<String, ?> details) {
        return new Health(status, new LinkedHashMap<>(details), Map.of());
    }

    /** Healthy, no details. */
    public static Health up() {
        return new Health(Status.UP, Map.of(), Map.of());
    }

    /** The health of a whole made of components: the worst status of any of them. */
    public static Health aggregate(Map<String, Health> components) {
        Status worst = Status.UP;
        for (Health h : components.values()) {
            if (h.status.ordinal() > worst.ordinal()) {
                worst = h.status;
            }
        }
        return new Health(worst, Map.of(), components);
    }

    /** The status. */
    public Status status() {
        return status;
    }

    /** Details, unmodifiable, in insertion order. */
    public Map<String, Object> details() {
        return details;
    }

    /** Components by name (for example {@code transport}, {@code cache}), unmodifiable; empty for a single component. */
    public Map<String, Health> components() {
        return components;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(status.name());
        if (!details.isEmpty()) {
            sb.append(' ').append(details);
        }
        if (!components.isEmpty()) {
            sb.append(' ').append(components);
        }
        return sb.toString();
    }
}
