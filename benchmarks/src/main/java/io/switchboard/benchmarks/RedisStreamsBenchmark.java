package io.switchboard.benchmarks;

import static io.switchboard.benchmarks.Measures.median;

import io.switchboard.Message;
import io.switchboard.Subscription;
import io.switchboard.SubscriptionOptions;
import io.switchboard.Switchboard;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.redisson.Redisson;
import org.redisson.api.RReliableTopic;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.ByteArrayCodec;
import org.redisson.config.Config;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;

/**
 * Publish-to-acknowledge throughput and fixed-rate latency of the Redis Streams transport against
 * raw Jedis doing the same work in the same run (the reference: pipelined {@code XADD} with
 * {@code MAXLEN ~}, a consumer-group reader doing {@code XREADGROUP} and one pipelined
 * {@code XACK} per batch read), trials alternating, medians and ratios printed, with Redisson's
 * {@code RReliableTopic} as the peer (printed beside, not a target). One publisher
 * thread and one durable subscriber. Latency trials drop the first 10% of each trial's
 * messages and include a second raw client identical to the first, the noise floor. Run with {@code bin/bench redis-streams [options]};
 * {@code --help} lists the options.
 */
public final class RedisStreamsBenchmark {
    private static final int STAMP = 8;
    private static final String RAW = "raw Jedis XADD pipelined + XREADGROUP/XACK";
    private static final String SWITCHBOARD = "Switchboard redis-streams";
    /** The peer, not the reference: Redisson's reliable topic, also built on a stream. */
    private static final String REDISSON = "Redisson RReliableTopic (peer)";
    /** Latency only: a second raw client identical to the first, whose spread from it is the machine's noise floor. */
    private static final String TWIN = "second raw client";

    private final String host;
    private final int port;
    private final String uri;
    private final int size;
    private final int reps;
    private double seconds;
    private final double warmupSeconds;
    private final double latencySeconds;
    private final int rate;
    private final int batch;
    private final String only;
    /** Set by a throughput trial when its last message arrived, before it closes anything: CPU by thread and context switches. */
    private Map<String, Long> threadCpuAtEnd;
    private long switchesAtEnd;

    private RedisStreamsBenchmark(Map<String, String> o) {
        this.uri = o.getOrDefault("uri", "redis://127.0.0.1:6379");
        java.net.URI u = java.net.URI.create(uri);
        this.host = u.getHost();
        this.port = u.getPort() == -1 ? 6379 : u.getPort();
        this.size = Integer.parseInt(o.getOrDefault("size", "256"));
        this.reps = Integer.parseInt(o.getOrDefault("reps", "3"));
        this.seconds = Double.parseDouble(o.getOrDefault("seconds", "3"));
        this.warmupSeconds = Double.parseDouble(o.getOrDefault("warmup", "3"));
        this.latencySeconds = Double.parseDouble(o.getOrDefault("latency-seconds", "4"));
        this.rate = Integer.parseInt(o.getOrDefault("rate", "5000"));
        this.batch = Integer.parseInt(o.getOrDefault("batch", "100"));
        this.only = o.getOrDefault("only", "all");
        if (size < STAMP) {
            throw new IllegalArgumentException("--size must be at least " + STAMP + " (the payload carries a timestamp)");
        }
    }

    /** Entry point; see {@code --help}. */
    public static void main(String[] args) throws Exception {
        Map<String, String> o = Measures.options(args, List.of("uri", "size", "reps", "seconds", "warmup", "latency-seconds", "rate", "batch", "only"), RedisStreamsBenchmark::usage);
        if (o != null) {
            RedisStreamsBenchmark b = new RedisStreamsBenchmark(o);
            try {
                b.run();
            } finally {
                // Redisson's threads are not daemons: left running, they keep the JVM (and their polling of Redis) alive.
                if (b.redisson != null) {
                    b.redisson.shutdown();
                }
            }
        }
    }

