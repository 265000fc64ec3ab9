package io.switchboard.internal;

import java.util.Map;

/** Which artifact brings which provider, for diagnostics. */
final class ProviderHints {
    private static final Map<String, String> ARTIFACTS = Map.of(
            "redis", "io.switchboard:switchboard-transport-redis",
            "redis-streams", "io.switchboard:switchboard-transport-redis-streams",
            "rabbitmq", "io.switchboard:switchboard-transport-rabbitmq",
            "memcached", "io.switchboard:switchboard-cache-memcached");

    private ProviderHints() {
    }

    /** {@code " (io.switchboard:...)"} for a known provider, or the empty string. */
    static String artifactHint(String provider) {
        String a = ARTIFACTS.get(provider);
        return a == null ? "" : " (" + a + ")";
    }
}
