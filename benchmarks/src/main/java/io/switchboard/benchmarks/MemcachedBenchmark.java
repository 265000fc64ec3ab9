package io.switchboard.benchmarks;

import static io.switchboard.benchmarks.Measures.median;
import static io.switchboard.benchmarks.Measures.processCpuNanos;

import io.switchboard.SharedCache;
import io.switchboard.Switchboard;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import net.rubyeye.xmemcached.MemcachedClient;
import net.rubyeye.xmemcached.XMemcachedClientBuilder;
import net.rubyeye.xmemcached.command.BinaryCommandFactory;
import net.spy.memcached.ConnectionFactoryBuilder;

/**
 * Switchboard's memcached cache against the raw clients in the same run, trials alternated:
 * (a) asynchronous single-key get and set with a fixed number of operations in flight from one
 * thread, raw spymemcached vs {@code getAsync}/{@code putAsync}; (b) blocking get and set from
 * many threads, raw spymemcached vs xmemcached vs Switchboard's blocking API. Each reference runs
 * as its own docs and its author's benchmark run it (settings printed first: spymemcached on the
 * binary protocol, xmemcached on its text protocol with one connection). Prints every trial, the
 * medians and the ratios. Run with {@code bin/bench memcached [--help]}.
 */
public final class MemcachedBenchmark {
    private static final String USAGE = String.join("\n",
            "usage: bin/bench memcached [options]",
            "  --server HOST:PORT     memcached to use (default 127.0.0.1:11211)",
            "  --seconds N            length of each measured trial (default 2)",
            "  --reps N               measured trials per contender and scenario, alternated (default 3)",
            "  --inflight N           operations in flight in the async scenarios (default 256)",
            "  --threads N            threads in the blocking scenarios (default 16)",
            "  --value-size N         value size in bytes (default 100)",
            "  --keys N               distinct keys per contender (default 1000)",
            "  --only async|blocking  run one part only",
            "  --raw-protocol text|binary  protocol of raw spymemcached (default binary, as its docs show; text is its built-in default)",
            "  --xmc-protocol text|binary  protocol of xmemcached (default text, its default and its author's benchmark setting)",
            "  --xmc-pool N           xmemcached connections per server (default 1, its default and its author's benchmark setting)",
            "  --set KEY=VALUE        extra Switchboard setting, repeatable, e.g. --set switchboard.memcached.connections=2",
            "  --help                 this text",
            "Prints each reference's settings first. Default run: about 1-2 minutes. Figures are operations per second.");

    private final String server;
    private final int seconds;
    private final int reps;
    private final int inflight;
    private final int threads;
    private final byte[] value;
    private final int keyCount;
    private final String only;
    private final boolean rawBinary;
    private final boolean xmcBinary;
    private final int xmcPool;
    private final Map<String, Object> extra;

    private MemcachedBenchmark(Map<String, String> o, Map<String, Object> extra) {
        this.server = o.getOrDefault("server", "127.0.0.1:11211");
        this.seconds = Integer.parseInt(o.getOrDefault("seconds", "2"));
        this.reps = Integer.parseInt(o.getOrDefault("reps", "3"));
        this.inflight = Integer.parseInt(o.getOrDefault("inflight", "256"));
        this.threads = Integer.parseInt(o.getOrDefault("threads", "16"));
        this.value = new byte[Integer.parseInt(o.getOrDefault("value-size", "100"))];
        new Random(42).nextBytes(value);
        this.keyCount = Integer.parseInt(o.getOrDefault("keys", "1000"));
        this.only = o.get("only");
        this.rawBinary = protocol(o, "raw-protocol", "binary");
        this.xmcBinary = protocol(o, "xmc-protocol", "text");
        this.xmcPool = Integer.parseInt(o.getOrDefault("xmc-pool", "1"));
        this.extra = extra;
    }

