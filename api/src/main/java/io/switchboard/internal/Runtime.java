package io.switchboard.internal;

import io.switchboard.Capabilities;
import io.switchboard.Capability;
import io.switchboard.ConfigurationException;
import io.switchboard.ConnectionListener;
import io.switchboard.DeliveryGuarantee;
import io.switchboard.DropListener;
import io.switchboard.Health;
import io.switchboard.Interceptor;
import io.switchboard.JsonCodec;
import io.switchboard.NearCache;
import io.switchboard.Publisher;
import io.switchboard.SharedCache;
import io.switchboard.Subscriber;
import io.switchboard.Switchboard;
import io.switchboard.spi.CacheDriver;
import io.switchboard.spi.CacheProvider;
import io.switchboard.spi.Config;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.Masking;
import io.switchboard.spi.ProviderContext;
import io.switchboard.spi.Transport;
import io.switchboard.spi.TransportProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One open Switchboard: selected providers, the facade objects, executors, and the close sequence. */
public final class Runtime {
    private static final Logger LOG = LoggerFactory.getLogger(Runtime.class);
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    private static final Pattern CACHE_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private final String instanceName;
    private final Config config;
    private final JsonCodec codec;
    private final EventBus events;
    private final DropBus drops;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService handlerPool;
    private final HandlerScheduler handlerScheduler;
    private final String transportName;
    private final Capabilities capabilities;
    private volatile Transport transport;
    private final String cacheProviderName;
    private String cacheScope = "";
    private volatile CacheDriver cacheDriver;
    private final Interception interception;
    /** Set between {@link #prepare} and {@link #connect}. */
    private TransportProvider transportProvider;
    private CacheProvider cacheProvider;
    private final DefaultPublisher publisher;
    private final DefaultSubscriber subscriber;
    private final Requests requests;
    private final Map<String, DefaultSharedCache> caches = new ConcurrentHashMap<>();
    private volatile String noCacheReason;
    private final List<Map.Entry<String, Supplier<Health>>> healthComponents =
            new CopyOnWriteArrayList<>();
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile boolean closed;

    private Runtime(String instanceName, Config config, JsonCodec codec, EventBus events, String transportName,
            Capabilities capabilities, String cacheProviderName, Interception interception) {
        this.instanceName = instanceName;
        this.config = config;
        this.codec = codec;
        this.events = events;
        this.drops = new DropBus(instanceName);
        this.transportName = transportName;
        this.capabilities = capabilities;
        this.cacheProviderName = cacheProviderName;
        this.interception = interception;
        this.scheduler = newScheduler(instanceName);
        this.handlerPool = Executors.newCachedThreadPool(threads(instanceName + "-handler"));
        this.handlerScheduler = new HandlerScheduler(handlerPool);
        this.publisher = new DefaultPublisher(this);
        this.subscriber = new DefaultSubscriber(this);
        this.requests = new Requests(this);
    }

