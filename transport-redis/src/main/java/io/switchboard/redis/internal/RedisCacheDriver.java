package io.switchboard.redis.internal;

import io.switchboard.redis.common.RedisWire;
import io.switchboard.redis.common.RedisConnector;
import io.switchboard.redis.common.RedisAcl;
import io.switchboard.redis.common.RedisEndpoint;
import io.switchboard.CacheException;
import io.switchboard.ConnectionException;
import io.switchboard.Health;
import io.switchboard.redis.RedisConfigKeys;
import io.switchboard.spi.CacheDriver;
import io.switchboard.spi.CacheEntry;
import io.switchboard.spi.ProviderContext;
import io.switchboard.spi.ValueFormat;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The Redis shared cache: plain values under plain keys (so {@code redis-cli GET} shows them),
 * TTLs in milliseconds, and a version token that changes on every write: each write also stores
 * a fresh random token (16 hex digits) at the companion key {@code <key> sbv}, with the value's
 * TTL, atomically ({@code MULTI}/{@code EXEC} sent in one write for put and delete, Lua scripts
 * for the conditional writes), and the version is the first 64 bits of
 * {@code SHA-1(token ":" value)}. Computed by the client on reads and by {@code redis.sha1hex} in
 * the compare-and-set script, so a value rewritten with the same bytes has a new version, and a
 * plain {@code SET} by another client (which leaves the token) still changes it. The companion's
 * space cannot occur in a facade key, so it never collides with one.
 *
 * <p>Thread-safe. Operations run on {@code cache.pool-size} threads sharing Jedis's pooled
 * {@code RedisClient} of as many connections. A sweeper on the provider's scheduler bounds each
 * operation by {@code command-timeout}: it fails that long after the call if Redis answered no
 * operation of this cache meanwhile, and that long after it started in any case (under load that
 * Redis keeps answering, operations queue as long as needed). The
 * socket timeout alone bounds one read of a running operation, not the wait for a thread or a
 * connection behind operations stuck on a silent server. A queued operation that timed out is
 * never started.
 */
public final class RedisCacheDriver implements CacheDriver {
    /** Longest key accepted, in UTF-8 bytes. Redis allows far more; long keys cost memory on every node. */
    public static final int MAX_KEY_LENGTH = 1024;
    /** Largest value accepted (16 MiB); lower it with {@code switchboard.cache.max-value-size}. */
    public static final int MAX_VALUE_SIZE = 16 * 1024 * 1024;

    /**
     * How often a cluster's slot map is renewed when nothing prompted it (a broken connection or a
     * MOVED renews it at once), so that a resharding is followed by an idle cache too.
     */
    static final Duration TOPOLOGY_REFRESH = Duration.ofSeconds(5);

    /** What the companion key holding a value's version token adds to the key. */
    static final String TOKEN_SUFFIX = " sbv";

