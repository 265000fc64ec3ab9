package io.switchboard.cli;

import io.switchboard.Message;
import io.switchboard.PublishException;
import io.switchboard.Switchboard;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Publishes across P publishers to S subscribers on one channel and reports throughput and
 * end-to-end latency percentiles. Every publisher and subscriber is its own Switchboard, as
 * separate service instances would be (all in this JVM, so that one clock times every message).
 * A warm-up, not measured, comes first: the JIT and the connections need seconds to settle, and a
 * short run measures the warm-up instead of the library.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures publish and delivery throughput and latency.",
                "Publishes messages of --size bytes across --publishers publishers to --subscribers subscribers of one channel "
                        + "for --warmup (not measured), then for --duration (or --messages), and reports publish and delivery "
                        + "throughput and latency percentiles (p50/p90/p99/p99.9).",
                "Shows a progress bar on a terminal. Exits 1 if any subscriber missed messages (the transport's guarantee shows here)."})
final class BenchCommand implements Callable<Integer> {
    private static final byte WARMUP = 1;
    /** How long deliveries of the warm-up may keep arriving before the measured phase starts anyway. */
    private static final long SETTLE_IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    @Spec
    CommandSpec spec;

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--duration", defaultValue = "10s", paramLabel = "DURATION",
            description = "How long to publish after the warm-up, measured (default ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = {"-n", "--messages"}, paramLabel = "N", description = "Measure exactly N messages in total instead of --duration.")
    Integer messages;

    @Option(names = "--warmup", defaultValue = "5s", paramLabel = "DURATION",
            description = "How long to publish first, not measured, to warm up the JIT and connections (default ${DEFAULT-VALUE}).")
    Duration warmup;

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

    @Option(names = "--timeout", defaultValue = "120s", paramLabel = "DURATION",
            description = "Longest run, warm-up included (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--no-progress", description = "No progress bar, even on a terminal.")
    boolean noProgress;

    /** Publishes refused as backpressure and sent again (see {@link #send}). */
    private final AtomicLong backpressure = new AtomicLong();
    private ScheduledExecutorService retries;