    /**
     * Selects providers and validates the configuration, without connecting: {@link #connect}
     * does that, once the facade object exists for the interceptors to see.
     */
    public static Runtime prepare(Map<String, ?> explicit, JsonCodec codec, List<ConnectionListener> listeners,
            List<DropListener> dropListeners, List<Interceptor> interceptors) {
        List<String> problems = new ArrayList<>();
        ConfigResolver resolver = ConfigResolver.collect(explicit, System.getProperties(), System.getenv(),
                Thread.currentThread().getContextClassLoader(), problems);

        Map<String, TransportProvider> transports = load(TransportProvider.class, TransportProvider::name, problems);
        Map<String, CacheProvider> caches = load(CacheProvider.class, CacheProvider::name, problems);

        Set<String> knownKeys = new LinkedHashSet<>();
        Set<String> providerNames = new LinkedHashSet<>(transports.keySet());
        providerNames.addAll(caches.keySet());
        CoreKeys.ALL.forEach(k -> knownKeys.add(k.name()));
        transports.values().forEach(p -> p.configKeys().forEach(k -> knownKeys.add(k.name())));
        caches.values().forEach(p -> p.configKeys().forEach(k -> knownKeys.add(k.name())));
        resolver.alignEnvironmentKeys(knownKeys);
        resolver.checkUnknown(knownKeys, providerNames, problems);

        TransportProvider transportProvider = selectTransport(resolver, transports, problems);
        CacheProvider cacheProvider = selectCache(resolver, caches, transportProvider, problems);

        List<ConfigKey<?>> declared = new ArrayList<>(CoreKeys.ALL);
        transports.values().forEach(p -> declared.addAll(p.configKeys()));
        caches.values().forEach(p -> declared.addAll(p.configKeys()));
        Config config = resolver.resolve(declared, problems);

        Capabilities capabilities = null;
        if (transportProvider != null && problems.isEmpty()) {
            capabilities = transportProvider.capabilities(config);
            checkRequirements(config, capabilities, problems);
        }
        Long maxSize = problems.isEmpty() ? config.get(CoreKeys.MESSAGE_MAX_SIZE) : null;
        if (maxSize != null && (maxSize <= 0 || maxSize > Integer.MAX_VALUE)) {
            problems.add("'" + CoreKeys.MESSAGE_MAX_SIZE.name() + "' is " + maxSize + " bytes but must be between 1 and "
                    + Integer.MAX_VALUE + ".");
        }
        Long bufferBytes = problems.isEmpty() ? config.get(CoreKeys.SUBSCRIBER_BUFFER_BYTES) : null;
        if (bufferBytes != null && bufferBytes <= 0) {
            problems.add("'" + CoreKeys.SUBSCRIBER_BUFFER_BYTES.name() + "' is " + bufferBytes + " bytes but must be positive; "
                    + "unset it for the default (the smaller of 64MiB and an eighth of the maximum heap).");
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems, null);
        }

