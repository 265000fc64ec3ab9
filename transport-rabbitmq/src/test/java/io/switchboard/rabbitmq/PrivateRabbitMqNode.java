package io.switchboard.rabbitmq;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A RabbitMQ node of the test's own, on free ports with its data in a temporary folder, so that
 * tests can kill and restart it without touching the shared broker. When run as root the node runs
 * as the {@code rabbitmq} user (it refuses root and needs that user's Erlang cookie).
 */
final class PrivateRabbitMqNode implements AutoCloseable {
    private final String node;
    private final Path dir;
    private final int port;
    private final int distPort;
    private final boolean root;

    private PrivateRabbitMqNode() throws IOException {
        this("sbtest-" + UUID.randomUUID().toString().substring(0, 8) + "@localhost", Files.createTempDirectory("sb-rabbitmq-"));
    }

    private PrivateRabbitMqNode(String node, Path dir) throws IOException {
        this.node = node;
        this.port = freePort();
        this.distPort = freePort();
        this.dir = dir;
        Files.createDirectories(dir);
        this.root = "0".equals(run(List.of("id", "-u"), Duration.ofSeconds(10)).trim());
        Files.writeString(dir.resolve("enabled_plugins"), "[].\n");
        Files.writeString(dir.resolve("rabbitmq.conf"), "listeners.tcp.local = 127.0.0.1:" + port + "\nloopback_users = none\n");
        if (root) {
            run(List.of("chown", "-R", "rabbitmq:rabbitmq", dir.toString()), Duration.ofSeconds(10));
        }
    }

    /** Starts a node and waits until it accepts AMQP connections. */
    static PrivateRabbitMqNode start() throws IOException {
        PrivateRabbitMqNode n = new PrivateRabbitMqNode();
        try {
            n.startNode();
        } catch (IOException | RuntimeException e) {
            n.close();
            throw e;
        }
        return n;
    }

    /**
     * A node named {@code node} with its data in {@code dir}, on free ports, not started: for a
     * cluster, whose members share the Erlang cookie of the user they run as ({@link RabbitMqClusterNodes}).
     */
    static PrivateRabbitMqNode member(String node, Path dir) throws IOException {
        return new PrivateRabbitMqNode(node, dir);
    }

    int port() {
        return port;
    }

    /** The Erlang node name, such as {@code sbc-1@localhost}. */
    String nodeName() {
        return node;
    }

    /** Runs {@code rabbitmqctl -n NODE <args>} (as the rabbitmq user when root) and returns its output. */
    String ctl(String args) throws IOException {
        return asRabbitMq("rabbitmqctl -n " + node + " " + args, Duration.ofSeconds(90));
    }

    String uri() {
        return "amqp://guest:guest@127.0.0.1:" + port + "/%2F";
    }

    private void startNode() throws IOException {
        launch();
        awaitUp();
    }

    /** Starts the node's process in the background; {@link #awaitUp()} waits until it serves. */
    void launch() throws IOException {
        String env = "RABBITMQ_NODENAME=" + node + " RABBITMQ_CONFIG_FILE=" + dir.resolve("rabbitmq.conf")
                + " RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=" + port + " RABBITMQ_DIST_PORT=" + distPort
                + " RABBITMQ_MNESIA_BASE=" + dir.resolve("mnesia") + " RABBITMQ_LOG_BASE=" + dir.resolve("log")
                + " RABBITMQ_PID_FILE=" + dir.resolve("pid") + " RABBITMQ_ENABLED_PLUGINS_FILE=" + dir.resolve("enabled_plugins")
                + " RABBITMQ_FEATURE_FLAGS_FILE=" + dir.resolve("feature_flags") + " ERL_EPMD_ADDRESS=127.0.0.1";
        Files.deleteIfExists(dir.resolve("pid"));
        asRabbitMq("env " + env + " rabbitmq-server -detached", Duration.ofSeconds(30));
    }

    /** Waits until a launched node runs and accepts AMQP connections. */
    void awaitUp() throws IOException {
        asRabbitMq("rabbitmqctl -n " + node + " wait --timeout 60 " + dir.resolve("pid"), Duration.ofSeconds(70));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!listening()) {
            if (System.nanoTime() > deadline) {
                throw new IOException("private RabbitMQ node " + node + " does not listen on " + port + "; logs in " + dir.resolve("log"));
            }
            sleep(50);
        }
    }

    /** Kills the node with SIGKILL, as a crash would, and waits until its port is closed. */
    void kill9() throws IOException {
        String pid = Files.readString(dir.resolve("pid")).trim();
        run(List.of("kill", "-9", pid), Duration.ofSeconds(10));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (listening() || processAlive(pid)) {
            if (System.nanoTime() > deadline) {
                throw new IOException("node " + node + " (pid " + pid + ") still alive after kill -9");
            }
            sleep(20);
        }
    }

    /** Starts the node again on the same ports and data. */
    void restart() throws IOException {
        startNode();
    }

    /** Makes sure the node runs (a test may have left it killed). */
    void ensureRunning() throws IOException {
        if (!listening()) {
            startNode();
        }
    }

    /** Closes every client connection of this node (the broker side of a network cut). */
    void closeAllConnections() throws IOException {
        asRabbitMq("rabbitmqctl -n " + node + " close_all_connections 'test: connection cut'", Duration.ofSeconds(30));
    }

    /**
     * Closes, in one step, every client connection of the cluster this node belongs to that exists
     * now (on every node), each once: unlike {@code close_all_connections} run on each node in
     * turn, a connection that reconnects meanwhile is not cut a second time after the hook returns.
     * Returns how many were closed.
     */
    int closeClusterConnectionsOnce() throws IOException {
        String out = asRabbitMq("rabbitmqctl -n " + node + " eval 'Cs = rabbit_networking:connections(), "
                + "[rabbit_networking:close_connection(C, \"test: connection cut\") || C <- Cs], length(Cs).'", Duration.ofSeconds(30));
        return Integer.parseInt(out.trim().replaceAll("(?s).*?(\\d+)\\s*$", "$1"));
    }

    /** Sets the memory high watermark (fraction of RAM); a tiny one raises a memory alarm that blocks publishers. */
    void setMemoryWatermark(String fraction) throws IOException {
        asRabbitMq("rabbitmqctl -n " + node + " set_vm_memory_high_watermark " + fraction, Duration.ofSeconds(30));
    }

    /** Raises a memory alarm (a tiny watermark) and waits until the node reports it. */
    void raiseMemoryAlarm() throws IOException {
        setMemoryWatermark("0.0000001");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!asRabbitMq("rabbitmqctl -n " + node + " eval 'rabbit_alarm:get_alarms().'", Duration.ofSeconds(30)).contains("memory")) {
            if (System.nanoTime() > deadline) {
                throw new IOException("node " + node + " raised no memory alarm within 30 s");
            }
            sleep(50);
        }
    }

    /** Clears the memory alarm raised by {@link #raiseMemoryAlarm()}. */
    void clearMemoryAlarm() throws IOException {
        setMemoryWatermark("0.4");
    }

    /** Adds a user with every permission on the default vhost. */
    void addUser(String user, String password) throws IOException {
        asRabbitMq("rabbitmqctl -n " + node + " add_user '" + user + "' '" + password + "'", Duration.ofSeconds(30));
        asRabbitMq("rabbitmqctl -n " + node + " set_permissions -p / '" + user + "' '.*' '.*' '.*'", Duration.ofSeconds(30));
    }

    /** Stops the node's process with SIGSTOP: it keeps its sockets but answers nothing, as a hung broker. */
    void freeze() throws IOException {
        run(List.of("kill", "-STOP", Files.readString(dir.resolve("pid")).trim()), Duration.ofSeconds(10));
    }

    /** Lets a frozen node run again (SIGCONT). */
    void thaw() throws IOException {
        run(List.of("kill", "-CONT", Files.readString(dir.resolve("pid")).trim()), Duration.ofSeconds(10));
    }

    /** Messages ready and unacknowledged in one queue, or null if the node has no such queue. */
    int[] queueCounts(String queue) throws IOException {
        String out = asRabbitMq("rabbitmqctl -n " + node + " -q list_queues name messages_ready messages_unacknowledged", Duration.ofSeconds(30));
        for (String line : out.split("\n")) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length == 3 && cols[0].equals(queue)) {
                return new int[] {Integer.parseInt(cols[1]), Integer.parseInt(cols[2])};
            }
        }
        return null;
    }

    boolean listening() {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean processAlive(String pid) {
        return Files.exists(Path.of("/proc", pid));
    }

    @Override
    public void close() {
        try {
            if (Files.exists(dir.resolve("pid"))) {
                String pid = Files.readString(dir.resolve("pid")).trim();
                if (!pid.isEmpty() && processAlive(pid)) {
                    run(List.of("kill", "-9", pid), Duration.ofSeconds(10));
                }
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("could not stop private RabbitMQ node " + node + ": " + e);
        }
        try {
            run(List.of("rm", "-rf", dir.toString()), Duration.ofSeconds(30));
        } catch (IOException | RuntimeException e) {
            System.err.println("could not delete " + dir + ": " + e);
        }
    }

    private String asRabbitMq(String command, Duration timeout) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (root) {
            cmd.addAll(List.of("su", "-s", "/bin/sh", "rabbitmq", "-c", command));
        } else {
            cmd.addAll(List.of("/bin/sh", "-c", command));
        }
        return run(cmd, timeout);
    }

    private static String run(List<String> cmd, Duration timeout) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException("command timed out after " + timeout + ": " + cmd);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted: " + cmd, e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException("command failed (exit " + p.exitValue() + "): " + cmd + "\n" + out);
        }
        return out;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public String toString() {
        return "PrivateRabbitMqNode[" + node + " on 127.0.0.1:" + port + "]";
    }
}
