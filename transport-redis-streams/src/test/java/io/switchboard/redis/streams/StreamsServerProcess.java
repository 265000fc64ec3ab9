package io.switchboard.redis.streams;

import java.io.File;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A private redis-server child process on a fixed free port, persisting to an append-only file
 * (appendfsync always) in its own directory under target/, so that a restart, even after kill -9,
 * keeps what it acknowledged. Tests kill and restart it by its own PID only.
 */
final class StreamsServerProcess implements AutoCloseable {
    final int port;
    private final boolean persistent;
    private final List<String> extraArgs;
    private final Path dir;
    private Process process;

    private StreamsServerProcess(int port, boolean persistent, String... extraArgs) {
        this.port = port;
        this.persistent = persistent;
        this.extraArgs = List.of(extraArgs);
        try {
            Path target = Path.of("target");
            Files.createDirectories(target);
            this.dir = Files.createTempDirectory(target.toAbsolutePath(), "redis-streams-" + port + "-");
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a directory for the private redis-server under target/", e);
        }
    }

    /** Starts a server; {@code persistent}: appendonly yes, appendfsync always. */
    static StreamsServerProcess start(boolean persistent) {
        StreamsServerProcess p = new StreamsServerProcess(StreamsTestSupport.freePort(), persistent);
        p.start();
        return p;
    }

    /** Starts a non-persistent replica of the server on {@code primaryPort}. */
    static StreamsServerProcess replicaOf(int primaryPort) {
        StreamsServerProcess p = new StreamsServerProcess(StreamsTestSupport.freePort(), false, "--replicaof", "127.0.0.1",
                Integer.toString(primaryPort));
        p.start();
        return p;
    }

    synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        List<String> cmd = new ArrayList<>(List.of("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1", "--save", "",
                "--dir", dir.toString(), "--appendonly", persistent ? "yes" : "no", "--appendfsync", "always", "--daemonize", "no",
                "--loglevel", "warning"));
        cmd.addAll(extraArgs);
        try {
            process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start redis-server (is it installed? bin/services installs it)", e);
        }
        StreamsTestSupport.await(Duration.ofSeconds(20), this::accepting, "private redis-server to accept on port " + port
                + " (log: " + dir.resolve("redis.log") + ")");
        StreamsTestSupport.await(Duration.ofSeconds(20), this::loaded, "private redis-server on port " + port + " to load its data");
    }

    /** kill -9 of the server process. */
    synchronized void kill() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
        StreamsTestSupport.await(Duration.ofSeconds(10), () -> !accepting(), "port " + port + " to close");
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    private boolean accepting() {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private boolean loaded() {
        try (redis.clients.jedis.Jedis j = new redis.clients.jedis.Jedis("127.0.0.1", port)) {
            return j.ping().equals("PONG");
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        kill();
    }

    File directory() {
        return dir.toFile();
    }
}
