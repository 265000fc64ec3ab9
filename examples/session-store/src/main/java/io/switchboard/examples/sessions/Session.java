package io.switchboard.examples.sessions;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * What a session holds, stored as JSON
 * ({@code {"user":"ada","data":{"cart":"3 items"},"createdAt":"2026-12-02T10:15:30Z"}}), so an
 * Express service on the same cache can read it. Immutable.
 */
public record Session(String user, Map<String, String> data, Instant createdAt) {
    /** Copies the data; {@code user} may be {@code null} for an anonymous session. */
    public Session {
        data = Map.copyOf(Objects.requireNonNull(data, "data"));
        Objects.requireNonNull(createdAt, "createdAt");
    }

    /** The same session with one more (or a changed) entry. */
    public Session with(String key, String value) {
        java.util.Map<String, String> copy = new java.util.LinkedHashMap<>(data);
        copy.put(key, value);
        return new Session(user, copy, createdAt);
    }
}
