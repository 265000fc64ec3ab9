package io.switchboard.redis.streams.internal;

import io.switchboard.ConfigurationException;
import io.switchboard.ConnectionException;
import io.switchboard.Health;
import io.switchboard.Message;
import io.switchboard.redis.common.RedisAcl;
import io.switchboard.redis.common.RedisConnector;
import io.switchboard.redis.common.RedisWire;
import io.switchboard.redis.streams.RedisStreamsConfigKeys;
import io.switchboard.spi.Channels;
import io.switchboard.spi.DeliveryListener;
import io.switchboard.spi.ProviderContext;
import io.switchboard.spi.SubscriptionRequest;
import io.switchboard.spi.Transport;
import io.switchboard.spi.TransportSubscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The Redis Streams transport: one writing connection (publishes, acknowledgements, dead
 * letters) and one reading connection per subscription. At-least-once. Thread-safe; see
 * {@code docs/redis-streams.md} for the semantics and the behaviour under faults.
 */
public final class RedisStreamsTransport implements Transport {
    /** How long a reply inbox's stream outlives its last reply, so that the inbox of an instance that is gone disappears. */
    static final long REPLY_INBOX_TTL_MILLIS = 3_600_000L;

    final StreamsSettings settings;
    final RedisConnector connector;
    final StreamsWriter writer;
    final StreamsConnectivity connectivity;
    private final String instanceName;
    private final String serverVersion;
    private final Set<StreamsSubscription> subscriptions = ConcurrentHashMap.newKeySet();
    private final Set<String> deletedDurables = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    private RedisStreamsTransport(StreamsSettings settings, RedisConnector connector, StreamsConnectivity connectivity, RedisWire first,
            String serverVersion, String instanceName) {
        this.settings = settings;
        this.connector = connector;
        this.connectivity = connectivity;
        this.serverVersion = serverVersion;
        this.instanceName = instanceName;
        this.writer = new StreamsWriter(settings, connector, connectivity, first, instanceName, this::tick);
    }

    /**
     * Connects the writer, checks persistence when survives-restart is declared, and starts it,
     * blocking at most about the connect and command timeouts.
     *
     * @throws ConfigurationException for bad settings, refused credentials, or survives-restart on a server without appendonly
     * @throws ConnectionException if Redis cannot be reached or does not answer as Redis
     */
    public static RedisStreamsTransport create(ProviderContext context) {
        StreamsSettings settings = StreamsSettings.from(context);
        RedisConnector connector = new RedisConnector(settings.endpoint);
        RedisWire w = connector.open();
        String version;
        try {
            version = connector.serverVersion(w);
            checkVersion(settings, version);
            if (settings.survivesRestart) {
                checkPersistence(settings, connector, w);
            }
        } catch (RuntimeException e) {
            RedisConnector.closeQuietly(w);
            throw e;
        }
        RedisStreamsTransport t = new RedisStreamsTransport(settings, connector, new StreamsConnectivity(context.events()), w, version,
                context.instanceName());
        t.writer.start();
        context.events().connected();
        return t;
    }

    private static void checkVersion(StreamsSettings settings, String version) {
        String[] parts = version.split("\\.");
        try {
            int major = Integer.parseInt(parts[0]);
            int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            if (major < 6 || major == 6 && minor < 2) {
                throw new ConfigurationException("Redis at " + settings.endpoint.describe() + " is version " + version
                        + "; the redis-streams transport needs 6.2 or later (XAUTOCLAIM), and 7.0 or later to detect trimmed gaps", null);
            }
        } catch (NumberFormatException e) {
            // "unknown": a server that hides its version is given the benefit of the doubt.
        }
    }

    /** survives-restart promises that accepted entries outlive a restart: only true with the append-only file on. */
    private static void checkPersistence(StreamsSettings settings, RedisConnector connector, RedisWire w) {
        Object info;
        try {
            info = w.executeCommand(new CommandArguments(Protocol.Command.INFO).add("persistence"));
        } catch (JedisDataException e) {
            if (RedisAcl.isRefusal(e.getMessage())) {
                throw new ConfigurationException(RedisAcl.explain(settings.endpoint, "INFO persistence (the check that "
                        + RedisStreamsConfigKeys.SURVIVES_RESTART.name() + "=true needs)", e.getMessage(), null, "+info"), null);
            }
            throw connector.translate(e);
        } catch (RuntimeException e) {
            throw connector.translate(e);
        }
        String text = StreamEntries.text(info);
        if (!text.contains("aof_enabled:1")) {
            throw new ConfigurationException(RedisStreamsConfigKeys.SURVIVES_RESTART.name() + " is true but Redis at "
                    + settings.endpoint.describe() + " does not persist to its append-only file (appendonly no), so a restart loses "
                    + "every stream; turn it on (CONFIG SET appendonly yes, and appendonly yes in redis.conf) or set "
                    + RedisStreamsConfigKeys.SURVIVES_RESTART.name() + "=false", null);
        }
    }

    @Override
    public CompletionStage<Void> publish(String channel, Message message) {
        return writer.publish(settings.streamKey(channel), StreamEntries.encode(message, null), channel, message.id());
    }

    /**
     * Appends a reply to the requester's inbox stream and gives that stream an expiry of
     * {@value #REPLY_INBOX_TTL_MILLIS} ms, renewed by every reply: an inbox is a transient
     * subscription (plain {@code XREAD}), and the stream of an instance that is gone expires
     * instead of staying on the server.
     *
     * @throws IllegalArgumentException if the address is not a valid exact channel, naming it
     */
    @Override
    public CompletionStage<Void> publishReply(String address, Message reply) {
        Channels.requireChannel(address);
        CompletionStage<Void> sent = writer.publish(settings.streamKey(address), StreamEntries.encode(reply, null), address, reply.id());
        writer.submit(new CommandArguments(Protocol.Command.PEXPIRE).key(StreamEntries.bytes(settings.streamKey(address)))
                .add(REPLY_INBOX_TTL_MILLIS), null);
        return sent;
    }

