package io.switchboard.redis.internal;

import io.switchboard.ConfigurationException;
import io.switchboard.ConnectionException;
import io.switchboard.Health;
import io.switchboard.Message;
import io.switchboard.redis.RedisConfigKeys;
import io.switchboard.redis.common.RedisConnector;
import io.switchboard.redis.common.RedisWire;
import io.switchboard.spi.DeliveryListener;
import io.switchboard.spi.ProviderContext;
import io.switchboard.spi.SubscriptionRequest;
import io.switchboard.spi.Transport;
import io.switchboard.spi.TransportSubscription;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.HostAndPort;

/**
 * The Redis pub/sub transport on a Redis Cluster ({@code redis-cluster://}). Exact channels are
 * sharded channels: a publish is one {@code SPUBLISH} on the master of the channel's slot, and a
 * subscription one {@code SSUBSCRIBE} there, so a message crosses only its shard. Per shard there
 * is one pipelined publisher connection and one subscriber connection, as {@link RedisTransport}
 * has for one server; each reconnects to whichever node is the shard's master now
 * ({@link RedisClusterTopology}), so a failover is followed by reconnecting and re-subscribing,
 * reported as LOST and then RECOVERED with {@code possibleGap=true}. When a channel's slot moves to
 * another shard, its subscriptions move after the next slot-map renewal.
 *
 * <p>Pattern subscriptions: Redis has no sharded pattern subscription, so with
 * {@code cluster.pattern-broadcast=true} (the default) every publish is also sent as a classic
 * {@code PUBLISH}, which the cluster bus carries to every node, and pattern subscriptions are one
 * {@code PSUBSCRIBE} connection to any node. That keeps the contract at the price of every message
 * reaching every node; {@code false} publishes with {@code SPUBLISH} only and refuses pattern
 * subscriptions. Thread-safe.
 */
public final class RedisClusterTransport implements Transport {
    private static final Logger LOG = LoggerFactory.getLogger(RedisClusterTransport.class);

    private final RedisSettings settings;
    private final RedisConnector connector;
    private final RedisClusterTopology topology;
    private final ProviderContext context;
    private final boolean broadcast;
    private final RedisMergedEvents events;
    private final Map<Integer, RedisPublisher> publishers = new ConcurrentHashMap<>();
    private final Map<Integer, RedisSubscriber> subscribers = new ConcurrentHashMap<>();
    private final Set<ClusterSub> exactSubs = ConcurrentHashMap.newKeySet();
    private final RedisSubscriber patterns;
    private final AtomicInteger nextNode = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();

    private RedisClusterTransport(RedisSettings settings, ProviderContext context) {
        this.settings = settings;
        this.context = context;
        this.connector = new RedisConnector(settings.endpoint);
        this.broadcast = context.config().get(RedisConfigKeys.CLUSTER_PATTERN_BROADCAST);
        this.events = new RedisMergedEvents(context.events());
        this.topology = new RedisClusterTopology(connector, settings.endpoint.addresses(), context.scheduler(),
                context.instanceName() + "-redis-cluster-topology");
        try {
            for (Integer shard : topology.masters().keySet()) {
                publishers.put(shard, newPublisher(shard));
                subscribers.put(shard, newSubscriber(shard));
            }
            this.patterns = new RedisSubscriber(settings, connector, this::openAnyNode, false, events.member("patterns"),
                    context.scheduler(), context.instanceName() + "-patterns", topology::renewSoon, () -> { });
        } catch (RuntimeException e) {
            closeAll(System.nanoTime());
            throw e;
        }
        topology.onRenewed(this::followTopology);
    }

    /**
     * Reads the slot map from the seeds and connects a publisher and a subscriber to every
     * shard's master, blocking about the connect and command timeouts per connection.
     *
     * @throws ConfigurationException for bad settings or refused credentials
     * @throws ConnectionException if no seed answers, or a master cannot be reached
     */
    public static RedisClusterTransport create(ProviderContext context) {
        RedisClusterTransport t = new RedisClusterTransport(RedisSettings.from(context), context);
        context.events().connected();
        return t;
    }

    private RedisPublisher newPublisher(int shard) {
        return new RedisPublisher(settings, connector, () -> openMaster(shard), true, broadcast, topology::renewSoon,
                context.instanceName() + "-shard" + shard, context.scheduler());
    }