    private static void usage() {
        System.out.println(String.join("\n",
                "usage: bin/bench redis-streams [options]",
                "  --uri URI              Redis server (no password support here), default redis://127.0.0.1:6379",
                "  --size BYTES           payload size, default 256",
                "  --reps N               trials per variant, alternating, default 3",
                "  --seconds S            publishing time per throughput trial, default 3",
                "  --warmup S             publishing time of the unmeasured first throughput trial of each contender, default 3",
                "  --latency-seconds S    measuring time per latency trial, default 4",
                "  --rate N               messages per second in the latency trials, default 5000",
                "  --batch N              pipeline batch of the raw reference, and its XREADGROUP COUNT, default 100",
                "  --only WHAT            throughput, latency or all (default)",
                "Start the servers first: bin/services start."));
    }

    private void run() throws Exception {
        System.out.printf("Redis Streams benchmark: %s, %d-byte payloads, %d reps, one publisher thread, one durable subscriber%n", uri, size,
                reps);
        System.out.println("References and their settings:");
        System.out.println("  " + RAW + ": Jedis " + Measures.version(Jedis.class, "redis.clients", "jedis") + ", one connection publishing "
                + "XADD <stream> MAXLEN ~ 1000000 * payload <bytes> through a Pipeline, sync() every " + batch + "; a second connection "
                + "reading XREADGROUP COUNT " + batch + " BLOCK 100 and acknowledging each batch with one pipelined XACK of its ids");
        System.out.println("  " + SWITCHBOARD + ": one Switchboard instance publishing (publish() without waiting, at most 4096 in flight) and "
                + "one durable subscription (prefetch 256, concurrency 1), defaults (max-length 1000000, entry fields id, time, "
                + "payload: no content-type field for the default application/octet-stream)");
        System.out.println("  " + REDISSON + ": Redisson " + Measures.version(Redisson.class, "org.redisson", "redisson") + ", one RedissonClient"
                + " (single server, ByteArrayCodec, other settings default: Netty event loops, a connection pool); getReliableTopic(name)"
                + " with one listener; throughput: publishAsync with at most 4096 in flight (Redisson's async API), latency: publish() per"
                + " message, answered before the next (as its docs show it); it acknowledges by moving the listener's offset");
        // Unmeasured: without it the first Switchboard trial ran while the JIT compiled Switchboard's
        // code (the raw trial before it warms only Jedis): both compiler threads busy on a 2-core
        // machine, at about half the later trials' rate. Repeated while a trial still spends more
        // than a tenth of its time compiling, at most 5 times.
        double measured = seconds;
        seconds = warmupSeconds;
        System.out.printf("Warm-up (not counted), %.1f s per trial, until the JIT compiles for less than 10%% of a trial:%n", warmupSeconds);
        for (int i = 0; i < 5 && jitShare(() -> trial(RAW, this::rawThroughput)) > 0.1; i++) {
            // again
        }
        for (int i = 0; i < 5 && jitShare(() -> trial(SWITCHBOARD, this::switchboardThroughput)) > 0.1; i++) {
            // again
        }
        for (int i = 0; i < 5 && jitShare(() -> trial(REDISSON, this::redissonThroughput)) > 0.1; i++) {
            // again
        }
        seconds = measured;
        if (!only.equals("latency")) {
            Map<String, List<Double>> tput = new LinkedHashMap<>();
            for (int r = 0; r < reps; r++) {
                tput.computeIfAbsent(RAW, k -> new ArrayList<>()).add(trial(RAW, this::rawThroughput));
                tput.computeIfAbsent(SWITCHBOARD, k -> new ArrayList<>()).add(trial(SWITCHBOARD, this::switchboardThroughput));
                tput.computeIfAbsent(REDISSON, k -> new ArrayList<>()).add(trial(REDISSON, this::redissonThroughput));
            }
            double raw = median(tput.get(RAW));
            double sb = median(tput.get(SWITCHBOARD));
            double rt = median(tput.get(REDISSON));
            System.out.printf("Throughput, acknowledged deliveries/s (median of %d): %s %.0f %s; %s %.0f %s; ratio %.2fx%n", reps, RAW, raw,
                    tput.get(RAW), SWITCHBOARD, sb, tput.get(SWITCHBOARD), sb / raw);
            System.out.printf("  peer: %s %.0f %s; ratio to %s %.2fx; Switchboard / peer %.2fx%n", REDISSON, rt, tput.get(REDISSON), RAW,
                    rt / raw, sb / rt);
        }
        if (!only.equals("throughput")) {
            Map<String, List<double[]>> lat = new LinkedHashMap<>();
            for (int r = 0; r < reps; r++) {
                // The second raw client, identical to the first, is the noise floor; the order alternates.
                List<String> order = r % 2 == 0 ? List.of(RAW, SWITCHBOARD, REDISSON, TWIN) : List.of(TWIN, REDISSON, SWITCHBOARD, RAW);
                for (String name : order) {
                    lat.computeIfAbsent(name, k -> new ArrayList<>()).add(name.equals(SWITCHBOARD) ? switchboardLatency()
                            : name.equals(REDISSON) ? redissonLatency() : rawLatency());
                }
            }
            double[] raw = medians(lat.get(RAW));
            double[] sb = medians(lat.get(SWITCHBOARD));
            double[] twin = medians(lat.get(TWIN));
            System.out.printf("Latency at %d msg/s, publish to handler, ms (median of %d, first 10%% of each trial dropped): %s p50 %.3f"
                    + " p99 %.3f; %s p50 %.3f p99 %.3f; ratio p50 %.2fx p99 %.2fx; noise floor (%s) p50 %.3f p99 %.3f, ratio p50 %.2fx"
                    + " p99 %.2fx%n", rate, reps, RAW, raw[0], raw[1], SWITCHBOARD, sb[0], sb[1], sb[0] / raw[0], sb[1] / raw[1], TWIN,
                    twin[0], twin[1], twin[0] / raw[0], twin[1] / raw[1]);
            double[] rt = medians(lat.get(REDISSON));
            System.out.printf("  peer: %s p50 %.3f p99 %.3f, ratio to %s p50 %.2fx p99 %.2fx%n", REDISSON, rt[0], rt[1], RAW, rt[0] / raw[0],
                    rt[1] / raw[1]);
        }
    }

