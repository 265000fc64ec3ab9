package io.switchboard.redis;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.ConfigurationException;
import io.switchboard.Switchboard;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * A fat jar built without the ServicesResourceTransformer keeps the Redis provider's classes but
 * loses its {@code META-INF/services} entries. Simulated with a class loader that hides every
 * services file listing an {@code io.switchboard.redis} class: the errors must say what happened
 * and how to fix it. Selection fails before connecting, except where the transport's entry is kept
 * and the cache's lost: that case connects to the shared Redis on 127.0.0.1:6379.
 */
class ShadedJarDiagnosticsIT {
    @Test
    void namedTransportWhoseServiceEntryIsMissingIsExplained() {
        String message = openFails(Map.of("switchboard.transport", "redis", "switchboard.redis.uri", TestSupport.SHARED_URI));
        assertTrue(message.contains("'switchboard.transport' is 'redis'"), message);
        assertTrue(message.contains("io.switchboard.redis.RedisTransportProvider"), message);
        assertTrue(message.contains("META-INF/services/io.switchboard.spi.TransportProvider"), message);
        assertTrue(message.contains("ServicesResourceTransformer"), message);
        assertFalse(message.contains("to the classpath."), "the jar is on the classpath already: " + message);
        assertTrue(message.contains("'switchboard.redis.uri' (from") && message.contains("whose classes are on the classpath without"),
                "the Redis setting is explained too, not called a provider that is not on the classpath: " + message);
    }

    @Test
    void noTransportWhileTheProvidersClassesArePresentIsExplained() {
        String message = openFails(Map.of());
        assertTrue(message.contains("no transport is configured"), message);
        assertTrue(message.contains("'redis' (io.switchboard.redis.RedisTransportProvider)"), message);
        assertTrue(message.contains("ServicesResourceTransformer"), message);
    }

    @Test
    void namedCacheWhoseServiceEntryIsMissingIsExplained() {
        String message = openFails(Map.of("switchboard.transport", "memory", "switchboard.cache", "redis"));
        assertTrue(message.contains("'switchboard.cache' is 'redis'"), message);
        assertTrue(message.contains("META-INF/services/io.switchboard.spi.CacheProvider"), message);
        assertTrue(message.contains("io.switchboard.redis.RedisCacheProvider"), message);
    }

    @Test
    void cacheUseWithoutACacheWhileTheProvidersClassesArePresentIsExplained() {
        // The transport's entry survived, the cache's was overwritten: open works, cache() explains.
        Switchboard sb = withHidden("io.switchboard.spi.CacheProvider", () -> Switchboard.open(Map.of("switchboard.transport", "redis",
                "switchboard.redis.uri", TestSupport.SHARED_URI)));
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, sb::cache);
            assertTrue(e.getMessage().contains("no cache is configured"), e.getMessage());
            assertTrue(e.getMessage().contains("'redis' (io.switchboard.redis.RedisCacheProvider)"), e.getMessage());
            assertTrue(e.getMessage().contains("ServicesResourceTransformer"), e.getMessage());
        } finally {
            sb.close();
        }
    }

    @Test
    void aProperlyRegisteredClasspathGetsNoShadedJarHint() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> Switchboard.open(Map.of("switchboard.transport", "nope")));
        assertFalse(e.getMessage().contains("ServicesResourceTransformer"), e.getMessage());
    }

    private static String openFails(Map<String, Object> settings) {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> withHiddenServices(() -> Switchboard.open(settings)));
        return e.getMessage();
    }

    private static <T> T withHiddenServices(Supplier<T> action) {
        return withHidden("io.switchboard.spi.", action);
    }

    /** Runs {@code action} with the services files whose names start with {@code prefix} hidden where they list Redis. */
    private static <T> T withHidden(String prefix, Supplier<T> action) {
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(new HidingServices(previous, "META-INF/services/" + prefix));
        try {
            return action.get();
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    /** Loads everything from its parent, but hides the services files that register Redis providers. */
    private static final class HidingServices extends ClassLoader {
        private final String hidden;

        HidingServices(ClassLoader parent, String hidden) {
            super(parent);
            this.hidden = hidden;
        }

        @Override
        public Enumeration<URL> getResources(String name) throws IOException {
            List<URL> kept = new ArrayList<>();
            for (URL url : Collections.list(super.getResources(name))) {
                if (!name.startsWith(hidden) || !listsRedis(url)) {
                    kept.add(url);
                }
            }
            return Collections.enumeration(kept);
        }

        @Override
        public URL getResource(String name) {
            return name.startsWith(hidden) ? null : super.getResource(name);
        }

        private static boolean listsRedis(URL url) throws IOException {
            try (InputStream in = url.openStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("io.switchboard.redis.");
            }
        }
    }
}
