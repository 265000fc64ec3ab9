package io.switchboard.redis.internal;

import io.switchboard.CacheException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisAskDataException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisMovedDataException;
import redis.clients.jedis.exceptions.JedisRedirectionException;
import redis.clients.jedis.providers.ClusterConnectionProvider;
import redis.clients.jedis.providers.SentineledConnectionProvider;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Where the cache's commands go: one server, the master the sentinels name now, or the master
 * serving a key's slot in a Redis Cluster. Each runs one operation's commands on one pooled
 * connection and never retries a command that may have reached Redis: a cluster redirect
 * ({@code MOVED}, {@code ASK}: the command was refused, not applied) is followed, a broken or
 * refused connection fails the operation at once and, on a cluster, has the slot map renewed in
 * the background so that the next operation goes to the promoted replica. Thread-safe.
 */
abstract class RedisCacheRoute implements AutoCloseable {
    private static final byte[] TOKEN_SUFFIX = RedisCacheDriver.TOKEN_SUFFIX.getBytes(StandardCharsets.UTF_8);

    /** Runs {@code body} on a connection to the server holding {@code key} (and its token key). */
    abstract <T> T onKey(byte[] key, Function<Connection, T> body);

    /**
     * MGET of every key, in order, with the key's token key after each (so the result has twice
     * as many entries): one command on one server; on a cluster one MGET per slot, pipelined per node.
     */
    abstract List<byte[]> mgetWithTokens(List<String> keys);

    /** The companion key holding {@code key}'s version token. */
    byte[] tokenKey(String key) {
        return concat(bytes(key), TOKEN_SUFFIX);
    }

    /** The native client for {@code unwrap}. */
    abstract UnifiedJedis nativeClient();

    /** Pool figures for {@code health()}. */
    abstract void addHealth(Map<String, Object> details);

    @Override
    public abstract void close();

    /**
     * Returns a connection to its pool, or discards it: a broken connection whose pool was replaced
     * meanwhile (the slot map was renewed after its node died) cannot go back, and that must not
     * hide the operation's own outcome.
     */
    static void release(Connection c) {
        try {
            c.close();
        } catch (RuntimeException e) {
            // The pool refused it; the connection is closed and dropped either way.
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    static CommandArguments mget(List<byte[]> keys) {
        CommandArguments a = new CommandArguments(Protocol.Command.MGET);
        for (byte[] k : keys) {
            a.add(k);
        }
        return a;
    }

    @SuppressWarnings("unchecked")
    static List<byte[]> replyList(Object reply) {
        return (List<byte[]>) reply;
    }

    List<byte[]> withTokens(List<String> keys) {
        List<byte[]> raw = new ArrayList<>(keys.size() * 2);
        for (String k : keys) {
            raw.add(bytes(k));
            raw.add(tokenKey(k));
        }
        return raw;
    }

    /** One server, or a Sentinel-managed master: every key on the one connection pool. */
    static final class Single extends RedisCacheRoute {
        private final UnifiedJedis client;
        private final java.util.function.Supplier<Connection> connections;
        private final Function<Map<String, Object>, Void> health;

        private Single(UnifiedJedis client, java.util.function.Supplier<Connection> connections,
                Function<Map<String, Object>, Void> health) {
            this.client = client;
            this.connections = connections;
            this.health = health;
        }

        /** A pooled client of one server. */
        static Single server(HostAndPort server, JedisClientConfig config, GenericObjectPoolConfig<Connection> pool) {
            RedisClient client = RedisClient.builder().hostAndPort(server).clientConfig(config).poolConfig(pool).build();
            return new Single(client, () -> client.getPool().getResource(), d -> {
                d.put("poolActive", client.getPool().getNumActive());
                d.put("poolIdle", client.getPool().getNumIdle());
                d.put("poolWaiters", client.getPool().getNumWaiters());
                return null;
            });
        }

        /**
         * A pool on the master the sentinels name, which Jedis moves to the new master when the
         * sentinels announce a failover ({@code +switch-master}).
         */
        static Single sentinel(String masterName, Set<HostAndPort> sentinels, JedisClientConfig config,
                JedisClientConfig sentinelConfig, GenericObjectPoolConfig<Connection> pool, Duration commandTimeout) {
            SentineledConnectionProvider provider = new SentineledConnectionProvider(masterName, config, pool, sentinels, sentinelConfig);
            UnifiedJedis client = new UnifiedJedis(provider, 1, commandTimeout);
            return new Single(client, provider::getConnection, d -> {
                d.put("master", String.valueOf(provider.getCurrentMaster()));
                return null;
            });
        }

        @Override
        <T> T onKey(byte[] key, Function<Connection, T> body) {
            Connection c = connections.get();
            try {
                return body.apply(c);
            } finally {
                release(c);
            }
        }

        @Override
        List<byte[]> mgetWithTokens(List<String> keys) {
            List<byte[]> raw = withTokens(keys);
            return onKey(raw.get(0), c -> replyList(c.executeCommand(mget(raw))));
        }

        @Override
        UnifiedJedis nativeClient() {
            return client;
        }

        @Override
        void addHealth(Map<String, Object> details) {
            health.apply(details);
        }

        @Override
        public void close() {
            client.close();
        }
    }

    /**
     * A Redis Cluster: Jedis keeps the slot map and a pool per node; this routes each operation to
     * its key's slot and follows redirects.
     *
     * <p>Token keys share their key's slot by a hash tag: a key with a hash tag ({@code {...}}
     * with something inside) keeps {@code <key> sbv}, whose first tag is the same; any other key
     * gets {@code {<key>} sbv}, whose tag is the whole key. A key with a {@code '}'} and no hash
     * tag has no such companion and is refused.
     */
    static final class Cluster extends RedisCacheRoute {
        /** Redirects followed for one command; a slot moving more often than that within one operation is an error. */
        static final int MAX_REDIRECTS = 5;
        /** Least time between two background slot-map renewals. */
        private static final long RENEW_SPACING_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

        private final ClusterConnectionProvider provider;
        private final UnifiedJedis client;
        private final ExecutorService renewer;
        private final AtomicBoolean renewing = new AtomicBoolean();
        private final AtomicLong lastRenewNanos = new AtomicLong(System.nanoTime() - RENEW_SPACING_NANOS);
        private final AtomicLong renewals = new AtomicLong();
        private final AtomicLong redirects = new AtomicLong();

        /**
         * Discovers the topology from the first seed that answers (throws Jedis exceptions if none does).
         *
         * @param refresh how often the slot map is also renewed without a failure or a redirect
         */
        Cluster(Set<HostAndPort> seeds, JedisClientConfig config, GenericObjectPoolConfig<Connection> pool, Duration refresh,
                Duration commandTimeout, String threadName) {
            this.provider = new ClusterConnectionProvider(seeds, config, pool, refresh);
            this.client = new UnifiedJedis(provider, 1, commandTimeout);
            this.renewer = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, threadName);
                t.setDaemon(true);
                return t;
            });
        }

