package io.switchboard.internal;

import io.switchboard.spi.CacheProvider;
import io.switchboard.spi.TransportProvider;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which artifact brings which provider, and whether a known provider's classes are present
 * although {@link java.util.ServiceLoader} did not find it: the mark of a fat jar whose
 * {@code META-INF/services} files overwrote each other. Stateless; for diagnostics only.
 */
final class ProviderHints {
    private static final Map<String, String> ARTIFACTS = Map.of(
            "redis", "io.switchboard:switchboard-transport-redis",
            "redis-streams", "io.switchboard:switchboard-transport-redis-streams",
            "rabbitmq", "io.switchboard:switchboard-transport-rabbitmq",
            "memcached", "io.switchboard:switchboard-cache-memcached");

    /** The provider classes this project ships, by provider name. */
    private static final Map<String, String> TRANSPORT_CLASSES = Map.of(
            "redis", "io.switchboard.redis.RedisTransportProvider",
            "rabbitmq", "io.switchboard.rabbitmq.RabbitMqTransportProvider");
    private static final Map<String, String> CACHE_CLASSES = Map.of(
            "redis", "io.switchboard.redis.RedisCacheProvider",
            "memcached", "io.switchboard.memcached.MemcachedCacheProvider");

    private ProviderHints() {
    }

    /** {@code " (io.switchboard:...)"} for a known provider, or the empty string. */
    static String artifactHint(String provider) {
        String a = ARTIFACTS.get(provider);
        return a == null ? "" : " (" + a + ")";
    }

    /**
     * The known providers of {@code spi} whose class {@code loader} can load (without
     * initialising it) but that are not among {@code discovered}: name to class name, sorted.
     */
    static Map<String, String> unregistered(Class<?> spi, Collection<String> discovered, ClassLoader loader) {
        Map<String, String> known = spi == TransportProvider.class ? TRANSPORT_CLASSES : spi == CacheProvider.class ? CACHE_CLASSES : Map.of();
        Map<String, String> found = new TreeMap<>();
        for (Map.Entry<String, String> e : known.entrySet()) {
            if (!discovered.contains(e.getKey()) && present(e.getValue(), spi, loader)) {
                found.put(e.getKey(), e.getValue());
            }
        }
        return found;
    }

    /** Whether provider {@code name} of {@code spi} is present but unregistered. */
    static boolean isUnregistered(Class<?> spi, String name, ClassLoader loader) {
        return unregistered(spi, List.of(), loader).containsKey(name);
    }

    private static boolean present(String className, Class<?> spi, ClassLoader loader) {
        try {
            return spi.isAssignableFrom(Class.forName(className, false, loader));
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * The sentences that explain unregistered providers of {@code spi}, with the fix; the empty
     * string when there are none.
     */
    static String shadedJarHint(Class<?> spi, Collection<String> discovered, ClassLoader loader) {
        Map<String, String> missing = unregistered(spi, discovered, loader);
        if (missing.isEmpty()) {
            return "";
        }
        List<String> described = new ArrayList<>();
        missing.forEach((name, cls) -> described.add("'" + name + "' (" + cls + ")"));
        return " The classes of " + spi.getSimpleName() + " " + String.join(", ", described) + " are on the classpath but the file "
                + "META-INF/services/" + spi.getName() + " does not list " + (missing.size() == 1 ? "it" : "them") + ": a fat jar built "
                + "with maven-shade-plugin without the ServicesResourceTransformer (or another tool that keeps only one of several "
                + "META-INF/services files) loses the entries. Add <transformer implementation=\"org.apache.maven.plugins.shade."
                + "resource.ServicesResourceTransformer\"/> to the shade plugin's <transformers> (README.md, 'Fat jars').";
    }
}
