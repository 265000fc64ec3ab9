package io.switchboard.benchmarks;

import static io.switchboard.benchmarks.Measures.allocatedBytes;
import static io.switchboard.benchmarks.Measures.processCpuNanos;
import static io.switchboard.benchmarks.Measures.threadAllocatedBytes;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.switchboard.Message;
import io.switchboard.MessageHandler;
import io.switchboard.NearCache;
import io.switchboard.NearCacheOptions;
import io.switchboard.SharedCache;
import io.switchboard.Subscription;
import io.switchboard.Switchboard;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;

/**
 * How an instance's cost grows as its work grows: client CPU per delivered message, delivered
 * throughput and heap allocation per delivered message on every transport (memory, redis,
 * rabbitmq) as one dimension grows with the others fixed: exact-channel subscriptions per
 * instance, pattern subscriptions per instance, subscribing instances on one channel, payload
 * size; and near-cache get-hit latency and heap per entry as its entries grow. Prints Markdown
 * tables and the targets to stdout, progress to stderr, and writes one PNG chart per dimension
 * (and the tables) under {@code --out}. Run {@code bin/bench scale --help}.
 *
 * <p>Every message point runs one publishing thread that keeps at most a window of messages
 * published but not yet delivered (so that no transport drops for lack of buffer and the curves
 * compare cost, not overflow), warms up, then measures for a fixed time and drains.
 */
public final class ScaleBenchmark {
    private static final List<String> TRANSPORTS = List.of("memory", "redis", "rabbitmq");
    private static final List<String> DIMENSIONS = List.of("exact-one", "exact", "patterns", "fanout", "payload", "nearcache");
    private static final int NEAR_VALUE_SIZE = 100;
    private static final long PAYLOAD_BUDGET = 16L << 20;

    private List<String> transports = TRANSPORTS;
    private List<String> dimensions = DIMENSIONS;
    private boolean quick;
    private Double seconds;
    private Double warmup;
    private int window = 1000;
    private String nearBacking = "memory";
    private String redisUri = "redis://127.0.0.1:6379";
    private String rabbitUri = "amqp://guest:guest@127.0.0.1:5672/%2F";
    private Path out = Path.of("benchmarks", "target", "scale");
    private final Map<String, List<Long>> values = new LinkedHashMap<>();

    private final String runId = Long.toHexString(System.nanoTime() & 0xffffffL);
    private int points;
    private final List<Row> rows = new ArrayList<>();
    private final List<NearRow> nearRows = new ArrayList<>();
    /** Where the near-cache loops leave what they read, so that the JIT cannot drop the reads. */
    private volatile int blackhole;

    /** One message point. Rates and costs are per delivered message; NaN where the point failed. */
    private record Row(String dimension, String transport, long value, double rate, double cpuUs, double publisherAlloc,
            double otherAlloc, double switches, double dropPercent, double setupSeconds, String note) {
    }

    /** One near-cache point. */
    private record NearRow(String backing, long entries, double meanNs, double p50Ns, double p99Ns, double cpuNs, double allocPerGet,
            double bytesPerEntry, double loadSeconds, double hashMapNs, double linkedHashMapNs, String note) {
    }

