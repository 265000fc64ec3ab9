package io.switchboard.redis;

import java.io.File;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import redis.clients.jedis.Jedis;

/**
 * A private Sentinel set-up on free loopback ports: one master, one replica and three sentinels
 * (quorum 2) watching them under the master name {@value #MASTER_NAME}, each a child process with
 * its files under {@code target/redis-sentinel/<id>/}. Tests kill and restart the data nodes by
 * their own PIDs only.
 *
 * <p>{@code down-after-milliseconds} is 1000 and {@code failover-timeout} 5000, so a failover
 * starts about a second after the master dies (production set-ups commonly use 30000: scale the
 * measured times accordingly). Not thread-safe: one test thread drives it.
 */
final class RedisSentinelProcesses implements AutoCloseable {
    static final String MASTER_NAME = "sbmaster";
    static final int DOWN_AFTER_MILLIS = 1000;

    /** A data node or a sentinel: its port, directory and process (null while down). */
    static final class Proc {
        final int port;
        final Path dir;
        final boolean sentinel;
        Process process;

        Proc(int port, Path dir, boolean sentinel) {
            this.port = port;
            this.dir = dir;
            this.sentinel = sentinel;
        }

        boolean alive() {
            return process != null && process.isAlive();
        }

        @Override
        public String toString() {
            return "127.0.0.1:" + port;
        }
    }

    private final List<Proc> data = new ArrayList<>();
    private final List<Proc> sentinels = new ArrayList<>();
    /** The sentinels' requirepass, or null for none. */
    private final String sentinelPassword;
    /** The data nodes' requirepass (and masterauth), or null for none. */
    private final String dataPassword;
    /** {@link System#nanoTime()} just before the last SIGKILL, for measurements from a node's death. */
    volatile long killedAtNanos;

    private RedisSentinelProcesses(String sentinelPassword, String dataPassword) {
        this.sentinelPassword = sentinelPassword;
        this.dataPassword = dataPassword;
    }

    /** Starts master, replica and sentinels; returns once the sentinels agree on the master and see the replica. */
    static RedisSentinelProcesses start() {
        return start(null, null);
    }

    /**
     * As {@link #start()}, with passwords: {@code sentinelPassword} the sentinels' {@code
     * requirepass} (they use it with each other too), {@code dataPassword} the data nodes'
     * {@code requirepass} and {@code masterauth}, given to the sentinels as {@code auth-pass};
     * null for none.
     */
    static RedisSentinelProcesses start(String sentinelPassword, String dataPassword) {
        RedisSentinelProcesses s = new RedisSentinelProcesses(sentinelPassword, dataPassword);
        // A JVM that ends without close() (a killed build) must not leave the servers running.
        Runtime.getRuntime().addShutdownHook(new Thread(s::close, "redissentinelprocesses-stop"));
        Path root = Path.of("target", "redis-sentinel", TestSupport.unique("s")).toAbsolutePath();
        try {
            for (int i = 0; i < 2; i++) {
                int port = TestSupport.freePort();
                Path dir = root.resolve("data-" + port);
                Files.createDirectories(dir);
                Proc p = new Proc(port, dir, false);
                s.data.add(p);
            }
            s.launch(s.data.get(0), List.of());
            s.launch(s.data.get(1), List.of("--replicaof", "127.0.0.1", String.valueOf(s.data.get(0).port)));
            int master = s.data.get(0).port;
            for (int i = 0; i < 3; i++) {
                int port = TestSupport.freePort();
                Path dir = root.resolve("sentinel-" + port);
                Files.createDirectories(dir);
                Files.writeString(dir.resolve("sentinel.conf"), String.join("\n",
                        "port " + port,
                        "bind 127.0.0.1",
                        "dir " + dir,
                        "logfile " + dir.resolve("sentinel.log"),
                        "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + master + " 2",
                        "sentinel down-after-milliseconds " + MASTER_NAME + " " + DOWN_AFTER_MILLIS,
                        "sentinel failover-timeout " + MASTER_NAME + " 5000",
                        "sentinel parallel-syncs " + MASTER_NAME + " 1",
                        dataPassword != null ? "sentinel auth-pass " + MASTER_NAME + " " + dataPassword : "",
                        sentinelPassword != null ? "requirepass " + sentinelPassword : "", ""));
                Proc p = new Proc(port, dir, true);
                s.sentinels.add(p);
                s.launch(p, List.of());
            }
            s.awaitSettled(Duration.ofSeconds(30));
            return s;
        } catch (IOException e) {
            s.close();
            throw new IllegalStateException("cannot set up the private Redis Sentinel processes", e);
        } catch (RuntimeException | Error e) {
            s.close();
            throw e;
        }
    }

