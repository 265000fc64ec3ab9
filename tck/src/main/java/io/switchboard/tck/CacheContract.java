package io.switchboard.tck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.switchboard.SharedCache;
import io.switchboard.Switchboard;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The shared-cache contract: extend it, return the settings of a Switchboard whose cache is the
 * one under test from {@link #properties()}, and JUnit 5 runs every rule C1, C2, ... of
 * {@code tck/CONTRACT.md} against it.
 *
 * <pre>{@code
 * class MemcachedCacheContractIT extends CacheContract {
 *     protected Map<String, Object> properties() {
 *         return Map.of("switchboard.transport", "memory", "switchboard.cache", "memcached",
 *                 "switchboard.memcached.servers", "127.0.0.1:11211");
 *     }
 * }
 * }</pre>
 *
 * <p>Keys are random per rule, so a shared server is fine.
 */
public abstract class CacheContract {
    private final List<Switchboard> opened = new CopyOnWriteArrayList<>();

    /** Settings for a Switchboard whose cache is the one under test; must include switchboard.cache (and a transport, e.g. switchboard.transport=memory). */
    protected abstract Map<String, Object> properties();

    @AfterEach
    void closeEverythingOpened() {
        opened.forEach(sb -> sb.close(java.time.Duration.ofSeconds(5)));
        opened.clear();
    }

    /** Opens a Switchboard with the cache under test, closed after the rule; {@code extra} settings override. */
    Switchboard open(Map<String, Object> extra) {
        Map<String, Object> props = new java.util.LinkedHashMap<>(Objects.requireNonNull(properties(), "properties()"));
        if (!props.containsKey("switchboard.cache")) {
            throw new IllegalStateException(getClass().getName() + ".properties() must set switchboard.cache");
        }
        props.putAll(extra);
        Switchboard sb = Switchboard.open(props);
        opened.add(sb);
        return sb;
    }

    SharedCache cache() {
        return open(Map.of()).cache();
    }

    /** A key unique to one rule run. */
    static String key(String what) {
        return "tck:" + what + ":" + Kit.token();
    }

    @Nested
    @DisplayName("Values")
    class Values {
        /**
         * C1: bytes written are read back identical, every byte value included. If this fails,
         * check that the driver stores values as raw bytes, with no charset conversion.
         */
        @Test
        @DisplayName("C1 byte[] values come back byte for byte")
        void bytesRoundTrip() {
            SharedCache cache = cache();
            byte[] all = new byte[256];
            for (int i = 0; i < all.length; i++) {
                all[i] = (byte) i;
            }
            String k = key("bytes");
            cache.put(k, all);
            assertArrayEquals(all, cache.get(k, byte[].class));
            assertNull(cache.get(key("absent"), byte[].class));
        }
    }
}
