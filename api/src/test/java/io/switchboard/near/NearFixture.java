package io.switchboard.near;

import io.switchboard.NearCache;
import io.switchboard.NearCacheOptions;
import io.switchboard.Switchboard;
import io.switchboard.testing.Await;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Opens several Switchboards on one private in-memory broker (one per simulated service instance)
 * with the test providers {@code lossy-memory} and {@code gated-memory} visible only to them: their
 * service files live under {@code near-test-providers/}, reached through the context class loader
 * during {@code open}, so no other test's provider selection changes. Closes everything.
 */
final class NearFixture implements AutoCloseable {
    private static final ClassLoader TEST_PROVIDERS = testProviders();

    private final String broker = Await.unique("near");
    private final String cacheName = Await.unique("nc").replace('.', '-');
    private final List<Switchboard> opened = new ArrayList<>();
    private final String transport;
    private final String cache;

    NearFixture(String transport, String cache) {
        this.transport = transport;
        this.cache = cache;
    }

    /** Lossy transport over the memory broker, plain memory cache. */
    static NearFixture lossy() {
        return new NearFixture(LossyTransportProvider.NAME, "memory");
    }

    /** Memory transport, gated cache. */
    static NearFixture gated() {
        return new NearFixture("memory", GatedCacheProvider.NAME);
    }

    Switchboard open() {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("switchboard.transport", transport);
        props.put("switchboard.cache", cache);
        props.put("switchboard.memory.broker", broker);
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(TEST_PROVIDERS);
        try {
            Switchboard sb = Switchboard.open(props);
            opened.add(sb);
            return sb;
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    String cacheName() {
        return cacheName;
    }

    <V> NearCache<V> near(Switchboard sb, Class<V> type, NearCacheOptions options) {
        return sb.nearCache(cacheName, type, options);
    }

    /** {@code n} instances, each with its own Switchboard and near cache. */
    <V> List<NearCache<V>> instances(int n, Class<V> type, NearCacheOptions options) {
        List<NearCache<V>> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(near(open(), type, options));
        }
        return list;
    }

    static LossyTransportProvider.LossyTransport lossy(Switchboard sb) {
        return sb.unwrap(LossyTransportProvider.LossyTransport.class);
    }

    @Override
    public void close() {
        opened.forEach(sb -> sb.close(Duration.ofSeconds(5)));
    }

    private static ClassLoader testProviders() {
        URL root = NearFixture.class.getClassLoader().getResource("near-test-providers/");
        if (root == null) {
            throw new IllegalStateException("test resource near-test-providers/ is missing");
        }
        return new URLClassLoader(new URL[] {root}, NearFixture.class.getClassLoader());
    }
}