    /*
     * Scripts: KEYS[1] the value's key, KEYS[2] its token's key; the TTL argument is milliseconds,
     * "0" for none (SET without PX also clears an earlier TTL). Commands a script calls need the
     * same ACL permissions as if sent directly (docs/redis.md lists them per operation).
     */
    /** ARGV: value, token, ttl; 1 if written. */
    private static final byte[] PUT_IF_ABSENT_SCRIPT = ("local ok "
            + "if ARGV[3] == '0' then ok = redis.call('SET', KEYS[1], ARGV[1], 'NX') "
            + "else ok = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[3]) end "
            + "if not ok then return 0 end "
            + "if ARGV[3] == '0' then redis.call('SET', KEYS[2], ARGV[2]) else redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) end "
            + "return 1").getBytes(StandardCharsets.UTF_8);
    /** ARGV: expected version (16 hex digits), value, ttl, token; 1 if written. */
    private static final byte[] CAS_SCRIPT = ("local v = redis.call('GET', KEYS[1]) "
            + "if not v then return 0 end "
            + "local t = redis.call('GET', KEYS[2]) or '' "
            + "if string.sub(redis.sha1hex(t .. ':' .. v), 1, 16) ~= ARGV[1] then return 0 end "
            + "if ARGV[3] == '0' then redis.call('SET', KEYS[1], ARGV[2]) redis.call('SET', KEYS[2], ARGV[4]) "
            + "else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[3]) end "
            + "return 1").getBytes(StandardCharsets.UTF_8);
    /**
     * ARGV: delta, initial, ttl, token; the new value as text. INCRBY keeps the counter's TTL, so
     * the token gets what is left of it.
     */
    private static final byte[] INCREMENT_SCRIPT = ("if redis.call('EXISTS', KEYS[1]) == 0 then "
            + "if ARGV[3] == '0' then redis.call('SET', KEYS[1], ARGV[2]) redis.call('SET', KEYS[2], ARGV[4]) "
            + "else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[3]) end "
            + "return ARGV[2] end "
            + "redis.call('INCRBY', KEYS[1], ARGV[1]) "
            + "local left = redis.call('PTTL', KEYS[1]) "
            + "if left > 0 then redis.call('SET', KEYS[2], ARGV[4], 'PX', left) else redis.call('SET', KEYS[2], ARGV[4]) end "
            + "return redis.call('GET', KEYS[1])").getBytes(StandardCharsets.UTF_8);
    /**
     * The commands each operation sends, directly or from its script, as ACL rules; with
     * {@code ~<key>*} (the value and its token) and {@code +ping} (connection checks) that is all
     * an ACL user needs. docs/redis.md lists the same.
     */
    static final Map<String, String> PERMISSIONS = Map.of("get", "+mget", "getAll", "+mget", "put", "+multi +exec +set",
            "putIfAbsent", "+eval +set", "compareAndSet", "+eval +get +set", "delete", "+multi +exec +del",
            "increment", "+eval +exists +set +incrby +pttl +get", "touch", "+multi +exec +pexpire +exists +persist");
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    /** SHA-1 per thread: looking a digest up per cache hit cost more than hashing a small value. */
    private static final ThreadLocal<MessageDigest> SHA1 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every Java platform", e);
        }
    });

    private final RedisSettings settings;
    private final RedisConnector connector;
    private final RedisCacheRoute route;
    private final ThreadPoolExecutor executor;
    /** Operations not yet completed, in call order (which is the order the pool starts them in). */
    private final ConcurrentLinkedQueue<Operation<?>> open = new ConcurrentLinkedQueue<>();
    /** When an operation last got an answer from Redis (a value or an error reply). */
    private volatile long lastAnswerNanos = System.nanoTime();
    private volatile ScheduledFuture<?> sweeper;
    private final String serverVersion;
    private final AtomicLong operations = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile String lastError;

    private RedisCacheDriver(RedisSettings settings, RedisConnector connector, RedisCacheRoute route, ThreadPoolExecutor executor,
            String serverVersion) {
        this.settings = settings;
        this.connector = connector;
        this.route = route;
        this.executor = executor;
        this.serverVersion = serverVersion;
    }

    /**
     * Checks the server with one connection, then builds the pool; blocks about the connect and
     * command timeouts at most.
     *
     * @throws io.switchboard.ConfigurationException for bad settings or refused credentials
     * @throws ConnectionException if Redis cannot be reached or does not answer as Redis
     */
    public static RedisCacheDriver create(ProviderContext context) {
        RedisSettings settings = RedisSettings.from(context);
        RedisConnector connector = new RedisConnector(settings.endpoint);
        String version;
        RedisWire probe = connector.open();
        try {
            version = connector.serverVersion(probe);
        } finally {
            RedisConnector.closeQuietly(probe);
        }
        GenericObjectPoolConfig<Connection> poolConfig = new GenericObjectPoolConfig<>();
        poolConfig.setMaxTotal(settings.cachePoolSize);
        poolConfig.setMaxIdle(settings.cachePoolSize);
        poolConfig.setMinIdle(0);
        poolConfig.setMaxWait(settings.connectTimeout.plus(settings.commandTimeout));
        poolConfig.setTestOnBorrow(false);
        // Idle connections are checked every second, all of them, so that after a server restart
        // the stale ones are gone within a second instead of each failing one caller's operation.
        poolConfig.setTestWhileIdle(true);
        poolConfig.setTimeBetweenEvictionRuns(Duration.ofSeconds(1));
        poolConfig.setNumTestsPerEvictionRun(settings.cachePoolSize);
        poolConfig.setJmxEnabled(false);
        RedisCacheRoute route = route(settings, poolConfig, context.instanceName() + "-redis-cache-topology");
        AtomicInteger n = new AtomicInteger();
        String prefix = context.instanceName() + "-redis-cache-";
        ThreadPoolExecutor executor = new ThreadPoolExecutor(settings.cachePoolSize, settings.cachePoolSize, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, prefix + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        executor.allowCoreThreadTimeOut(true);
        RedisCacheDriver driver = new RedisCacheDriver(settings, connector, route, executor, version);
        long period = Math.max(5, Math.min(50, settings.commandTimeout.toMillis() / 20));
        driver.sweeper = context.scheduler().scheduleWithFixedDelay(driver::sweep, period, period, TimeUnit.MILLISECONDS);
        return driver;
    }

    /** The route for the URI's topology; a Sentinel or cluster route asks the sentinels or seeds at once. */
    private static RedisCacheRoute route(RedisSettings settings, GenericObjectPoolConfig<Connection> pool, String threadName) {
        RedisEndpoint e = settings.endpoint;
        try {
            switch (e.topology()) {
                case SENTINEL:
                    return RedisCacheRoute.Single.sentinel(e.masterName(), new LinkedHashSet<>(e.addresses()), e.clientConfig(),
                            e.sentinelClientConfig(), pool, settings.commandTimeout);
                case CLUSTER:
                    return new RedisCacheRoute.Cluster(new LinkedHashSet<>(e.addresses()), e.clientConfig(), pool, TOPOLOGY_REFRESH,
                            settings.commandTimeout, threadName);
                default:
                    return RedisCacheRoute.Single.server(e.hostAndPort(), e.clientConfig(), pool);
            }
        } catch (RuntimeException failure) {
            throw new RedisConnector(e).translate(failure);
        }
    }

    /** One call: its future, and when it was called and started. */
    private static final class Operation<T> extends CompletableFuture<T> {
        final String name;
        final String key;
        final long calledNanos;
        volatile long startedNanos;
        volatile boolean started;

        Operation(String name, String key, long calledNanos) {
            this.name = name;
            this.key = key;
            this.calledNanos = calledNanos;
        }
    }

    /**
     * Drops completed operations from the head and fails the overdue ones. Stops at the first
     * operation not overdue: the pool starts operations in call order, so those behind it are
     * not overdue either.
     */
    private void sweep() {
        long now = System.nanoTime();
        long timeout = settings.commandTimeout.toNanos();
        boolean silent = now - lastAnswerNanos >= timeout;
        Operation<?> op;
        while ((op = open.peek()) != null) {
            boolean overdue = silent && now - op.calledNanos >= timeout || op.started && now - op.startedNanos >= timeout;
            if (!op.isDone() && !overdue) {
                return;
            }
            open.poll();
            if (op.completeExceptionally(new ConnectionException("Redis cache " + op.name + " of key '" + op.key + "' got no reply from "
                    + settings.describe() + " within " + RedisConfigKeys.COMMAND_TIMEOUT.name() + "=" + settings.commandTimeout.toMillis()
                    + "ms" + (op.started ? " (a write may or may not have been applied)" : " (not sent: Redis answered nothing meanwhile)"),
                    null))) {
                errors.incrementAndGet();
                lastError = op.name + ": no reply within " + settings.commandTimeout.toMillis() + "ms";
            }
        }
    }

    @Override
    public int maxKeyLength() {
        return MAX_KEY_LENGTH;
    }

    @Override
    public int maxValueSize() {
        return MAX_VALUE_SIZE;
    }

    @Override
    public CompletionStage<CacheEntry> get(String key) {
        return run("get", key, () -> {
            byte[] k = bytes(key);
            byte[] t = route.tokenKey(key);
            List<byte[]> r = route.onKey(k, c -> RedisCacheRoute.replyList(c.executeCommand(RedisCacheRoute.mget(List.of(k, t)))));
            return entry(r.get(0), r.get(1));
        });
    }

    @Override
    public CompletionStage<Map<String, CacheEntry>> getAll(Collection<String> keys) {
        List<String> list = new ArrayList<>(keys);
        if (list.isEmpty()) {
            return CompletableFuture.completedFuture(Map.of());
        }
        return run("getAll", list.size() + " keys", () -> {
            List<byte[]> values = route.mgetWithTokens(list);
            Map<String, CacheEntry> found = new LinkedHashMap<>();
            for (int i = 0; i < list.size(); i++) {
                CacheEntry e = entry(values.get(2 * i), values.get(2 * i + 1));
                if (e != null) {
                    found.put(list.get(i), e);
                }
            }
            return found;
        });
    }

    private static CacheEntry entry(byte[] value, byte[] token) {
        return value == null ? null : new CacheEntry(value, null, version(token, value));
    }

    @Override
    public CompletionStage<Void> put(String key, byte[] value, ValueFormat format, Duration ttl) {
        return run("put", key, () -> {
            byte[] k = bytes(key);
            byte[] t = route.tokenKey(key);
            route.onKey(k, c -> multiExec(c, set(k, value, ttl), set(t, newToken(), ttl)));
            return null;
        });
    }

    @Override
    public CompletionStage<Boolean> putIfAbsent(String key, byte[] value, ValueFormat format, Duration ttl) {
        return run("putIfAbsent", key, () -> written(eval(PUT_IF_ABSENT_SCRIPT, key, value, newToken(), ttlArg(ttl))));
    }

    @Override
    public CompletionStage<Boolean> compareAndSet(String key, long version, byte[] value, ValueFormat format, Duration ttl) {
        return run("compareAndSet", key, () -> written(eval(CAS_SCRIPT, key, bytes(String.format("%016x", version)), value, ttlArg(ttl),
                newToken())));
    }

    @Override
    public CompletionStage<Boolean> delete(String key) {
        return run("delete", key, () -> {
            byte[] k = bytes(key);
            byte[] t = route.tokenKey(key);
            List<?> deleted = route.onKey(k, c -> multiExec(c, new CommandArguments(Protocol.Command.DEL).add(k),
                    new CommandArguments(Protocol.Command.DEL).add(t)));
            return Long.valueOf(1).equals(deleted.get(0));
        });
    }

    /**
     * {@code PEXPIRE} (or, for no expiry, {@code EXISTS} and {@code PERSIST}) on the value and
     * its token in one {@code MULTI}/{@code EXEC}: neither is rewritten, so the version stays.
     * The TTL is rounded up to whole milliseconds (a PEXPIRE of 0 would delete the key).
     */
    @Override
    public CompletionStage<Boolean> touch(String key, Duration ttl) {
        return run("touch", key, () -> {
            byte[] k = bytes(key);
            byte[] t = route.tokenKey(key);
            List<?> r;
            if (ttl.isZero()) {
                r = route.onKey(k, c -> multiExec(c, new CommandArguments(Protocol.Command.EXISTS).add(k),
                        new CommandArguments(Protocol.Command.PERSIST).add(k), new CommandArguments(Protocol.Command.PERSIST).add(t)));
            } else {
                long millis = Math.max(1, ttl.toMillis() + (ttl.getNano() % 1_000_000 == 0 ? 0 : 1));
                r = route.onKey(k, c -> multiExec(c, new CommandArguments(Protocol.Command.PEXPIRE).add(k).add(millis),
                        new CommandArguments(Protocol.Command.PEXPIRE).add(t).add(millis)));
            }
            return Long.valueOf(1).equals(r.get(0));
        });
    }

    @Override
    public CompletionStage<Long> increment(String key, long delta, long initial, Duration ttl) {
        return run("increment", key, () -> {
            Object r = eval(INCREMENT_SCRIPT, key, bytes(Long.toString(delta)), bytes(Long.toString(initial)), ttlArg(ttl), newToken());
            return Long.parseLong(new String((byte[]) r, StandardCharsets.US_ASCII));
        });
    }

    /** EVAL of a script on the key and its token key, on the key's server. */
    private Object eval(byte[] script, String key, byte[]... args) {
        byte[] k = bytes(key);
        CommandArguments a = new CommandArguments(Protocol.Command.EVAL).add(script).add(2).add(k).add(route.tokenKey(key));
        for (byte[] arg : args) {
            a.add(arg);
        }
        return route.onKey(k, c -> c.executeCommand(a));
    }

    private static CommandArguments set(byte[] key, byte[] value, Duration ttl) {
        CommandArguments a = new CommandArguments(Protocol.Command.SET).add(key).add(value);
        return ttl.isZero() ? a : a.add(Protocol.Keyword.PX).add(ttl.toMillis());
    }

    /**
     * Runs the commands in one {@code MULTI}/{@code EXEC}, written at once and answered in one
     * round trip (Jedis's own transaction waits for the queued replies before sending
     * {@code EXEC}); returns EXEC's replies.
     *
     * @throws JedisDataException the first error reply, for example a NOPERM refusing a command
     */
    private static List<?> multiExec(Connection c, CommandArguments... commands) {
        c.sendCommand(Protocol.Command.MULTI);
        for (CommandArguments command : commands) {
            c.sendCommand(command);
        }
        c.sendCommand(Protocol.Command.EXEC);
        List<Object> replies = c.getMany(commands.length + 2);
        for (Object r : replies) {
            if (r instanceof JedisDataException) {
                // A cluster's MOVED or ASK for a queued command comes first, and the route follows it.
                throw (JedisDataException) r;
            }
        }
        Object exec = replies.get(replies.size() - 1);
        if (!(exec instanceof List)) {
            throw new JedisDataException("unexpected EXEC reply: " + exec);
        }
        return (List<?>) exec;
    }

    /**
     * Whether an error reply says the server cannot serve the key now but will after a failover
     * or a resharding settles (retryable), rather than refusing the operation.
     */
    static boolean isUnavailable(String error) {
        String e = String.valueOf(error);
        return e.startsWith("CLUSTERDOWN") || e.startsWith("TRYAGAIN") || e.startsWith("LOADING") || e.startsWith("MASTERDOWN")
                || e.startsWith("READONLY") || e.startsWith("MOVED") || e.startsWith("ASK");
    }

    private static boolean written(Object reply) {
        return reply instanceof Long && (Long) reply == 1L;
    }

    private static byte[] ttlArg(Duration ttl) {
        return bytes(Long.toString(ttl.toMillis()));
    }

    /** A fresh version token: 64 random bits as 16 hex digits. A repeat for one key is a 1-in-2^64 chance. */
    private static byte[] newToken() {
        long r = ThreadLocalRandom.current().nextLong();
        byte[] t = new byte[16];
        for (int i = 15; i >= 0; i--) {
            t[i] = HEX[(int) (r & 0xf)];
            r >>>= 4;
        }
        return t;
    }

    /**
     * The version of a stored value: the first 64 bits of {@code SHA-1(token ":" value)}, an
     * absent token counting as empty, as the compare-and-set script computes it.
     */
    static long version(byte[] token, byte[] value) {
        MessageDigest sha1 = SHA1.get();
        if (token != null) {
            sha1.update(token);
        }
        sha1.update((byte) ':');
        byte[] d = sha1.digest(value);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (d[i] & 0xff);
        }
        return v;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private <T> CompletionStage<T> run(String operation, String key, Supplier<T> body) {
        Operation<T> f = new Operation<>(operation, key, System.nanoTime());
        open.add(f);
        try {
            executor.execute(() -> {
                if (f.isDone()) {
                    // Timed out while queued: never started, so certainly not applied.
                    return;
                }
                f.startedNanos = System.nanoTime();
                f.started = true;
                operations.incrementAndGet();
                RuntimeException failure;
                try {
                    T result = body.get();
                    lastAnswerNanos = System.nanoTime();
                    f.complete(result);
                    return;
                } catch (CacheException e) {
                    failure = e;
                } catch (JedisDataException e) {
                    lastAnswerNanos = System.nanoTime();
                    failure = isUnavailable(e.getMessage()) ? new ConnectionException("Redis cache " + operation + " of key '" + key
                            + "' failed: " + settings.describe() + " cannot serve it now: " + e.getMessage(), null)
                            : new CacheException(RedisAcl.isRefusal(e.getMessage())
                            ? RedisAcl.explain(settings.endpoint, operation + " of cache key '" + key + "'", e.getMessage(), "~" + key + "*",
                                    PERMISSIONS.get(operation) + " ~" + key + "*")
                            : "Redis refused " + operation + " of cache key '" + key + "': " + e.getMessage(), null, false);
                } catch (JedisConnectionException | JedisClusterOperationException e) {
                    RuntimeException t = connector.translate(e);
                    failure = t instanceof ConnectionException ? t
                            : new ConnectionException("Redis cache " + operation + " failed: " + t.getMessage(), t);
                } catch (JedisException | NumberFormatException | ClassCastException e) {
                    failure = new CacheException("Redis cache " + operation + " of key '" + key + "' failed: " + e.getMessage(), null, true);
                }
                if (!f.isDone()) {
                    // Counted before completing, so a caller woken by the failure already sees it in health.
                    errors.incrementAndGet();
                    lastError = operation + ": " + failure.getMessage();
                    f.completeExceptionally(failure);
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new IllegalStateException("the Redis cache is closed"));
        }
        return f;
    }

    @Override
    public Health health() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("server", settings.describe());
        details.put("serverVersion", serverVersion);
        details.put("poolSize", settings.cachePoolSize);
        route.addHealth(details);
        details.put("queued", executor.getQueue().size());
        details.put("operations", operations.get());
        details.put("errors", errors.get());
        String e = lastError;
        if (e != null) {
            details.put("lastError", e);
        }
        Health.Status status = executor.isShutdown() ? Health.Status.DOWN : Health.Status.UP;
        return Health.of(status, details);
    }

    @Override
    public void close(Duration timeout) {
        if (executor.isShutdown()) {
            return;
        }
        executor.shutdown();
        try {
            executor.awaitTermination(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sweeper.cancel(false);
        executor.shutdownNow();
        Operation<?> op;
        while ((op = open.poll()) != null) {
            op.completeExceptionally(new ConnectionException("the Redis cache closed before " + op.name + " of key '" + op.key
                    + "' completed (a write may or may not have been applied)", null));
        }
        route.close();
    }

    /**
     * Supports Jedis's client on the cache's connections, for commands the cache API does not offer: a pooled
     * {@code RedisClient} for one server, a {@code UnifiedJedis} on a Sentinel master or a Redis Cluster (and their supertypes).
     */
    @Override
    public <T> T unwrap(Class<T> type) {
        Object client = route.nativeClient();
        if (type.isInstance(client)) {
            return type.cast(client);
        }
        throw new IllegalArgumentException("the Redis cache offers no native object of type " + type.getName()
                + "; supported: " + client.getClass().getName() + " and its supertypes");
    }

    @Override
    public String toString() {
        return "RedisCacheDriver[" + settings.describe() + "]";
    }
}