    /** The share of a trial's wall time the JIT spent compiling (all compiler threads together). */
    private static double jitShare(Trial t) throws Exception {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        long before = jit.getTotalCompilationTime();
        long t0 = System.nanoTime();
        t.run();
        return (jit.getTotalCompilationTime() - before) / ((System.nanoTime() - t0) / 1e6);
    }

    /** A throughput trial. */
    private interface Trial {
        double run() throws Exception;
    }

    /**
     * Runs one throughput trial and prints its figures at once: the rate, the client process's and
     * the Redis server's CPU per delivered message (the server's includes whatever else it serves),
     * and the server's commands by calls and time per delivered message.
     */
    private double trial(String who, Trial t) throws Exception {
        Map<String, long[]> before;
        long serverBefore;
        try (Jedis j = new Jedis(host, port)) {
            before = commandStats(j);
            serverBefore = Measures.redisCpuMicros(j);
        }
        long cpuBefore = Measures.processCpuNanos();
        Map<String, Long> threadsBefore = threadCpu();
        long switchesBefore = Measures.contextSwitches();
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        long jitBefore = jit.getTotalCompilationTime();
        long t0 = System.nanoTime();
        double rate = t.run();
        double messages = rate * (System.nanoTime() - t0) / 1e9;
        long cpu = Measures.processCpuNanos() - cpuBefore;
        long jitMillis = jit.getTotalCompilationTime() - jitBefore;
        StringBuilder cmds = new StringBuilder();
        long serverCpu;
        try (Jedis j = new Jedis(host, port)) {
            serverCpu = Measures.redisCpuMicros(j) - serverBefore;
            for (Map.Entry<String, long[]> e : commandStats(j).entrySet()) {
                long[] b = before.getOrDefault(e.getKey(), new long[2]);
                long calls = e.getValue()[0] - b[0];
                long usec = e.getValue()[1] - b[1];
                if (calls > 0 && !e.getKey().equals("info")) {
                    cmds.append(String.format(" %s %d calls %.2f us/msg;", e.getKey(), calls, usec / messages));
                }
            }
        }
        StringBuilder threads = new StringBuilder();
        for (Map.Entry<String, Long> e : threadCpuAtEnd.entrySet()) {
            long used = e.getValue() - threadsBefore.getOrDefault(e.getKey(), 0L);
            if (used / 1e3 / messages >= 0.05) {
                threads.append(String.format(" %s %.2f;", e.getKey(), used / 1e3 / messages));
            }
        }
        System.out.printf("  trial %s: %.0f msg/s, client CPU %.2f us/msg, Redis CPU %.2f us/msg, context switches %.3f/msg, JIT compiling "
                + "%d ms in %.1f s; client CPU by thread, us/msg:%s server commands:%s%n", who, rate, cpu / 1e3 / messages, serverCpu / messages,
                (switchesAtEnd - switchesBefore) / messages, jitMillis, (System.nanoTime() - t0) / 1e9, threads, cmds);
        return rate;
    }

