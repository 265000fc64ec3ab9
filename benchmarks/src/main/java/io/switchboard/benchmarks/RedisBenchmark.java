package io.switchboard.benchmarks;

import static io.switchboard.benchmarks.Measures.median;
import static io.switchboard.benchmarks.Measures.processCpuNanos;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.switchboard.Message;
import io.switchboard.Subscription;
import io.switchboard.Switchboard;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import redis.clients.jedis.BinaryJedisPubSub;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * Publish-to-deliver throughput and fixed-rate latency of the Redis transport against raw Jedis
 * (per call and pipelined, the main reference) and raw Lettuce (manual flush) doing the same work
 * in the same run, trials alternating, medians and ratios printed. One publisher thread and one
 * subscriber. Throughput counts delivered messages, with drops, client CPU and context switches
 * per delivered message beside it; latency runs a second raw client identical to the first, whose
 * spread from it is the machine's noise floor. Run with {@code bin/bench redis [options]}; {@code --help}
 * lists the options.
 */
public final class RedisBenchmark {
    private static final int STAMP = 8;

    private final String host;
    private final int port;
    private final String uri;
    private final int size;
    private final int reps;
    private final double seconds;
    private final double latencySeconds;
    private final int rate;
    private final int batch;
    private final String only;
    private final List<String> contenders;
    private final String lettuceProtocol;
    private final boolean cpuByThread;

