package io.switchboard.cli;

import io.switchboard.JsonCodec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A demo instance running as a child JVM ({@code switchboard demo-instance}), driven over its
 * standard input and output with one-line commands: {@code create JSON}, {@code change ID CENTS},
 * {@code read ID}, {@code stats}, {@code quit}; each answered by {@code ok [RESULT]} or
 * {@code err MESSAGE}. One request at a time (methods are synchronized).
 */
final class DemoProcess implements DemoNode {
    private static final String EOF = "\u0000eof";
    private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(60);

    private final String name;
    private final Process process;
    private final PrintWriter in;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private DemoProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the process ended; EOF below tells the waiting request
            }
            lines.add(EOF);
        }, "demo-" + name + "-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts a child JVM with this JVM's class path and waits until its instance is ready. */
    static DemoProcess start(String name, String runId, String settings) {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                SwitchboardCommand.class.getName(), "demo-instance", "--name", name, "--run", runId));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
            pb.environment().put(ConnectionOptions.CHILD_SETTINGS, settings);
            Process p = pb.start();
            DemoProcess node = new DemoProcess(name, p);
            String ready = node.reply();
            if (!ready.startsWith("ready")) {
                node.kill();
                throw new CommandFailure(name + " did not start: " + ready);
            }
            return node;
        } catch (IOException e) {
            throw new CommandFailure("could not start " + name + " as a child process: " + e.getMessage());
        }
    }

    long pid() {
        return process.pid();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void create(Product p) {
        request("create " + json(p));
    }

    @Override
    public Product changePrice(String id, long cents) {
        return parse(request("change " + id + " " + cents));
    }

    @Override
    public Product read(String id) {
        return parse(request("read " + id));
    }

    @Override
    public String stats() {
        return request("stats");
    }

    @Override
    public synchronized void close() {
        if (process.isAlive()) {
            in.println("quit");
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    kill();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kill();
            }
        }
    }

    void kill() {
        process.destroyForcibly();
    }

    private synchronized String request(String line) {
        in.println(line);
        String reply = reply();
        if (reply.startsWith("ok")) {
            return reply.length() > 3 ? reply.substring(3) : "";
        }
        throw new CommandFailure(name + " (pid " + process.pid() + ") failed '" + line + "': " + reply);
    }

    private String reply() {
        try {
            String reply = lines.poll(REPLY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (reply == null) {
                throw new CommandFailure(name + " (pid " + process.pid() + ") did not answer within " + REPLY_TIMEOUT);
            }
            if (reply.equals(EOF)) {
                lines.add(EOF);
                throw new CommandFailure(name + " (pid " + process.pid() + ") exited unexpectedly");
            }
            return reply;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure("interrupted while waiting for " + name);
        }
    }

    static String json(Product p) {
        return new String(JsonCodec.defaults().encode(p), StandardCharsets.UTF_8);
    }

    static Product parse(String json) {
        return json.isEmpty() || json.equals("null") ? null : JsonCodec.defaults().decode(json.getBytes(StandardCharsets.UTF_8), Product.class);
    }
}