    private RedisSubscriber newSubscriber(int shard) {
        return new RedisSubscriber(settings, connector, () -> openMaster(shard), true, events.member(shard), context.scheduler(),
                context.instanceName() + "-shard" + shard, () -> {
                    topology.renewSoon();
                    RedisPublisher p = publishers.get(shard);
                    if (p != null) {
                        p.suspect();
                    }
                }, topology::renewSoon);
    }

    /** A connection to the shard's master now; a failure asks for a slot-map renewal, as a failover may be under way. */
    private RedisWire openMaster(int shard) {
        HostAndPort master = topology.masterOf(shard);
        if (master == null) {
            topology.renewSoon();
            throw new ConnectionException("the Redis Cluster shard of slot " + shard + " has no master in the slot map of "
                    + settings.describe() + " (its slots moved elsewhere)", null);
        }
        try {
            return connector.open(master);
        } catch (RuntimeException e) {
            topology.renewSoon();
            throw e;
        }
    }

    /** A connection to any node that answers, starting after the one used last (classic pub/sub reaches every node). */
    private RedisWire openAnyNode() {
        List<HostAndPort> nodes = new ArrayList<>(topology.nodes());
        nodes.addAll(settings.endpoint.addresses());
        RuntimeException last = null;
        int start = nextNode.getAndIncrement();
        for (int i = 0; i < nodes.size(); i++) {
            try {
                return connector.open(nodes.get(Math.floorMod(start + i, nodes.size())));
            } catch (ConfigurationException e) {
                throw e;
            } catch (RuntimeException e) {
                last = e;
            }
        }
        topology.renewSoon();
        throw last;
    }

    private int shardOf(String channel) {
        return topology.shardOf(RedisClusterTopology.slot((settings.channelPrefix + channel).getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public CompletionStage<Void> publish(String channel, Message message) {
        if (closed.get()) {
            return CompletableFuture.failedFuture(new ConnectionException("the Redis transport is closed", null));
        }
        int shard = shardOf(channel);
        RedisPublisher p = shard < 0 ? null : publishers.get(shard);
        if (p == null) {
            topology.renewSoon();
            return CompletableFuture.failedFuture(new ConnectionException("publish of message " + message.id() + " to channel '" + channel
                    + "' failed: no master of " + settings.describe() + " serves its slot now (a failover or resharding is under way); retry",
                    null));
        }
        return p.publish(channel, message);
    }

    @Override
    public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
        if (closed.get()) {
            throw new IllegalStateException("the Redis transport is closed");
        }
        if (request.isPattern()) {
            if (!broadcast) {
                throw new ConfigurationException("pattern subscription '" + request.channelOrPattern() + "' refused: "
                        + RedisConfigKeys.CLUSTER_PATTERN_BROADCAST.name() + "=false publishes with SPUBLISH only, which no pattern"
                        + " subscription sees; set it to true (every message then also reaches every node) or subscribe to exact channels", null);
            }
            return patterns.subscribe(request, listener);
        }
        int shard = shardOf(request.channelOrPattern());
        RedisSubscriber s = shard < 0 ? null : subscribers.get(shard);
        if (s == null) {
            topology.renewSoon();
            throw new ConnectionException("no master of " + settings.describe() + " serves the slot of channel '"
                    + request.channelOrPattern() + "' now (a failover or resharding is under way); retry", null);
        }
        ClusterSub cs = new ClusterSub(request, listener, shard, s.subscribe(request, listener));
        exactSubs.add(cs);
        return cs;
    }

    /**
     * After each slot-map renewal (renewer thread): connects to shards that are new, moves the
     * subscriptions whose channel's slot now belongs to another shard, and closes the connections
     * of shards that are gone.
     */
    private void followTopology() {
        if (closed.get()) {
            return;
        }
        Map<Integer, HostAndPort> masters = topology.masters();
        for (Integer shard : masters.keySet()) {
            try {
                if (!publishers.containsKey(shard)) {
                    publishers.put(shard, newPublisher(shard));
                }
                if (!subscribers.containsKey(shard)) {
                    subscribers.put(shard, newSubscriber(shard));
                }
                if (closed.get()) {
                    // close() ran meanwhile and may have missed these two.
                    closeAll(System.nanoTime() + settings.commandTimeout.toNanos());
                    return;
                }
            } catch (RuntimeException e) {
                LOG.warn("cannot connect to the new Redis Cluster shard of slot {} at {} yet: {}", shard, masters.get(shard), e.getMessage());
            }
        }
        for (ClusterSub cs : exactSubs) {
            int now = shardOf(cs.request.channelOrPattern());
            if (now >= 0 && now != cs.shard && subscribers.containsKey(now)) {
                cs.move(now);
            }
        }
        long deadline = System.nanoTime() + settings.commandTimeout.toNanos();
        for (Integer shard : new ArrayList<>(subscribers.keySet())) {
            if (!masters.containsKey(shard) && exactSubs.stream().noneMatch(cs -> cs.shard == shard)) {
                RedisSubscriber s = subscribers.remove(shard);
                RedisPublisher p = publishers.remove(shard);
                if (s != null) {
                    s.close(deadline);
                }
                if (p != null) {
                    p.close(deadline);
                }
                events.removed(shard);
            }
        }
    }

    @Override
    public boolean deleteDurable(String name) {
        throw new UnsupportedOperationException("the Redis transport has no durable subscriptions");
    }

    @Override
    public Health health() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("server", settings.describe());
        RedisPublisher any = publishers.values().stream().findFirst().orElse(null);
        details.put("serverVersion", any != null ? any.serverVersion() : "unknown");
        details.put("envelope", settings.envelope);
        details.put("patternBroadcast", broadcast);
        if (!settings.channelPrefix.isEmpty()) {
            details.put("channelPrefix", settings.channelPrefix);
        }
        topology.addHealth(details);
        boolean up = true;
        for (Map.Entry<Integer, RedisPublisher> e : publishers.entrySet()) {
            Map<String, Object> shard = new LinkedHashMap<>();
            e.getValue().addHealth(shard);
            RedisSubscriber s = subscribers.get(e.getKey());
            if (s != null) {
                s.addHealth(shard);
                up &= s.isConnected();
            }
            up &= e.getValue().isConnected();
            details.put("shard@" + e.getKey(), shard);
        }
        Map<String, Object> p = new LinkedHashMap<>();
        patterns.addHealth(p);
        details.put("patterns", p);
        up &= patterns.isConnected();
        Health.Status status = closed.get() ? Health.Status.DOWN : up ? Health.Status.UP : Health.Status.DEGRADED;
        return Health.of(status, details);
    }

    /** Returns within {@code timeout}, whatever state the connections and the nodes are in. */
    @Override
    public void close(Duration timeout) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closeAll(System.nanoTime() + timeout.toNanos());
    }

