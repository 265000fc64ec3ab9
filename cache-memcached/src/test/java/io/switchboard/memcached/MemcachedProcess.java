package io.switchboard.memcached;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private memcached child process on a free loopback port, for tests that kill, freeze and
 * restart a server. Never touches the shared server on 11211.
 */
final class MemcachedProcess implements AutoCloseable {
    final int port;
    private Process process;

    private MemcachedProcess(int port) {
        this.port = port;
    }

    static MemcachedProcess start() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        MemcachedProcess p = new MemcachedProcess(port);
        p.restart();
        return p;
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    /** Starts (again) on the same port and waits until it accepts connections. */
    void restart() throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of("memcached", "-p", Integer.toString(port), "-l", "127.0.0.1",
                "-U", "0", "-m", "32", "-c", "256"));
        if ("root".equals(System.getProperty("user.name"))) {
            command.addAll(List.of("-u", "memcache"));
        }
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Await.await(Duration.ofSeconds(10), this::accepts, "private memcached on port " + port + " did not start: " + command);
    }

    private boolean accepts() {
        if (!process.isAlive()) {
            throw new AssertionError("private memcached on port " + port + " exited with " + process.exitValue()
                    + " (is memcached installed? run bin/services)");
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Kills the server abruptly (SIGKILL), as a crash would. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError("memcached on port " + port + " did not die");
        }
    }

    /** Freezes (SIGSTOP) or thaws (SIGCONT) the server: connections stay open but nothing is answered. */
    void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).redirectErrorStream(true)
                .redirectOutput(new File("/dev/null")).start();
        if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -" + signal + " " + process.pid() + " failed");
        }
        if (signal.equals("STOP")) {
            // The signal is delivered asynchronously; a request could still be answered until the state says stopped.
            java.nio.file.Path stat = java.nio.file.Path.of("/proc/" + process.pid() + "/stat");
            Await.await(Duration.ofSeconds(5), () -> {
                try {
                    String s = java.nio.file.Files.readString(stat);
                    return s.substring(s.lastIndexOf(')') + 2).startsWith("T");
                } catch (IOException e) {
                    return false;
                }
            }, "memcached " + process.pid() + " never showed as stopped");
        }
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            try {
                signal("CONT");
            } catch (Exception | AssertionError ignored) {
                // Best effort: a stopped process ignores SIGTERM until continued, SIGKILL below works regardless.
            }
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
