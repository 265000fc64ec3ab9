package io.switchboard.redis;

import java.io.File;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * A private six-node Redis Cluster (three masters, three replicas) on free loopback ports, each
 * node a redis-server child process with its data and {@code nodes.conf} under
 * {@code target/redis-cluster/<id>/<port>}, formed with {@code redis-cli --cluster create
 * --cluster-replicas 1}. Tests kill and restart nodes by their own PIDs only.
 *
 * <p>{@code cluster-node-timeout} is 1000 ms and {@code cluster-replica-validity-factor} 0, so
 * that a replica takes over about two seconds after its master dies (production clusters use
 * 15000 ms: scale the measured failover times accordingly). Not thread-safe: one test thread
 * drives it.
 */
final class RedisClusterProcesses implements AutoCloseable {
    static final int NODE_TIMEOUT_MILLIS = 1000;
    private static final Duration FORM_TIMEOUT = Duration.ofSeconds(30);

    /** One node: its ports, its directory and its process (null while down). */
    static final class Node {
        final int port;
        final int busPort;
        final Path dir;
        Process process;

        Node(int port, int busPort, Path dir) {
            this.port = port;
            this.busPort = busPort;
            this.dir = dir;
        }

        boolean alive() {
            return process != null && process.isAlive();
        }

        @Override
        public String toString() {
            return "127.0.0.1:" + port;
        }
    }

    private final List<Node> nodes = new ArrayList<>();
    /** {@link System#nanoTime()} just before the last SIGKILL, for measurements from a node's death. */
    volatile long killedAtNanos;

    private RedisClusterProcesses() {
    }

    /**
     * Starts six nodes and forms the cluster; returns once every node sees every slot served
     * and every replica is in sync with its master.
     */
    static RedisClusterProcesses start() {
        RedisClusterProcesses c = new RedisClusterProcesses();
        // A JVM that ends without close() (a killed build) must not leave the servers running.
        Runtime.getRuntime().addShutdownHook(new Thread(c::close, "redisclusterprocesses-stop"));
        Path root = Path.of("target", "redis-cluster", TestSupport.unique("c")).toAbsolutePath();
        try {
            for (int i = 0; i < 6; i++) {
                int port = TestSupport.freePort();
                int bus = TestSupport.freePort();
                Path dir = root.resolve(Integer.toString(port));
                Files.createDirectories(dir);
                Node n = new Node(port, bus, dir);
                c.nodes.add(n);
                c.launch(n);
            }
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            for (Node n : c.nodes) {
                create.add(n.toString());
            }
            create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
            Process p = new ProcessBuilder(create).redirectErrorStream(true)
                    .redirectOutput(root.resolve("create.log").toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("redis-cli --cluster create failed; see " + root.resolve("create.log") + ":\n"
                        + Files.readString(root.resolve("create.log")));
            }
            c.awaitHealthy(FORM_TIMEOUT);
            return c;
        } catch (IOException e) {
            c.close();
            throw new IllegalStateException("cannot start the private Redis Cluster (is redis-server 7 installed? bin/services installs it)", e);
        } catch (InterruptedException e) {
            c.close();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted starting the private Redis Cluster", e);
        } catch (RuntimeException | Error e) {
            c.close();
            throw e;
        }
    }

    private void launch(Node n) {
        List<String> cmd = List.of("redis-server", "--port", String.valueOf(n.port), "--cluster-port", String.valueOf(n.busPort),
                "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", String.valueOf(NODE_TIMEOUT_MILLIS), "--cluster-replica-validity-factor", "0",
                "--dir", n.dir.toString(), "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "notice",
                "--logfile", n.dir.resolve("redis.log").toString());
        try {
            n.process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(new File("/dev/null")).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start redis-server (is it installed? bin/services installs it)", e);
        }
        TestSupport.await(Duration.ofSeconds(10), () -> accepting(n.port), "cluster node to accept on port " + n.port);
    }

    /** The seed list for {@code redis-cluster://}: every node, comma-separated host:port. */
    String seeds() {
        return nodes.stream().map(Node::toString).collect(Collectors.joining(","));
    }

    /** {@code redis-cluster://} with every node as a seed. */
    String uri() {
        return "redis-cluster://" + seeds();
    }

    List<Node> nodes() {
        return List.copyOf(nodes);
    }

    /** The live master serving the slot of {@code key} (a channel name works the same way). */
    Node masterOf(String key) {
        return masterOfSlot(JedisClusterCRC16.getSlot(key));
    }

    /** The live master serving {@code slot}, as the live nodes agree on it; fails if they do not yet. */
    Node masterOfSlot(int slot) {
        for (Node n : nodes) {
            if (!n.alive()) {
                continue;
            }
            try (Jedis j = new Jedis("127.0.0.1", n.port, 2000)) {
                String role = role(j);
                if (!role.equals("master")) {
                    continue;
                }
                for (Object range : j.clusterSlots()) {
                    List<?> r = (List<?>) range;
                    long from = (Long) r.get(0);
                    long to = (Long) r.get(1);
                    int masterPort = (int) (long) (Long) ((List<?>) r.get(2)).get(1);
                    if (slot >= from && slot <= to && masterPort == n.port) {
                        return n;
                    }
                }
            }
        }
        throw new IllegalStateException("no live master serves slot " + slot + " yet");
    }

