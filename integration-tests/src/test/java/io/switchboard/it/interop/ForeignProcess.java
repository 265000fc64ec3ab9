package io.switchboard.it.interop;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A Node.js or Python program that a test started: its standard output is read line by line so
 * that the test can wait for a line, with a deadline; {@link #close()} kills it (this process only,
 * by its handle) and waits for it. Thread-safe.
 */
final class ForeignProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final List<String> out = new ArrayList<>();
    private final StringBuffer err = new StringBuffer();
    private int taken;

    private ForeignProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        Thread o = new Thread(() -> pump(process.getInputStream(), true), name + "-stdout");
        Thread e = new Thread(() -> pump(process.getErrorStream(), false), name + "-stderr");
        o.setDaemon(true);
        e.setDaemon(true);
        o.start();
        e.start();
    }

    /** Starts {@code command} in {@code dir} with the extra environment {@code env}. */
    static ForeignProcess start(String name, Path dir, Map<String, String> env, String... command) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().putAll(env);
        try {
            return new ForeignProcess(name, pb.start());
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + String.join(" ", command) + " for " + name + ": " + e.getMessage(), e);
        }
    }

    private void pump(java.io.InputStream in, boolean stdout) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (stdout) {
                    synchronized (this) {
                        out.add(line);
                        notifyAll();
                    }
                } else {
                    err.append(line).append('\n');
                }
            }
        } catch (IOException ignored) {
            // The process was killed: what it printed so far stays.
        }
        synchronized (this) {
            notifyAll();
        }
    }

    /**
     * The next line of standard output (after those already returned) that {@code wanted} accepts,
     * waiting at most {@code timeout}; fails the test with everything the program printed if none
     * comes in time or the program ends first.
     */
    synchronized String awaitLine(String what, Duration timeout, Predicate<String> wanted) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            while (taken < out.size()) {
                String line = out.get(taken++);
                if (wanted.test(line)) {
                    return line;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || (!process.isAlive() && taken == out.size())) {
                if (!process.isAlive()) {
                    // Let the pumps drain what it wrote last.
                    wait(200);
                    if (taken < out.size()) {
                        continue;
                    }
                }
                fail(name + ": no " + what + " within " + timeout + (process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")")
                        + "\n--- stdout ---\n" + String.join("\n", out) + "\n--- stderr ---\n" + err);
            }
            TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
        }
    }

    /** Waits at most {@code timeout} for the program to end by itself and returns its exit code; fails the test if it does not. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            fail(name + " did not end within " + timeout + "\n--- stdout ---\n" + output() + "\n--- stderr ---\n" + err);
        }
        return process.exitValue();
    }

    /** Everything printed on standard output so far. */
    synchronized String output() {
        return String.join("\n", out);
    }

    /** Everything printed on standard error so far. */
    String errors() {
        return err.toString();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
