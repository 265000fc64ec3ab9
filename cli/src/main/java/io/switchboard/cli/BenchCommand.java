package io.switchboard.cli;

import io.switchboard.Message;
import io.switchboard.PublishException;
import io.switchboard.Switchboard;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
 * end-to-end latency percentiles. By default publisher k and subscriber k share the k-th
 * Switchboard instance (one instance publishing and subscribing, the shape of
 * {@code bin/bench redis}); {@code --separate-instances} gives every publisher and subscriber its
 * own instance, as separate service instances would be. All run in this JVM, so that one clock
 * times every message. A warm-up, not measured, comes first: the JIT and the connections need
 * seconds to settle, and a short run measures the warm-up instead of the library.
 *
 * <p>The hot path is kept as cheap as the harness's: every publish of a phase sends the same
 * message, and only one in {@code --latency-every} is a new message whose id carries its publish
 * time in nanoseconds, so that stamping, parsing and recording latency cost nothing on the others.
 * The phase is told by the id's first character, without copying the payload.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures publish and delivery throughput and latency.",
                "Publishes messages of --size bytes across --publishers publishers to --subscribers subscribers of one channel "
                        + "for --warmup (not measured), then for --duration (or --messages), and reports publish and delivery "
                        + "throughput and latency percentiles (p50/p90/p99/p99.9) of one message in --latency-every.",
                "Publisher k and subscriber k share the k-th Switchboard instance (one instance publishing and subscribing, "
                        + "as bin/bench redis measures) unless --separate-instances.",
                "Shows a progress bar on a terminal. Exits 1 if any subscriber missed messages (the transport's guarantee shows here)."})
final class BenchCommand implements Callable<Integer> {
    /** First character of a warm-up message's id. */
    private static final char WARMUP = 'w';
    /** First character of a measured message's id that carries no publish time. */
    private static final char PLAIN = 'm';
    /** First character of a measured message's id followed by its publish time ({@link System#nanoTime}). */
    private static final char STAMPED = 't';
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

    @Option(names = "--separate-instances",
            description = "Give every publisher and every subscriber its own Switchboard instance (default: publisher k and subscriber k share one).")
    boolean separateInstances;

    @Option(names = "--latency-every", paramLabel = "N",
            description = "Time one published message in N end to end (default 64, or 1 with --rate; 1 times every message, "
                    + "which costs a new message per publish).")
    Integer latencyEveryOption;

    /** {@code --latency-every}, or its default. */
    private int latencyEvery;

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
        latencyEvery = latencyEveryOption != null ? latencyEveryOption : rate > 0 ? 1 : 64;
        check(latencyEvery >= 1, "--latency-every must be at least 1");
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
            AtomicLong[] lastArrivals = new AtomicLong[subscribers];
            AtomicLong warmupDelivered = new AtomicLong();
            List<Switchboard> subs = new ArrayList<>();
            List<Switchboard> pubs = new ArrayList<>();
            if (separateInstances) {
                for (int s = 0; s < subscribers; s++) {
                    subs.add(open(opened));
                }
                for (int p = 0; p < publishers; p++) {
                    pubs.add(open(opened));
                }
            } else {
                for (int i = 0; i < Math.max(publishers, subscribers); i++) {
                    Switchboard sb = open(opened);
                    if (i < subscribers) {
                        subs.add(sb);
                    }
                    if (i < publishers) {
                        pubs.add(sb);
                    }
                }
            }
            for (int s = 0; s < subscribers; s++) {
                AtomicLong count = new AtomicLong();
                counts[s] = count;
                AtomicLong lastArrival = new AtomicLong();
                lastArrivals[s] = lastArrival;
                LatencyHistogram lat = new LatencyHistogram();
                latencies[s] = lat;
                // One handler runs at a time per subscription, so the histogram and lastArrival have one writer.
                subs.get(s).subscriber().subscribe(channel, d -> {
                    long now = System.nanoTime();
                    String id = d.message().id();
                    char kind = id.charAt(0);
                    if (kind == WARMUP) {
                        warmupDelivered.incrementAndGet();
                        return;
                    }
                    if (kind == STAMPED) {
                        lat.record(now - Long.parseLong(id, 1, id.length(), 10));
                    }
                    count.incrementAndGet();
                    lastArrival.lazySet(now);
                });
            }
            String transport = pubs.get(0).transportName();
            out.println("bench: " + size + "-byte messages, " + publishers + " publisher(s), " + subscribers + " subscriber(s)"
                    + (separateInstances ? " each in its own instance" : ", publisher k and subscriber k in one instance (" + opened.size()
                            + " instance(s))")
                    + (rate > 0 ? ", " + rate + " msg/s" : ", unthrottled") + ", transport " + transport + " ("
                    + pubs.get(0).capabilities().deliveryGuarantee() + "); warm-up " + seconds(warmup) + " s, then "
                    + (messages != null ? String.format("%,d messages", messages) : seconds(duration) + " s") + " measured; latency of 1 message in "
                    + latencyEvery);
            out.println(jvm());
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
                if (!publishing && System.nanoTime() - Math.max(maxOf(lastArrivals), maxOf(publishEnd)) > 5_000_000_000L) {
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
            double deliverSeconds = (Math.max(maxOf(lastArrivals), measureStart + 1) - measureStart) / 1e9;
            LatencyHistogram all = LatencyHistogram.merge(latencies);
            out.println(String.format("warm-up     %.1f s: %,d messages published and not measured (--warmup %s s)", warmedSeconds,
                    warmupPublished.get(), seconds(warmup)));
            out.println(String.format("measured    %.2f s of publishing after the warm-up%s", publishSeconds,
                    messages != null ? String.format(" (--messages %,d)", messages) : " (--duration " + seconds(duration) + " s)"));
            out.println(String.format("published   %,d msg in %.2f s = %,.0f msg/s (%.1f MB/s)", published.get(), publishSeconds,
                    published.get() / publishSeconds, published.get() * (double) size / publishSeconds / 1e6));
            out.println(String.format("delivered   %,d of %,d in %.2f s = %,.0f msg/s (first measured publish to last delivery)", delivered, expected,
                    deliverSeconds, delivered / deliverSeconds));
            if (backpressure.get() > 0) {
                out.println(String.format("backpressure %,d publishes refused as retryable (queue full, broker blocked) and sent again 1 ms later",
                        backpressure.get()));
            }
            if (all.count() > 0) {
                out.println(String.format("latency ms  p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f  (%,d deliveries timed, 1 in %d)",
                        all.percentileMillis(50), all.percentileMillis(90), all.percentileMillis(99), all.percentileMillis(99.9), all.maxMillis(),
                        all.count(), latencyEvery));
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
        Window window = new Window(inFlight);
        byte[] payload = new byte[size];
        String tag = Integer.toString(index, 36);
        try {
            try {
                Message m = Message.builder().id(WARMUP + tag).payload(payload).build();
                long warmupEnd = System.nanoTime() + warmup.toNanos();
                while (System.nanoTime() < warmupEnd && failure.get() == null) {
                    window.acquire();
                    send(sb, channel, m, window, failure, warmupPublished);
                }
                window.drain();
            } finally {
                warmedUp.countDown();
            }
            go.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        Message plain = Message.builder().id(PLAIN + tag).payload(payload).build();
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
                Message m = i % latencyEvery != 0 ? plain : Message.builder().id(STAMPED + Long.toString(System.nanoTime())).payload(payload).build();
                send(sb, channel, m, window, failure, published);
            }
            window.drain();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            publishEnd[index] = System.nanoTime();
        }
    }

