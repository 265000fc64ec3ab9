package io.switchboard.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What every harness reads and summarizes: this process's CPU time and heap allocation, the median
 * of trials, and how a ratio compares with its target.
 */
final class Measures {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private Measures() {
    }

    /** CPU time of this whole process (every thread), in nanoseconds. */
    static long processCpuNanos() {
        return OS.getProcessCpuTime();
    }

    /**
     * Bytes allocated on the heap by every thread of this JVM since it started, threads that ended
     * included (HotSpot keeps their totals); an approximation, as its Javadoc says.
     */
    static long allocatedBytes() {
        return THREADS.getTotalThreadAllocatedBytes();
    }

    /** Bytes allocated on the heap by the calling thread since it started. */
    static long threadAllocatedBytes() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }

    /**
     * The version of a client library, from the pom.properties Maven put in its jar, else from its
     * manifest; "?" if neither has it.
     *
     * @param anyClass a class of the library, whose class loader finds the file
     */
    static String version(Class<?> anyClass, String groupId, String artifactId) {
        String path = "/META-INF/maven/" + groupId + "/" + artifactId + "/pom.properties";
        try (java.io.InputStream in = anyClass.getResourceAsStream(path)) {
            if (in == null) {
                String v = anyClass.getPackage().getImplementationVersion();
                return v == null ? "?" : v;
            }
            java.util.Properties p = new java.util.Properties();
            p.load(in);
            return p.getProperty("version", "?");
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    /**
     * Context switches of every live thread of this process so far (voluntary plus involuntary,
     * from /proc/self/task/N/status), or -1 where /proc cannot be read. A thread that hands work to
     * another and the one woken for it add one each, so per message it counts hand-offs.
     */
    static long contextSwitches() {
        long total = 0;
        try (java.nio.file.DirectoryStream<java.nio.file.Path> tasks =
                java.nio.file.Files.newDirectoryStream(java.nio.file.Path.of("/proc/self/task"))) {
            for (java.nio.file.Path t : tasks) {
                try {
                    for (String line : java.nio.file.Files.readAllLines(t.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                            total += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (java.io.IOException | RuntimeException gone) {
                    // the thread ended while being read
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
        return total;
    }

    /**
     * Waits until {@code expected} deliveries have arrived, or none arrived for {@code quietNanos};
     * returns the time of the last progress seen (or of the call, if none).
     */
    static long untilQuiet(java.util.concurrent.atomic.AtomicLong received, long expected, long quietNanos) throws InterruptedException {
        long seen = received.get();
        long last = System.nanoTime();
        while (received.get() < expected && System.nanoTime() - last < quietNanos) {
            Thread.sleep(2);
            long now = received.get();
            if (now != seen) {
                seen = now;
                last = System.nanoTime();
            }
        }
        return last;
    }

    /**
     * p50 and p99 (nearest rank) of the first {@code n} latencies of a trial, in arrival order,
     * without the first 10% (the trial's new connections and subscription warming up); in the
     * latencies' own unit, or null if none remain.
     */
    static long[] latencyPercentiles(long[] latencies, int n) {
        long[] s = java.util.Arrays.copyOfRange(latencies, n / 10, n);
        if (s.length == 0) {
            return null;
        }
        java.util.Arrays.sort(s);
        return new long[] {s[s.length / 2], s[(int) Math.max(0, Math.ceil(s.length * 0.99) - 1)]};
    }

    /** The median; the mean of the middle two for an even count. */
    static double median(List<Double> values) {
        List<Double> s = new ArrayList<>(values);
        s.sort(Double::compare);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** "met" or "NOT met" for a ratio that must be at least {@code min}. */
    static String atLeast(double ratio, double min) {
        return String.format(Locale.ROOT, "(target >= %.2fx: %s)", min, ratio >= min ? "met" : "NOT met");
    }

    /** "met" or "NOT met" for a ratio that must be at most {@code max}. */
    static String atMost(double ratio, double max) {
        return String.format(Locale.ROOT, "(target <= %.2fx: %s)", max, ratio <= max ? "met" : "NOT met");
    }

    /**
     * The {@code --key value} options of a harness's command line, or {@code null} after printing
     * the usage for {@code --help}; exits with status 2, after the usage, on a stray argument or an
     * option not in {@code known}.
     */
    static java.util.Map<String, String> options(String[] args, List<String> known, Runnable usage) {
        java.util.Map<String, String> o = new java.util.LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                usage.run();
                return null;
            }
            if (!a.startsWith("--") || i + 1 >= args.length) {
                System.err.println("unexpected argument '" + a + "'");
                usage.run();
                System.exit(2);
            }
            o.put(a.substring(2), args[++i]);
        }
        for (String k : o.keySet()) {
            if (!known.contains(k)) {
                System.err.println("unknown option --" + k);
                usage.run();
                System.exit(2);
            }
        }
        return o;
    }

    /** CPU time (user + sys) a Redis server has used, in microseconds, from {@code INFO cpu}. */
    static long redisCpuMicros(redis.clients.jedis.Jedis j) {
        double total = 0;
        for (String line : j.info("cpu").split("\r?\n")) {
            if (line.startsWith("used_cpu_sys:") || line.startsWith("used_cpu_user:")) {
                total += Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        return (long) (total * 1e6);
    }
}
