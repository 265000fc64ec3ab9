package io.switchboard.redis.streams.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.ConfigurationException;
import io.switchboard.spi.Config;
import io.switchboard.spi.ConfigKey;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StreamsSettingsTest {
    /** A configuration with these raw values (parsed as the facade would for the keys used here). */
    private static StreamsSettings settings(Map<String, Object> values) {
        Config config = new Config() {
            @Override
            @SuppressWarnings("unchecked")
            public <T> T get(ConfigKey<T> key) {
                return values.containsKey(key.name()) ? (T) values.get(key.name()) : key.defaultValue();
            }

            @Override
            public boolean isSet(ConfigKey<?> key) {
                return values.containsKey(key.name());
            }

            @Override
            public Set<String> keysSet() {
                return values.keySet();
            }

            @Override
            public String sourceOf(ConfigKey<?> key) {
                return "test";
            }

            @Override
            public String toString() {
                return "test config";
            }
        };
        return StreamsSettings.from(config, "t", 4L << 20);
    }

    @Test
    void theDefaultsTrimByLengthAndDeclareNoPersistence() {
        StreamsSettings s = settings(Map.of());
        assertEquals(1_000_000L, s.maxLength);
        assertTrue(s.maxAge.isZero());
        assertFalse(s.survivesRestart);
        assertEquals("redis://127.0.0.1:6379", s.endpoint.describe());
        assertEquals("switchboard-t", s.endpoint.clientName());
    }

    @Test
    void theChannelPrefixIsPartOfEveryStreamKey() {
        assertEquals("shop:orders.created", settings(Map.of("switchboard.redis-streams.channel-prefix", "shop:")).streamKey("orders.created"));
    }

    @Test
    void trimmingByAgeAndByLengthAtOnceIsRefused() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> settings(Map.of("switchboard.redis-streams.max-age",
                Duration.ofHours(1), "switchboard.redis-streams.max-length", 500L)));
        assertTrue(e.getMessage().contains("switchboard.redis-streams.max-age") && e.getMessage().contains("max-length"), e.getMessage());
        StreamsSettings byAge = settings(Map.of("switchboard.redis-streams.max-age", Duration.ofHours(1)));
        assertEquals(Duration.ofHours(1), byAge.maxAge);
    }

    @Test
    void everyProblemIsReportedTogetherWithoutThePassword() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> settings(Map.of(
                "switchboard.redis-streams.uri", "redis://app:pa55@db.example:6379/x",
                "switchboard.redis-streams.max-length", 0L,
                "switchboard.redis-streams.claim-idle", Duration.ofMinutes(20),
                "switchboard.redis-streams.reap-after", Duration.ofMinutes(5),
                "switchboard.redis-streams.publish.wait-replicas", -1)));
        String m = e.getMessage();
        assertTrue(m.contains("database path") && m.contains("are both 0") && m.contains("must not be shorter than")
                && m.contains("wait-replicas"), m);
        assertFalse(m.contains("pa55"), m);
    }
}
