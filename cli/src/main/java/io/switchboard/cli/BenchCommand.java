package io.switchboard.cli;

import io.switchboard.Message;
import io.switchboard.Switchboard;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Publishes N messages across P publishers to S subscribers on one channel and reports
 * throughput and end-to-end latency percentiles. Every publisher and subscriber is its own
 * Switchboard, as separate service instances would be (all in this JVM, so that one clock times
 * every message).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures publish and delivery throughput and latency.",
                "Publishes --messages messages of --size bytes across --publishers publishers to --subscribers subscribers "
                        + "of one channel, and reports publish and delivery throughput and latency percentiles (p50/p90/p99/p99.9).",
                "Shows a progress bar on a terminal. Exits 1 if any subscriber missed messages (the transport's guarantee shows here)."})
final class BenchCommand implements Callable<Integer> {
    private static final byte WARMUP = 1;

    @Spec
    CommandSpec spec;

    @Mixin
    ConnectionOptions connection;

    @Option(names = {"-n", "--messages"}, defaultValue = "20000", paramLabel = "N", description = "Messages in total (default ${DEFAULT-VALUE}).")
    int messages;

    @Option(names = {"-s", "--size"}, defaultValue = "256", paramLabel = "BYTES", description = "Payload size, at least 16 (default ${DEFAULT-VALUE}).")
    int size;

    @Option(names = {"-p", "--publishers"}, defaultValue = "1", paramLabel = "P", description = "Publishing instances (default ${DEFAULT-VALUE}).")
    int publishers;

    @Option(names = {"-c", "--subscribers"}, defaultValue = "1", paramLabel = "S", description = "Subscribing instances (default ${DEFAULT-VALUE}).")
    int subscribers;

