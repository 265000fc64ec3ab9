package io.switchboard.memcached;

import io.switchboard.JsonCodec;
import io.switchboard.spi.Config;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.ConnectionEvents;
import io.switchboard.spi.ProviderContext;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * A provider context for driving {@link MemcachedCacheDriver} directly: settings given as already
 * parsed values, connection events recorded. The facade-level behaviour is covered by the contract IT.
 */
final class TestContext implements ProviderContext, AutoCloseable {
    final List<String> events = new CopyOnWriteArrayList<>();
    private final Map<String, Object> values;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "test-scheduler");
        t.setDaemon(true);
        return t;
    });

    TestContext(Map<String, Object> values) {
        this.values = Map.copyOf(values);
    }

    static TestContext servers(String servers, Object... more) {
        java.util.HashMap<String, Object> m = new java.util.HashMap<>();
        m.put(MemcachedCacheProvider.SERVERS.name(), List.of(servers.split(",")));
        for (int i = 0; i < more.length; i += 2) {
            m.put((String) more[i], more[i + 1]);
        }
        return new TestContext(m);
    }

    MemcachedCacheDriver connect() {
        return (MemcachedCacheDriver) new MemcachedCacheProvider().create(this);
    }

    @Override
    public Config config() {
        return new Config() {
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
                return isSet(key) ? "test" : "default";
            }

            @Override
            public String toString() {
                return "test config " + values.keySet();
            }
        };
    }

    @Override
    public ConnectionEvents events() {
        return new ConnectionEvents() {
            @Override
            public void connected() {
                events.add("connected");
            }

            @Override
            public void lost(Throwable cause) {
                events.add("lost: " + cause.getMessage());
            }

            @Override
            public void recovered(boolean possibleGap) {
                events.add("recovered");
            }
        };
    }

    @Override
    public JsonCodec codec() {
        throw new UnsupportedOperationException("the memcached driver does not encode");
    }

    @Override
    public long maxMessageSize() {
        return 4L << 20;
    }

    @Override
    public ScheduledExecutorService scheduler() {
        return scheduler;
    }

    @Override
    public String instanceName() {
        return "test-" + Long.toHexString(System.nanoTime()).toLowerCase(Locale.ROOT);
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }

    static Duration ms(long ms) {
        return Duration.ofMillis(ms);
    }
}
