package io.switchboard.it.sync;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A redis-server of our own on a free loopback port, without persistence, that a test may kill,
 * restart or cut the clients of without touching the shared server. Not thread-safe.
 */
final class PrivateRedis implements AutoCloseable {
    private final int port;
    private final Path dir;
    private Process process;

    private PrivateRedis(int port, Path dir) {
        this.port = port;
        this.dir = dir;
    }

    static PrivateRedis start() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        PrivateRedis r = new PrivateRedis(port, Files.createTempDirectory("sync-redis"));
        r.launch();
        return r;
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** Kills the server and starts it again, empty, on the same port. */
    void restart() throws Exception {
        stopServer();
        launch();
    }

    /** Kills the server; its port refuses connections until {@link #startServer()}. */
    void stopServer() throws Exception {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** Starts the server stopped by {@link #stopServer()}, empty, on the same port. */
    void startServer() throws Exception {
        launch();
    }

    /** The kit's fault hooks on this server: cut every client, stop and start, restart. */
    io.switchboard.tck.Faults faults() {
        return io.switchboard.tck.Faults.builder().name("private redis-server " + uri()).cutConnections(this::cutClients)
                .outage(this::stopServer, this::startServer).build();
    }

    /** Closes every client connection (pub/sub and normal) while the server keeps running. */
    void cutClients() throws IOException {
        command("CLIENT", "KILL", "TYPE", "pubsub");
        command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
    }

    private void launch() throws Exception {
        process = new ProcessBuilder("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", dir.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("log").toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline || !process.isAlive()) {
                    throw new IllegalStateException("private redis-server on port " + port + " did not start: " + Files.readString(dir.resolve("log")));
                }
                Thread.sleep(20);
            }
        }
    }

    /** Sends one command in RESP and returns the first reply line. */
    private String command(String... args) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
            for (String a : args) {
                sb.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
            }
            OutputStream out = s.getOutputStream();
            out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = in.read()) != -1 && c != '\n') {
                line.append((char) c);
            }
            if (line.length() > 0 && line.charAt(0) == '-') {
                throw new IOException("redis refused " + String.join(" ", args) + ": " + line);
            }
            return line.toString().trim();
        }
    }

    @Override
    public void close() throws Exception {
        if (process != null) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