    @Option(names = "--in-flight", defaultValue = "1000", paramLabel = "N",
            description = "Unconfirmed publishes allowed per publisher (default ${DEFAULT-VALUE}).")
    int inFlight;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "MSG/S",
            description = "Publish at this total rate, to measure latency below saturation (default 0: as fast as the window allows).")
    int rate;

    @Option(names = "--warmup", defaultValue = "2000", paramLabel = "N",
            description = "Messages per publisher sent first and not measured, to warm up the JIT and connections (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--timeout", defaultValue = "120s", paramLabel = "DURATION",
            description = "Longest run (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--no-progress", description = "No progress bar, even on a terminal.")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
        check(messages >= 1 && messages <= 50_000_000, "--messages must be between 1 and 50000000");
        check(size >= 16 && size <= 16 * 1024 * 1024, "--size must be between 16 and 16777216 bytes");
        check(publishers >= 1 && publishers <= 64, "--publishers must be between 1 and 64");
        check(subscribers >= 1 && subscribers <= 64, "--subscribers must be between 1 and 64");
        check(inFlight >= 1, "--in-flight must be at least 1");
        check(rate >= 0, "--rate must not be negative");
        check(warmup >= 0, "--warmup must not be negative");
        PrintWriter out = spec.commandLine().getOut();
        String channel = "switchboard.bench." + UUID.randomUUID().toString().substring(0, 8);
        List<Switchboard> opened = new ArrayList<>();
        try {
            long[][] latencies = new long[subscribers][messages];
            AtomicLong[] counts = new AtomicLong[subscribers];
            AtomicLong lastArrival = new AtomicLong();
            for (int s = 0; s < subscribers; s++) {
                Switchboard sb = connection.open();
                opened.add(sb);
                AtomicLong count = new AtomicLong();
                counts[s] = count;
                long[] lat = latencies[s];
                sb.subscriber().subscribe(channel, d -> {
                    long now = System.nanoTime();
                    byte[] payload = d.message().payload();
                    if (payload[8] == WARMUP) {
                        return;
                    }
                    long sent = ByteBuffer.wrap(payload, 0, 8).getLong();
                    int i = (int) count.getAndIncrement();
                    if (i < lat.length) {
                        lat[i] = now - sent;
                    }
                    lastArrival.accumulateAndGet(now, Math::max);
                });
            }
            List<Switchboard> pubs = new ArrayList<>();
            for (int p = 0; p < publishers; p++) {
                Switchboard sb = connection.open();
                opened.add(sb);
                pubs.add(sb);
            }
            String transport = pubs.get(0).transportName();
            out.println("bench: " + messages + " messages of " + size + " bytes, " + publishers + " publisher(s), " + subscribers
                    + " subscriber(s)" + (rate > 0 ? ", " + rate + " msg/s" : ", unthrottled") + ", transport " + transport + " (" + pubs.get(0).capabilities().deliveryGuarantee() + ")");
            out.flush();

            AtomicLong published = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long start = System.nanoTime();
            long deadline = start + timeout.toNanos();
            List<Thread> threads = new ArrayList<>();
            long[] publishEnd = new long[publishers];
            long[] measureStart = new long[publishers];
            for (int p = 0; p < publishers; p++) {
                int share = messages / publishers + (p < messages % publishers ? 1 : 0);
                Switchboard sb = pubs.get(p);
                int index = p;
                Thread t = new Thread(() -> publish(sb, channel, share, published, failure, deadline, measureStart, publishEnd, index), "bench-publisher-" + p);
                threads.add(t);
                t.start();
            }
            Progress progress = new Progress(spec.commandLine().getErr(), !noProgress && System.console() != null);
            long expected = (long) messages * subscribers;
            while (System.nanoTime() < deadline && failure.get() == null) {
                long delivered = sum(counts);
                progress.show(published.get(), messages, delivered, expected, System.nanoTime() - start);
                if (delivered >= expected && threads.stream().noneMatch(Thread::isAlive)) {
                    break;
                }
                if (threads.stream().noneMatch(Thread::isAlive) && System.nanoTime() - Math.max(lastArrival.get(), maxOf(publishEnd)) > 5_000_000_000L) {
                    break;
                }
                Thread.sleep(100);
            }
            progress.done();
            for (Thread t : threads) {
                t.join(1000);
            }
            if (failure.get() != null) {
                throw new CommandFailure("publishing failed: " + failure.get());
            }
            long delivered = sum(counts);
            start = minOf(measureStart, start);
            double publishSeconds = (maxOf(publishEnd) - start) / 1e9;
            double deliverSeconds = (Math.max(lastArrival.get(), start + 1) - start) / 1e9;
            long[] all = merge(latencies, counts);
            out.println(String.format("published   %,d msg in %.2f s = %,.0f msg/s (%.1f MB/s)", published.get(), publishSeconds,
                    published.get() / publishSeconds, published.get() * (double) size / publishSeconds / 1e6));
            out.println(String.format("delivered   %,d of %,d in %.2f s = %,.0f msg/s", delivered, expected, deliverSeconds, delivered / deliverSeconds));
            if (all.length > 0) {
                out.println(String.format("latency ms  p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f", pct(all, 50), pct(all, 90), pct(all, 99),
                        pct(all, 99.9), all[all.length - 1] / 1e6));
            }
            out.println(String.format("| %s | %d | %d | %d/%d | %,.0f | %,.0f | %.2f | %.2f | %.2f | %.2f |", transport, messages, size, publishers,
                    subscribers, published.get() / publishSeconds, delivered / deliverSeconds, pct(all, 50), pct(all, 90), pct(all, 99), pct(all, 99.9)));
            out.flush();
            if (delivered < expected) {
                out.println("lost " + (expected - delivered) + " deliveries");
                out.flush();
                return SwitchboardCommand.FAILED;
            }
            return 0;
        } finally {
            for (Switchboard sb : opened) {
                sb.close(Duration.ofSeconds(5));
            }
        }
    }

    private void publish(Switchboard sb, String channel, int share, AtomicLong published, AtomicReference<Throwable> failure, long deadline,
            long[] measureStart, long[] publishEnd, int index) {
        Semaphore window = new Semaphore(inFlight);
        byte[] payload = new byte[size];
        try {
            payload[8] = WARMUP;
            for (int i = 0; i < warmup && failure.get() == null; i++) {
                window.acquire();
                sb.publisher().publish(channel, Message.ofBytes(payload)).whenComplete((ok, err) -> window.release());
            }
            window.acquire(inFlight);
            window.release(inFlight);
            payload[8] = 0;
            measureStart[index] = System.nanoTime();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        long intervalNanos = rate == 0 ? 0 : (long) (1e9 * publishers / rate);
        long begin = System.nanoTime();
        try {
            for (int i = 0; i < share && failure.get() == null && System.nanoTime() < deadline; i++) {
                if (intervalNanos > 0) {
                    long due = begin + i * intervalNanos;
                    long wait;
                    while ((wait = due - System.nanoTime()) > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(Math.min(wait, 1_000_000));
                    }
                }
                window.acquire();
                ByteBuffer.wrap(payload).putLong(0, System.nanoTime());
                CompletableFuture<Void> f = sb.publisher().publish(channel, Message.ofBytes(payload)).toCompletableFuture();
                f.whenComplete((ok, err) -> {
                    window.release();
                    if (err != null) {
                        failure.compareAndSet(null, err);
                    } else {
                        published.incrementAndGet();
                    }
                });
            }
            window.acquire(inFlight);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            publishEnd[index] = System.nanoTime();
        }
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), message);
        }
    }

    private static long sum(AtomicLong[] counts) {
        long n = 0;
        for (AtomicLong c : counts) {
            n += c.get();
        }
        return n;
    }

    private static long maxOf(long[] values) {
        long m = 0;
        for (long v : values) {
            m = Math.max(m, v);
        }
        return m;
    }

    private static long minOf(long[] values, long fallback) {
        long m = Long.MAX_VALUE;
        for (long v : values) {
            if (v != 0) {
                m = Math.min(m, v);
            }
        }
        return m == Long.MAX_VALUE ? fallback : m;
    }

    private static long[] merge(long[][] latencies, AtomicLong[] counts) {
        int total = 0;
        for (int s = 0; s < latencies.length; s++) {
            total += (int) Math.min(counts[s].get(), latencies[s].length);
        }
        long[] all = new long[total];
        int at = 0;
        for (int s = 0; s < latencies.length; s++) {
            int n = (int) Math.min(counts[s].get(), latencies[s].length);
            System.arraycopy(latencies[s], 0, all, at, n);
            at += n;
        }
        Arrays.sort(all);
        return all;
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }

    /** A one-line progress bar on a terminal; silent otherwise. */
    static final class Progress {
        private final PrintWriter err;
        private final boolean enabled;

        Progress(PrintWriter err, boolean enabled) {
            this.err = err;
            this.enabled = enabled;
        }

        void show(long published, long total, long delivered, long expected, long elapsedNanos) {
            if (!enabled) {
                return;
            }
            double fraction = expected == 0 ? 1 : Math.min(1, delivered / (double) expected);
            int width = 30;
            int filled = (int) (fraction * width);
            double seconds = Math.max(elapsedNanos / 1e9, 1e-3);
            err.print(String.format("\r[%s%s] %3.0f%%  published %,d/%,d  delivered %,d/%,d  %,.0f msg/s   ", "#".repeat(filled),
                    " ".repeat(width - filled), fraction * 100, published, total, delivered, expected, delivered / seconds));
            err.flush();
        }

        void done() {
            if (enabled) {
                err.println();
                err.flush();
            }
        }
    }
}