    private void launch(Proc p, List<String> extra) {
        List<String> cmd = new ArrayList<>();
        if (p.sentinel) {
            cmd.addAll(List.of("redis-server", p.dir.resolve("sentinel.conf").toString(), "--sentinel"));
        } else {
            cmd.addAll(List.of("redis-server", "--port", String.valueOf(p.port), "--bind", "127.0.0.1", "--dir", p.dir.toString(),
                    "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "notice",
                    "--logfile", p.dir.resolve("redis.log").toString()));
            if (dataPassword != null) {
                cmd.addAll(List.of("--requirepass", dataPassword, "--masterauth", dataPassword));
            }
            cmd.addAll(extra);
        }
        try {
            p.process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(new File("/dev/null")).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start redis-server (is it installed? bin/services installs it)", e);
        }
        TestSupport.await(Duration.ofSeconds(10), () -> accepting(p.port), (p.sentinel ? "sentinel" : "redis-server") + " on port " + p.port);
    }

    /**
     * Settings for a Switchboard with transport and cache on this set-up, tuned to follow a
     * failover fast (short timeouts and reconnect back-off, a subscriber declared dead after 1 s).
     */
    java.util.Map<String, Object> failoverSettings() {
        java.util.Map<String, Object> p = new java.util.HashMap<>();
        p.put("switchboard.transport", "redis");
        p.put("switchboard.cache", "redis");
        p.put("switchboard.redis.uri", uri());
        p.put("switchboard.redis.connect-timeout", "500ms");
        p.put("switchboard.redis.command-timeout", "1s");
        p.put("switchboard.redis.subscriber.ping-interval", "200ms");
        p.put("switchboard.redis.subscriber.dead-after", "1s");
        p.put("switchboard.redis.reconnect.min-backoff", "50ms");
        p.put("switchboard.redis.reconnect.max-backoff", "250ms");
        return p;
    }

    /** A connection to one of the processes, authenticated as it requires. */
    Jedis jedis(Proc p) {
        Jedis j = new Jedis("127.0.0.1", p.port, 2000);
        String password = p.sentinel ? sentinelPassword : dataPassword;
        if (password != null) {
            j.auth(password);
        }
        return j;
    }

    /** {@code redis-sentinel://} with the three sentinels and the master name, and the data nodes' password if they have one. */
    String uri() {
        return "redis-sentinel://" + (dataPassword != null ? ":" + dataPassword + "@" : "") + sentinels.stream().map(Proc::toString).collect(Collectors.joining(",")) + "/" + MASTER_NAME;
    }

    /** The data node every sentinel names as master now; fails if they disagree or name a dead one. */
    Proc master() {
        Integer port = null;
        for (Proc s : sentinels) {
            try (Jedis j = jedis(s)) {
                List<String> addr = j.sentinelGetMasterAddrByName(MASTER_NAME);
                int p = Integer.parseInt(addr.get(1));
                if (port != null && port != p) {
                    throw new IllegalStateException("the sentinels disagree on the master: " + port + " and " + p);
                }
                port = p;
            }
        }
        for (Proc d : data) {
            if (port != null && d.port == port) {
                return d;
            }
        }
        throw new IllegalStateException("the sentinels name port " + port + ", not one of ours");
    }