    private RedisBenchmark(Map<String, String> o) {
        this.uri = o.getOrDefault("uri", "redis://127.0.0.1:6379");
        URI u = URI.create(uri);
        this.host = u.getHost();
        this.port = u.getPort() == -1 ? 6379 : u.getPort();
        this.size = Integer.parseInt(o.getOrDefault("size", "256"));
        this.reps = Integer.parseInt(o.getOrDefault("reps", "3"));
        this.seconds = Double.parseDouble(o.getOrDefault("seconds", "3"));
        this.latencySeconds = Double.parseDouble(o.getOrDefault("latency-seconds", "4"));
        this.rate = Integer.parseInt(o.getOrDefault("rate", "5000"));
        this.batch = Integer.parseInt(o.getOrDefault("batch", "100"));
        this.only = o.getOrDefault("only", "all");
        this.contenders = Arrays.asList(o.getOrDefault("contenders", "per-call,pipelined,lettuce,switchboard").split(","));
        for (String c : contenders) {
            if (!List.of("per-call", "pipelined", "lettuce", "switchboard").contains(c)) {
                throw new IllegalArgumentException("--contenders: unknown contender '" + c + "'; choose from per-call, pipelined, lettuce, switchboard");
            }
        }
        this.lettuceProtocol = o.getOrDefault("lettuce-protocol", "auto");
        if (!List.of("auto", "resp2", "resp3").contains(lettuceProtocol)) {
            throw new IllegalArgumentException("--lettuce-protocol must be auto, resp2 or resp3, got '" + lettuceProtocol + "'");
        }
        this.cpuByThread = Boolean.parseBoolean(o.getOrDefault("cpu-by-thread", "false"));
        if (size < STAMP) {
            throw new IllegalArgumentException("--size must be at least " + STAMP + " (the payload carries a timestamp)");
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Measures.options(args, List.of("uri", "size", "reps", "seconds", "latency-seconds", "rate", "batch", "only", "cpu-by-thread",
                "contenders", "lettuce-protocol"), RedisBenchmark::usage);
        if (o != null) {
            new RedisBenchmark(o).run();
        }
    }

    private static void usage() {
        System.out.println(String.join("\n",
                "usage: bin/bench redis [options]",
                "  --uri URI              Redis server (no password support here), default redis://127.0.0.1:6379",
                "  --size BYTES           payload size, default 256",
                "  --reps N               trials per variant, alternating, default 3",
                "  --seconds S            publishing time per throughput trial, default 3",
                "  --latency-seconds S    measuring time per latency trial, default 4",
                "  --rate N               messages per second in the latency trials, default 5000",
                "  --batch N              pipeline batch of raw Jedis pipelined and of Lettuce's manual flush, default 100",
                "  --only WHAT            throughput, latency or all (default)",
                "  --contenders LIST      throughput contenders, default per-call,pipelined,lettuce,switchboard",
                "  --lettuce-protocol P   auto (Lettuce's default: RESP3 when the server has it), resp2 or resp3",
                "  --cpu-by-thread B      true: also print each thread's CPU per delivered message in throughput trials",
                "Prints each reference's settings first. Defaults take about 2 minutes. Start the servers first: bin/services start."));
    }

    private void run() throws Exception {
        System.out.printf("Redis benchmark: %s, %d-byte payloads, %d reps, one publisher thread, one subscriber%n", uri, size, reps);
        printReferences();
        if (!only.equals("latency")) {
            throughput();
        }
        if (!only.equals("throughput")) {
            latency();
        }
    }

    // ---- throughput ----

    private interface Trial {
        Result run(String channel) throws Exception;
    }

    /**
     * One throughput trial. {@code sent}: publish calls made; {@code delivered}: messages the
     * subscriber's handler received; {@code publishSeconds}: first to last publish;
     * {@code deliverSeconds}: first publish to last delivery.
     */
    private record Result(long sent, long delivered, double publishSeconds, double deliverSeconds) {
        double deliveredPerSecond() {
            return deliverSeconds > 0 ? delivered / deliverSeconds : 0;
        }

        double publishedPerSecond() {
            return publishSeconds > 0 ? sent / publishSeconds : 0;
        }

        double dropPercent() {
            return sent == 0 ? 0 : 100.0 * (sent - delivered) / sent;
        }
    }

    private static final String PER_CALL = "raw Jedis publish per call";
    private static final String LETTUCE = "raw Lettuce, manual flush";
    private static final String SWITCHBOARD = "Switchboard async publish";

    private String pipelinedName() {
        return "raw Jedis pipelined (batch " + batch + ")";
    }

    /** The settings each contender runs with, printed before any figure. */
    private void printReferences() {
        System.out.println(String.join("\n",
                "References and their settings:",
                "  " + PER_CALL + ": Jedis " + Measures.version(Jedis.class, "redis.clients", "jedis")
                        + ", one connection publishing with PUBLISH per call, RESP2; subscriber: a second Jedis connection in"
                        + " subscribe() on its own thread (BinaryJedisPubSub)",
                "  " + pipelinedName() + ": the same connections; publishes go through Jedis's Pipeline, sync() every " + batch
                        + " (Jedis's documented way to batch commands)",
                "  " + LETTUCE + ": Lettuce " + Measures.version(ClientOptions.class, "io.lettuce", "lettuce-core")
                        + ", ByteArrayCodec, async API with setAutoFlushCommands(false), flushCommands() every " + batch
                        + " publishes then LettuceFutures.awaitAll (Lettuce's documented pipelining); default ClientResources"
                        + " (Netty event loops), protocol " + (lettuceProtocol.equals("auto") ? "negotiated (RESP3 on Redis 6+)" : lettuceProtocol) + "; subscriber: a StatefulRedisPubSubConnection"
                        + " with a listener",
                "  " + SWITCHBOARD + ": one Switchboard instance publishing and subscribing (one publisher and one subscriber"
                        + " connection), defaults (publish.max-in-flight 16384, when-full block, subscriber.buffer-size 10000, SB1"
                        + " envelope), 64 publish() calls per loop without waiting",
                "Quantities: 'delivered' = messages the subscriber's handler received; delivered msg/s = delivered / (first"
                        + " publish to last delivery); published msg/s = publish calls / publishing time; dropped = published -"
                        + " delivered (at saturation Switchboard drops in its own subscriber buffer, counted); client CPU is this"
                        + " whole JVM (publisher, subscriber, I/O threads) per DELIVERED message. Ratios compare delivered msg/s."));
    }

    private void throughput() throws Exception {
        Map<String, Trial> variants = new LinkedHashMap<>();
        if (contenders.contains("per-call")) {
            variants.put(PER_CALL, this::rawPerCall);
        }
        if (contenders.contains("pipelined")) {
            variants.put(pipelinedName(), this::rawPipelined);
        }
        if (contenders.contains("lettuce")) {
            variants.put(LETTUCE, this::lettuceManualFlush);
        }
        if (contenders.contains("switchboard")) {
            variants.put(SWITCHBOARD, this::switchboardAsync);
        }
        Map<String, List<Double>> rates = new LinkedHashMap<>();
        Map<String, List<Double>> drops = new LinkedHashMap<>();
        Map<String, List<Double>> cpu = new LinkedHashMap<>();
        variants.keySet().forEach(k -> {
            rates.put(k, new ArrayList<>());
            drops.put(k, new ArrayList<>());
            cpu.put(k, new ArrayList<>());
        });
        System.out.printf("%nThroughput, publish -> deliver (%.1f s of publishing per trial)%n", seconds);
        for (String name : variants.keySet()) {
            variants.get(name).run(channel());
        }
        List<String> order = new ArrayList<>(variants.keySet());
        for (int r = 1; r <= reps; r++) {
            for (String name : order) {
                Map<Long, Long> threadCpu = threadCpuNanos();
                long clientCpu = processCpuNanos();
                long serverCpu = redisCpuMicros();
                long switches = Measures.contextSwitches();
                Result res = variants.get(name).run(channel());
                long delivered = Math.max(1, res.delivered());
                double switchesPerMsg = (double) (switchesAtFinish - switches) / delivered;
                double clientPerMsg = (processCpuNanos() - clientCpu) / 1000.0 / delivered;
                double serverPerMsg = (double) (redisCpuMicros() - serverCpu) / delivered;
                Map<Long, Long> threadCpuAfter = cpuByThread ? threadCpuNanos() : Map.of();
                rates.get(name).add(res.deliveredPerSecond());
                drops.get(name).add(res.dropPercent());
                cpu.get(name).add(clientPerMsg);
                System.out.printf("  rep %d  %-32s delivered %,10.0f msg/s  (published %,.0f msg/s; %,d published, %,d delivered,"
                        + " dropped %.1f%%; CPU per delivered message: client %.2f us, redis-server %.2f us; client context"
                        + " switches %.3f)%n", r, name,
                        res.deliveredPerSecond(), res.publishedPerSecond(), res.sent(), res.delivered(), res.dropPercent(),
                        clientPerMsg, serverPerMsg, switchesPerMsg);
                if (cpuByThread) {
                    printCpuByThread(threadCpu, threadCpuAfter, delivered);
                }
            }
            java.util.Collections.reverse(order);
        }
        System.out.println("  medians (delivered msg/s, dropped, client CPU per delivered message):");
        for (String k : variants.keySet()) {
            System.out.printf("    %-32s %,10.0f msg/s  dropped %5.1f%%  %.2f us%n", k, median(rates.get(k)), median(drops.get(k)),
                    median(cpu.get(k)));
        }
        if (!variants.containsKey(SWITCHBOARD)) {
            return;
        }
        double sbRate = median(rates.get(SWITCHBOARD));
        double sbCpu = median(cpu.get(SWITCHBOARD));
        for (String k : variants.keySet()) {
            if (k.equals(SWITCHBOARD)) {
                continue;
            }
            double rate = sbRate / median(rates.get(k));
            double cost = sbCpu / median(cpu.get(k));
            boolean main = k.equals(pipelinedName());
            System.out.printf("    Switchboard / %-32s delivered %.2fx %s  CPU per delivered message %.2fx %s%n", k, rate,
                    main ? Measures.atLeast(rate, 0.9) : "", cost, main ? Measures.atMost(cost, 1.5) : "");
        }
    }

    private static Map<Long, Long> threadCpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<Long, Long> cpu = new HashMap<>();
        for (long id : threads.getAllThreadIds()) {
            cpu.put(id, threads.getThreadCpuTime(id));
        }
        return cpu;
    }

