package io.switchboard.memcached;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private memcached child process on a free loopback port, for tests that kill, freeze and
 * restart a server, or need SASL. Never touches the shared server on 11211.
 */
final class MemcachedProcess implements AutoCloseable {
    final int port;
    private Process process;
    /** With SASL: the directory holding memcached.conf and the user database, passed as SASL_CONF_PATH. */
    private Path saslDir;

    private MemcachedProcess(int port) {
        this.port = port;
    }

    static MemcachedProcess start() throws IOException {
        MemcachedProcess p = new MemcachedProcess(freePort());
        p.restart();
        return p;
    }

    /**
     * Starts memcached with SASL ({@code -S}, binary protocol only), offering the mechanisms
     * {@code mechList} (SASL's {@code mech_list}, for example {@code "plain"} or
     * {@code "plain cram-md5"}) with one user in a private SASL database. Installs sasl2-bin (for
     * saslpasswd2) with apt-get when it is missing, as bin/services does; fails if it cannot.
     */
    static MemcachedProcess startWithSasl(String user, String password, String mechList) throws IOException, InterruptedException {
        ensureSaslTools();
        MemcachedProcess p = new MemcachedProcess(freePort());
        p.saslDir = Files.createTempDirectory("sb-memcached-sasl");
        Path db = p.saslDir.resolve("sasldb2");
        Files.writeString(p.saslDir.resolve("memcached.conf"), "mech_list: " + mechList + "\nsasldb_path: " + db + "\n");
        Process add = new ProcessBuilder("saslpasswd2", "-p", "-c", "-a", "memcached", "-f", db.toString(), user)
                .redirectErrorStream(true).start();
        add.getOutputStream().write(password.getBytes(StandardCharsets.UTF_8));
        add.getOutputStream().close();
        String out = new String(add.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!add.waitFor(10, TimeUnit.SECONDS) || add.exitValue() != 0) {
            throw new AssertionError("saslpasswd2 failed: " + out);
        }
        // memcached drops to the memcache user when started as root; it must still read the database.
        Files.setPosixFilePermissions(p.saslDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(db, PosixFilePermissions.fromString("rw-r--r--"));
        p.restart();
        return p;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static synchronized void ensureSaslTools() throws IOException, InterruptedException {
        String help = run(List.of("memcached", "-h"));
        if (!help.contains("enable-sasl")) {
            throw new AssertionError("this memcached has no SASL support (memcached -h lists no --enable-sasl); install Debian's memcached");
        }
        if (Files.isExecutable(Path.of("/usr/sbin/saslpasswd2")) || Files.isExecutable(Path.of("/usr/bin/saslpasswd2"))) {
            return;
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new AssertionError("the SASL tests need saslpasswd2: run 'sudo apt-get install -y sasl2-bin'");
        }
        // As bin/services: keep the package's scripts from starting its daemon (saslauthd), which the tests do not use.
        Path policy = Path.of("/usr/sbin/policy-rc.d");
        boolean created = !Files.exists(policy);
        if (created) {
            Files.writeString(policy, "#!/bin/sh\nexit 101\n");
            Files.setPosixFilePermissions(policy, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        try {
            run(List.of("apt-get", "update", "-qq"));
            run(List.of("apt-get", "install", "-y", "-qq", "--no-install-recommends", "sasl2-bin"));
        } finally {
            if (created) {
                Files.deleteIfExists(policy);
            }
        }
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
        b.environment().put("DEBIAN_FRONTEND", "noninteractive");
        Process p = b.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed: " + out);
        }
        return out;
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
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        if (saslDir != null) {
            command.add("-S");
            b.command(command).environment().put("SASL_CONF_PATH", saslDir.toString());
        }
        process = b.start();
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
        if (saslDir != null) {
            try (java.util.stream.Stream<Path> files = Files.list(saslDir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.deleteIfExists(f);
                }
                Files.deleteIfExists(saslDir);
            } catch (IOException ignored) {
                // A leftover temporary directory is harmless.
            }
        }
    }
}
