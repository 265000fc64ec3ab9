package io.switchboard.redis.internal;

import io.switchboard.redis.common.RedisConnector;
import io.switchboard.redis.common.RedisWire;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * The transport's view of a Redis Cluster's slots ({@code CLUSTER SLOTS}), and the shards they
 * make up. A shard is named by the lowest slot its master serves, which stays the same when a
 * replica takes the master's place: a connection that reconnects to "the master of shard
 * {@code s}" follows a failover by itself. Renewed every {@value #REFRESH_SECONDS} s and, at most
 * every {@value #RENEW_SPACING_MILLIS} ms, when a connection breaks or Redis redirects; each
 * renewal asks the known nodes in turn (one short connection each, bounded by the connect and
 * command timeouts) on a dedicated thread. Thread-safe; reads never block.
 */
final class RedisClusterTopology implements AutoCloseable {
    static final int SLOTS = 16384;
    static final long REFRESH_SECONDS = 5;
    static final long RENEW_SPACING_MILLIS = 100;
    private static final Logger LOG = LoggerFactory.getLogger(RedisClusterTopology.class);

    /** One immutable map: slot to shard, shard to master. */
    static final class Map16k {
        final int[] shardOfSlot;
        final Map<Integer, HostAndPort> masters;
        final List<HostAndPort> nodes;

        Map16k(int[] shardOfSlot, Map<Integer, HostAndPort> masters, List<HostAndPort> nodes) {
            this.shardOfSlot = shardOfSlot;
            this.masters = masters;
            this.nodes = nodes;
        }
    }

    private final RedisConnector connector;
    private final List<HostAndPort> seeds;
    private volatile Map16k map;
    private final Thread renewer;
    private final Object signal = new Object();
    private final AtomicBoolean wanted = new AtomicBoolean();
    private final AtomicLong renewals = new AtomicLong();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledFuture<?> periodic;
    private volatile boolean closed;
    private volatile String lastError;

    /**
     * Reads the slot map from the first seed that answers, blocking up to the connect and command
     * timeouts per seed.
     *
     * @throws RuntimeException translated by the connector, if no seed answers
     */
    RedisClusterTopology(RedisConnector connector, List<HostAndPort> seeds, ScheduledExecutorService scheduler, String threadName) {
        this.connector = connector;
        this.seeds = List.copyOf(seeds);
        this.map = read(this.seeds);
        this.renewer = new Thread(this::renewLoop, threadName);
        renewer.setDaemon(true);
        renewer.start();
        this.periodic = scheduler.scheduleWithFixedDelay(this::renewSoon, REFRESH_SECONDS, REFRESH_SECONDS, TimeUnit.SECONDS);
    }

    /** The slot of a channel or key, hash tags honoured. */
    static int slot(byte[] name) {
        return JedisClusterCRC16.getSlot(name);
    }

    /** The shard serving {@code slot}; -1 if no master serves it now. */
    int shardOf(int slot) {
        return map.shardOfSlot[slot];
    }

    /** The master of a shard now; null if the shard is gone (its slots moved to others). */
    HostAndPort masterOf(int shard) {
        return map.masters.get(shard);
    }

    /** Every shard with its master. */
    Map<Integer, HostAndPort> masters() {
        return map.masters;
    }

    /** Every node of the last slot map (masters and replicas), for a connection that any node can serve. */
    List<HostAndPort> nodes() {
        return map.nodes;
    }

    /** Runs {@code listener} on the renewer thread after each renewal. */
    void onRenewed(Runnable listener) {
        listeners.add(listener);
    }

    long renewals() {
        return renewals.get();
    }

    /** Asks for a renewal; returns at once. */
    void renewSoon() {
        if (wanted.compareAndSet(false, true)) {
            synchronized (signal) {
                signal.notifyAll();
            }
        }
    }

    private void renewLoop() {
        while (!closed) {
            synchronized (signal) {
                while (!wanted.get() && !closed) {
                    try {
                        signal.wait();
                    } catch (InterruptedException e) {
                        if (closed) {
                            return;
                        }
                    }
                }
            }
            wanted.set(false);
            Set<HostAndPort> ask = new LinkedHashSet<>(map.masters.values());
            ask.addAll(map.nodes);
            ask.addAll(seeds);
            try {
                map = read(new ArrayList<>(ask));
                renewals.incrementAndGet();
                lastError = null;
            } catch (RuntimeException e) {
                lastError = e.getMessage();
            }
            for (Runnable l : listeners) {
                try {
                    l.run();
                } catch (RuntimeException e) {
                    LOG.warn("a Redis Cluster topology listener failed", e);
                }
            }
            try {
                Thread.sleep(RENEW_SPACING_MILLIS);
            } catch (InterruptedException e) {
                // Closing; the loop condition ends it.
            }
        }
    }

    /** CLUSTER SLOTS from the first node that answers with a map serving every slot it can. */
    private Map16k read(List<HostAndPort> candidates) {
        RuntimeException last = null;
        for (HostAndPort node : candidates) {
            RedisWire w;
            try {
                w = connector.open(node);
            } catch (RuntimeException e) {
                last = e;
                continue;
            }
            try {
                Object reply = w.executeCommand(new CommandArguments(Protocol.Command.CLUSTER).add("SLOTS"));
                return parse((List<?>) reply);
            } catch (RuntimeException e) {
                last = connector.translate(e, node);
            } finally {
                RedisConnector.closeQuietly(w);
            }
        }
        throw last != null ? last : new IllegalStateException("no Redis Cluster node to ask");
    }

    /** Reads a {@code CLUSTER SLOTS} reply: ranges of [from, to, master, replicas...], each node [host, port, id]. */
    static Map16k parse(List<?> ranges) {
        int[] shardOfSlot = new int[SLOTS];
        Arrays.fill(shardOfSlot, -1);
        Map<HostAndPort, Integer> lowest = new LinkedHashMap<>();
        Set<HostAndPort> nodes = new LinkedHashSet<>();
        List<Object[]> parsed = new ArrayList<>();
        for (Object o : ranges) {
            List<?> r = (List<?>) o;
            int from = (int) (long) (Long) r.get(0);
            int to = (int) (long) (Long) r.get(1);
            HostAndPort master = node((List<?>) r.get(2));
            lowest.merge(master, from, Math::min);
            nodes.add(master);
            for (int i = 3; i < r.size(); i++) {
                nodes.add(node((List<?>) r.get(i)));
            }
            parsed.add(new Object[] {from, to, master});
        }
        for (Object[] p : parsed) {
            int shard = lowest.get((HostAndPort) p[2]);
            Arrays.fill(shardOfSlot, (int) p[0], (int) p[1] + 1, shard);
        }
        Map<Integer, HostAndPort> masters = new LinkedHashMap<>();
        lowest.forEach((node, shard) -> masters.put(shard, node));
        return new Map16k(shardOfSlot, Map.copyOf(masters), List.copyOf(nodes));
    }

    private static HostAndPort node(List<?> n) {
        Object host = n.get(0);
        String h = host instanceof byte[] ? new String((byte[]) host, StandardCharsets.UTF_8) : String.valueOf(host);
        return new HostAndPort(h, (int) (long) (Long) n.get(1));
    }

    void addHealth(Map<String, Object> details) {
        Map<String, Object> shards = new LinkedHashMap<>();
        map.masters.forEach((shard, master) -> shards.put("shard@" + shard, master.toString()));
        details.put("clusterShards", shards);
        details.put("slotMapRenewals", renewals.get());
        String e = lastError;
        if (e != null) {
            details.put("slotMapLastError", e);
        }
    }

    @Override
    public void close() {
        closed = true;
        periodic.cancel(false);
        synchronized (signal) {
            signal.notifyAll();
        }
        renewer.interrupt();
    }
}