    /** CPU per delivered message of each thread that used more than 1 ms between the two readings. */
    private static void printCpuByThread(Map<Long, Long> before, Map<Long, Long> after, long delivered) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (Map.Entry<Long, Long> e : after.entrySet()) {
            long id = e.getKey();
            long used = e.getValue() - before.getOrDefault(id, 0L);
            ThreadInfo info = threads.getThreadInfo(id);
            if (info != null && used > 1_000_000) {
                System.out.printf("         thread %-30s %.2f us per message%n", info.getThreadName(), used / 1000.0 / delivered);
            }
        }
    }

    /** CPU time redis-server has used (user plus system, from INFO cpu), in microseconds. */
    private long redisCpuMicros() {
        try (Jedis j = jedis(2000)) {
            return Measures.redisCpuMicros(j);
        }
    }

    private Jedis jedis(int timeoutMillis) {
        return new Jedis(new HostAndPort(host, port), DefaultJedisClientConfig.builder().autoNegotiateProtocol(false)
                .timeoutMillis(timeoutMillis).build());
    }

    private byte[] payload() {
        byte[] p = new byte[size];
        Arrays.fill(p, (byte) 'x');
        return p;
    }

    private String channel() {
        return "bench." + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A raw Jedis subscriber on its own thread that counts deliveries and records the last one's time. */
    private final class RawSubscriber implements AutoCloseable {
        final AtomicLong count = new AtomicLong();
        volatile long lastNanos;
        final long[] latencies;
        final AtomicLong latencyIndex = new AtomicLong();
        final BinaryJedisPubSub pubsub;
        final Thread thread;

        RawSubscriber(String channel, long[] latencies) throws InterruptedException {
            this.latencies = latencies;
            CountDownLatch subscribed = new CountDownLatch(1);
            this.pubsub = new BinaryJedisPubSub() {
                @Override
                public void onMessage(byte[] ch, byte[] message) {
                    long now = System.nanoTime();
                    record(latencies, latencyIndex, message, 0, now);
                    lastNanos = now;
                    count.incrementAndGet();
                }

                @Override
                public void onSubscribe(byte[] ch, int n) {
                    subscribed.countDown();
                }
            };
            this.thread = new Thread(() -> {
                try (Jedis j = jedis(0)) {
                    j.subscribe(pubsub, channel.getBytes(StandardCharsets.UTF_8));
                }
            }, "bench-raw-subscriber");
            thread.start();
            if (!subscribed.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("raw subscriber did not subscribe");
            }
        }

        @Override
        public void close() throws InterruptedException {
            pubsub.unsubscribe();
            thread.join(5000);
        }
    }

    private static void record(long[] latencies, AtomicLong index, byte[] message, int offset, long now) {
        if (latencies != null) {
            long sentAt = ByteBuffer.wrap(message, offset, STAMP).getLong();
            if (sentAt != 0) {
                long i = index.getAndIncrement();
                if (i < latencies.length) {
                    latencies[(int) i] = now - sentAt;
                }
            }
        }
    }

    private Result rawPerCall(String channel) throws Exception {
        byte[] ch = channel.getBytes(StandardCharsets.UTF_8);
        byte[] p = payload();
        try (RawSubscriber sub = new RawSubscriber(channel, null); Jedis pub = jedis(2000)) {
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long sent = 0;
            while (System.nanoTime() < end) {
                pub.publish(ch, p);
                sent++;
            }
            return finish(start, System.nanoTime(), sent, sub.count, () -> sub.lastNanos);
        }
    }

    private Result rawPipelined(String channel) throws Exception {
        byte[] ch = channel.getBytes(StandardCharsets.UTF_8);
        byte[] p = payload();
        try (RawSubscriber sub = new RawSubscriber(channel, null); Jedis pub = jedis(2000)) {
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long sent = 0;
            Pipeline pipe = pub.pipelined();
            while (System.nanoTime() < end) {
                for (int i = 0; i < batch; i++) {
                    pipe.publish(ch, p);
                }
                pipe.sync();
                sent += batch;
            }
            long published = System.nanoTime();
            pipe.close();
            return finish(start, published, sent, sub.count, () -> sub.lastNanos);
        }
    }

    private io.lettuce.core.RedisClient lettuce;

    private io.lettuce.core.RedisClient lettuce() {
        if (lettuce == null) {
            lettuce = io.lettuce.core.RedisClient.create(io.lettuce.core.RedisURI.create(uri));
            if (!lettuceProtocol.equals("auto")) {
                lettuce.setOptions(ClientOptions.builder()
                        .protocolVersion(lettuceProtocol.equals("resp2") ? ProtocolVersion.RESP2 : ProtocolVersion.RESP3).build());
            }
            Runtime.getRuntime().addShutdownHook(new Thread(lettuce::shutdown));
        }
        return lettuce;
    }

    /** Lettuce's pipelining as its docs describe it: auto-flush off, a flush per batch, then wait for the batch. */
    private Result lettuceManualFlush(String channel) throws Exception {
        byte[] ch = channel.getBytes(StandardCharsets.UTF_8);
        byte[] p = payload();
        AtomicLong count = new AtomicLong();
        AtomicLong last = new AtomicLong();
        try (StatefulRedisPubSubConnection<byte[], byte[]> sub = lettuce().connectPubSub(ByteArrayCodec.INSTANCE);
                StatefulRedisConnection<byte[], byte[]> pub = lettuce().connect(ByteArrayCodec.INSTANCE)) {
            sub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(byte[] c, byte[] message) {
                    last.set(System.nanoTime());
                    count.incrementAndGet();
                }
            });
            sub.sync().subscribe(ch);
            pub.setAutoFlushCommands(false);
            RedisAsyncCommands<byte[], byte[]> async = pub.async();
            RedisFuture<?>[] futures = new RedisFuture<?>[batch];
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long sent = 0;
            while (System.nanoTime() < end) {
                for (int i = 0; i < batch; i++) {
                    futures[i] = async.publish(ch, p);
                }
                pub.flushCommands();
                if (!LettuceFutures.awaitAll(Duration.ofSeconds(5), futures)) {
                    throw new IllegalStateException("Lettuce publishes did not complete within 5 s");
                }
                sent += batch;
            }
            return finish(start, System.nanoTime(), sent, count, last::get);
        }
    }

    private Switchboard open() {
        return Switchboard.open(Map.of("switchboard.transport", "redis", "switchboard.redis.uri", uri));
    }

    private Switchboard sb;

    private Switchboard sb() {
        if (sb == null) {
            sb = open();
            Runtime.getRuntime().addShutdownHook(new Thread(sb::close));
        }
        return sb;
    }

    private Result switchboardAsync(String channel) throws Exception {
        Switchboard s = sb();
        AtomicLong count = new AtomicLong();
        AtomicLong last = new AtomicLong();
        LongAdder failures = new LongAdder();
        try (Subscription sub = s.subscriber().subscribe(channel, d -> {
            last.set(System.nanoTime());
            count.incrementAndGet();
        })) {
            Message m = Message.ofBytes(payload());
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long sent = 0;
            while (System.nanoTime() < end) {
                for (int i = 0; i < 64; i++) {
                    s.publisher().publish(channel, m).whenComplete((v, e) -> {
                        if (e != null) {
                            failures.increment();
                        }
                    });
                }
                sent += 64;
            }
            Result r = finish(start, System.nanoTime(), sent, count, last::get);
            if (failures.sum() > 0) {
                System.out.printf("    (%d Switchboard publishes failed)%n", failures.sum());
            }
            return r;
        }
    }

    /**
     * This JVM's context switches when the last throughput trial's deliveries had arrived, read
     * before the trial closes its connections, so that the threads it ends still count.
     */
    private static volatile long switchesAtFinish;

    private interface LongGetter {
        long get();
    }

    /** Waits until everything sent arrived (or nothing arrives for 2 s); {@code published}: when publishing ended. */
    private static Result finish(long start, long published, long sent, AtomicLong received, LongGetter lastNanos)
            throws InterruptedException {
        Measures.untilQuiet(received, sent, TimeUnit.SECONDS.toNanos(2));
        switchesAtFinish = Measures.contextSwitches();
        return new Result(sent, received.get(), (published - start) / 1e9, (lastNanos.get() - start) / 1e9);
    }

    // ---- latency ----

    private void latency() throws Exception {
        System.out.printf("%nLatency, publish -> deliver at a fixed %,d msg/s (%.1f s per trial, after 1 s warm-up; the first 10%% of each"
                + " trial dropped)%n", rate, latencySeconds);
        List<double[]> raw = new ArrayList<>();
        List<double[]> sbl = new ArrayList<>();
        latencyRaw(channel(), 1);
        latencySwitchboard(channel(), 1);
        // A second raw client, identical to the first: its spread from the first is this machine's noise floor.
        List<double[]> twin = new ArrayList<>();
        String rawName = "raw Jedis publish per call";
        String sbName = "Switchboard async publish";
        String twinName = "second raw Jedis (noise floor)";
        Map<String, List<double[]>> trials = Map.of(rawName, raw, sbName, sbl, twinName, twin);
        for (int r = 1; r <= reps; r++) {
            List<String> order = r % 2 == 1 ? List.of(rawName, sbName, twinName) : List.of(twinName, sbName, rawName);
            for (String name : order) {
                double[] t = name.equals(sbName) ? latencySwitchboard(channel(), latencySeconds) : latencyRaw(channel(), latencySeconds);
                trials.get(name).add(t);
                System.out.printf("  rep %d  %-36s p50 %7.1f us  p99 %7.1f us%n", r, name, t[0], t[1]);
            }
        }
        double rawP50 = median(raw.stream().map(x -> x[0]).toList());
        double rawP99 = median(raw.stream().map(x -> x[1]).toList());
        double sbP50 = median(sbl.stream().map(x -> x[0]).toList());
        double sbP99 = median(sbl.stream().map(x -> x[1]).toList());
        double twinP50 = median(twin.stream().map(x -> x[0]).toList());
        double twinP99 = median(twin.stream().map(x -> x[1]).toList());
        System.out.println("  medians:");
        System.out.printf("    %-36s p50 %7.1f us  p99 %7.1f us%n", rawName, rawP50, rawP99);
        System.out.printf("    %-36s p50 %7.1f us  p99 %7.1f us%n", sbName, sbP50, sbP99);
        System.out.printf("    %-36s p50 %7.1f us  p99 %7.1f us%n", twinName, twinP50, twinP99);
        System.out.printf("    ratio Switchboard / raw Jedis          p50 %.2fx  p99 %.2fx %s%n", sbP50 / rawP50, sbP99 / rawP99,
                Measures.atMost(Math.max(sbP50 / rawP50, sbP99 / rawP99), 1.2));
        System.out.printf("    noise floor: second raw / raw Jedis    p50 %.2fx  p99 %.2fx%n", twinP50 / rawP50, twinP99 / rawP99);
    }

    private double[] latencyRaw(String channel, double secs) throws Exception {
        int n = (int) (rate * secs);
        long[] lat = new long[n];
        byte[] ch = channel.getBytes(StandardCharsets.UTF_8);
        byte[] p = payload();
        try (RawSubscriber sub = new RawSubscriber(channel, lat); Jedis pub = jedis(2000)) {
            paced(n, () -> {
                ByteBuffer.wrap(p).putLong(System.nanoTime());
                pub.publish(ch, p);
            });
            Poll.until(() -> sub.count.get() >= n, 5000);
            return percentiles(lat, (int) Math.min(n, sub.latencyIndex.get()));
        }
    }

    private double[] latencySwitchboard(String channel, double secs) throws Exception {
        int n = (int) (rate * secs);
        long[] lat = new long[n];
        AtomicLong index = new AtomicLong();
        Switchboard s = sb();
        try (Subscription sub = s.subscriber().subscribe(channel, d -> record(lat, index, d.message().payload(), 0, System.nanoTime()))) {
            byte[] p = payload();
            paced(n, () -> {
                ByteBuffer.wrap(p).putLong(System.nanoTime());
                s.publisher().publish(channel, Message.ofBytes(p));
            });
            Poll.until(() -> index.get() >= n, 5000);
            return percentiles(lat, (int) Math.min(n, index.get()));
        }
    }

    private interface Action {
        void run() throws Exception;
    }

    private void paced(int n, Action send) throws Exception {
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long due = start + i * interval;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                if (wait > 50_000) {
                    LockSupport.parkNanos(wait - 50_000);
                } else {
                    Thread.onSpinWait();
                }
            }
            send.run();
        }
    }

    /** p50 and p99 in us of the first {@code n} latencies, without the first 10% (see {@link Measures#latencyPercentiles}). */
    private static double[] percentiles(long[] lat, int n) {
        long[] p = Measures.latencyPercentiles(lat, n);
        return p == null ? new double[] {Double.NaN, Double.NaN} : new double[] {p[0] / 1000.0, p[1] / 1000.0};
    }

    /** Polls a condition for at most the given milliseconds. */
    private static final class Poll {
        static void until(java.util.function.BooleanSupplier c, long millis) throws InterruptedException {
            long deadline = System.nanoTime() + millis * 1_000_000;
            while (!c.getAsBoolean() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
        }
    }
}
