package io.switchboard.cli;

/**
 * Counts latencies in nanoseconds in log-linear buckets (64 per power of two, so a percentile is
 * within 1.6% of the true value), in constant memory however long {@code bench} runs. Not
 * thread-safe: one writer at a time (a subscription's handler runs one message at a time), read
 * after the writers stopped.
 */
final class LatencyHistogram {
    private static final int SUB_BITS = 7;
    private static final int SUB = 1 << SUB_BITS;
    private static final int HALF = SUB / 2;
    /** Enough buckets for any non-negative long. */
    private static final int BUCKETS = SUB + (64 - SUB_BITS) * HALF;

    private final long[] counts = new long[BUCKETS];
    private long total;
    private long max;

    /** Records one latency; a negative one counts as 0. */
    void record(long nanos) {
        long v = Math.max(0, nanos);
        counts[index(v)]++;
        total++;
        max = Math.max(max, v);
    }

    long count() {
        return total;
    }

    double maxMillis() {
        return max / 1e6;
    }

    /** The latency below which {@code percent} of the recorded ones are, in milliseconds; NaN if none. */
    double percentileMillis(double percent) {
        if (total == 0) {
            return Double.NaN;
        }
        long rank = Math.max(1, (long) Math.ceil(percent / 100.0 * total));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(max, upperBound(i)) / 1e6;
            }
        }
        return max / 1e6;
    }

    static LatencyHistogram merge(LatencyHistogram... parts) {
        LatencyHistogram all = new LatencyHistogram();
        for (LatencyHistogram h : parts) {
            for (int i = 0; i < BUCKETS; i++) {
                all.counts[i] += h.counts[i];
            }
            all.total += h.total;
            all.max = Math.max(all.max, h.max);
        }
        return all;
    }

    static int index(long v) {
        if (v < SUB) {
            return (int) v;
        }
        int shift = 63 - Long.numberOfLeadingZeros(v) - (SUB_BITS - 1);
        return SUB + (shift - 1) * HALF + (int) ((v >>> shift) - HALF);
    }

    /** The largest value that falls into bucket {@code i}. */
    static long upperBound(int i) {
        if (i < SUB) {
            return i;
        }
        int shift = (i - SUB) / HALF + 1;
        long mantissa = (i - SUB) % HALF + HALF;
        long next = (mantissa + 1) << shift;
        return next <= 0 ? Long.MAX_VALUE : next - 1;
    }
}
