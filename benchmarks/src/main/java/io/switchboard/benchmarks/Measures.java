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
}