    private void closeAll(long deadline) {
        topology.close();
        if (patterns != null) {
            patterns.close(deadline);
        }
        for (RedisSubscriber s : subscribers.values()) {
            s.close(deadline);
        }
        for (RedisPublisher p : publishers.values()) {
            p.close(deadline);
        }
    }

    @Override
    public String toString() {
        return "RedisClusterTransport[" + settings.describe() + "]";
    }

    /** An exact subscription, on the subscriber of the shard its channel's slot belongs to; moves with the slot. */
    private final class ClusterSub implements TransportSubscription {
        final SubscriptionRequest request;
        final DeliveryListener listener;
        volatile int shard;
        volatile TransportSubscription inner;
        volatile boolean closed;

        ClusterSub(SubscriptionRequest request, DeliveryListener listener, int shard, TransportSubscription inner) {
            this.request = request;
            this.listener = listener;
            this.shard = shard;
            this.inner = inner;
        }

        /**
         * Subscribes on the new shard (waiting for its confirmation, with no lock held), then
         * leaves the old one; the switch is a possible gap. Renewer thread only.
         */
        void move(int to) {
            if (closed) {
                return;
            }
            Object id = "move:" + request.channelOrPattern();
            events.member(id).lost(new ConnectionException("the slot of channel '" + request.channelOrPattern()
                    + "' moved to another Redis Cluster shard; re-subscribing there", null));
            TransportSubscription fresh;
            try {
                fresh = subscribers.get(to).subscribe(request, listener);
            } catch (RuntimeException e) {
                // Stays lost; the next renewal tries again.
                LOG.warn("cannot move the subscription to '{}' to its new Redis Cluster shard yet: {}", request.channelOrPattern(), e.getMessage());
                return;
            }
            TransportSubscription leave;
            synchronized (this) {
                if (closed) {
                    leave = fresh;
                } else {
                    leave = inner;
                    inner = fresh;
                    shard = to;
                }
            }
            leave.close();
            events.removed(id);
        }

        @Override
        public void close() {
            TransportSubscription leave;
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
                leave = inner;
            }
            exactSubs.remove(this);
            leave.close();
        }
    }
}