    private ScaleBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        System.setProperty("java.awt.headless", "true");
        ScaleBenchmark b = new ScaleBenchmark();
        if (!b.parse(args)) {
            return;
        }
        b.run();
    }

    private static final String USAGE = String.join("\n",
            "usage: bin/bench scale [options]",
            "  --transports LIST    memory,redis,rabbitmq (default all three)",
            "  --dimensions LIST    exact-one,exact,patterns,fanout,payload,nearcache (default all); exact-one: N exact",
            "                       subscriptions, traffic on one of them; exact: traffic round-robin over all N",
            "  --quick              fewer values and shorter trials (a smoke run: about 3-4 minutes)",
            "  --seconds S          measured time per point (default 3, quick 1)",
            "  --warmup S           warm-up per point (default 1, quick 0.5)",
            "  --window N           most messages published but not yet delivered, per subscriber (default 1000; payloads",
            "                       keep at most 16 MiB in flight)",
            "  --exact LIST         exact-channel subscriptions per instance, for exact-one and exact (default",
            "                       1,100,1000,10000; quick 1,1000)",
            "  --patterns LIST      pattern subscriptions per instance, traffic on a channel matching one of them (default",
            "                       1,10,100; quick 1,100)",
            "  --fanout LIST        subscribing instances on one channel (default 1,4,16; quick 1,4)",
            "  --payload LIST       payload bytes (default 256,4096,65536,1048576; quick 256,65536)",
            "  --entries LIST       near-cache entries (default 1000,100000,1000000; quick 1000,100000)",
            "  --near-cache WHAT    shared cache under the near cache: memory (default) or redis",
            "  --redis-uri URI      default redis://127.0.0.1:6379",
            "  --rabbitmq-uri URI   default amqp://guest:****@127.0.0.1:5672/%2F",
            "  --out DIR            where the PNG charts and scale.md go (default benchmarks/target/scale)",
            "A full run takes about 10-13 minutes on 2 cores. Servers: bin/services start.");

    private boolean parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                System.out.println(USAGE);
                return false;
            }
            if (a.equals("--quick")) {
                quick = true;
                continue;
            }
            if (!a.startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("unknown or incomplete option '" + a + "'; see --help");
            }
            String v = args[++i];
            switch (a) {
                case "--transports" -> transports = checked(v, TRANSPORTS, a);
                case "--dimensions" -> dimensions = checked(v, DIMENSIONS, a);
                case "--seconds" -> seconds = Double.parseDouble(v);
                case "--warmup" -> warmup = Double.parseDouble(v);
                case "--window" -> window = Integer.parseInt(v);
                case "--exact", "--patterns", "--fanout", "--payload", "--entries" ->
                        values.put(a.substring(2), Arrays.stream(v.split(",")).map(Long::parseLong).toList());
                case "--near-cache" -> {
                    if (!v.equals("memory") && !v.equals("redis")) {
                        throw new IllegalArgumentException("--near-cache must be memory or redis, got '" + v + "'");
                    }
                    nearBacking = v;
                }
                case "--redis-uri" -> redisUri = v;
                case "--rabbitmq-uri" -> rabbitUri = v;
                case "--out" -> out = Path.of(v);
                default -> throw new IllegalArgumentException("unknown option " + a + "; see --help");
            }
        }
        return true;
    }

    private static List<String> checked(String v, List<String> allowed, String option) {
        List<String> l = Arrays.asList(v.split(","));
        for (String x : l) {
            if (!allowed.contains(x)) {
                throw new IllegalArgumentException(option + ": unknown value '" + x + "'; choose from " + String.join(", ", allowed));
            }
        }
        return l;
    }

    private List<Long> valuesOf(String dimension) {
        List<Long> given = values.get(dimension.equals("exact-one") ? "exact" : dimension);
        if (given != null) {
            return given;
        }
        return switch (dimension) {
            case "exact", "exact-one" -> quick ? List.of(1L, 1000L) : List.of(1L, 100L, 1000L, 10_000L);
            case "patterns" -> quick ? List.of(1L, 100L) : List.of(1L, 10L, 100L);
            case "fanout" -> quick ? List.of(1L, 4L) : List.of(1L, 4L, 16L);
            case "payload" -> quick ? List.of(256L, 65_536L) : List.of(256L, 4096L, 65_536L, 1L << 20);
            case "entries" -> quick ? List.of(1000L, 100_000L) : List.of(1000L, 100_000L, 1_000_000L);
            default -> throw new IllegalArgumentException(dimension);
        };
    }

    private double seconds() {
        return seconds != null ? seconds : quick ? 1 : 3;
    }

    private double warmupSeconds() {
        return warmup != null ? warmup : quick ? 0.5 : 1;
    }

    private void run() throws Exception {
        long began = System.nanoTime();
        Files.createDirectories(out);
        System.out.printf(Locale.ROOT, "# Scaling: cost per delivered message as the work grows%n%n");
        System.out.printf(Locale.ROOT, "Transports %s; %.1f s measured per point after %.1f s warm-up; one publishing thread keeping at most"
                + " %d messages per subscriber published but not delivered (payloads: at most 16 MiB in flight); %s.%n%n", transports,
                seconds(), warmupSeconds(), window, quick ? "quick run" : "full run");
        System.out.println(String.join("\n",
                "- client CPU: this whole JVM (publisher, subscribers, transport threads, GC), per delivered message;",
                "- msg/s: delivered messages per second, measured from the first publish to the last delivery;",
                "- alloc/msg: heap bytes allocated per delivered message (ThreadMXBean), split into the publishing thread and every",
                "  other thread; 'other threads' is the receive path (transport I/O and handler threads) plus whatever publish work the",
                "  transport hands to its own threads (Redis's writer, amqp-client's frame writer run on the caller), so for the",
                "  payload dimension 'other / payload' approximates how many times the receive side copies a payload;",
                "- context switches/msg: of every thread of this JVM (Linux /proc), per delivered message: a message handed from",
                "  one thread to another that was asleep costs about two;",
                "- every instance uses the transport's defaults; RabbitMQ transient (persistent=false), non-durable subscriptions."));
        for (String d : dimensions) {
            if (d.equals("nearcache")) {
                nearCache();
            } else {
                dimension(d);
            }
        }
        String md = markdown();
        System.out.println(md);
        Files.writeString(out.resolve("scale.md"), md);
        System.out.printf(Locale.ROOT, "%nThe run took %.1f min. Charts and tables: %s%n", (System.nanoTime() - began) / 60e9,
                out.toAbsolutePath());
    }

    // ---- message dimensions ----

    private final Set<String> warmed = new java.util.HashSet<>();

    /**
     * One throwaway point per transport before its first measured one, so that the first value of
     * the first dimension is not measured while the JIT still compiles the transport's code.
     */
    private void warmJit(String transport) {
        if (!warmed.add(transport)) {
            return;
        }
        try {
            Row r = point("payload", transport, 256);
            System.err.printf(Locale.ROOT, "[scale] warm-up  %-8s           %,10.0f msg/s  (not reported)%n", transport, r.rate());
        } catch (Exception e) {
            System.err.println("[scale] warm-up of " + transport + " failed: " + describe(e));
        }
    }

    /** "transport:count" of exact-subscription setups that failed, not tried a second time. */
    private final Set<String> failedSetups = new java.util.HashSet<>();

    private void dimension(String dimension) {
        for (String transport : transports) {
            warmJit(transport);
            for (long v : valuesOf(dimension)) {
                Row r;
                boolean exact = dimension.startsWith("exact");
                try {
                    if (exact && failedSetups.contains(transport + ":" + v)) {
                        r = new Row(dimension, transport, v, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                                Double.NaN, "not tried: subscribing failed in the other exact dimension");
                    } else {
                        r = point(dimension, transport, v);
                        if (exact && r.note().startsWith("failed after")) {
                            failedSetups.add(transport + ":" + v);
                        }
                    }
                } catch (Exception | Error e) {
                    r = new Row(dimension, transport, v, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                            Double.NaN, "failed: " + describe(e));
                }
                rows.add(r);
                System.err.printf(Locale.ROOT, "[scale] %-9s %-8s %,9d  %,10.0f msg/s  %7.2f us/msg  %5.2f switches/msg  %s%n", dimension,
                        transport, v, r.rate(), r.cpuUs(), r.switches(), r.note());
            }
        }
    }

    private static String describe(Throwable e) {
        String m = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        return m.length() > 160 ? m.substring(0, 160) + "..." : m;
    }

    /** The delivery side of one point: counts every delivery and keeps the time of the last. */
    private static final class Counter {
        final LongAdder delivered = new LongAdder();
        final AtomicLong lastNanos = new AtomicLong();
        final MessageHandler handler = d -> {
            delivered.increment();
            lastNanos.set(System.nanoTime());
        };
    }

    private Map<String, Object> props(String transport, String scope) {
        Map<String, Object> p = new HashMap<>();
        p.put("switchboard.transport", transport);
        switch (transport) {
            case "memory" -> p.put("switchboard.memory.broker", scope);
            case "redis" -> {
                p.put("switchboard.redis.uri", redisUri);
                p.put("switchboard.redis.channel-prefix", scope + ":");
            }
            case "rabbitmq" -> {
                p.put("switchboard.rabbitmq.uri", rabbitUri);
                p.put("switchboard.rabbitmq.prefix", scope);
                p.put("switchboard.rabbitmq.persistent", false);
            }
            default -> throw new IllegalArgumentException(transport);
        }
        return p;
    }

    private Row point(String dimension, String transport, long value) throws Exception {
        String scope = "scale" + runId + "n" + (++points);
        List<Switchboard> instances = new ArrayList<>();
        List<Subscription> subscriptions = new ArrayList<>();
        Set<String> channelsUsed = new LinkedHashSet<>();
        Counter counter = new Counter();
        long setupStart = System.nanoTime();
        try {
            Switchboard publisher = Switchboard.open(props(transport, scope));
            instances.add(publisher);
            String[] channels;
            int perPublish = 1;
            int size = 256;
            switch (dimension) {
                case "exact", "exact-one" -> {
                    channels = new String[(int) value];
                    for (int i = 0; i < value; i++) {
                        channels[i] = "scale.e." + i;
                        channelsUsed.add(channels[i]);
                        subscriptions.add(publisher.subscriber().subscribe(channels[i], counter.handler));
                    }
                    if (dimension.equals("exact-one")) {
                        channels = new String[] {channels[channels.length / 2]};
                    }
                }
                case "patterns" -> {
                    // traffic on one channel, matching one of the patterns: the cost of matching, not of spreading
                    for (int i = 0; i < value; i++) {
                        subscriptions.add(publisher.subscriber().subscribe("scale.p" + i + ".*", counter.handler));
                    }
                    channels = new String[] {"scale.p" + value / 2 + ".x"};
                    channelsUsed.add(channels[0]);
                }
                case "fanout" -> {
                    channels = new String[] {"scale.f"};
                    channelsUsed.add(channels[0]);
                    perPublish = (int) value;
                    for (int i = 0; i < value; i++) {
                        Switchboard sub = Switchboard.open(props(transport, scope));
                        instances.add(sub);
                        subscriptions.add(sub.subscriber().subscribe(channels[0], counter.handler));
                    }
                }
                case "payload" -> {
                    channels = new String[] {"scale.s"};
                    channelsUsed.add(channels[0]);
                    size = (int) value;
                    subscriptions.add(publisher.subscriber().subscribe(channels[0], counter.handler));
                }
                default -> throw new IllegalArgumentException(dimension);
            }
            double setup = (System.nanoTime() - setupStart) / 1e9;
            int win = (int) Math.max(4, Math.min(window, PAYLOAD_BUDGET / Math.max(1, (long) size * perPublish)));
            byte[] payload = new byte[size];
            new Random(7).nextBytes(payload);
            Row r = drive(dimension, transport, value, publisher, channels, Message.ofBytes(payload), perPublish, counter, win, setup);
            return r;
        } catch (Exception | Error e) {
            double setup = (System.nanoTime() - setupStart) / 1e9;
            return new Row(dimension, transport, value, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, setup,
                    String.format(Locale.ROOT, "failed after %d subscriptions, %.1f s: %s", subscriptions.size(), setup, describe(e)));
        } finally {
            for (Subscription s : subscriptions) {
                try {
                    s.close();
                } catch (RuntimeException e) {
                    System.err.println("[scale] closing a subscription: " + describe(e));
                }
            }
            for (Switchboard sb : instances) {
                sb.close();
            }
            if (transport.equals("rabbitmq")) {
                deleteRabbitExchanges(scope, channelsUsed);
            }
        }
    }

    /** The channel exchanges are durable (they outlive an instance by design): delete this point's. */
    private void deleteRabbitExchanges(String scope, Set<String> channels) {
        ConnectionFactory f = new ConnectionFactory();
        try {
            f.setUri(rabbitUri);
            f.setAutomaticRecoveryEnabled(false);
            try (Connection c = f.newConnection("bench-scale-cleanup")) {
                Channel ch = c.createChannel();
                for (String channel : channels) {
                    ch.exchangeDelete(scope + ".ch." + channel);
                }
                ch.exchangeDelete(scope + ".topic");
            }
        } catch (Exception e) {
            System.err.println("[scale] could not delete the RabbitMQ exchanges of " + scope + ".*: " + describe(e));
        }
    }

    /** Publishing loop state of one point. */
    private static final class Flow {
        final Switchboard publisher;
        final String[] channels;
        final Message message;
        final int perPublish;
        final Counter counter;
        final long limit;
        final LongAdder failures = new LongAdder();
        final BiConsumer<Void, Throwable> onDone;
        long sent;
        long lost;
        long next;

        Flow(Switchboard publisher, String[] channels, Message message, int perPublish, Counter counter, int window) {
            this.publisher = publisher;
            this.channels = channels;
            this.message = message;
            this.perPublish = perPublish;
            this.counter = counter;
            this.limit = (long) window * perPublish;
            this.onDone = (v, e) -> {
                if (e != null) {
                    failures.increment();
                }
            };
        }

        long outstanding() {
            return sent * perPublish - lost - counter.delivered.sum();
        }

        /**
         * Publishes until {@code end}, never more than the window ahead of deliveries. Deliveries
         * that stop for 2 s while the window is full are counted lost (a dropping transport must
         * not stall the run).
         */
        void publishUntil(long end) {
            while (System.nanoTime() < end) {
                if (outstanding() > limit - perPublish) {
                    awaitRoom(limit - perPublish);
                    continue;
                }
                try {
                    publisher.publisher().publish(channels[(int) (next++ % channels.length)], message).whenComplete(onDone);
                } catch (RuntimeException e) {
                    failures.increment();
                    lost += perPublish;
                }
                sent++;
            }
        }

        private void awaitRoom(long room) {
            long seen = counter.delivered.sum();
            long since = System.nanoTime();
            while (outstanding() > room) {
                LockSupport.parkNanos(20_000);
                long now = counter.delivered.sum();
                if (now != seen) {
                    seen = now;
                    since = System.nanoTime();
                } else if (System.nanoTime() - since > TimeUnit.SECONDS.toNanos(2)) {
                    lost += outstanding();
                    return;
                }
            }
        }

        /** Waits until everything published is delivered, or nothing arrives for 2 s. */
        void drain() {
            awaitRoom(0);
        }
    }

    private Row drive(String dimension, String transport, long value, Switchboard publisher, String[] channels, Message message,
            int perPublish, Counter counter, int win, double setup) {
        Flow flow = new Flow(publisher, channels, message, perPublish, counter, win);
        System.gc();
        flow.publishUntil(System.nanoTime() + (long) (warmupSeconds() * 1e9));
        flow.drain();
        long switches0 = Measures.contextSwitches();
        long cpu0 = processCpuNanos();
        long alloc0 = allocatedBytes();
        long thread0 = threadAllocatedBytes();
        long delivered0 = counter.delivered.sum();
        long sent0 = flow.sent;
        long lost0 = flow.lost;
        long t0 = System.nanoTime();
        flow.publishUntil(t0 + (long) (seconds() * 1e9));
        flow.drain();
        long cpu = processCpuNanos() - cpu0;
        long switches1 = Measures.contextSwitches();
        long threadAlloc = threadAllocatedBytes() - thread0;
        long alloc = allocatedBytes() - alloc0 - threadAlloc;
        long delivered = counter.delivered.sum() - delivered0;
        long expected = (flow.sent - sent0) * perPublish;
        double elapsed = (counter.lastNanos.get() - t0) / 1e9;
        String note = flow.failures.sum() > 0 ? flow.failures.sum() + " publishes failed" : "";
        if (flow.lost - lost0 > 0) {
            note = (note.isEmpty() ? "" : note + "; ") + (flow.lost - lost0) + " deliveries missing";
        }
        if (delivered == 0) {
            return new Row(dimension, transport, value, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 100, setup,
                    "nothing delivered" + (note.isEmpty() ? "" : "; " + note));
        }
        return new Row(dimension, transport, value, delivered / elapsed, cpu / 1000.0 / delivered, (double) threadAlloc / delivered,
                (double) alloc / delivered, switches0 < 0 || switches1 < 0 ? Double.NaN : (double) (switches1 - switches0) / delivered,
                100.0 * (expected - delivered) / Math.max(1, expected), setup, note);
    }

    // ---- near cache ----

    private void nearCache() {
        for (long n : valuesOf("entries")) {
            NearRow r;
            try {
                r = nearPoint(n);
            } catch (Exception | Error e) {
                r = new NearRow(nearBacking, n, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                        Double.NaN, Double.NaN, "failed: " + describe(e));
            }
            nearRows.add(r);
            System.err.printf(Locale.ROOT, "[scale] nearcache %-8s %,9d  hit %.0f ns  %.0f B/entry  %s%n", nearBacking, n, r.meanNs(),
                    r.bytesPerEntry(), r.note());
        }
    }

    private NearRow nearPoint(long entries) throws Exception {
        int n = Math.toIntExact(entries);
        String scope = "scale" + runId + "n" + (++points);
        Map<String, Object> p = props(nearBacking, scope);
        p.put("switchboard.cache", nearBacking);
        if (nearBacking.equals("redis")) {
            p.put("switchboard.cache.namespace", scope + ":");
        }
        Duration ttl = Duration.ofMinutes(10);
        byte[] value = new byte[NEAR_VALUE_SIZE];
        new Random(3).nextBytes(value);
        try (Switchboard sb = Switchboard.open(p)) {
            SharedCache shared = sb.cache("scale");
            Semaphore inFlight = new Semaphore(1000);
            for (int i = 0; i < n; i++) {
                inFlight.acquire();
                shared.putAsync("k" + i, value, ttl).whenComplete((v, e) -> inFlight.release());
            }
            if (!inFlight.tryAcquire(1000, 60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("filling the shared cache did not finish within 60 s");
            }
            long heapBefore = usedHeapAfterGc();
            NearCache<byte[]> near = sb.nearCache("scale", byte[].class,
                    NearCacheOptions.defaults().maxEntries(Math.max(n, 1)).writeTtl(ttl));
            long loadStart = System.nanoTime();
            load(near, n);
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            long heapAfter = usedHeapAfterGc();
            String note = near.localSize() == n ? "" : "held " + near.localSize() + " of " + n;
            String[] keys = new String[n];
            for (int i = 0; i < n; i++) {
                keys[i] = "k" + i;
            }
            int[] order = new int[1 << 20];
            Random rnd = new Random(11);
            for (int i = 0; i < order.length; i++) {
                order[i] = rnd.nextInt(n);
            }
            int mask = order.length - 1;
            // warm-up, then a timed batch (mean and CPU per hit), then individually timed samples (percentiles)
            for (int i = 0; i < 2_000_000; i++) {
                near.get(keys[order[i & mask]]);
            }
            long cpu0 = processCpuNanos();
            long alloc0 = threadAllocatedBytes();
            long t0 = System.nanoTime();
            long end = t0 + (long) (seconds() * 1e9);
            long gets = 0;
            int sink = 0;
            while (System.nanoTime() < end) {
                for (int j = 0; j < 4096; j++) {
                    byte[] v = near.get(keys[order[(int) (gets++ & mask)]]);
                    sink += v == null ? 0 : v.length;
                }
            }
            long elapsed = System.nanoTime() - t0;
            double cpuNs = (double) (processCpuNanos() - cpu0) / gets;
            double allocPerGet = (double) (threadAllocatedBytes() - alloc0) / gets;
            long[] samples = new long[200_000];
            for (int i = 0; i < samples.length; i++) {
                String k = keys[order[i & mask]];
                long s = System.nanoTime();
                byte[] v = near.get(k);
                samples[i] = System.nanoTime() - s;
                sink += v == null ? 0 : v.length;
            }
            Arrays.sort(samples);
            blackhole = sink;
            near.close();
            double hashMapNs = jdkMapHitNs(new HashMap<>(), n, value, keys, order, false);
            double linkedNs = jdkMapHitNs(new LinkedHashMap<>(16, 0.75f, true), n, value, keys, order, true);
            return new NearRow(nearBacking, n, (double) elapsed / gets, samples[samples.length / 2], samples[samples.length * 99 / 100],
                    cpuNs, allocPerGet, (double) (heapAfter - heapBefore) / n, loadSeconds, hashMapNs, linkedNs, note);
        }
    }

    /**
     * The floor a near-cache hit cannot beat: the same random-key hits, from the same key strings,
     * on a plain JDK map holding {@code n} copies of the value under keys of its own, as the near
     * cache holds them ({@code locked}: inside one uncontended lock, as an access-ordered map
     * needs). Most of the growth with the number of entries is CPU-cache misses, which it shows.
     */
    private double jdkMapHitNs(Map<String, byte[]> map, int n, byte[] value, String[] keys, int[] order, boolean locked) {
        for (int i = 0; i < n; i++) {
            map.put("k" + i, value.clone());
        }
        int mask = order.length - 1;
        int sink = 0;
        Object lock = new Object();
        for (int i = 0; i < 2_000_000; i++) {
            byte[] v = map.get(keys[order[i & mask]]);
            sink += v == null ? 0 : v.length;
        }
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds() * 1e9);
        long gets = 0;
        while (System.nanoTime() < end) {
            for (int j = 0; j < 4096; j++) {
                byte[] v;
                if (locked) {
                    synchronized (lock) {
                        v = map.get(keys[order[(int) (gets++ & mask)]]);
                    }
                } else {
                    v = map.get(keys[order[(int) (gets++ & mask)]]);
                }
                sink += v == null ? 0 : v.length;
            }
        }
        blackhole += sink;
        return (double) (System.nanoTime() - t0) / gets;
    }

    /** Reads every key once through the near cache (each a miss that installs a local copy), with fresh key strings. */
    private void load(NearCache<byte[]> near, int n) throws Exception {
        int threads = nearBacking.equals("redis") ? 4 : 1;
        List<CompletableFuture<Void>> parts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int first = t;
            parts.add(CompletableFuture.runAsync(() -> {
                for (int i = first; i < n; i += threads) {
                    if (near.get("k" + i) == null) {
                        throw new IllegalStateException("near cache has no value for k" + i);
                    }
                }
            }, r -> new Thread(r, "scale-load-" + first).start()));
        }
        CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0])).get(10, TimeUnit.MINUTES);
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    // ---- report ----

    private static final Map<String, String> TITLES = Map.of(
            "exact-one", "Exact-channel subscriptions per instance, traffic on one of them",
            "exact", "Exact-channel subscriptions per instance, traffic spread over all",
            "patterns", "Pattern subscriptions per instance, traffic matching one of them",
            "fanout", "Subscribing instances on one channel",
            "payload", "Payload size");

    private static final Map<String, String> TARGETS = Map.of(
            "exact-one", "per-message cost flat in the number of exact-channel subscriptions (routing is O(1), not a scan; idle"
                    + " subscriptions cost nothing per message)",
            "exact", "per-message cost flat in the number of exact-channel subscriptions (routing is O(1), not a scan)",
            "patterns", "per-message cost at most linear in the number of patterns",
            "fanout", "cost per delivered message flat or falling as subscribing instances grow",
            "payload", "payload cost dominated by copying: at most one copy on receive (receive-side allocation about one payload)");

    private String markdown() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String d : dimensions) {
            if (d.equals("nearcache")) {
                nearMarkdown(sb);
                continue;
            }
            List<Long> vs = valuesOf(d);
            sb.append(String.format(Locale.ROOT, "%n## %s%n%nTarget: %s.%n%n", TITLES.get(d), TARGETS.get(d)));
            sb.append("| transport | ").append(label(d)).append(" | delivered msg/s | client CPU us/msg | alloc B/msg, publishing thread"
                    + " | alloc B/msg, other threads | context switches/msg | dropped | setup s | note |\n|---|---|---|---|---|---|---|---|---|---|\n");
            for (Row r : rows) {
                if (r.dimension().equals(d)) {
                    sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", r.transport(),
                            valueLabel(d, r.value()), fmt(r.rate(), "%,.0f"), fmt(r.cpuUs(), "%.2f"), fmt(r.publisherAlloc(), "%,.0f"),
                            fmt(r.otherAlloc(), "%,.0f"), fmt(r.switches(), "%.2f"), fmt(r.dropPercent(), "%.1f%%"), fmt(r.setupSeconds(), "%.1f"), r.note()));
                }
            }
            sb.append('\n');
            for (String t : transports) {
                sb.append("- ").append(t).append(": ").append(shape(d, t, vs)).append('\n');
            }
            chart(d, vs);
            sb.append(String.format(Locale.ROOT, "%nChart: `%s`%n", out.resolve("scale-" + d + ".png")));
        }
        return sb.toString();
    }

    private static String label(String d) {
        return switch (d) {
            case "exact", "exact-one" -> "subscriptions";
            case "patterns" -> "patterns";
            case "fanout" -> "instances";
            default -> "payload";
        };
    }

    private static String valueLabel(String d, long v) {
        if (!d.equals("payload") && !d.equals("entries")) {
            return String.format(Locale.ROOT, "%,d", v);
        }
        if (v >= 1 << 20 && v % (1 << 20) == 0) {
            return (v >> 20) + " MiB";
        }
        if (v >= 1024 && v % 1024 == 0) {
            return (v >> 10) + " KiB";
        }
        return v + " B";
    }

    private static String fmt(double v, String pattern) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, pattern, v);
    }

    private Row find(String d, String t, long v) {
        for (Row r : rows) {
            if (r.dimension().equals(d) && r.transport().equals(t) && r.value() == v) {
                return r;
            }
        }
        return null;
    }

    /** The verdict on one transport's curve against the dimension's target. */
    private String shape(String d, String t, List<Long> vs) {
        Row first = find(d, t, vs.get(0));
        Row last = null;
        for (int i = vs.size() - 1; i >= 0 && last == null; i--) {
            Row r = find(d, t, vs.get(i));
            if (r != null && !Double.isNaN(r.cpuUs())) {
                last = r;
            }
        }
        if (first == null || Double.isNaN(first.cpuUs()) || last == null || last == first) {
            return "not enough points measured";
        }
        double ratio = last.cpuUs() / first.cpuUs();
        String span = String.format(Locale.ROOT, "CPU per message %.2f us at %s, %.2f us at %s (%.2fx)", first.cpuUs(),
                valueLabel(d, first.value()), last.cpuUs(), valueLabel(d, last.value()), ratio);
        boolean handOff = last.switches() - first.switches() >= 0.5;
        String handOffNote = String.format(Locale.ROOT, ": context switches per message rose from %.2f to %.2f, a hand-off between"
                + " threads per message rather than a scan", first.switches(), last.switches());
        return switch (d) {
            case "exact", "exact-one" -> span + (ratio <= 1.5 ? " - flat: no growth beyond 1.5x (the drift of a busy 2-core machine)"
                    : " - GROWS with the number of subscriptions" + (handOff ? handOffNote : ": look for a scan"));
            case "patterns" -> {
                double growth = (double) last.value() / first.value();
                yield span + String.format(Locale.ROOT, ", %.3f us per added pattern", (last.cpuUs() - first.cpuUs())
                        / (last.value() - first.value())) + (ratio <= growth ? " - at most linear" : " - WORSE than linear");
            }
            case "fanout" -> span + (ratio <= 1.5 ? " - flat or falling" : " - GROWS per delivered message" + (handOff ? handOffNote : ""));
            default -> {
                double copies = last.otherAlloc() / last.value();
                double publishCopies = last.publisherAlloc() / last.value();
                double perKiB = last.cpuUs() / (last.value() / 1024.0);
                yield span + String.format(Locale.ROOT, "; at %s: %.2f us per KiB; the publishing thread allocates %.2f payloads per"
                        + " message, the other threads %.2f%s", valueLabel(d, last.value()), perKiB, publishCopies, copies,
                        copies <= 1.5 ? " - at most about one copy on receive"
                                : " - more than one copy on receive (or publish-side copies made on the transport's own threads)");
            }
        };
    }

    private void chart(String d, List<Long> vs) throws IOException {
        List<String> xs = vs.stream().map(v -> valueLabel(d, v)).toList();
        Map<String, double[]> cpu = new LinkedHashMap<>();
        Map<String, double[]> rate = new LinkedHashMap<>();
        Map<String, double[]> alloc = new LinkedHashMap<>();
        for (String t : transports) {
            double[] c = new double[vs.size()];
            double[] r = new double[vs.size()];
            double[] a = new double[vs.size()];
            for (int i = 0; i < vs.size(); i++) {
                Row row = find(d, t, vs.get(i));
                c[i] = row == null ? Double.NaN : row.cpuUs();
                r[i] = row == null ? Double.NaN : row.rate();
                a[i] = row == null ? Double.NaN : row.otherAlloc();
            }
            cpu.put(t, c);
            rate.put(t, r);
            alloc.put(t, a);
        }
        Charts.write(out.resolve("scale-" + d + ".png"), TITLES.get(d) + (quick ? " (quick run)" : ""), label(d), xs, List.of(
                new Charts.Panel("Client CPU per delivered message", "us", cpu),
                new Charts.Panel("Delivered messages per second", "msg/s", rate),
                new Charts.Panel("Allocation per message, other threads", "bytes", alloc)));
    }

    private static Map<String, double[]> series(String a, double[] as, String b, double[] bs, String c, double[] cs) {
        Map<String, double[]> m = new LinkedHashMap<>();
        m.put(a, as);
        m.put(b, bs);
        m.put(c, cs);
        return m;
    }

    private void nearMarkdown(StringBuilder sb) throws IOException {
        List<Long> vs = valuesOf("entries");
        sb.append(String.format(Locale.ROOT, "%n## Near-cache entries%n%nNearCache<byte[]> over the %s cache, %d-byte values, maxEntries = entries;"
                + " get hits on random keys from one thread. Mean (wall time) and CPU from a %.1f s batch (on a busy machine the mean"
                + " includes time the thread waited for a core; CPU per get does not); p50/p99 from 200,000 individually timed"
                + " gets (nanoTime overhead included); heap per entry = growth of the used heap after GC from loading every key,"
                + " the shared cache already filled (key string, value copy and the near cache's own bookkeeping). The two JDK columns"
                + " are the floor: the same hits on a plain map of as many entries (mean of a batch as long), which shows how much of"
                + " the growth is CPU-cache misses that any hash lookup pays.%n%n", nearBacking,
                NEAR_VALUE_SIZE, seconds()));
        sb.append("| cache | entries | get hit mean ns | p50 ns | p99 ns | CPU ns/get | alloc B/get | heap B/entry | load s"
                + " | JDK HashMap get ns | JDK access-ordered LinkedHashMap get, locked, ns | note |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (NearRow r : nearRows) {
            sb.append(String.format(Locale.ROOT, "| %s | %,d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", r.backing(), r.entries(),
                    fmt(r.meanNs(), "%.0f"), fmt(r.p50Ns(), "%.0f"), fmt(r.p99Ns(), "%.0f"), fmt(r.cpuNs(), "%.0f"),
                    fmt(r.allocPerGet(), "%.1f"), fmt(r.bytesPerEntry(), "%.0f"), fmt(r.loadSeconds(), "%.1f"),
                    fmt(r.hashMapNs(), "%.0f"), fmt(r.linkedHashMapNs(), "%.0f"), r.note()));
        }
        double[] mean = new double[vs.size()];
        double[] cpu = new double[vs.size()];
        double[] p99 = new double[vs.size()];
        double[] bytes = new double[vs.size()];
        Arrays.fill(mean, Double.NaN);
        Arrays.fill(cpu, Double.NaN);
        Arrays.fill(p99, Double.NaN);
        Arrays.fill(bytes, Double.NaN);
        for (NearRow r : nearRows) {
            int i = vs.indexOf(r.entries());
            if (i >= 0) {
                mean[i] = r.meanNs();
                cpu[i] = r.cpuNs();
                p99[i] = r.p99Ns();
                bytes[i] = r.bytesPerEntry();
            }
        }
        Charts.write(out.resolve("scale-nearcache.png"), "Near cache over the " + nearBacking + " cache" + (quick ? " (quick run)" : ""),
                "entries", vs.stream().map(v -> String.format(Locale.ROOT, "%,d", v)).toList(), List.of(
                        new Charts.Panel("Get hit: latency and CPU", "ns", series("mean", mean, "p99", p99, "CPU per get", cpu)),
                        new Charts.Panel("Heap per entry", "bytes", Map.of(nearBacking, bytes))));
        sb.append(String.format(Locale.ROOT, "%nTarget: hit latency flat in the number of entries (a hash lookup), heap per entry flat.%n"
                + "%nChart: `%s`%n", out.resolve("scale-nearcache.png")));
    }
}