    /** CPU time of each live thread, by name with digits and the random stream suffix dropped (a pool's threads add up). */
    private static Map<String, Long> threadCpu() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        Map<String, Long> m = new java.util.TreeMap<>();
        for (long id : mx.getAllThreadIds()) {
            java.lang.management.ThreadInfo info = mx.getThreadInfo(id);
            long cpu = mx.getThreadCpuTime(id);
            if (info != null && cpu > 0) {
                String name = info.getThreadName().replaceAll("bench\\.streams\\..*", "").replaceAll("[0-9]+", "");
                m.merge(name, cpu, Long::sum);
            }
        }
        return m;
    }

    private void markEnd() {
        threadCpuAtEnd = threadCpu();
        switchesAtEnd = Measures.contextSwitches();
    }

    /** Calls and microseconds per command from {@code INFO commandstats}. */
    private static Map<String, long[]> commandStats(Jedis j) {
        Map<String, long[]> m = new LinkedHashMap<>();
        for (String line : j.info("commandstats").split("\r?\n")) {
            if (!line.startsWith("cmdstat_")) {
                continue;
            }
            String name = line.substring(8, line.indexOf(':'));
            long calls = 0;
            long usec = 0;
            for (String kv : line.substring(line.indexOf(':') + 1).split(",")) {
                if (kv.startsWith("calls=")) {
                    calls = Long.parseLong(kv.substring(6));
                } else if (kv.startsWith("usec=")) {
                    usec = Long.parseLong(kv.substring(5));
                }
            }
            m.put(name, new long[] {calls, usec});
        }
        return m;
    }

    private static double[] medians(List<double[]> trials) {
        List<Double> p50 = new ArrayList<>();
        List<Double> p99 = new ArrayList<>();
        for (double[] t : trials) {
            p50.add(t[0]);
            p99.add(t[1]);
        }
        return new double[] {median(p50), median(p99)};
    }

    private byte[] payload() {
        byte[] p = new byte[size];
        ByteBuffer.wrap(p).putLong(System.nanoTime());
        return p;
    }

    /** A consumer-group reader on its own connection and thread: counts, and records latencies when asked. */
    private final class RawReader implements AutoCloseable {
        final AtomicLong received = new AtomicLong();
        final AtomicBoolean stop = new AtomicBoolean();
        final long[] latencies;
        final Thread thread;

        RawReader(String stream, String group, long[] latencies) {
            this.latencies = latencies;
            this.thread = new Thread(() -> read(stream, group), "raw-reader");
            thread.start();
        }

        private void read(String stream, String group) {
            try (Jedis j = new Jedis(host, port)) {
                byte[][] args = {bytes("GROUP"), bytes(group), bytes("c1"), bytes("COUNT"), bytes(Integer.toString(batch)), bytes("BLOCK"),
                        bytes("100"), bytes("STREAMS"), bytes(stream), bytes(">")};
                while (!stop.get()) {
                    Object r = j.sendCommand(Protocol.Command.XREADGROUP, args);
                    if (!(r instanceof List)) {
                        continue;
                    }
                    long now = System.nanoTime();
                    List<byte[]> ack = new ArrayList<>();
                    ack.add(bytes(stream));
                    ack.add(bytes(group));
                    for (Object s : (List<?>) r) {
                        for (Object e : (List<?>) ((List<?>) s).get(1)) {
                            List<?> entry = (List<?>) e;
                            ack.add((byte[]) entry.get(0));
                            List<?> fields = (List<?>) entry.get(1);
                            long n = received.getAndIncrement();
                            if (latencies != null && n < latencies.length) {
                                latencies[(int) n] = now - ByteBuffer.wrap((byte[]) fields.get(1)).getLong();
                            }
                        }
                    }
                    Pipeline p = j.pipelined();
                    p.sendCommand(Protocol.Command.XACK, ack.toArray(new byte[0][]));
                    p.sync();
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join(2000);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String stream(String what) {
        return "bench.streams." + what + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private void createGroup(Jedis j, String stream, String group) {
        j.sendCommand(Protocol.Command.XGROUP, "CREATE", stream, group, "$", "MKSTREAM");
    }

    private double rawThroughput() throws Exception {
        String stream = stream("raw");
        try (Jedis j = new Jedis(host, port)) {
            createGroup(j, stream, "g");
            RawReader reader = new RawReader(stream, "g", null);
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long sent = 0;
            Pipeline p = j.pipelined();
            while (System.nanoTime() < end) {
                for (int i = 0; i < batch; i++) {
                    p.sendCommand(Protocol.Command.XADD, bytes(stream), bytes("MAXLEN"), bytes("~"), bytes("1000000"), bytes("*"), bytes("payload"),
                            payload());
                }
                p.sync();
                sent += batch;
            }
            long total = sent;
            waitFor(() -> reader.received.get() >= total, 30);
            double rate = reader.received.get() / ((System.nanoTime() - start) / 1e9);
            markEnd();
            reader.close();
            j.del(stream);
            return rate;
        }
    }

    private double switchboardThroughput() throws Exception {
        String channel = stream("sb");
        AtomicLong received = new AtomicLong();
        try (Switchboard sb = open()) {
            String name = "bench-" + UUID.randomUUID().toString().substring(0, 8);
            Subscription s = sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), d -> received.incrementAndGet());
            long start = System.nanoTime();
            long sent = publishWindowed(() -> sb.publisher().publish(channel, Message.ofBytes(payload())));
            long total = sent;
            waitFor(() -> received.get() >= total, 30);
            double rate = received.get() / ((System.nanoTime() - start) / 1e9);
            markEnd();
            s.close();
            sb.subscriber().deleteDurable(name);
            try (Jedis j = new Jedis(host, port)) {
                j.del(channel);
            }
            return rate;
        }
    }

    private Switchboard open() {
        return Switchboard.builder().property("switchboard.transport", "redis-streams").property("switchboard.redis-streams.uri", uri)
                .property("switchboard.subscriber.prefetch", "256").open();
    }

    /**
     * Publishes for {@link #seconds} without waiting, at most 4096 publishes unanswered (the same
     * bound for Switchboard and the peer); returns how many were published.
     */
    private long publishWindowed(java.util.function.Supplier<java.util.concurrent.CompletionStage<?>> publish) throws InterruptedException {
        Semaphore window = new Semaphore(4096);
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long sent = 0;
        while (System.nanoTime() < end) {
            window.acquire();
            publish.get().whenComplete((ok, e) -> window.release());
            sent++;
        }
        return sent;
    }

    private RedissonClient redisson;

    private RedissonClient redisson() {
        if (redisson == null) {
            Config c = new Config();
            c.setCodec(ByteArrayCodec.INSTANCE);
            c.useSingleServer().setAddress(uri);
            redisson = Redisson.create(c);
        }
        return redisson;
    }

    private double redissonThroughput() throws Exception {
        RReliableTopic topic = redisson().getReliableTopic(stream("redisson"));
        AtomicLong received = new AtomicLong();
        String listener = topic.addListener(byte[].class, (ch, m) -> received.incrementAndGet());
        try {
            long start = System.nanoTime();
            long sent = publishWindowed(() -> topic.publishAsync(payload()));
            long lastDelivery = Measures.untilQuiet(received, sent, PEER_QUIET_NANOS);
            double rate = received.get() / ((lastDelivery - start) / 1e9);
            markEnd();
            if (received.get() < sent) {
                System.out.printf("    (%s: %,d of %,d published messages arrived; the rest had not after 5 s without a delivery)%n",
                        REDISSON, received.get(), sent);
            }
            return rate;
        } finally {
            topic.removeListener(listener);
            topic.delete();
        }
    }

    /** How long the peer's trials wait after its last delivery (it is measured, not trusted: it stopped short in most trials). */
    private static final long PEER_QUIET_NANOS = TimeUnit.SECONDS.toNanos(5);

    private double[] redissonLatency() throws Exception {
        RReliableTopic topic = redisson().getReliableTopic(stream("redisson-lat"));
        int n = (int) (rate * latencySeconds);
        long[] lat = new long[n];
        AtomicLong received = new AtomicLong();
        String listener = topic.addListener(byte[].class, (ch, m) -> {
            long now = System.nanoTime();
            long i = received.getAndIncrement();
            if (i < n) {
                lat[(int) i] = now - ByteBuffer.wrap(m).getLong();
            }
        });
        long arrived;
        try {
            paced(n, () -> topic.publish(payload()));
            Measures.untilQuiet(received, n, PEER_QUIET_NANOS);
            arrived = Math.min(n, received.get());
        } finally {
            topic.removeListener(listener);
            topic.delete();
        }
        if (arrived < n) {
            System.out.printf("    (%s latency trial: %,d of %,d messages arrived)%n", REDISSON, arrived, n);
        }
        return percentiles(lat, (int) arrived);
    }

    private double[] rawLatency() throws Exception {
        String stream = stream("raw-lat");
        int n = (int) (rate * latencySeconds);
        long[] lat = new long[n];
        try (Jedis j = new Jedis(host, port)) {
            createGroup(j, stream, "g");
            RawReader reader = new RawReader(stream, "g", lat);
            paced(n, () -> j.sendCommand(Protocol.Command.XADD, bytes(stream), bytes("MAXLEN"), bytes("~"), bytes("1000000"), bytes("*"),
                    bytes("payload"), payload()));
            waitFor(() -> reader.received.get() >= n, 30);
            reader.close();
            j.del(stream);
        }
        return percentiles(lat, lat.length);
    }

    private double[] switchboardLatency() throws Exception {
        String channel = stream("sb-lat");
        int n = (int) (rate * latencySeconds);
        long[] lat = new long[n];
        AtomicLong received = new AtomicLong();
        try (Switchboard sb = open()) {
            String name = "bench-" + UUID.randomUUID().toString().substring(0, 8);
            Subscription s = sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), d -> {
                long now = System.nanoTime();
                long i = received.getAndIncrement();
                if (i < n) {
                    lat[(int) i] = now - ByteBuffer.wrap(d.message().payload()).getLong();
                }
            });
            paced(n, () -> sb.publisher().publish(channel, Message.ofBytes(payload())));
            waitFor(() -> received.get() >= n, 30);
            s.close();
            sb.subscriber().deleteDurable(name);
            try (Jedis j = new Jedis(host, port)) {
                j.del(channel);
            }
        }
        return percentiles(lat, lat.length);
    }

    /** Calls {@code send} n times at the configured rate, on a fixed schedule (no coordinated omission). */
    private void paced(int n, Runnable send) {
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long due = start + i * interval;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(Math.min(wait, 50_000));
            }
            send.run();
        }
    }

    /** p50 and p99 in ms of the first {@code n} latencies, without the first 10% (see {@link Measures#latencyPercentiles}). */
    private static double[] percentiles(long[] lat, int n) {
        long[] p = Measures.latencyPercentiles(lat, n);
        return p == null ? new double[] {Double.NaN, Double.NaN} : new double[] {p[0] / 1e6, p[1] / 1e6};
    }

    private static void waitFor(java.util.function.BooleanSupplier c, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!c.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        if (!c.getAsBoolean()) {
            throw new IllegalStateException("not every message arrived within " + seconds + " s");
        }
    }
}