    /** Kills a node with SIGKILL (no shutdown, no goodbye to the cluster bus), by its PID. */
    void kill(Node n) {
        if (n.process != null) {
            killedAtNanos = System.nanoTime();
            n.process.destroyForcibly();
            try {
                n.process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            n.process = null;
        }
        TestSupport.await(Duration.ofSeconds(10), () -> !accepting(n.port), "port " + n.port + " to close");
    }

    /** Starts a killed node again on its port and directory; its {@code nodes.conf} brings it back into the cluster. */
    void restart(Node n) {
        if (!n.alive()) {
            launch(n);
        }
    }

    /**
     * Moves an empty slot from one master to another, as a resharding does it (IMPORTING,
     * MIGRATING, then NODE on every master), and waits until every live node agrees.
     */
    void moveSlot(int slot, Node from, Node to) {
        String toId;
        String fromId;
        try (Jedis t = new Jedis("127.0.0.1", to.port, 2000); Jedis f = new Jedis("127.0.0.1", from.port, 2000)) {
            toId = t.clusterMyId();
            fromId = f.clusterMyId();
            t.clusterSetSlotImporting(slot, fromId);
            f.clusterSetSlotMigrating(slot, toId);
            f.clusterSetSlotNode(slot, toId);
            t.clusterSetSlotNode(slot, toId);
        }
        for (Node n : nodes) {
            if (n.alive() && n != from && n != to) {
                try (Jedis j = new Jedis("127.0.0.1", n.port, 2000)) {
                    if (role(j).equals("master")) {
                        j.clusterSetSlotNode(slot, toId);
                    }
                }
            }
        }
        TestSupport.await(Duration.ofSeconds(30), () -> {
            try {
                return masterOfSlot(slot) == to;
            } catch (RuntimeException e) {
                return false;
            }
        }, "slot " + slot + " to move from " + from + " to " + to);
    }

    /** Kills every node. */
    void killAll() {
        for (Node n : nodes) {
            kill(n);
        }
    }

    /** Starts every killed node and waits until the cluster is whole again. */
    void startAll() {
        for (Node n : nodes) {
            restart(n);
        }
        awaitHealthy(FORM_TIMEOUT);
    }

    /**
     * Kills the master of {@code key}'s slot with SIGKILL and waits until its replica has taken
     * the slot over; returns the killed node (restart it with {@link #restart}).
     */
    Node failOver(String key) {
        int slot = JedisClusterCRC16.getSlot(key);
        Node master = masterOfSlot(slot);
        kill(master);
        awaitPromotion(slot, master, Duration.ofSeconds(30));
        return master;
    }

    /** Waits until a live node other than {@code old} serves {@code slot} and the live nodes say the cluster is ok. */
    void awaitPromotion(int slot, Node old, Duration timeout) {
        TestSupport.await(timeout, () -> {
            try {
                Node m = masterOfSlot(slot);
                return m != old && allLiveOk();
            } catch (RuntimeException e) {
                return false;
            }
        }, "a replica to take slot " + slot + " over from " + old);
    }

    /** Kills the master of {@code key}'s slot, waits for the failover, restarts it and waits until it is a synced replica. */
    void failOverAndRejoin(String key) {
        failOverAndRejoin(JedisClusterCRC16.getSlot(key));
    }

    /** Kills the master of {@code slot}, waits for the failover, restarts it and waits until it is a synced replica. */
    void failOverAndRejoin(int slot) {
        Node master = masterOfSlot(slot);
        kill(master);
        awaitPromotion(slot, master, Duration.ofSeconds(30));
        restart(master);
        awaitHealthy(FORM_TIMEOUT);
    }

    /** Waits until every live node reports {@code cluster_state:ok} with all slots served, and every live replica is in sync. */
    void awaitHealthy(Duration timeout) {
        TestSupport.await(timeout, () -> {
            try {
                return allLiveOk() && replicasSynced();
            } catch (RuntimeException e) {
                return false;
            }
        }, "the private Redis Cluster " + seeds() + " to be whole (cluster_state:ok, replicas in sync)");
    }

    private boolean allLiveOk() {
        for (Node n : nodes) {
            if (!n.alive()) {
                continue;
            }
            try (Jedis j = new Jedis("127.0.0.1", n.port, 2000)) {
                Map<String, String> info = fields(j.clusterInfo());
                if (!"ok".equals(info.get("cluster_state")) || !"16384".equals(info.get("cluster_slots_ok"))) {
                    return false;
                }
            }
        }
        return true;
    }

    private boolean replicasSynced() {
        for (Node n : nodes) {
            if (!n.alive()) {
                continue;
            }
            try (Jedis j = new Jedis("127.0.0.1", n.port, 2000)) {
                Map<String, String> info = fields(j.info("replication"));
                if ("slave".equals(info.get("role")) && !"up".equals(info.get("master_link_status"))) {
                    return false;
                }
            }
        }
        return true;
    }

    private static String role(Jedis j) {
        List<Object> r = j.role();
        Object first = r.get(0);
        return first instanceof byte[] ? new String((byte[]) first, StandardCharsets.UTF_8) : String.valueOf(first);
    }

    private static Map<String, String> fields(String info) {
        return info.lines().filter(l -> l.contains(":")).collect(Collectors.toMap(l -> l.substring(0, l.indexOf(':')),
                l -> l.substring(l.indexOf(':') + 1).trim(), (a, b) -> b));
    }

    private static boolean accepting(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Kills every node (by PID). The directories stay under target/ for post-mortems. */
    @Override
    public void close() {
        for (Node n : nodes) {
            if (n.process != null) {
                n.process.destroyForcibly();
                try {
                    n.process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                n.process = null;
            }
        }
    }
}