        @Override
        byte[] tokenKey(String key) {
            return clusterTokenKey(key);
        }

        /** The token key in {@code key}'s slot, by the hash tag scheme above. */
        static byte[] clusterTokenKey(String key) {
            if (hasHashTag(key)) {
                return bytes(key + RedisCacheDriver.TOKEN_SUFFIX);
            }
            if (key.indexOf('}') >= 0) {
                throw new CacheException("cache key '" + key + "' contains '}' but no Redis hash tag ({tag}); on a Redis Cluster"
                        + " its version token could not share its slot. Use a hash tag (for example '{" + key.replace("}", "")
                        + "}') or a key without '}'", null, false);
            }
            return bytes("{" + key + "}" + RedisCacheDriver.TOKEN_SUFFIX);
        }

        /** Whether Redis hashes only part of the key: a '{' followed later by a '}' with something between. */
        static boolean hasHashTag(String key) {
            int open = key.indexOf('{');
            if (open < 0) {
                return false;
            }
            int close = key.indexOf('}', open + 1);
            return close > open + 1;
        }

        @Override
        <T> T onKey(byte[] key, Function<Connection, T> body) {
            int slot = JedisClusterCRC16.getSlot(key);
            HostAndPort target = null;
            boolean asking = false;
            for (int hop = 0; ; hop++) {
                Connection c;
                try {
                    c = target == null ? provider.getConnectionFromSlot(slot) : provider.getConnection(target);
                } catch (RuntimeException e) {
                    renewSoon();
                    throw e;
                }
                try {
                    if (asking) {
                        c.executeCommand(Protocol.Command.ASKING);
                    }
                    return body.apply(c);
                } catch (JedisRedirectionException r) {
                    redirects.incrementAndGet();
                    if (hop >= MAX_REDIRECTS) {
                        throw new JedisConnectionException("slot " + slot + " was redirected " + MAX_REDIRECTS
                                + " times within one operation (the cluster is resharding); last: " + r.getMessage());
                    }
                    if (r instanceof JedisMovedDataException) {
                        renewSoon();
                    }
                    target = r.getTargetNode();
                    asking = r instanceof JedisAskDataException;
                } catch (JedisConnectionException e) {
                    renewSoon();
                    throw e;
                } finally {
                    release(c);
                }
            }
        }