    List<Proc> dataNodes() {
        return List.copyOf(data);
    }

    /** Kills the current master with SIGKILL and waits until the sentinels have promoted the replica; returns the killed node. */
    Proc failOver() {
        Proc old = master();
        kill(old);
        TestSupport.await(Duration.ofSeconds(30), () -> {
            try {
                Proc m = master();
                return m != old && m.alive() && role(m).equals("master");
            } catch (RuntimeException e) {
                return false;
            }
        }, "the sentinels to promote the replica after killing the master on " + old);
        return old;
    }

    /** Kills the master, waits for the promotion, restarts the old master and waits until it is a synced replica. */
    void failOverAndRejoin() {
        Proc old = failOver();
        restart(old);
        awaitSettled(Duration.ofSeconds(30));
    }

    void kill(Proc p) {
        if (p.process != null) {
            killedAtNanos = System.nanoTime();
            p.process.destroyForcibly();
            try {
                p.process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            p.process = null;
        }
        TestSupport.await(Duration.ofSeconds(10), () -> !accepting(p.port), "port " + p.port + " to close");
    }

    /**
     * Starts a killed data node again: as a replica of the sentinels' current master when that is
     * another node (as an operator would; the sentinels would reconfigure it themselves, but only
     * after their next INFO round, some ten seconds), else as the master it still is to them.
     */
    void restart(Proc p) {
        if (p.alive()) {
            return;
        }
        Proc m = master();
        launch(p, m != p ? List.of("--replicaof", "127.0.0.1", String.valueOf(m.port)) : List.of());
    }

    /** Kills both data nodes (nothing left to fail over to). */
    void killData() {
        for (Proc p : data) {
            kill(p);
        }
    }

    /** Starts both data nodes and waits until the sentinels' master is up with its replica in sync. */
    void startData() {
        restart(master());
        for (Proc p : data) {
            restart(p);
        }
        awaitSettled(Duration.ofSeconds(60));
    }

    /** Waits until the sentinels agree on a live master, and the other data node is its in-sync replica. */
    void awaitSettled(Duration timeout) {
        TestSupport.await(timeout, () -> {
            try {
                Proc m = master();
                if (!m.alive() || !role(m).equals("master")) {
                    return false;
                }
                for (Proc d : data) {
                    if (d != m) {
                        if (!d.alive()) {
                            continue;
                        }
                        try (Jedis j = jedis(d)) {
                            String info = j.info("replication");
                            if (!info.contains("role:slave") || !info.contains("master_link_status:up")
                                    || !info.contains("master_port:" + m.port)) {
                                return false;
                            }
                        }
                    }
                }
                for (Proc s : sentinels) {
                    try (Jedis j = jedis(s)) {
                        if (j.sentinelReplicas(MASTER_NAME).stream().noneMatch(r -> "slave".equals(r.get("flags")))) {
                            return false;
                        }
                    }
                }
                return true;
            } catch (RuntimeException e) {
                return false;
            }
        }, "the private Sentinel set-up to settle (one master, its replica in sync, seen by every sentinel)");
    }

    String role(Proc p) {
        try (Jedis j = jedis(p)) {
            Object first = j.role().get(0);
            return first instanceof byte[] ? new String((byte[]) first, java.nio.charset.StandardCharsets.UTF_8) : String.valueOf(first);
        }
    }

    private static boolean accepting(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Kills every process (by PID). The files stay under target/ for post-mortems. */
    @Override
    public void close() {
        List<Proc> all = new ArrayList<>(sentinels);
        all.addAll(data);
        for (Proc p : all) {
            if (p.process != null) {
                p.process.destroyForcibly();
                try {
                    p.process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                p.process = null;
            }
        }
    }
}