        String instanceName = "sb-" + INSTANCES.incrementAndGet();
        EventBus events = new EventBus(instanceName);
        listeners.forEach(events::add);
        Runtime rt = new Runtime(instanceName, config, codec, events, transportProvider.name(), capabilities,
                cacheProvider == null ? null : cacheProvider.name(), new Interception(interceptors));
        dropListeners.forEach(rt.drops::add);
        rt.noCacheReason = noCacheReason(caches.keySet());
        rt.transportProvider = transportProvider;
        rt.cacheProvider = cacheProvider;
        if (cacheProvider != null) {
            rt.cacheScope = cacheScope(cacheProvider, config);
        }
        return rt;
    }

    /**
     * Tells the interceptors, then connects the transport and the cache. On failure everything is
     * closed and the exception rethrown.
     *
     * @param facade the Switchboard this runtime serves, for {@link Interceptor#onOpen}
     */
    public void connect(Switchboard facade) {
        try {
            for (Interceptor i : interception.all()) {
                i.onOpen(facade);
                events.add(Interception.connectionListener(i));
                drops.add(Interception.dropListener(i));
            }
            transport = transportProvider.create(context("transport"));
            if (cacheProvider != null) {
                cacheDriver = cacheProvider.create(context("cache"));
            }
        } catch (RuntimeException | Error e) {
            close(Duration.ofSeconds(5));
            throw e;
        } finally {
            transportProvider = null;
            cacheProvider = null;
        }
        LOG.info("Switchboard {} open: transport '{}' ({}), cache '{}'", instanceName, transportName, capabilities,
                cacheProviderName == null ? "none" : cacheProviderName);
    }

    /**
     * Identifies the cache server: instances in this JVM with the same provider and provider
     * settings share one, so their getOrLoad calls share one load per key.
     */
    private static String cacheScope(CacheProvider provider, Config config) {
        StringBuilder sb = new StringBuilder(provider.name());
        for (ConfigKey<?> k : provider.configKeys()) {
            sb.append('\0').append(k.name()).append('=').append(config.get(k));
        }
        return sb.toString();
    }

    String cacheScope() {
        return cacheScope;
    }

    private ProviderContext context(String component) {
        Runtime rt = this;
        return new ProviderContext() {
            @Override
            public Config config() {
                return rt.config;
            }

            @Override
            public io.switchboard.spi.ConnectionEvents events() {
                return rt.events.forComponent(component);
            }

            @Override
            public JsonCodec codec() {
                return rt.codec;
            }

            @Override
            public long maxMessageSize() {
                return rt.config.get(CoreKeys.MESSAGE_MAX_SIZE);
            }

            @Override
            public ScheduledExecutorService scheduler() {
                return rt.scheduler;
            }

            @Override
            public String instanceName() {
                return rt.instanceName;
            }
        };
    }

    private static <P> Map<String, P> load(Class<P> type, java.util.function.Function<P, String> name, List<String> problems) {
        Map<String, P> byName = new LinkedHashMap<>();
        try {
            for (P p : ServiceLoader.load(type, Thread.currentThread().getContextClassLoader())) {
                P previous = byName.putIfAbsent(name.apply(p), p);
                if (previous != null && previous.getClass() != p.getClass()) {
                    problems.add("two " + type.getSimpleName() + "s are named '" + name.apply(p) + "': "
                            + previous.getClass().getName() + " and " + p.getClass().getName() + "; remove one jar from the classpath.");
                }
            }
        } catch (ServiceConfigurationError e) {
            problems.add("a " + type.getSimpleName() + " on the classpath cannot be loaded: " + e.getMessage()
                    + ". Check the provider jar and its dependencies.");
        }
        return byName;
    }

    private static TransportProvider selectTransport(ConfigResolver resolver, Map<String, TransportProvider> transports,
            List<String> problems) {
        if (resolver.raw(CoreKeys.TRANSPORT.name()) != null) {
            return byName(CoreKeys.TRANSPORT, "transport", TransportProvider.class, resolver, transports, problems);
        }
        List<String> real = new ArrayList<>(transports.keySet());
        real.remove("memory");
        if (real.size() == 1) {
            return transports.get(real.get(0));
        }
        if (real.isEmpty()) {
            problems.add("no transport is configured: add a transport jar (for example io.switchboard:switchboard-transport-redis) "
                    + "or set '" + CoreKeys.TRANSPORT.name() + "=memory' for the in-process transport (one JVM only: "
                    + "instances in other processes will not receive messages)."
                    + ProviderHints.shadedJarHint(TransportProvider.class, transports.keySet(), Thread.currentThread().getContextClassLoader()));
        } else {
            problems.add("'" + CoreKeys.TRANSPORT.name() + "' is not set and several transports are on the classpath: "
                    + String.join(", ", real) + "; set it to one of them.");
        }
        return null;
    }

    private static CacheProvider selectCache(ConfigResolver resolver, Map<String, CacheProvider> caches,
            TransportProvider transport, List<String> problems) {
        if (resolver.raw(CoreKeys.CACHE.name()) != null) {
            return byName(CoreKeys.CACHE, "cache", CacheProvider.class, resolver, caches, problems);
        }
        List<String> real = new ArrayList<>(caches.keySet());
        real.remove("memory");
        if (real.size() == 1) {
            return caches.get(real.get(0));
        }
        if (real.size() > 1) {
            return null;
        }
        if (transport != null && transport.name().equals("memory")) {
            return caches.get("memory");
        }
        return null;
    }

    /** The provider the key names, or {@code null} with a problem naming the choices and the jar to add. */
    private static <P> P byName(ConfigKey<String> key, String kind, Class<P> spi, ConfigResolver resolver, Map<String, P> providers,
            List<String> problems) {
        String wanted = resolver.raw(key.name());
        P p = providers.get(wanted);
        if (p == null) {
            String artifact = ProviderHints.artifactHint(wanted);
            ClassLoader loader = Thread.currentThread().getContextClassLoader();
            String fix = ProviderHints.isUnregistered(spi, wanted, loader) ? ProviderHints.shadedJarHint(spi, providers.keySet(), loader)
                    : artifact.isEmpty() ? "" : " Add " + artifact.substring(2, artifact.length() - 1) + " to the classpath.";
            problems.add("'" + key.name() + "' is '" + Masking.maskUserInfo(wanted) + "' (from " + resolver.source(key.name()) + ") but no " + kind
                    + " has that name; available: " + names(providers.keySet()) + "."
                    + Suggestions.didYouMean(wanted, providers.keySet()) + fix);
        }
        return p;
    }

    private static String names(Collection<String> names) {
        return names.isEmpty() ? "none (no provider jar on the classpath)" : String.join(", ", names);
    }

    /**
     * Why {@code cache()} is unavailable when no cache was selected. Several candidates and no
     * choice is not an error at open, so that an application using only pub/sub need not name a
     * cache; using one then fails, naming the candidates.
     */
    private static String noCacheReason(Collection<String> available) {
        List<String> real = new ArrayList<>(available);
        real.remove("memory");
        if (real.size() > 1) {
            return "'" + CoreKeys.CACHE.name() + "' is not set and several caches are on the classpath: "
                    + String.join(", ", real) + "; set it to one of them to use cache()";
        }
        return "no cache is configured: set '" + CoreKeys.CACHE.name()
                + "' (memory, redis, memcached, ...) and add the provider's jar to the classpath."
                + ProviderHints.shadedJarHint(CacheProvider.class, available, Thread.currentThread().getContextClassLoader());
    }

    private static void checkRequirements(Config config, Capabilities caps, List<String> problems) {
        String delivery = config.get(CoreKeys.REQUIRE_DELIVERY);
        if ("at-least-once".equals(delivery) && caps.deliveryGuarantee() != DeliveryGuarantee.AT_LEAST_ONCE) {
            problems.add("'" + CoreKeys.REQUIRE_DELIVERY.name() + "' is 'at-least-once' (from " + config.sourceOf(CoreKeys.REQUIRE_DELIVERY)
                    + ") but transport '" + caps.provider() + "' is at-most-once; choose an at-least-once transport such as rabbitmq.");
        }
        for (String c : config.get(CoreKeys.REQUIRE_CAPABILITIES)) {
            try {
                Capability capability = Capability.fromKey(c);
                if (!caps.has(capability)) {
                    problems.add("'" + CoreKeys.REQUIRE_CAPABILITIES.name() + "' requires '" + capability.key() + "' but transport '"
                            + caps.provider() + "' does not offer it; it offers: " + caps.asSet() + ".");
                }
            } catch (IllegalArgumentException e) {
                problems.add("'" + CoreKeys.REQUIRE_CAPABILITIES.name() + "' lists " + e.getMessage() + ".");
            }
        }
    }

    Config config() {
        return config;
    }

    Transport transport() {
        return transport;
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    ExecutorService handlerPool() {
        return handlerPool;
    }

    /** Where subscriptions' handler turns run (on {@link #handlerPool()}). */
    HandlerScheduler handlerScheduler() {
        return handlerScheduler;
    }

    EventBus events() {
        return events;
    }

    DropBus drops() {
        return drops;
    }

    Interception interception() {
        return interception;
    }

    Requests requests() {
        return requests;
    }

    /** Tells the interceptors of a near cache just opened on this Switchboard. */
    public void nearCacheOpened(NearCache<?> near) {
        if (!interception.none()) {
            interception.nearCacheOpened(near);
        }
    }

    /** Throws if closing or closed. */
    void ensureOpen() {
        if (closing.get()) {
            throw new IllegalStateException("this Switchboard (" + instanceName + ") is " + (closed ? "closed" : "closing")
                    + "; open a new one");
        }
    }

    /**
     * Throws if closed, or if closing and the caller is not one of this instance's handlers:
     * handlers finishing during a drain may still publish (a consume-then-publish step completes).
     */
    void ensureOpenForPublish() {
        if (closing.get() && (closed || SubscriptionImpl.currentRuntime() != this)) {
            ensureOpen();
        }
    }

    public Publisher publisher() {
        return publisher;
    }

    public Subscriber subscriber() {
        return subscriber;
    }

    public SharedCache cache(String name) {
        ensureOpen();
        if (!CACHE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("cache name '" + name + "' must be 1 to 64 letters, digits, '_' or '-'");
        }
        if (cacheDriver == null) {
            throw new IllegalStateException(noCacheReason);
        }
        return caches.computeIfAbsent(name, n -> new DefaultSharedCache(this, n, cacheDriver, codec));
    }

    public Capabilities capabilities() {
        return capabilities;
    }

    public String transportName() {
        return transportName;
    }

    public String cacheProviderName() {
        return cacheProviderName;
    }

    public JsonCodec codec() {
        return codec;
    }

    public void addConnectionListener(ConnectionListener l) {
        events.add(l);
    }

    public void removeConnectionListener(ConnectionListener l) {
        events.remove(l);
    }

    public void addDropListener(DropListener l) {
        drops.add(l);
    }

    public void removeDropListener(DropListener l) {
        drops.remove(l);
    }

    public <T> T unwrapTransport(Class<T> type) {
        ensureOpen();
        return transport.unwrap(type);
    }

    public boolean isClosed() {
        return closing.get();
    }

    public Health health() {
        Map<String, Health> components = new LinkedHashMap<>();
        Transport t = transport;
        if (closed || t == null) {
            components.put("transport", Health.of(Health.Status.DOWN, Map.of("closed", true)));
        } else {
            components.put("transport", safeHealth(t::health));
        }
        CacheDriver c = cacheDriver;
        if (c != null) {
            components.put("cache", closed ? Health.of(Health.Status.DOWN, Map.of("closed", true)) : safeHealth(c::health));
        }
        components.put("subscriptions", subscriber.health());
        Health r = requests.health();
        if (r != null) {
            components.put("requests", r);
        }
        for (Map.Entry<String, Supplier<Health>> extra : healthComponents) {
            Health h = extra.getValue().get();
            if (h == null) {
                healthComponents.remove(extra);
            } else {
                components.merge(extra.getKey(), h, (a, b) -> Health.aggregate(Map.of("1", a, "2", b)));
            }
        }
        return Health.aggregate(components);
    }

    private static Health safeHealth(Supplier<Health> s) {
        try {
            return s.get();
        } catch (RuntimeException e) {
            return Health.of(Health.Status.DOWN, Map.of("error", e.getClass().getSimpleName() + ": " + e.getMessage()));
        }
    }

    /**
     * Adds a component to {@link #health()}, such as a near cache; it is dropped once its
     * supplier returns {@code null} (for example after the component closed).
     */
    public void addHealthComponent(String name, Supplier<Health> health) {
        healthComponents.add(Map.entry(name, health));
    }

    /** The close sequence; {@code timeout} null means the configured one. */
    public void close(Duration timeout) {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        Duration total = timeout != null ? timeout : config.get(CoreKeys.CLOSE_TIMEOUT);
        long deadline = System.nanoTime() + total.toNanos();
        try {
            // First, so that handlers waiting for a reply are not what holds up their drain.
            requests.close();
            subscriber.closeAll(deadline);
            Transport t = transport;
            if (t != null) {
                closeQuietly("transport", () -> t.close(remaining(deadline)));
            }
            CacheDriver c = cacheDriver;
            if (c != null) {
                closeQuietly("cache", () -> c.close(remaining(deadline)));
            }
        } finally {
            closed = true;
            handlerPool.shutdown();
            scheduler.shutdownNow();
            events.close();
            drops.close();
            LOG.info("Switchboard {} closed", instanceName);
        }
    }

    static Duration remaining(long deadlineNanos) {
        return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    }

    private static void closeQuietly(String what, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("closing the {} failed: {}", what, e.toString());
        }
    }

    Collection<DefaultSharedCache> caches() {
        return caches.values();
    }

    String instanceName() {
        return instanceName;
    }

    @Override
    public String toString() {
        return instanceName + ", transport=" + transportName + ", cache=" + cacheProviderName + (closing.get() ? ", closed" : "");
    }

    static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static ScheduledExecutorService newScheduler(String instanceName) {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, threads(instanceName + "-timer"));
        s.setRemoveOnCancelPolicy(true);
        s.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return s;
    }

    static long toMillis(Duration d) {
        return TimeUnit.NANOSECONDS.toMillis(d.toNanos());
    }
}