    @Override
    public Integer call() throws Exception {
        check(messages == null || (messages >= 1 && messages <= 50_000_000), "--messages must be between 1 and 50000000");
        check(!duration.isNegative() && !duration.isZero(), "--duration must be positive");
        check(!warmup.isNegative(), "--warmup must not be negative");
        check(messages != null || timeout.compareTo(warmup.plus(duration)) > 0,
                "--timeout (" + timeout.toSeconds() + "s) must be longer than --warmup plus --duration");
        check(size >= 16 && size <= 16 * 1024 * 1024, "--size must be between 16 and 16777216 bytes");
        check(publishers >= 1 && publishers <= 64, "--publishers must be between 1 and 64");
        check(subscribers >= 1 && subscribers <= 64, "--subscribers must be between 1 and 64");
        check(inFlight >= 1, "--in-flight must be at least 1");
        check(rate >= 0, "--rate must not be negative");
        PrintWriter out = spec.commandLine().getOut();
        String channel = "switchboard.bench." + UUID.randomUUID().toString().substring(0, 8);
        List<Switchboard> opened = new ArrayList<>();
        retries = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-backpressure");
            t.setDaemon(true);
            return t;
        });
        try {
            LatencyHistogram[] latencies = new LatencyHistogram[subscribers];
            AtomicLong[] counts = new AtomicLong[subscribers];
            AtomicLong warmupDelivered = new AtomicLong();
            AtomicLong lastArrival = new AtomicLong();
            for (int s = 0; s < subscribers; s++) {
                Switchboard sb = connection.open();
                opened.add(sb);
                AtomicLong count = new AtomicLong();
                counts[s] = count;
                LatencyHistogram lat = new LatencyHistogram();
                latencies[s] = lat;
                sb.subscriber().subscribe(channel, d -> {
                    long now = System.nanoTime();
                    byte[] payload = d.message().payload();
                    if (payload[8] == WARMUP) {
                        warmupDelivered.incrementAndGet();
                        return;
                    }
                    lat.record(now - ByteBuffer.wrap(payload, 0, 8).getLong());
                    count.incrementAndGet();
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
            out.println("bench: " + size + "-byte messages, " + publishers + " publisher(s), " + subscribers + " subscriber(s)"
                    + (rate > 0 ? ", " + rate + " msg/s" : ", unthrottled") + ", transport " + transport + " ("
                    + pubs.get(0).capabilities().deliveryGuarantee() + "); warm-up " + seconds(warmup) + " s, then "
                    + (messages != null ? String.format("%,d messages", messages) : seconds(duration) + " s") + " measured");
            out.flush();

            AtomicLong published = new AtomicLong();
            AtomicLong warmupPublished = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long start = System.nanoTime();
            long deadline = start + timeout.toNanos();
            CountDownLatch warmedUp = new CountDownLatch(publishers);
            CountDownLatch go = new CountDownLatch(1);
            long[] measureEnd = {0};
            List<Thread> threads = new ArrayList<>();
            long[] publishEnd = new long[publishers];
            for (int p = 0; p < publishers; p++) {
                int share = messages == null ? Integer.MAX_VALUE : messages / publishers + (p < messages % publishers ? 1 : 0);
                Switchboard sb = pubs.get(p);
                int index = p;
                Thread t = new Thread(() -> publish(sb, channel, share, published, warmupPublished, failure, deadline, warmedUp, go, measureEnd,
                        publishEnd, index), "bench-publisher-" + p);
                threads.add(t);
                t.start();
            }
            Progress progress = new Progress(spec.commandLine().getErr(), !noProgress && System.console() != null);
            while (!warmedUp.await(100, TimeUnit.MILLISECONDS) && failure.get() == null && System.nanoTime() < deadline) {
                progress.warmingUp(warmupPublished.get(), System.nanoTime() - start, warmup.toNanos());
            }
            awaitWarmupDeliveries(warmupDelivered, warmupPublished.get() * subscribers, deadline);
            long measureStart = System.nanoTime();
            double warmedSeconds = (measureStart - start) / 1e9;
            measureEnd[0] = messages != null ? Long.MAX_VALUE : measureStart + duration.toNanos();
            go.countDown();

            while (System.nanoTime() < deadline && failure.get() == null) {
                long delivered = sum(counts);
                long expected = published.get() * subscribers;
                boolean publishing = threads.stream().anyMatch(Thread::isAlive);
                progress.show(published.get(), delivered, System.nanoTime() - measureStart);
                if (!publishing && delivered >= expected) {
                    break;
                }
                if (!publishing && System.nanoTime() - Math.max(lastArrival.get(), maxOf(publishEnd)) > 5_000_000_000L) {
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
            long expected = published.get() * subscribers;
            double publishSeconds = (maxOf(publishEnd) - measureStart) / 1e9;
            double deliverSeconds = (Math.max(lastArrival.get(), measureStart + 1) - measureStart) / 1e9;
            LatencyHistogram all = LatencyHistogram.merge(latencies);
            out.println(String.format("warm-up     %.1f s: %,d messages published and not measured (--warmup %s s)", warmedSeconds,
                    warmupPublished.get(), seconds(warmup)));
            out.println(String.format("measured    %.2f s of publishing after the warm-up%s", publishSeconds,
                    messages != null ? String.format(" (--messages %,d)", messages) : " (--duration " + seconds(duration) + " s)"));
            out.println(String.format("published   %,d msg in %.2f s = %,.0f msg/s (%.1f MB/s)", published.get(), publishSeconds,
                    published.get() / publishSeconds, published.get() * (double) size / publishSeconds / 1e6));
            out.println(String.format("delivered   %,d of %,d in %.2f s = %,.0f msg/s", delivered, expected, deliverSeconds, delivered / deliverSeconds));
            if (backpressure.get() > 0) {
                out.println(String.format("backpressure %,d publishes refused as retryable (queue full, broker blocked) and sent again 1 ms later",
                        backpressure.get()));
            }
            if (all.count() > 0) {
                out.println(String.format("latency ms  p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f", all.percentileMillis(50),
                        all.percentileMillis(90), all.percentileMillis(99), all.percentileMillis(99.9), all.maxMillis()));
            }
            out.println(String.format("| %s | %d | %d | %d/%d | %,.0f | %,.0f | %.2f | %.2f | %.2f | %.2f |", transport, published.get(), size, publishers,
                    subscribers, published.get() / publishSeconds, delivered / deliverSeconds, all.percentileMillis(50), all.percentileMillis(90),
                    all.percentileMillis(99), all.percentileMillis(99.9)));
            out.flush();
            if (delivered < expected) {
                out.println("lost " + (expected - delivered) + " deliveries");
                out.flush();
                return SwitchboardCommand.FAILED;
            }
            return 0;
        } finally {
            retries.shutdownNow();
            for (Switchboard sb : opened) {
                sb.close(Duration.ofSeconds(5));
            }
        }
    }

    /**
     * Waits until the subscribers have received the warm-up, or it stops arriving (an at-most-once
     * transport may have dropped some), so that its backlog does not delay the measured messages.
     */
    private static void awaitWarmupDeliveries(AtomicLong delivered, long expected, long deadline) throws InterruptedException {
        long seen = -1;
        long idleSince = System.nanoTime();
        while (delivered.get() < expected && System.nanoTime() < deadline) {
            long now = delivered.get();
            if (now != seen) {
                seen = now;
                idleSince = System.nanoTime();
            } else if (System.nanoTime() - idleSince > SETTLE_IDLE_NANOS) {
                return;
            }
            Thread.sleep(5);
        }
    }

    private void publish(Switchboard sb, String channel, int share, AtomicLong published, AtomicLong warmupPublished,
            AtomicReference<Throwable> failure, long deadline, CountDownLatch warmedUp, CountDownLatch go, long[] measureEnd, long[] publishEnd,
            int index) {
        Semaphore window = new Semaphore(inFlight);
        byte[] payload = new byte[size];
        try {
            try {
                payload[8] = WARMUP;
                long warmupEnd = System.nanoTime() + warmup.toNanos();
                while (System.nanoTime() < warmupEnd && failure.get() == null) {
                    window.acquire();
                    send(sb, channel, Message.ofBytes(payload), window, failure, warmupPublished);
                }
                window.acquire(inFlight);
                window.release(inFlight);
            } finally {
                warmedUp.countDown();
            }
            go.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        payload[8] = 0;
        long intervalNanos = rate == 0 ? 0 : (long) (1e9 * publishers / rate);
        long begin = System.nanoTime();
        long end = measureEnd[0];
        try {
            for (int i = 0; i < share && failure.get() == null; i++) {
                long now = System.nanoTime();
                if (now >= end || now >= deadline) {
                    break;
                }
                if (intervalNanos > 0) {
                    long due = begin + i * intervalNanos;
                    long wait;
                    while ((wait = due - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(Math.min(wait, 1_000_000));
                    }
                }
                window.acquire();
                ByteBuffer.wrap(payload).putLong(0, System.nanoTime());
                send(sb, channel, Message.ofBytes(payload), window, failure, published);
            }
            window.acquire(inFlight);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            publishEnd[index] = System.nanoTime();
        }
    }

    /**
     * Publishes, holding one window permit until the message is accepted. A refusal the transport
     * calls retryable (a full in-memory queue, a RabbitMQ memory alarm) is backpressure, as an
     * application would treat it: the same message is sent again 1 ms later, counted, and its
     * latency keeps counting from the first attempt. Any other failure ends the run.
     */
    private void send(Switchboard sb, String channel, Message m, Semaphore window, AtomicReference<Throwable> failure, AtomicLong accepted) {
        sb.publisher().publish(channel, m).whenComplete((ok, err) -> {
            Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
            if (cause instanceof PublishException && ((PublishException) cause).isRetryable()
                    && failure.get() == null) {
                backpressure.incrementAndGet();
                retries.schedule(() -> send(sb, channel, m, window, failure, accepted), 1, TimeUnit.MILLISECONDS);
                return;
            }
            window.release();
            if (cause != null) {
                failure.compareAndSet(null, cause);
            } else {
                accepted.incrementAndGet();
            }
        });
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), message);
        }
    }

    private static String seconds(Duration d) {
        double s = d.toMillis() / 1000.0;
        return s == Math.rint(s) ? String.valueOf((long) s) : String.valueOf(s);
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

    /** A one-line progress bar on a terminal; silent otherwise. */
    static final class Progress {
        private final PrintWriter err;
        private final boolean enabled;

        Progress(PrintWriter err, boolean enabled) {
            this.err = err;
            this.enabled = enabled;
        }

        void warmingUp(long published, long elapsedNanos, long warmupNanos) {
            if (enabled) {
                err.print(String.format("\rwarming up: %4.1f of %.1f s, %,d messages   ", elapsedNanos / 1e9, warmupNanos / 1e9, published));
                err.flush();
            }
        }

        void show(long published, long delivered, long elapsedNanos) {
            if (!enabled) {
                return;
            }
            double seconds = Math.max(elapsedNanos / 1e9, 1e-3);
            err.print(String.format("\rmeasuring: %5.1f s  published %,d  delivered %,d  %,.0f msg/s        ", seconds, published, delivered,
                    delivered / seconds));
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
