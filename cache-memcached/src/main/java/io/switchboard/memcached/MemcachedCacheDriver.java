package io.switchboard.memcached;

import io.switchboard.CacheException;
import io.switchboard.ConnectionException;
import io.switchboard.Health;
import io.switchboard.PayloadTooLargeException;
import io.switchboard.SwitchboardException;
import io.switchboard.memcached.internal.Deadlines;
import io.switchboard.memcached.internal.Expiry;
import io.switchboard.memcached.internal.GetsOnlyOptimization;
import io.switchboard.memcached.internal.Handshake;
import io.switchboard.memcached.internal.HandOffFuture;
import io.switchboard.memcached.internal.Item;
import io.switchboard.memcached.internal.ItemTranscoder;
import io.switchboard.memcached.internal.Keys;
import io.switchboard.memcached.internal.ObjectTranscoder;
import io.switchboard.memcached.internal.WireFormat;
import io.switchboard.spi.CacheDriver;
import io.switchboard.spi.CacheEntry;
import io.switchboard.spi.ConnectionEvents;
import io.switchboard.spi.ProviderContext;
import io.switchboard.spi.ValueFormat;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import net.spy.memcached.CASResponse;
import net.spy.memcached.ConnectionFactory;
import net.spy.memcached.ConnectionFactoryBuilder;
import net.spy.memcached.ConnectionObserver;
import net.spy.memcached.DefaultHashAlgorithm;
import net.spy.memcached.FailureMode;
import net.spy.memcached.MemcachedClient;
import net.spy.memcached.MemcachedClientIF;
import net.spy.memcached.MemcachedNode;
import net.spy.memcached.OperationFactory;
import net.spy.memcached.auth.AuthDescriptor;
import net.spy.memcached.auth.PlainCallbackHandler;
import net.spy.memcached.internal.GetFuture;
import net.spy.memcached.internal.OperationFuture;
import net.spy.memcached.metrics.MetricType;
import net.spy.memcached.ops.ArrayOperationQueueFactory;
import net.spy.memcached.ops.CASOperationStatus;
import net.spy.memcached.ops.CancelledOperationStatus;
import net.spy.memcached.ops.DeleteOperation;
import net.spy.memcached.ops.GetOperation;
import net.spy.memcached.ops.GetsOperation;
import net.spy.memcached.ops.Operation;
import net.spy.memcached.ops.OperationCallback;
import net.spy.memcached.ops.OperationException;
import net.spy.memcached.ops.OperationStatus;
import net.spy.memcached.ops.StatusCode;
import net.spy.memcached.ops.StoreOperation;
import net.spy.memcached.ops.StatusCode;
import net.spy.memcached.ops.StoreType;
import net.spy.memcached.ops.TimedOutOperationStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memcached {@link CacheDriver}, on spymemcached. Thread-safe. No method blocks for a round
 * trip: each returns a stage that completes within {@code switchboard.memcached.timeout} (plus a
 * sweep interval of at most 50 ms), failing with {@link ConnectionException} when the server holding
 * the key is down, slow or its queue is full, and with {@link CacheException} when the server
 * refuses the operation or holds a value with flags Switchboard did not write. Keys and values were
 * validated by the facade; the driver checks them again (memcached's rules, see {@link Keys}) and
 * throws {@link IllegalArgumentException} or {@link PayloadTooLargeException} at the call.
 * {@code null} arguments are refused with {@link NullPointerException}.
 *
 * <p>spymemcached settings chosen here (see {@code docs/memcached.md}): Ketama consistent hashing
 * over two or more servers,
 * failure mode {@code cancel}, bounded operation queues that never block the caller, a reconnect
 * after 10 consecutive timeouts instead of about 1000, reconnection backoff capped at 1 s, Nagle
 * off, metrics off, the configured SASL mechanism only, and a transcoder that never deserializes
 * Java objects.
 *
 * <p>A server counts as available only while it answers, not while its socket is connected:
 * {@link #connect} checks each one on a connection of its own ({@link Handshake}), a version
 * request goes to every connection each second, and an operation that times out after nothing at
 * all was read from its server for a whole timeout marks that server silent at once. Health and
 * connection events follow from that.
 */
public final class MemcachedCacheDriver implements CacheDriver {
    private static final Logger LOG = LoggerFactory.getLogger(MemcachedCacheDriver.class);
    /** Item header, key, CAS and suffix that memcached stores inside the item size limit. */
    static final int ITEM_OVERHEAD = 1024;
    /** How often every server is sent a version request, so that health and reconnection work while idle. */
    static final long PROBE_MILLIS = 1000;
    /** How often close checks whether the operations in flight have ended. */
    private static final long CLOSE_POLL_MILLIS = 5;

    private final MemcachedCacheProvider.Settings settings;
    private final Client[] clients;
    private final Keys keys;
    private final ItemTranscoder transcoder;
    private final int maxValueSize;
    private final Deadlines deadlines;
    private final ExecutorService[] callbacks;
    private final ExecutorService admin;
    private final ConnectionEvents events;
    private final Map<SocketAddress, Server> servers = new LinkedHashMap<>();
    private final List<ScheduledFuture<?>> timers = new ArrayList<>();
    private final LongAdder operations = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set when close stops waiting: operations still pending then fail as closed, not as timed out. */
    private volatile boolean shutDown;
    private final AtomicBoolean probing = new AtomicBoolean();
    /** Every connection to every server; filled once at start. */
    private final List<Link> links = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Guards the transitions of {@link Server#answering} and {@link Server#lostReported}, and the events they send. */
    private final Object transitions = new Object();
    /** Whether a lost event was sent and no recovered event since; guarded by {@link #transitions}. */
    private boolean lostOutstanding;
    private final String name;

    /**
     * Per-server state for health and connection events. A server is available when it answers
     * (its last version probe or the handshake at open was answered, and nothing since showed it
     * silent) and every connection to it is up: a connected socket alone proves nothing, since
     * the kernel of a frozen server still accepts connections.
     */
    private static final class Server {
        final String label;
        final LongAdder errors = new LongAdder();
        final List<Link> links = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile String version;
        volatile String lastError;
        volatile boolean answering;
        /** Guarded by {@link #transitions}. */
        boolean lostReported;

        Server(String label) {
            this.label = label;
        }
    }

    /** One connection (one spymemcached client's node) to one server, with its version probe. */
    private static final class Link {
        final int connection;
        final MemcachedNode node;
        final Server server;
        volatile Probe probe;

        Link(int connection, MemcachedNode node, Server server) {
            this.connection = connection;
            this.node = node;
            this.server = server;
        }

        boolean up() {
            return node.isActive() && node.isAuthenticated();
        }
    }

    @FunctionalInterface
    private interface Adapter<V, R> {
        R apply(V value, OperationStatus status);
    }

    private MemcachedCacheDriver(MemcachedCacheProvider.Settings settings, ProviderContext context, List<InetSocketAddress> addresses) {
        this.settings = settings;
        this.events = context.events();
        this.keys = new Keys(settings.hashKeys);
        this.maxValueSize = settings.itemSizeMax - ITEM_OVERHEAD;
        this.transcoder = new ItemTranscoder(settings.itemSizeMax);
        for (int i = 0; i < addresses.size(); i++) {
            servers.put(addresses.get(i), new Server(settings.labels.get(i)));
        }
        this.name = context.instanceName() + "-memcached";
        this.callbacks = new ExecutorService[settings.connections];
        for (int i = 0; i < callbacks.length; i++) {
            // One thread per connection keeps callbacks in the order the server replied.
            callbacks[i] = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), daemon(name + "-callback-" + i));
        }
        this.admin = Executors.newSingleThreadExecutor(daemon(name + "-admin"));
        this.deadlines = new Deadlines(settings.timeout.toNanos());
        this.clients = new Client[settings.connections];
    }

    static MemcachedCacheDriver connect(MemcachedCacheProvider.Settings settings, ProviderContext context) {
        useSlf4jForSpymemcached();
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (InetSocketAddress a : settings.servers) {
            InetSocketAddress resolved = new InetSocketAddress(a.getHostString(), a.getPort());
            if (resolved.isUnresolved()) {
                throw new ConnectionException("memcached server " + a.getHostString() + ":" + a.getPort() + " from '"
                        + MemcachedCacheProvider.SERVERS.name() + "' cannot be resolved; check the host name", null);
            }
            addresses.add(resolved);
        }
        MemcachedCacheDriver driver = new MemcachedCacheDriver(settings, context, addresses);
        try {
            driver.start(addresses, context);
        } catch (RuntimeException | Error e) {
            driver.close(Duration.ZERO);
            throw e;
        }
        return driver;
    }

    private void start(List<InetSocketAddress> addresses, ProviderContext context) {
        long deadline = System.nanoTime() + settings.connectTimeout.toNanos();
        for (int i = 0; i < clients.length; i++) {
            try {
                clients[i] = new Client(connectionFactory(settings, new DirectExecutor(), new Observer()), addresses);
            } catch (IOException e) {
                throw new ConnectionException("cannot start the memcached client for " + settings.labels + ": " + e.getMessage(), e);
            }
            for (MemcachedNode node : clients[i].nodes()) {
                Server s = servers.get(node.getSocketAddress());
                Link link = new Link(i, node, s);
                s.links.add(link);
                links.add(link);
            }
        }
        Map<SocketAddress, Handshake.Result> checks = handshakes(addresses, deadline);
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<SocketAddress, Handshake.Result> c : checks.entrySet()) {
            String problem = misconfigured(servers.get(c.getKey()).label, c.getValue());
            if (problem != null) {
                wrong.add(problem);
            }
        }
        if (!wrong.isEmpty()) {
            throw new io.switchboard.ConfigurationException(wrong, null);
        }
        // The handshake's own connection answered; spymemcached's connections are normally up by now.
        while (System.nanoTime() - deadline < 0 && !connected(checks)) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ConnectionException("interrupted while connecting to memcached " + settings.labels, e);
            }
        }
        List<String> down = new ArrayList<>();
        for (Map.Entry<SocketAddress, Server> e : servers.entrySet()) {
            Server s = e.getValue();
            Handshake.Result r = checks.get(e.getKey());
            if (r.outcome() == Handshake.Outcome.ANSWERED) {
                s.version = r.detail();
                s.answering = true;
                if (!isAvailable(s)) {
                    s.lastError = "answered the handshake, but the client's connection did not come up in time";
                }
            } else {
                s.lastError = r.outcome() == Handshake.Outcome.SILENT ? "accepted the connection but did not answer a version request "
                        + "(frozen or overloaded?)" : "could not be reached: " + r.detail();
            }
            if (!isAvailable(s)) {
                down.add(s.label + " " + s.lastError);
            }
        }
        if (down.size() == servers.size()) {
            throw new ConnectionException("no memcached server answered within " + settings.connectTimeout.toMillis() + " ms ('"
                    + MemcachedCacheProvider.CONNECT_TIMEOUT.name() + "'): " + String.join("; ", down)
                    + ". Check that memcached runs there and '" + MemcachedCacheProvider.SERVERS.name() + "'", null);
        }
        if (!down.isEmpty()) {
            LOG.warn("memcached: {} of {} servers did not answer within {} ms: {}; operations on their keys fail until they answer",
                    down.size(), servers.size(), settings.connectTimeout.toMillis(), String.join("; ", down));
        }
        long sweep = Math.max(5, Math.min(50, settings.timeout.toMillis() / 20));
        timers.add(context.scheduler().scheduleWithFixedDelay(deadlines::sweep, sweep, sweep, TimeUnit.MILLISECONDS));
        // spymemcached notices a dead connection only when it sends something, and a frozen server never: probe each one.
        timers.add(context.scheduler().scheduleWithFixedDelay(this::probeSoon, PROBE_MILLIS, PROBE_MILLIS, TimeUnit.MILLISECONDS));
        events.connected();
        LOG.info("memcached cache connected: {}", settings);
    }

    /** The configuration problem a handshake found, one sentence naming the server and what to set; null if none. */
    private String misconfigured(String label, Handshake.Result r) {
        String servers = "'" + MemcachedCacheProvider.SERVERS.name() + "'";
        String username = "'" + MemcachedCacheProvider.USERNAME.name() + "'";
        String password = "'" + MemcachedCacheProvider.PASSWORD.name() + "'";
        String mechanism = "'" + MemcachedCacheProvider.SASL_MECHANISM.name() + "'";
        switch (r.outcome()) {
            case NOT_MEMCACHED:
                return servers + " lists " + label + ", which is not a memcached server: it answered " + r.detail()
                        + "; check the host and port";
            case TEXT_ONLY:
                return "memcached server " + label + " (version " + r.detail() + ") answers only the text protocol (memcached -B ascii); set '"
                        + MemcachedCacheProvider.PROTOCOL.name() + "' to text, or start memcached without -B ascii";
            case AUTH_REQUIRED:
                return "memcached server " + label + " requires SASL authentication (it runs with -S) and none is configured; set "
                        + username + " and " + password;
            case NO_SASL:
                return username + " is set, but memcached server " + label + " does not support SASL authentication (it answered '"
                        + r.detail() + "'; it runs without -S); unset " + username + " and " + password + ", or start memcached with -S";
            case MECHANISM_NOT_OFFERED:
                return "memcached server " + label + " does not offer the SASL mechanism " + settings.mechanism + " (" + mechanism
                        + "); it offers " + r.detail() + "; set " + mechanism + " to plain or cram-md5 as the server offers, or add "
                        + settings.mechanism + " to its mech_list";
            case AUTH_REFUSED:
                return "memcached server " + label + " refused the credentials of user '" + settings.username + "' (SASL "
                        + settings.mechanism + ": " + r.detail() + "); check " + username + " and " + password;
            default:
                return null;
        }
    }

    /** Checks every server at once, each on a connection of its own, until the deadline. */
    private Map<SocketAddress, Handshake.Result> handshakes(List<InetSocketAddress> addresses, long deadline) {
        Map<SocketAddress, Handshake.Result> results = new LinkedHashMap<>();
        if (addresses.size() == 1) {
            results.put(addresses.get(0), Handshake.check(addresses.get(0), settings.binary, credentials(), deadline));
            return results;
        }
        ExecutorService pool = Executors.newFixedThreadPool(addresses.size(), daemon(name + "-handshake"));
        try {
            Map<SocketAddress, Future<Handshake.Result>> running = new LinkedHashMap<>();
            for (InetSocketAddress a : addresses) {
                running.put(a, pool.submit(() -> Handshake.check(a, settings.binary, credentials(), deadline)));
            }
            for (Map.Entry<SocketAddress, Future<Handshake.Result>> r : running.entrySet()) {
                results.put(r.getKey(), r.getValue().get());
            }
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectionException("interrupted while connecting to memcached " + settings.labels, e);
        } catch (ExecutionException e) {
            throw new ConnectionException("checking the memcached servers " + settings.labels + " failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    private Handshake.Credentials credentials() {
        return settings.username == null ? null : new Handshake.Credentials(settings.username, settings.password, settings.mechanism);
    }

    /** Whether spymemcached is connected to every server that answered the handshake. */
    private boolean connected(Map<SocketAddress, Handshake.Result> checks) {
        for (Map.Entry<SocketAddress, Handshake.Result> c : checks.entrySet()) {
            if (c.getValue().outcome() == Handshake.Outcome.ANSWERED) {
                for (Link l : servers.get(c.getKey()).links) {
                    if (!l.up()) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** spymemcached's settings, in one place so that tests can build the same key locator. */
    static ConnectionFactory connectionFactory(MemcachedCacheProvider.Settings settings, ExecutorService callbackExecutor,
            ConnectionObserver observer) {
        // Ketama costs an MD5 digest and a tree lookup per operation; with one server every key lands there anyway.
        boolean ketama = settings.servers.size() > 1;
        ConnectionFactoryBuilder b = new ConnectionFactoryBuilder()
                .setProtocol(settings.binary ? ConnectionFactoryBuilder.Protocol.BINARY : ConnectionFactoryBuilder.Protocol.TEXT)
                .setHashAlg(ketama ? DefaultHashAlgorithm.KETAMA_HASH : DefaultHashAlgorithm.NATIVE_HASH)
                .setLocatorType(ketama ? ConnectionFactoryBuilder.Locator.CONSISTENT : ConnectionFactoryBuilder.Locator.ARRAY_MOD)
                .setFailureMode(failureMode(settings.failureMode))
                .setOpTimeout(settings.timeout.toMillis())
                .setOpQueueFactory(new ArrayOperationQueueFactory(settings.queueSize))
                // spymemcached moves queued operations to the write queue only while it has room, so bounding
                // it too makes a stalled server fill the input queue, where new operations are refused at once.
                .setWriteOpQueueFactory(new ArrayOperationQueueFactory(settings.queueSize))
                .setOpQueueMaxBlockTime(0)
                .setTimeoutExceptionThreshold(settings.timeoutThreshold)
                .setMaxReconnectDelay(Math.max(1, settings.reconnectMaxDelay.getSeconds()))
                .setShouldOptimize(settings.optimizeGets)
                .setUseNagleAlgorithm(false)
                .setReadBufferSize(settings.readBuffer)
                .setDaemon(true)
                .setEnableMetrics(MetricType.OFF)
                .setTranscoder(new ObjectTranscoder(settings.itemSizeMax))
                .setListenerExecutorService(callbackExecutor)
                .setInitialObservers(List.of(observer));
        if (settings.username != null) {
            // AuthDescriptor.typical would try CRAM-MD5 first, whatever the server offers.
            b.setAuthDescriptor(new AuthDescriptor(new String[] {settings.mechanism},
                    new PlainCallbackHandler(settings.username, settings.password)));
        }
        return new GetsOnlyOptimization(b.build());
    }

    static FailureMode failureMode(String name) {
        switch (name) {
            case "redistribute":
                return FailureMode.Redistribute;
            case "retry":
                return FailureMode.Retry;
            default:
                return FailureMode.Cancel;
        }
    }

    @Override
    public int maxKeyLength() {
        return keys.maxKeyLength();
    }

    @Override
    public int maxValueSize() {
        return maxValueSize;
    }

    @Override
    public CompletionStage<CacheEntry> get(String key) {
        String sk = keys.toServerKey(key);
        // Neither lambda captures anything (the call carries the keys), so neither is allocated per get.
        return call(key, sk, true, (f, c) -> f.gets(c.sk, c), c -> c.found ? WireFormat.received(c.key, c.flags, c.data, c.cas) : null);
    }

    /**
     * One get per key, each with its own deadline, so that spymemcached never hands a key to
     * another server: its bulk get reads a key whose server is down from the next server in the
     * ring, where it is absent, whatever the failure mode. With optimize-gets, consecutive gets to
     * one server still go out as one multi-get. The first key that fails fails the whole read.
     */
    @Override
    public CompletionStage<Map<String, CacheEntry>> getAll(Collection<String> keyList) {
        Map<String, String> byServerKey = new LinkedHashMap<>();
        for (String key : keyList) {
            byServerKey.put(keys.toServerKey(key), key);
        }
        if (byServerKey.isEmpty()) {
            return CompletableFuture.completedFuture(Map.of());
        }
        if (closed.get()) {
            throw new IllegalStateException("the memcached cache is closed");
        }
        CompletableFuture<Map<String, CacheEntry>> result = result(connection(byServerKey.keySet().iterator().next()), true);
        BulkRead bulk = new BulkRead(byServerKey.size(), result);
        for (Map.Entry<String, String> e : byServerKey.entrySet()) {
            String sk = e.getKey();
            String key = e.getValue();
            CompletableFuture<CacheEntry> part = new CompletableFuture<>();
            part.whenComplete((entry, failure) -> bulk.add(key, entry, failure));
            send(new Call<>(connection(sk), key, sk, part, c -> c.found ? WireFormat.receivedShared(c.key, c.flags, c.data, 0) : null),
                    (f, c) -> f.get(c.sk, new PlainGet(c)));
            if (result.isDone()) {
                break;
            }
        }
        return result;
    }

    /** Collects the parts of a {@link #getAll}; any part's failure fails the whole. Thread-safe. */
    private static final class BulkRead {
        private final CompletableFuture<Map<String, CacheEntry>> result;
        private final Map<String, CacheEntry> found = new HashMap<>();
        private int remaining;

        BulkRead(int parts, CompletableFuture<Map<String, CacheEntry>> result) {
            this.remaining = parts;
            this.result = result;
        }

        void add(String key, CacheEntry entry, Throwable failure) {
            if (failure != null) {
                result.completeExceptionally(failure);
                return;
            }
            Map<String, CacheEntry> done = null;
            synchronized (this) {
                if (entry != null) {
                    found.put(key, entry);
                }
                if (--remaining == 0) {
                    done = found;
                }
            }
            if (done != null) {
                result.complete(done);
            }
        }
    }

    @Override
    public CompletionStage<Void> put(String key, byte[] value, ValueFormat format, Duration ttl) {
        String sk = keys.toServerKey(key);
        Item item = item(key, value, format);
        int exp = Expiry.of(ttl, nowSeconds());
        return call(key, sk, false, (f, c) -> f.store(StoreType.set, sk, item.flags(), exp, item.bytes(), c), c -> {
            if (!c.succeeded()) {
                throw refused("store", key, sk, c.status);
            }
            return null;
        });
    }

    @Override
    public CompletionStage<Boolean> putIfAbsent(String key, byte[] value, ValueFormat format, Duration ttl) {
        String sk = keys.toServerKey(key);
        Item item = item(key, value, format);
        int exp = Expiry.of(ttl, nowSeconds());
        return call(key, sk, false, (f, c) -> f.store(StoreType.add, sk, item.flags(), exp, item.bytes(), c), c -> {
            if (!c.succeeded() && !notStored(c.status)) {
                throw refused("add", key, sk, c.status);
            }
            return c.succeeded();
        });
    }

    @Override
    public CompletionStage<Boolean> compareAndSet(String key, long version, byte[] value, ValueFormat format, Duration ttl) {
        String sk = keys.toServerKey(key);
        Item item = item(key, value, format);
        int exp = Expiry.of(ttl, nowSeconds());
        return call(key, sk, false, (f, c) -> f.cas(StoreType.set, sk, version, item.flags(), exp, item.bytes(), c),
                c -> c.status instanceof CASOperationStatus && ((CASOperationStatus) c.status).getCASResponse() == CASResponse.OK);
    }

    @Override
    public CompletionStage<Boolean> delete(String key) {
        String sk = keys.toServerKey(key);
        return call(key, sk, false, (f, c) -> f.delete(sk, c), Call::succeeded);
    }

    /**
     * memcached's {@code touch} (text protocol from 1.4.8, binary): a new expiration, converted
     * as for writes (past 30 days an absolute time), without a new CAS, so the version stays.
     */
    @Override
    public CompletionStage<Boolean> touch(String key, Duration ttl) {
        String sk = keys.toServerKey(key);
        int exp = Expiry.of(ttl, nowSeconds());
        return call(key, sk, false, (f, c) -> f.touch(sk, exp, c), c -> {
            if (c.succeeded()) {
                return true;
            }
            if (notFound(c.status)) {
                return false;
            }
            throw refused("touch", key, sk, c.status);
        });
    }

    private static boolean notFound(OperationStatus s) {
        if (s == null) {
            return false;
        }
        String m = String.valueOf(s.getMessage());
        return s.getStatusCode() == StatusCode.ERR_NOT_FOUND || m.contains("NOT_FOUND") || m.equalsIgnoreCase("Not found");
    }

    @Override
    public CompletionStage<Long> increment(String key, long delta, long initial, Duration ttl) {
        if (initial < 0) {
            throw new IllegalArgumentException("memcached counters are unsigned: initial value for key '" + Keys.printable(key)
                    + "' must be 0 or more, not " + initial);
        }
        String sk = keys.toServerKey(key);
        int exp = Expiry.of(ttl, nowSeconds());
        long by = delta == Long.MIN_VALUE ? Long.MAX_VALUE : Math.abs(delta);
        if (settings.binary) {
            return binaryIncrement(key, sk, delta, by, initial, exp, 0);
        }
        return submit(key, sk, c -> c.asyncGet(sk, transcoder), (Item current, OperationStatus s) -> current).thenCompose(current -> {
            if (current != null && !isCounter(current.bytes())) {
                throw refused("increment", key, sk, null);
            }
            return textIncrement(key, sk, delta, by, initial, exp, 0);
        });
    }

    /**
     * Over the text protocol a CLIENT_ERROR reply makes spymemcached drop the connection, failing
     * every operation in flight to that server, so a value that is visibly not a counter is refused
     * before sending incr. A value replaced between the read and the incr still costs a reconnect.
     */
    private static boolean isCounter(byte[] value) {
        int digits = 0;
        for (byte b : value) {
            if (b >= '0' && b <= '9') {
                digits++;
            } else if (b != ' ' || digits == 0) {
                return false;
            }
        }
        return digits > 0 && digits <= 20;
    }

    /** The text protocol has no incr-with-initial: incr, else add the initial value, else (lost a race) incr again. */
    private CompletionStage<Long> textIncrement(String key, String sk, long delta, long by, long initial, int exp, int attempt) {
        CompletionStage<Long> mutated = submit(key, sk, c -> delta >= 0 ? c.asyncIncr(sk, by) : c.asyncDecr(sk, by),
                (Long v, OperationStatus s) -> v);
        return mutated.thenCompose(v -> {
            if (v != null && v >= 0) {
                return CompletableFuture.completedFuture(v);
            }
            Item item = new Item(WireFormat.TEXT, Long.toString(initial).getBytes(StandardCharsets.UTF_8));
            return submit(key, sk, c -> c.add(sk, exp, item, transcoder), (Boolean ok, OperationStatus s) -> ok)
                    .thenCompose(added -> {
                        if (Boolean.TRUE.equals(added)) {
                            return CompletableFuture.completedFuture(initial);
                        }
                        if (attempt >= 2) {
                            CompletableFuture<Long> failed = new CompletableFuture<>();
                            failed.completeExceptionally(new CacheException("counter '" + Keys.printable(key)
                                    + "' kept appearing and disappearing during increment; try again", null, true));
                            return failed;
                        }
                        return textIncrement(key, sk, delta, by, initial, exp, attempt + 1);
                    });
        });
    }

    /**
     * The binary protocol's incr creates a missing counter at {@code initial}, but two clients
     * creating one key at once make memcached refuse the loser with NOT_STORED (its create is an
     * add). The key exists then, so the increment is sent again, at most twice.
     */
    private CompletionStage<Long> binaryIncrement(String key, String sk, long delta, long by, long initial, int exp, int attempt) {
        return submit(key, sk, c -> delta >= 0 ? c.asyncIncr(sk, by, initial, exp) : c.asyncDecr(sk, by, initial, exp),
                (Long v, OperationStatus s) -> (v == null || v < 0) && attempt < 2 && lostCreateRace(s) ? null : counter(key, sk, v, s))
                .thenCompose(v -> v != null ? CompletableFuture.completedFuture(v)
                        : binaryIncrement(key, sk, delta, by, initial, exp, attempt + 1));
    }

    private static boolean lostCreateRace(OperationStatus s) {
        return s != null && (s.getStatusCode() == StatusCode.ERR_NOT_STORED
                || String.valueOf(s.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("not stored"));
    }

    private Long counter(String key, String sk, Long value, OperationStatus status) {
        if (value == null || value < 0) {
            throw refused("increment", key, sk, status);
        }
        return value;
    }

    private Item item(String key, byte[] value, ValueFormat format) {
        if (value.length > maxValueSize) {
            throw new PayloadTooLargeException("value for memcached key '" + Keys.printable(key) + "'", value.length, maxValueSize,
                    "'" + MemcachedCacheProvider.ITEM_SIZE_MAX.name() + "' (" + settings.itemSizeMax + ") minus " + ITEM_OVERHEAD
                            + " bytes of item overhead");
        }
        return new Item(WireFormat.flags(format), value);
    }

    private static boolean notStored(OperationStatus s) {
        String m = s == null ? "" : String.valueOf(s.getMessage());
        return m.contains("NOT_STORED") || m.contains("exists") || m.contains("EXISTS") || m.contains("Data exists");
    }

    private CacheException refused(String what, String key, String sk, OperationStatus s) {
        String message = s == null ? "the stored value is not a decimal counter" : s.getMessage();
        Server server = noteError(sk, what + ": " + message);
        failures.increment();
        return new CacheException("memcached server " + (server == null ? "?" : server.label) + " refused to " + what + " key '"
                + Keys.printable(key) + "': " + message
                + ("increment".equals(what) ? " (is the stored value a decimal counter?)" : ""), null, false);
    }

    private static long nowSeconds() {
        return System.currentTimeMillis() / 1000;
    }

    private int connection(String serverKey) {
        return clients.length == 1 ? 0 : (serverKey.hashCode() & 0x7fffffff) % clients.length;
    }

    /**
     * The result of an operation: completed on the I/O thread (spymemcached calls back there),
     * callbacks handed to the connection's callback thread unless complete-on-io-thread is set.
     */
    private <R> CompletableFuture<R> result(int connection, boolean read) {
        if (settings.completeOnIoThread) {
            return new CompletableFuture<>();
        }
        ExecutorService callback = callbacks[connection];
        return read ? new HandOffFuture.Inline<>(callback) : new HandOffFuture<>(callback);
    }

    @FunctionalInterface
    private interface Submission<F> {
        F submit(MemcachedClient client);
    }

    private <V, R> CompletableFuture<R> submit(String key, String sk, Submission<? extends Future<V>> submission, Adapter<V, R> adapter) {
        if (closed.get()) {
            throw new IllegalStateException("the memcached cache is closed");
        }
        operations.increment();
        int connection = connection(sk);
        CompletableFuture<R> result = result(connection, false);
        Future<V> f;
        try {
            f = submission.submit(clients[connection]);
        } catch (RuntimeException e) {
            result.completeExceptionally(submitFailure(key, sk, e));
            return result;
        }
        deadlines.track(new Pending<>(connection, key, sk, f, result));
        if (f instanceof GetFuture) {
            ((GetFuture<V>) f).addListener(done -> finish(key, sk, f, result, adapter));
        } else {
            ((OperationFuture<V>) f).addListener(done -> finish(key, sk, f, result, adapter));
        }
        return result;
    }

    private <V, R> void finish(String key, String sk, Future<V> f, CompletableFuture<R> result, Adapter<V, R> adapter) {
        if (result.isDone()) {
            return;
        }
        try {
            V value = f.get();
            OperationStatus status = f instanceof OperationFuture ? ((OperationFuture<V>) f).getStatus()
                    : f instanceof GetFuture ? ((GetFuture<V>) f).getStatus() : null;
            result.complete(adapter.apply(value, status));
        } catch (ExecutionException e) {
            result.completeExceptionally(failure(key, sk, e.getCause()));
        } catch (CancellationException e) {
            result.completeExceptionally(failure(key, sk, e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            result.completeExceptionally(new ConnectionException("interrupted while completing memcached operation on key '"
                    + Keys.printable(key) + "'", e));
        } catch (SwitchboardException | IllegalArgumentException e) {
            result.completeExceptionally(e);
        } catch (RuntimeException e) {
            result.completeExceptionally(failure(key, sk, e));
        }
    }

    /** An operation on key {@code key} (sent as {@code sk}) whose stage fails when its deadline passes first. */
    private abstract class Timed<R> extends Deadlines.Tracked {
        final int connection;
        final String key;
        final String sk;
        final CompletableFuture<R> result;

        Timed(int connection, String key, String sk, CompletableFuture<R> result) {
            this.connection = connection;
            this.key = key;
            this.sk = sk;
            this.result = result;
        }

        /** Cancels the operation in spymemcached, which may complete it (as cancelled) on this thread. */
        abstract void cancel();

        /** The node the operation was sent to, or null if it never was. */
        MemcachedNode node() {
            return clients[connection].node(sk);
        }

        @Override
        protected final boolean isDone() {
            return result.isDone();
        }

        @Override
        protected final void expire() {
            // Fail first: cancelling completes the operation, which would report a cancellation instead.
            result.completeExceptionally(expired(key, sk));
            cancel();
            if (!shutDown) {
                timedOut(node());
            }
        }
    }

    /** An operation on spymemcached's future-based path (counters, and the text protocol's reads before an increment), tracked for its deadline. */
    private final class Pending<R> extends Timed<R> {
        private final Future<?> operation;

        Pending(int connection, String key, String sk, Future<?> operation, CompletableFuture<R> result) {
            super(connection, key, sk, result);
            this.operation = operation;
        }

        @Override
        void cancel() {
            operation.cancel(false);
        }
    }

    /**
     * Sends an operation whose callback completes the caller's stage directly: no spymemcached
     * future, latch or listener list, so both the calling and the I/O thread do less per operation.
     */
    private <R> CompletableFuture<R> call(String key, String sk, boolean read, Operator operator, Reply<R> reply) {
        if (closed.get()) {
            throw new IllegalStateException("the memcached cache is closed");
        }
        int connection = connection(sk);
        return send(new Call<>(connection, key, sk, result(connection, read), reply), operator);
    }

    private <R> CompletableFuture<R> send(Call<R> call, Operator operator) {
        operations.increment();
        try {
            Client client = clients[call.connection];
            call.operation = operator.create(client.operationFactory(), call);
            client.enqueue(call.sk, call.operation);
        } catch (RuntimeException e) {
            call.result.completeExceptionally(submitFailure(call.key, call.sk, e));
            return call.result;
        }
        deadlines.track(call);
        return call.result;
    }

    /** Creates the spymemcached operation for a {@link Call}, which is its callback. */
    @FunctionalInterface
    private interface Operator {
        Operation create(OperationFactory factory, Call<?> callback);
    }

    /** Reads a completed {@link Call}'s reply into its result; may throw to fail it. */
    @FunctionalInterface
    private interface Reply<R> {
        R apply(Call<R> call);
    }

    /**
     * One operation on the direct path: spymemcached's callback, the deadline entry and the
     * caller's stage in one object. spymemcached calls it on its I/O thread, or on the thread that
     * cancels the operation; the first of reply, failure and expiry completes the stage.
     */
    private final class Call<R> extends Timed<R> implements StoreOperation.Callback, GetsOperation.Callback, DeleteOperation.Callback {
        private final Reply<R> reply;
        /** Set before the operation is enqueued, which publishes it to the I/O thread. */
        Operation operation;
        OperationStatus status;
        boolean found;
        int flags;
        long cas;
        byte[] data;

        Call(int connection, String key, String sk, CompletableFuture<R> result, Reply<R> reply) {
            super(connection, key, sk, result);
            this.reply = reply;
        }

        boolean succeeded() {
            return status != null && status.isSuccess();
        }

        @Override
        public void receivedStatus(OperationStatus s) {
            status = s;
        }

        @Override
        public void gotData(String k, int itemFlags, long itemCas, byte[] itemData) {
            found = true;
            flags = itemFlags;
            cas = itemCas;
            data = itemData;
        }

        @Override
        public void gotData(String k, long itemCas) {
            cas = itemCas;
        }

        @Override
        public void gotData(long itemCas) {
            cas = itemCas;
        }

        @Override
        public void complete() {
            if (result.isDone()) {
                return;
            }
            try {
                OperationStatus s = status;
                if (s instanceof CancelledOperationStatus) {
                    result.completeExceptionally(failure(key, sk, new CancellationException("cancelled")));
                } else if (s instanceof TimedOutOperationStatus) {
                    result.completeExceptionally(failure(key, sk, new TimeoutException(s.getMessage())));
                } else if (operation.hasErrored()) {
                    result.completeExceptionally(failure(key, sk, operation.getException()));
                } else {
                    MemcachedNode node = operation.getHandlingNode();
                    if (node != null && node.getContinuousTimeout() != 0) {
                        node.setContinuousTimeout(false);
                    }
                    result.complete(reply.apply(this));
                }
            } catch (SwitchboardException | IllegalArgumentException e) {
                result.completeExceptionally(e);
            } catch (RuntimeException e) {
                result.completeExceptionally(failure(key, sk, e));
            }
        }

        @Override
        void cancel() {
            operation.cancel();
        }

        @Override
        MemcachedNode node() {
            return operation.getHandlingNode();
        }
    }

    /**
     * A {@link Call}'s callback for a plain get, which spymemcached may merge with its neighbours
     * into one multi-get; a separate type because spymemcached tells gets from get by the
     * callback's interfaces, and would hand a {@link Call} the reply of a get without its CAS.
     */
    private static final class PlainGet implements GetOperation.Callback {
        private final Call<?> call;

        PlainGet(Call<?> call) {
            this.call = call;
        }

        @Override
        public void gotData(String k, int itemFlags, byte[] itemData) {
            call.gotData(k, itemFlags, 0, itemData);
        }

        @Override
        public void receivedStatus(OperationStatus s) {
            call.receivedStatus(s);
        }

        @Override
        public void complete() {
            call.complete();
        }
    }

    /** The failure of an operation whose deadline passed, or that was still pending at close. */
    private ConnectionException expired(String key, String sk) {
        if (shutDown) {
            return new ConnectionException("the memcached cache was closed before the operation on key '"
                    + Keys.printable(key) + "' completed", null);
        }
        timeouts.increment();
        return new ConnectionException("memcached operation on key '" + Keys.printable(key)
                + "' timed out after " + settings.timeout.toMillis() + " ms ('" + MemcachedCacheProvider.TIMEOUT.name() + "')"
                + where(sk), null);
    }

    /** spymemcached's client with its operation factory and connection at hand, for {@link Call}s. */
    private static final class Client extends MemcachedClient {
        Client(ConnectionFactory factory, List<InetSocketAddress> addresses) throws IOException {
            super(factory, addresses);
        }

        OperationFactory operationFactory() {
            return opFact;
        }

        void enqueue(String key, Operation operation) {
            mconn.enqueueOperation(key, operation);
        }

        /** The connection's own nodes (the client's locator hands out read-only copies). */
        Collection<MemcachedNode> nodes() {
            return mconn.getLocator().getAll();
        }

        /** The node that holds {@code key}. */
        MemcachedNode node(String key) {
            return mconn.getLocator().getPrimary(key);
        }

        /** Sends {@code operation} to {@code node}, whichever key it would hash to. */
        void send(MemcachedNode node, Operation operation) {
            mconn.broadcastOperation((n, latch) -> operation, List.of(node));
        }
    }

    private String where(String sk) {
        Server s = noteError(sk, "timeout");
        return s == null ? "" : " waiting for server " + s.label;
    }

    /** Counts an error against the server holding {@code sk} and remembers it for health; returns that server, or null. */
    private Server noteError(String sk, String error) {
        Server s = server(sk);
        if (s != null) {
            s.errors.increment();
            s.lastError = error;
        }
        return s;
    }

    private SwitchboardException submitFailure(String key, String sk, RuntimeException e) {
        failures.increment();
        Server s = noteError(sk, String.valueOf(e.getMessage()));
        if (e instanceof IllegalStateException) {
            return new ConnectionException("memcached operation on key '" + Keys.printable(key) + "' was refused before sending"
                    + (s == null ? "" : " to server " + s.label) + ": " + e.getMessage() + " (the server is slow or down and its queue of "
                    + settings.queueSize + " operations is full; '" + MemcachedCacheProvider.QUEUE_SIZE.name() + "')", e);
        }
        return new CacheException("memcached operation on key '" + Keys.printable(key) + "' failed: " + e, e, false);
    }

    private SwitchboardException failure(String key, String sk, Throwable cause) {
        failures.increment();
        Server s = noteError(sk, String.valueOf(cause));
        String label = s == null ? "?" : s.label;
        if (cause instanceof CancellationException) {
            return new ConnectionException("memcached server " + label + " holding key '" + Keys.printable(key)
                    + "' is unavailable; the operation was cancelled without waiting (failure-mode " + settings.failureMode
                    + "). Retry once the server is back", cause);
        }
        if (cause instanceof TimeoutException) {
            timeouts.increment();
            return new ConnectionException("memcached operation on key '" + Keys.printable(key) + "' timed out waiting for server "
                    + label, cause);
        }
        if (cause instanceof OperationException) {
            return new CacheException("memcached server " + label + " refused the operation on key '" + Keys.printable(key) + "': "
                    + cause.getMessage(), cause, false);
        }
        if (cause instanceof IOException || cause instanceof IllegalStateException) {
            return new ConnectionException("memcached operation on key '" + Keys.printable(key) + "' failed on server " + label
                    + ": " + cause, cause);
        }
        if (cause instanceof SwitchboardException) {
            return (SwitchboardException) cause;
        }
        return new CacheException("memcached operation on key '" + Keys.printable(key) + "' failed on server " + label + ": " + cause,
                cause, false);
    }

    private Server server(String sk) {
        try {
            return servers.get(clients[0].getNodeLocator().getPrimary(sk).getSocketAddress());
        } catch (RuntimeException e) {
            return null;
        }
    }

    private int availableCount() {
        int n = 0;
        for (Server s : servers.values()) {
            if (isAvailable(s)) {
                n++;
            }
        }
        return n;
    }

    private boolean isAvailable(Server s) {
        if (!s.answering || s.links.size() < clients.length) {
            return false;
        }
        for (Link l : s.links) {
            if (!l.up()) {
                return false;
            }
        }
        return true;
    }

    /** Sends the version probes from the admin thread (sending may wait briefly for a connection's authentication). */
    private void probeSoon() {
        if (!probing.compareAndSet(false, true)) {
            return;
        }
        try {
            admin.execute(() -> {
                try {
                    probeAll();
                } finally {
                    probing.set(false);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            probing.set(false);
            LOG.trace("memcached: not probing while closing");
        }
    }

    /** A version request on every connection that is up and has no probe pending; each is tracked for its deadline. */
    private void probeAll() {
        for (Link l : links) {
            Probe last = l.probe;
            if (closed.get() || (last != null && !last.isDone()) || !l.up()) {
                continue;
            }
            Probe p = new Probe(l);
            l.probe = p;
            try {
                Client client = clients[l.connection];
                p.operation = client.operationFactory().version(p);
                client.send(l.node, p.operation);
                deadlines.track(p);
            } catch (RuntimeException e) {
                // A full queue or a connection going down: the operations' own timeouts and the observer report it.
                p.finish();
                LOG.debug("memcached: probing server {} failed", l.server.label, e);
            }
        }
    }

    /**
     * A version request to one connection. A reply marks the server as answering; no reply within
     * {@code timeout} marks it silent (frozen, overloaded or cut off), though its socket is open.
     */
    private final class Probe extends Deadlines.Tracked implements OperationCallback {
        private final Link link;
        private final AtomicBoolean done = new AtomicBoolean();
        Operation operation;
        private volatile OperationStatus status;

        Probe(Link link) {
            this.link = link;
        }

        boolean finish() {
            return done.compareAndSet(false, true);
        }

        @Override
        public void receivedStatus(OperationStatus s) {
            status = s;
        }

        @Override
        public void complete() {
            OperationStatus s = status;
            if (finish() && s != null && s.isSuccess()) {
                answered(link.server, s.getMessage());
            }
        }

        @Override
        protected boolean isDone() {
            return done.get();
        }

        @Override
        protected void expire() {
            if (finish()) {
                silent(link.server, "did not answer a version request within " + settings.timeout.toMillis() + " ms ('"
                        + MemcachedCacheProvider.TIMEOUT.name() + "'; frozen or overloaded?)");
                operation.cancel();
            }
        }
    }

    /** The server answered: available again once all its connections are up; recovered when every server is. */
    private void answered(Server s, String version) {
        if (version != null && !version.isEmpty()) {
            s.version = version;
        }
        synchronized (transitions) {
            if (!s.answering) {
                s.answering = true;
                if (!closed.get()) {
                    LOG.info("memcached server {} answers again", s.label);
                }
            }
            if (lostOutstanding && availableCount() == servers.size()) {
                lostOutstanding = false;
                for (Server each : servers.values()) {
                    each.lostReported = false;
                }
                if (!closed.get()) {
                    events.recovered(false);
                }
            }
        }
    }

    /** The server stopped answering or its connection was lost: unavailable, with one lost event per outage. */
    private void silent(Server s, String why) {
        s.lastError = why;
        synchronized (transitions) {
            if (!s.answering || closed.get()) {
                s.answering = false;
                return;
            }
            s.answering = false;
            LOG.warn("memcached server {} {}; operations on its keys fail until it answers again", s.label, why);
            if (!s.lostReported) {
                s.lostReported = true;
                lostOutstanding = true;
                events.lost(new ConnectionException("memcached server " + s.label + " " + why, null));
            }
        }
    }

    /**
     * An operation sent on {@code node} timed out: it counts toward spymemcached's
     * {@code timeout-threshold} (a reply resets the count), and when the server sent nothing at
     * all for a whole timeout, it is silent.
     */
    private void timedOut(MemcachedNode node) {
        if (node == null) {
            return;
        }
        node.setContinuousTimeout(true);
        Server s = servers.get(node.getSocketAddress());
        if (s != null && node.lastReadDelta() >= settings.timeout.toMillis()) {
            silent(s, "answered nothing for " + node.lastReadDelta() + " ms, more than the " + settings.timeout.toMillis() + " ms of '"
                    + MemcachedCacheProvider.TIMEOUT.name() + "'");
        }
    }

    /**
     * UP when every server answers, DEGRADED when some do, DOWN when none does. Details: per server
     * availability, version, errors and last error; totals of operations, failures and timeouts.
     * Does not block.
     */
    @Override
    public Health health() {
        if (closed.get()) {
            return Health.of(Health.Status.DOWN, Map.of("closed", true));
        }
        Map<String, Object> details = new LinkedHashMap<>();
        int available = 0;
        for (Map.Entry<SocketAddress, Server> e : servers.entrySet()) {
            Server s = e.getValue();
            boolean up = isAvailable(s);
            available += up ? 1 : 0;
            details.put(s.label + ".available", up);
            details.put(s.label + ".version", s.version == null ? "unknown" : s.version);
            details.put(s.label + ".errors", s.errors.sum());
            if (s.lastError != null) {
                details.put(s.label + ".last-error", s.lastError);
            }
        }
        details.put("servers", servers.size());
        details.put("available", available);
        details.put("operations", operations.sum());
        details.put("failures", failures.sum());
        details.put("timeouts", timeouts.sum());
        details.put("protocol", settings.binary ? "binary" : "text");
        details.put("failure-mode", settings.failureMode);
        Health.Status status = available == servers.size() ? Health.Status.UP : available == 0 ? Health.Status.DOWN : Health.Status.DEGRADED;
        return Health.of(status, details);
    }

    /**
     * Waits until every operation in flight has its reply or has timed out (each within
     * {@code timeout} of being sent), at most {@code timeout} in all, then fails what is left and
     * closes the connections without waiting. spymemcached's own graceful shutdown is not used: it
     * waits for a marker to pass every server's queue, which on a server that is down or frozen
     * takes the whole timeout even with nothing in flight.
     */
    @Override
    public void close(Duration timeout) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (!deadlines.allDone() && System.nanoTime() - deadline < 0) {
                Thread.sleep(Math.max(1, Math.min(CLOSE_POLL_MILLIS, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        shutDown = true;
        timers.forEach(t -> t.cancel(false));
        deadlines.expireAll();
        for (MemcachedClient c : clients) {
            if (c != null) {
                c.shutdown();
            }
        }
        for (ExecutorService e : callbacks) {
            e.shutdown();
        }
        admin.shutdownNow();
        LOG.info("memcached cache closed: {}", settings.labels);
    }

    /** Offers {@link MemcachedClient} and {@link MemcachedClientIF} (the first connection's client). */
    @Override
    public <T> T unwrap(Class<T> type) {
        if (type == MemcachedClient.class || type == MemcachedClientIF.class) {
            return type.cast(clients[0]);
        }
        throw new IllegalArgumentException("the memcached cache offers no native object of type " + type.getName()
                + "; it offers " + MemcachedClient.class.getName() + " and " + MemcachedClientIF.class.getName());
    }

    @Override
    public String toString() {
        return "MemcachedCacheDriver[" + settings + "]";
    }

    private final class Observer implements ConnectionObserver {
        @Override
        public void connectionEstablished(SocketAddress address, int reconnectCount) {
            Server s = servers.get(address);
            if (s != null && reconnectCount > 0 && !closed.get()) {
                // Connected is not answering: a frozen server's kernel accepts too. The probe decides.
                LOG.info("memcached server {} connected again; checking that it answers", s.label);
                probeSoon();
            }
        }

        @Override
        public void connectionLost(SocketAddress address) {
            Server s = servers.get(address);
            if (s != null) {
                silent(s, "lost its connection; reconnecting");
            }
        }
    }

    /** Runs spymemcached's listeners on the thread completing the operation: its I/O thread. */
    private static final class DirectExecutor extends AbstractExecutorService {
        private static final Future<?> DONE = CompletableFuture.completedFuture(null);

        private volatile boolean shutdown;

        @Override
        public void execute(Runnable command) {
            command.run();
        }

        /** spymemcached submits each listener notification; running it here needs no FutureTask. */
        @Override
        public Future<?> submit(Runnable task) {
            task.run();
            return DONE;
        }

        @Override
        public void shutdown() {
            shutdown = true;
        }

        @Override
        public List<Runnable> shutdownNow() {
            shutdown = true;
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return shutdown;
        }

        @Override
        public boolean isTerminated() {
            return shutdown;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return true;
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static final AtomicBoolean LOGGER_CHOSEN = new AtomicBoolean();

    /**
     * spymemcached logs through its own stderr logger unless told otherwise through this system
     * property, read once when its first logger is created; a value the application set wins.
     */
    private static void useSlf4jForSpymemcached() {
        if (LOGGER_CHOSEN.compareAndSet(false, true) && System.getProperty("net.spy.log.LoggerImpl") == null) {
            System.setProperty("net.spy.log.LoggerImpl", "net.spy.memcached.compat.log.SLF4JLogger");
        }
    }
}
