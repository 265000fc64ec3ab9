package io.switchboard.redis;

import java.io.File;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A private redis-server child process on a fixed free port, which tests may kill, restart,
 * freeze (SIGSTOP) and thaw (SIGCONT), always by its own PID.
 */
final class RedisServerProcess implements AutoCloseable {
    final int port;
    private final String password;
    private final List<String> extraArgs;
    private Process process;

    RedisServerProcess(int port, String password, String... extraArgs) {
        this.port = port;
        this.password = password;
        this.extraArgs = List.of(extraArgs);
    }

    static RedisServerProcess start(String password, String... extraArgs) {
        RedisServerProcess p = new RedisServerProcess(TestSupport.freePort(), password, extraArgs);
        p.start();
        return p;
    }

    synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        List<String> cmd = new ArrayList<>(List.of("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"));
        if (password != null) {
            cmd.add("--requirepass");
            cmd.add(password);
        }
        cmd.addAll(extraArgs);
        try {
            process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(new File("/dev/null")).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start redis-server (is it installed? bin/services installs it)", e);
        }
        TestSupport.await(Duration.ofSeconds(10), this::accepting, "private redis-server to accept on port " + port);
    }

    /** Stops the process with SIGSTOP: the kernel still accepts connections, nothing answers. */
    synchronized void freeze() {
        signal("STOP");
    }

    /** Resumes a frozen process with SIGCONT. */
    synchronized void thaw() {
        signal("CONT");
    }

    private void signal(String name) {
        if (process == null || !process.isAlive()) {
            throw new IllegalStateException("private redis-server on port " + port + " is not running");
        }
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot signal the private redis-server", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted signalling the private redis-server", e);
        }
    }

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
        TestSupport.await(Duration.ofSeconds(10), () -> !accepting(), "port " + port + " to close");
    }

    String uri() {
        return "redis://" + (password != null ? ":" + password + "@" : "") + "127.0.0.1:" + port;
    }

    private boolean accepting() {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        kill();
    }
}