    private static boolean protocol(Map<String, String> o, String key, String dflt) {
        String v = o.getOrDefault(key, dflt);
        if (!v.equals("text") && !v.equals("binary")) {
            throw new IllegalArgumentException("--" + key + " must be text or binary, got '" + v + "'");
        }
        return v.equals("binary");
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>();
        Map<String, Object> extra = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                System.out.println(USAGE);
                return;
            }
            if (!a.startsWith("--") || i + 1 >= args.length) {
                System.err.println("unknown or incomplete option '" + a + "'\n" + USAGE);
                System.exit(2);
            }
            String v = args[++i];
            if (a.equals("--set")) {
                int eq = v.indexOf('=');
                if (eq < 1) {
                    System.err.println("--set needs KEY=VALUE, got '" + v + "'");
                    System.exit(2);
                }
                extra.put(v.substring(0, eq), v.substring(eq + 1));
            } else {
                options.put(a.substring(2), v);
            }
        }
        new MemcachedBenchmark(options, extra).run();
    }

    /** One way of doing the operation under test, for a fixed time; returns operations per second. */
    private interface Trial {
        double run(Duration length) throws Exception;
    }

    private void run() throws Exception {
        String[] hp = server.split(":");
        InetSocketAddress address = new InetSocketAddress(hp[0], Integer.parseInt(hp[1]));
        net.spy.memcached.MemcachedClient spy = new net.spy.memcached.MemcachedClient(new ConnectionFactoryBuilder()
                .setProtocol(rawBinary ? ConnectionFactoryBuilder.Protocol.BINARY : ConnectionFactoryBuilder.Protocol.TEXT).build(),
                List.of(address));
        XMemcachedClientBuilder xmcBuilder = new XMemcachedClientBuilder(List.of(address));
        xmcBuilder.setConnectionPoolSize(xmcPool);
        if (xmcBinary) {
            xmcBuilder.setCommandFactory(new BinaryCommandFactory());
        }
        MemcachedClient xmc = xmcBuilder.build();
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("switchboard.transport", "memory");
        props.put("switchboard.cache", "memcached");
        props.put("switchboard.memcached.servers", server);
        props.putAll(extra);
        try (Switchboard sb = Switchboard.open(props)) {
            SharedCache cache = sb.cache();
            List<String> spyKeys = keys("bench:spy:");
            List<String> xKeys = keys("bench:xmc:");
            List<String> sbKeys = keys("bench:sb:");
            for (int i = 0; i < keyCount; i++) {
                spy.set(spyKeys.get(i), 0, value).get();
                xmc.set(xKeys.get(i), 0, value);
                cache.put(sbKeys.get(i), value);
            }
            System.out.printf(Locale.ROOT, "memcached %s; value %d bytes, %d keys; trials of %d s, %d reps, alternated%n", server,
                    value.length, keyCount, seconds, reps);
            System.out.println(String.join("\n",
                    "References and their settings:",
                    "  raw spymemcached " + Measures.version(net.spy.memcached.MemcachedClient.class, "net.spy", "spymemcached") + ": "
                            + (rawBinary ? "binary protocol (as spymemcached's docs show: BinaryConnectionFactory; Switchboard uses it too)"
                                    : "text protocol (its built-in default)")
                            + "; otherwise ConnectionFactoryBuilder defaults: one connection and I/O thread per server, ARRAY_MOD"
                            + " locator with its native hash, shouldOptimize off, Nagle off, 2.5 s operation timeout, 16384-operation"
                            + " queues; async calls (asyncGet, set) with listeners, blocking calls as get() and set().get()",
                    "  xmemcached " + Measures.version(MemcachedClient.class, "com.googlecode.xmemcached", "xmemcached") + ": "
                            + (xmcBinary ? "binary protocol (BinaryCommandFactory)" : "text protocol (TextCommandFactory, its default)")
                            + ", connection pool " + xmcPool + " per server (its default is 1; its author's own benchmark, in the"
                            + " xmemcached repository's benchmark folder, runs text protocol with 1 connection); otherwise"
                            + " XMemcachedClientBuilder defaults: array session locator, optimizeGet/optimizeSet/merge buffer on, TCP_NODELAY;"
                            + " blocking get and set",
                    "  Switchboard: the memcached cache, " + sb.health().components().get("cache").details().get("protocol") + " protocol,"
                            + " its defaults" + (extra.isEmpty() ? "" : " and " + extra)));
            List<String> summary = new ArrayList<>();
            if (only == null || only.equals("async")) {
                System.out.printf("%n(a) async, %d operations in flight from one thread%n", inflight);
                Map<String, Trial> get = new LinkedHashMap<>();
                get.put("raw spymemcached", len -> asyncWindow(len, i -> {
                    net.spy.memcached.internal.GetFuture<Object> f = spy.asyncGet(spyKeys.get(i % keyCount));
                    return done -> f.addListener(x -> done.run());
                }));
                get.put("Switchboard getAsync", len -> asyncWindow(len, i -> done -> cache.getAsync(sbKeys.get(i % keyCount), byte[].class)
                        .whenComplete((v, e) -> done.run())));
                summary.add(compare("async get", get, "raw spymemcached", 0.9));
                Map<String, Trial> set = new LinkedHashMap<>();
                set.put("raw spymemcached", len -> asyncWindow(len, i -> {
                    net.spy.memcached.internal.OperationFuture<Boolean> f = spy.set(spyKeys.get(i % keyCount), 0, value);
                    return done -> f.addListener(x -> done.run());
                }));
                set.put("Switchboard putAsync", len -> asyncWindow(len, i -> done -> cache.putAsync(sbKeys.get(i % keyCount), value)
                        .whenComplete((v, e) -> done.run())));
                summary.add(compare("async set", set, "raw spymemcached", 0.9));
            }
            if (only == null || only.equals("blocking")) {
                System.out.printf("%n(b) blocking, %d threads%n", threads);
                Map<String, Trial> get = new LinkedHashMap<>();
                get.put("raw spymemcached", len -> blocking(len, i -> spy.get(spyKeys.get(i % keyCount))));
                get.put("xmemcached", len -> blocking(len, i -> xmc.get(xKeys.get(i % keyCount))));
                get.put("Switchboard get", len -> blocking(len, i -> cache.get(sbKeys.get(i % keyCount), byte[].class)));
                summary.add(compare("blocking get", get, "xmemcached", 1.0));
                Map<String, Trial> set = new LinkedHashMap<>();
                set.put("raw spymemcached", len -> blocking(len, i -> spy.set(spyKeys.get(i % keyCount), 0, value).get()));
                set.put("xmemcached", len -> blocking(len, i -> xmc.set(xKeys.get(i % keyCount), 0, value)));
                set.put("Switchboard put", len -> blocking(len, i -> cache.put(sbKeys.get(i % keyCount), value)));
                summary.add(compare("blocking set", set, "xmemcached", 1.0));
            }
            System.out.println("\nSummary (median ops/s, ratio Switchboard / reference, goal):");
            summary.forEach(System.out::println);
        } finally {
            spy.shutdown(2, TimeUnit.SECONDS);
            xmc.shutdown();
        }
    }

    private List<String> keys(String prefix) {
        List<String> keys = new ArrayList<>(keyCount);
        for (int i = 0; i < keyCount; i++) {
            keys.add(prefix + i);
        }
        return keys;
    }

    /** Runs each contender once to warm up, then {@code reps} alternating rounds; prints medians and the ratio. */
    private String compare(String scenario, Map<String, Trial> contenders, String reference, double goal) throws Exception {
        Map<String, List<Double>> results = new LinkedHashMap<>();
        Map<String, List<Double>> cpu = new LinkedHashMap<>();
        for (Map.Entry<String, Trial> c : contenders.entrySet()) {
            c.getValue().run(Duration.ofSeconds(1));
            results.put(c.getKey(), new ArrayList<>());
            cpu.put(c.getKey(), new ArrayList<>());
        }
        List<String> names = new ArrayList<>(contenders.keySet());
        for (int r = 0; r < reps; r++) {
            List<String> order = new ArrayList<>(names);
            if (r % 2 == 1) {
                Collections.reverse(order);
            }
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-13s rep %d:", scenario, r + 1));
            for (String n : order) {
                long cpu0 = processCpuNanos();
                long t0 = System.nanoTime();
                double opsPerSecond = contenders.get(n).run(Duration.ofSeconds(seconds));
                double ops = opsPerSecond * (System.nanoTime() - t0) / 1e9;
                results.get(n).add(opsPerSecond);
                cpu.get(n).add((processCpuNanos() - cpu0) / 1e3 / ops);
                line.append(String.format(Locale.ROOT, "  %s %,.0f", n, opsPerSecond));
            }
            System.out.println(line);
        }
        String sbName = names.get(names.size() - 1);
        double sb = median(results.get(sbName));
        double ref = median(results.get(reference));
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "  %-13s", scenario));
        for (String n : names) {
            out.append(String.format(Locale.ROOT, "  %s %,.0f", n, median(results.get(n))));
        }
        double ratio = sb / ref;
        out.append(String.format(Locale.ROOT, "  -> %.2fx %s (goal >= %.1fx: %s)", ratio, reference, goal, ratio >= goal ? "met" : "NOT met"));
        System.out.println(out);
        StringBuilder cost = new StringBuilder(String.format(Locale.ROOT, "  %-13s client CPU per operation (steadier than throughput on a busy machine):", ""));
        for (String n : names) {
            cost.append(String.format(Locale.ROOT, "  %s %.1f us", n, median(cpu.get(n))));
        }
        System.out.println(cost);
        return out + "\n" + cost;
    }

    /** Starts operation {@code i}; the returned hook registers what to run on completion. */
    private interface AsyncOp {
        java.util.function.Consumer<Runnable> start(int i) throws Exception;
    }

    private double asyncWindow(Duration length, AsyncOp op) throws Exception {
        Semaphore window = new Semaphore(inflight);
        AtomicLong completed = new AtomicLong();
        Runnable done = () -> {
            completed.incrementAndGet();
            window.release();
        };
        long start = System.nanoTime();
        long end = start + length.toNanos();
        int i = 0;
        while (System.nanoTime() < end) {
            window.acquire();
            op.start(i++).accept(done);
        }
        long started = i;
        if (!window.tryAcquire(inflight, 30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("operations did not complete: " + (started - completed.get()) + " outstanding");
        }
        return completed.get() / ((System.nanoTime() - start) / 1e9);
    }

    /** One blocking operation by index. */
    private interface BlockingOp {
        void run(int i) throws Exception;
    }

    private double blocking(Duration length, BlockingOp op) throws Exception {
        AtomicLong completed = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        long[] bounds = new long[2];
        for (int t = 0; t < threads; t++) {
            int offset = t * 7919;
            Thread w = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                    long n = 0;
                    int i = offset;
                    while (System.nanoTime() < bounds[1]) {
                        op.run(i++);
                        n++;
                    }
                    completed.addAndGet(n);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "bench-" + t);
            workers.add(w);
            w.start();
        }
        ready.await();
        bounds[0] = System.nanoTime();
        bounds[1] = bounds[0] + length.toNanos();
        go.countDown();
        for (Thread w : workers) {
            w.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("benchmark operation failed", failure.get());
        }
        return completed.get() / ((System.nanoTime() - bounds[0]) / 1e9);
    }
}