        @Override
        List<byte[]> mgetWithTokens(List<String> keys) {
            // One MGET per slot (a key and its token share one); the MGETs of one node go in one pipelined write.
            Map<Integer, List<Integer>> bySlot = new LinkedHashMap<>();
            List<byte[]> raw = withTokens(keys);
            for (int i = 0; i < keys.size(); i++) {
                bySlot.computeIfAbsent(JedisClusterCRC16.getSlot(raw.get(2 * i)), s -> new ArrayList<>()).add(i);
            }
            byte[][] out = new byte[raw.size()][];
            Map<HostAndPort, List<Integer>> slotsByNode = new LinkedHashMap<>();
            List<Integer> unmapped = new ArrayList<>();
            for (Integer slot : bySlot.keySet()) {
                HostAndPort node = provider.getNode(slot);
                if (node == null) {
                    unmapped.add(slot);
                } else {
                    slotsByNode.computeIfAbsent(node, n -> new ArrayList<>()).add(slot);
                }
            }
            for (Map.Entry<HostAndPort, List<Integer>> e : slotsByNode.entrySet()) {
                List<Integer> slots = e.getValue();
                List<Object> replies;
                Connection c;
                try {
                    c = provider.getConnection(e.getKey());
                } catch (RuntimeException failure) {
                    renewSoon();
                    throw failure;
                }
                try {
                    for (Integer slot : slots) {
                        c.sendCommand(mget(slice(raw, bySlot.get(slot))));
                    }
                    replies = c.getMany(slots.size());
                } catch (JedisConnectionException failure) {
                    renewSoon();
                    throw failure;
                } finally {
                    release(c);
                }
                for (int s = 0; s < slots.size(); s++) {
                    Object r = replies.get(s);
                    List<Integer> indexes = bySlot.get(slots.get(s));
                    if (r instanceof JedisRedirectionException) {
                        redirects.incrementAndGet();
                        renewSoon();
                        unmapped.add(slots.get(s));
                    } else if (r instanceof JedisDataException) {
                        throw (JedisDataException) r;
                    } else {
                        fill(out, indexes, replyList(r));
                    }
                }
            }
            for (Integer slot : unmapped) {
                List<Integer> indexes = bySlot.get(slot);
                List<byte[]> slice = slice(raw, indexes);
                fill(out, indexes, onKey(slice.get(0), c -> replyList(c.executeCommand(mget(slice)))));
            }
            return java.util.Arrays.asList(out);
        }

        private static List<byte[]> slice(List<byte[]> raw, List<Integer> indexes) {
            List<byte[]> s = new ArrayList<>(indexes.size() * 2);
            for (int i : indexes) {
                s.add(raw.get(2 * i));
                s.add(raw.get(2 * i + 1));
            }
            return s;
        }

        private static void fill(byte[][] out, List<Integer> indexes, List<byte[]> values) {
            for (int j = 0; j < indexes.size(); j++) {
                out[2 * indexes.get(j)] = values.get(2 * j);
                out[2 * indexes.get(j) + 1] = values.get(2 * j + 1);
            }
        }

        /**
         * Renews the slot map on the renewer thread, at most one renewal at a time and one per
         * 100 ms: after a master died its replica's promotion is picked up by the first renewal
         * that follows it, without holding the failing call.
         */
        void renewSoon() {
            long now = System.nanoTime();
            if (now - lastRenewNanos.get() < RENEW_SPACING_NANOS || !renewing.compareAndSet(false, true)) {
                return;
            }
            lastRenewNanos.set(now);
            try {
                renewer.execute(() -> {
                    try {
                        provider.renewSlotCache();
                        renewals.incrementAndGet();
                    } catch (RuntimeException e) {
                        // No node answered; the next failure asks again.
                    } finally {
                        renewing.set(false);
                    }
                });
            } catch (RejectedExecutionException e) {
                renewing.set(false);
            }
        }

        @Override
        UnifiedJedis nativeClient() {
            return client;
        }

        @Override
        void addHealth(Map<String, Object> details) {
            details.put("clusterNodes", provider.getNodes().size());
            details.put("clusterMasters", provider.getPrimaryNodes().size());
            details.put("slotMapRenewals", renewals.get());
            details.put("redirects", redirects.get());
        }

        @Override
        public void close() {
            renewer.shutdownNow();
            client.close();
        }
    }
}