    /**
     * At most {@code size} publishes unsettled. Cheaper than a {@link java.util.concurrent.Semaphore}
     * on the hot path: settling is one atomic increment and never wakes the publisher, which
     * alone counts what it issued, reads the settled count (a cache line the reply thread writes)
     * only when its last reading says the window is full, and then spins briefly and naps for
     * 20 us before it looks again.
     */
    static final class Window {
        private final int size;
        private final AtomicLong settled = new AtomicLong();
        private long issued;
        /** The publisher's last reading of {@link #settled}; never ahead of it. */
        private long seen;

        Window(int size) {
            this.size = size;
        }

        /** Takes one place, waiting while {@code size} are unsettled; publisher thread only. */
        void acquire() throws InterruptedException {
            if (issued - seen >= size) {
                int spins = 0;
                while (issued - (seen = settled.get()) >= size) {
                    if (++spins < 100) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.parkNanos(20_000);
                        if (Thread.interrupted()) {
                            throw new InterruptedException();
                        }
                    }
                }
            }
            issued++;
        }

        /** Gives one place back; any thread. */
        void release() {
            settled.incrementAndGet();
        }

        /** Waits until every place taken has been given back; publisher thread only. */
        void drain() throws InterruptedException {
            while (settled.get() < issued) {
                LockSupport.parkNanos(20_000);
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        }
    }

    /**
     * Publishes, holding one window permit until the message is accepted. A refusal the transport
     * calls retryable (a full in-memory queue, a RabbitMQ memory alarm) is backpressure, as an
     * application would treat it: the same message is sent again 1 ms later, counted, and its
     * latency keeps counting from the first attempt. Any other failure ends the run.
     */
    private void send(Switchboard sb, String channel, Message m, Window window, AtomicReference<Throwable> failure, AtomicLong accepted) {
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

    private Switchboard open(List<Switchboard> opened) {
        Switchboard sb = connection.open();
        opened.add(sb);
        return sb;
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

    private static long maxOf(AtomicLong[] values) {
        long m = 0;
        for (AtomicLong v : values) {
            m = Math.max(m, v.get());
        }
        return m;
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

    /**
     * The JVM this runs in, which moves the figures by 10% or more (a garbage collector's write
     * barriers, the heap): bin/switchboard starts {@code bench} as bin/bench starts its harnesses
     * unless {@code SWITCHBOARD_JAVA_OPTS} says otherwise.
     */
    static String jvm() {
        List<String> gcs = new ArrayList<>();
        for (java.lang.management.GarbageCollectorMXBean gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            gcs.add(gc.getName());
        }
        return String.format("jvm         %s %s, collectors %s, max heap %,d MiB, %d processors (bin/switchboard runs bench with"
                + " bin/bench's -Xms1g -Xmx1g -XX:+UseParallelGC unless SWITCHBOARD_JAVA_OPTS is set)", System.getProperty("java.vm.name"),
                System.getProperty("java.version"), String.join(" + ", gcs), Runtime.getRuntime().maxMemory() >> 20,
                Runtime.getRuntime().availableProcessors());
    }
}