    /**
     * Subscribes, connecting a reading connection on the caller's thread (bounded by the connect
     * and command timeouts).
     *
     * @throws UnsupportedOperationException for a pattern, which this transport does not declare
     * @throws ConnectionException if Redis cannot be reached
     */
    @Override
    public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
        if (closed.get()) {
            throw new IllegalStateException("the Redis Streams transport is closed");
        }
        if (request.isPattern()) {
            throw new UnsupportedOperationException("the redis-streams transport has no pattern subscriptions");
        }
        if (request.durableName() != null) {
            deletedDurables.remove(request.durableName());
        }
        StreamsSubscription s = new StreamsSubscription(this, settings, request, listener, instanceName);
        subscriptions.add(s);
        try {
            s.open();
        } catch (RuntimeException e) {
            subscriptions.remove(s);
            throw e;
        }
        return s;
    }

    /** On the writer thread about every 100 ms: touches for the subscriptions whose reader runs a handler, and held acknowledgements. */
    private void tick() {
        long now = System.nanoTime();
        for (StreamsSubscription s : subscriptions) {
            s.touchIfLent(now);
            s.flushHeldAcks(now);
        }
    }

    void closed(StreamsSubscription s) {
        subscriptions.remove(s);
    }

    boolean isDeleted(String group) {
        return group != null && deletedDurables.contains(group);
    }

    /** The set of streams a durable name has a consumer group on. */
    byte[] durableKey(String name) {
        return StreamEntries.bytes(settings.channelPrefix + "sb:durable:" + name);
    }

    /** Cuts a subscription's blocked read short; harmless if it is not blocked. */
    void unblock(long clientId) {
        if (clientId >= 0) {
            writer.submit(new CommandArguments(Protocol.Command.CLIENT).add("UNBLOCK").add(clientId), null);
        }
    }

    /**
     * Destroys the consumer group of {@code name} on every stream it was created on, blocking for
     * at most a few command timeouts.
     *
     * @throws ConnectionException if Redis does not answer in time
     */
    @Override
    public boolean deleteDurable(String name) {
        deletedDurables.add(name);
        for (StreamsSubscription s : new ArrayList<>(subscriptions)) {
            if (name.equals(s.group)) {
                s.deleted();
            }
        }
        byte[] key = durableKey(name);
        Object members = await(writer.call(new CommandArguments(Protocol.Command.SMEMBERS).key(key)), "read the streams of durable '" + name + "'");
        boolean existed = false;
        if (members instanceof List) {
            for (Object m : (List<?>) members) {
                Object r = await(writer.call(new CommandArguments(Protocol.Command.XGROUP).add(Protocol.Keyword.DESTROY).key((byte[]) m).add(name)),
                        "destroy the consumer group '" + name + "'");
                existed |= r instanceof Long && (Long) r > 0;
            }
        }
        await(writer.call(new CommandArguments(Protocol.Command.DEL).key(key)), "forget durable '" + name + "'");
        return existed;
    }

    private Object await(java.util.concurrent.CompletableFuture<Object> f, String what) {
        long bound = settings.endpoint.commandTimeout().toMillis() * 2;
        try {
            return f.get(bound, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new ConnectionException("Redis at " + settings.endpoint.describe() + " did not answer within " + bound + "ms to " + what, null);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof JedisDataException) {
                if (RedisAcl.isRefusal(c.getMessage())) {
                    throw new ConfigurationException(RedisAcl.explain(settings.endpoint, what, c.getMessage(), null,
                            "+smembers +xgroup +del"), null);
                }
                if (String.valueOf(c.getMessage()).contains("no such key") || String.valueOf(c.getMessage()).startsWith("NOGROUP")) {
                    return 0L;
                }
                throw new ConnectionException("Redis at " + settings.endpoint.describe() + " refused to " + what + ": " + c.getMessage(), null);
            }
            throw c instanceof RuntimeException ? (RuntimeException) c : new ConnectionException(String.valueOf(c), c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectionException("interrupted while waiting to " + what, e);
        }
    }

    @Override
    public Health health() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("server", settings.endpoint.describe());
        details.put("serverVersion", serverVersion);
        if (!settings.channelPrefix.isEmpty()) {
            details.put("channelPrefix", settings.channelPrefix);
        }
        details.put("publishesInFlight", writer.publishesInFlight());
        details.put("published", writer.published());
        details.put("gapsReported", connectivity.gaps());
        Map<String, Object> subs = new LinkedHashMap<>();
        boolean readersUp = true;
        for (StreamsSubscription s : subscriptions) {
            subs.put(s.describe(), s.details());
            readersUp &= s.isConnected();
        }
        details.put("streams", subs);
        Health.Status status;
        if (closed.get()) {
            status = Health.Status.DOWN;
        } else if (writer.isConnected() && readersUp && connectivity.allUp()) {
            status = Health.Status.UP;
        } else {
            status = Health.Status.DEGRADED;
        }
        return Health.of(status, details);
    }

    /** Returns within about {@code timeout}, whatever state the connections and the server are in. */
    @Override
    public void close(Duration timeout) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        for (StreamsSubscription s : new ArrayList<>(subscriptions)) {
            s.close();
        }
        writer.close(deadline);
    }

    @Override
    public String toString() {
        return "RedisStreamsTransport[" + settings.endpoint.describe() + "]";
    }
}
