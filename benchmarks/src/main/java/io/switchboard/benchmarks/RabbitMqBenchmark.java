package io.switchboard.benchmarks;

import static io.switchboard.benchmarks.Measures.median;
import static io.switchboard.benchmarks.Measures.processCpuNanos;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.MessageProperties;
import io.switchboard.Message;
import io.switchboard.Subscription;
import io.switchboard.SubscriptionOptions;
import io.switchboard.Switchboard;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Raw amqp-client against Switchboard's rabbitmq transport doing the same work: publish to a fanout
 * exchange with publisher confirms (bounded window), consume with manual acks and the same
 * prefetch, persistent (durable queue, delivery mode 2) and transient (exclusive queue, delivery
 * mode 1). A third contender, raw+same-work, is raw amqp-client also doing the broker-side work
 * Switchboard's wire format and topology cost: the same properties (a message id and a timestamp;
 * Switchboard's default ids carry the millisecond, so it sends no header) and the channel exchange
 * bound to a topic exchange (for pattern subscriptions). Trials
 * alternate within one run; medians and ratios are printed, then p50/p99 end-to-end latency at a
 * fixed publish rate. {@code --breakdown} adds those costs one at a time instead. Run
 * {@code bin/bench rabbitmq --help}.
 */
public final class RabbitMqBenchmark {
    private String uri = "amqp://guest:guest@127.0.0.1:5672/%2F";
    private int messages = 50_000;
    private int reps = 3;
    private int size = 256;
    private int window = 1000;
    private int prefetch = 250;
    private int ackEvery = 50;
    private int rate = 5000;
    private int latencySeconds = 4;
    private List<String> modes = List.of("transient", "persistent");
    private boolean latency = true;
    private boolean breakdown;
    private final Map<String, Object> extra = new java.util.LinkedHashMap<>();

    private RabbitMqBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        RabbitMqBenchmark b = new RabbitMqBenchmark();
        if (!b.parse(args)) {
            return;
        }
        b.run();
    }

    private boolean parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                System.out.println("usage: bin/bench rabbitmq [options]\n"
                        + "  --uri URI             broker (default " + uri + ")\n"
                        + "  --messages N          messages per throughput trial (default " + messages + ")\n"
                        + "  --reps N              trials per client and mode, alternating raw and Switchboard (default " + reps + ")\n"
                        + "  --size BYTES          payload size (default " + size + ")\n"
                        + "  --window N            outstanding publisher confirms (default " + window + ")\n"
                        + "  --prefetch N          consumer prefetch (default " + prefetch + ")\n"
                        + "  --ack-every N         raw consumer acks with multiple=true every N messages (default " + ackEvery + ")\n"
                        + "  --modes LIST          transient,persistent (default both)\n"
                        + "  --rate N              msg/s of the latency trials (default " + rate + ")\n"
                        + "  --latency-seconds N   length of each latency trial (default " + latencySeconds + ")\n"
                        + "  --no-latency          skip the latency trials\n"
                        + "  --set KEY=VALUE       extra Switchboard setting, repeatable, e.g. --set switchboard.rabbitmq.pattern-subscriptions=false\n"
                        + "  --breakdown           instead: raw amqp-client throughput and broker CPU with each of Switchboard's\n"
                        + "                        properties and its topic-exchange binding added one at a time");
                return false;
            }
            if (a.equals("--no-latency")) {
                latency = false;
                continue;
            }
            if (a.equals("--breakdown")) {
                breakdown = true;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + a + " needs a value; see --help");
            }
            String v = args[++i];
            switch (a) {
                case "--uri" -> uri = v;
                case "--messages" -> messages = Integer.parseInt(v);
                case "--reps" -> reps = Integer.parseInt(v);
                case "--size" -> size = Integer.parseInt(v);
                case "--window" -> window = Integer.parseInt(v);
                case "--prefetch" -> prefetch = Integer.parseInt(v);
                case "--ack-every" -> ackEvery = Integer.parseInt(v);
                case "--modes" -> modes = Arrays.asList(v.split(","));
                case "--rate" -> rate = Integer.parseInt(v);
                case "--latency-seconds" -> latencySeconds = Integer.parseInt(v);
                case "--set" -> {
                    int eq = v.indexOf('=');
                    if (eq < 1) {
                        throw new IllegalArgumentException("--set needs KEY=VALUE, got '" + v + "'");
                    }
                    extra.put(v.substring(0, eq), v.substring(eq + 1));
                }
                default -> throw new IllegalArgumentException("unknown option " + a + "; see --help");
            }
        }
        return true;
    }

    /** One side of the comparison: sets up, runs a throughput trial or a paced latency trial, tears down. */
    private interface Client extends AutoCloseable {
        /** Publishes n messages as fast as the window allows; returns when all are consumed and confirmed. */
        double throughput(int n) throws Exception;

        /** Publishes at a fixed rate; returns latencies in microseconds of the messages after warm-up. */
        long[] latency(int perSecond, int seconds) throws Exception;
    }

    private void run() throws Exception {
        if (breakdown) {
            breakdown();
            return;
        }
        System.out.printf("RabbitMQ benchmark: %d messages of %d B per trial, confirm window %d, prefetch %d, raw acks every %d, %d reps%s%n",
                messages, size, window, prefetch, ackEvery, reps, extra.isEmpty() ? "" : "; Switchboard " + extra);
        Map<String, List<Double>> results = new HashMap<>();
        for (String mode : modes) {
            boolean persistent = mode.equals("persistent");
            try (Client raw = new Raw(persistent, Extra.NONE, false); Client rawProps = new Raw(persistent, Extra.ID_TIMESTAMP, true);
                    Client sb = new Sb(persistent)) {
                raw.throughput(Math.max(1000, messages / 10));
                rawProps.throughput(Math.max(1000, messages / 10));
                sb.throughput(Math.max(1000, messages / 10));
                for (int r = 0; r < reps; r++) {
                    Client[] order = r % 2 == 0 ? new Client[] {raw, sb, rawProps} : new Client[] {rawProps, sb, raw};
                    for (Client c : order) {
                        long clientCpu = processCpuNanos();
                        long brokerCpu = brokerCpuNanos();
                        double rps = c.throughput(messages);
                        double clientPerMsg = (processCpuNanos() - clientCpu) / 1000.0 / messages;
                        long brokerUsed = brokerCpuNanos() - brokerCpu;
                        String key = mode + "/" + (c == raw ? "raw" : c == rawProps ? "raw+same-work" : "switchboard");
                        results.computeIfAbsent(key, k -> new ArrayList<>()).add(rps);
                        System.out.printf("  %-24s trial %d: %,10.0f msg/s  (CPU per message: client %.1f us, broker %s)%n", key, r + 1, rps,
                                clientPerMsg, brokerCpu < 0 ? "unknown" : String.format("%.1f us", brokerUsed / 1000.0 / messages));
                    }
                }
                double rawMedian = median(results.get(mode + "/raw"));
                double sbMedian = median(results.get(mode + "/switchboard"));
                double rawPropsMedian = median(results.get(mode + "/raw+same-work"));
                System.out.printf("%s throughput: raw %,.0f msg/s, switchboard %,.0f msg/s, ratio %.2f (medians)%n", mode, rawMedian,
                        sbMedian, sbMedian / rawMedian);
                System.out.printf("%s throughput: raw+same-work %,.0f msg/s, switchboard %,.0f msg/s, ratio %.2f (medians)%n", mode,
                        rawPropsMedian, sbMedian, sbMedian / rawPropsMedian);
                if (latency) {
                    latency(mode, persistent, raw, rawProps, sb);
                }
            }
        }
    }

    /**
     * Latency trials of raw, raw+same-work and Switchboard, plus a second raw client identical to
     * the first: the spread between two identical clients is this machine's noise floor, against
     * which the ratios should be read.
     */
    private void latency(String mode, boolean persistent, Client raw, Client rawProps, Client sb) throws Exception {
        try (Client rawTwin = new Raw(persistent, Extra.NONE, false)) {
            rawTwin.throughput(Math.max(1000, messages / 10));
            List<long[]> rawLat = new ArrayList<>();
            List<long[]> twinLat = new ArrayList<>();
            List<long[]> propsLat = new ArrayList<>();
            List<long[]> sbLat = new ArrayList<>();
            for (int r = 0; r < Math.max(1, reps / 2 + 1); r++) {
                Client[] order = r % 2 == 0 ? new Client[] {raw, sb, rawTwin, rawProps} : new Client[] {rawProps, rawTwin, sb, raw};
                for (Client c : order) {
                    (c == raw ? rawLat : c == rawTwin ? twinLat : c == rawProps ? propsLat : sbLat).add(c.latency(rate, latencySeconds));
                }
            }
            long[] rl = merge(rawLat);
            long[] tl = merge(twinLat);
            long[] pl = merge(propsLat);
            long[] sl = merge(sbLat);
            printLatency(mode, "raw", rl, "identical second raw client", tl, " (noise floor)");
            printLatency(mode, "raw", rl, "switchboard", sl, "");
            printLatency(mode, "raw+same-work", pl, "switchboard", sl, "");
        }
    }

    /** Prints p50/p99 of a reference and a contender (sorted latencies, us) and their ratios. */
    private void printLatency(String mode, String refName, long[] ref, String name, long[] lat, String note) {
        System.out.printf("%s latency at %,d msg/s: %s p50 %,d us p99 %,d us; %s p50 %,d us p99 %,d us; ratio p50 %.2f p99 %.2f%s%n",
                mode, rate, refName, pct(ref, 50), pct(ref, 99), name, pct(lat, 50), pct(lat, 99),
                (double) pct(lat, 50) / Math.max(1, pct(ref, 50)), (double) pct(lat, 99) / Math.max(1, pct(ref, 99)), note);
    }

    private static long[] merge(List<long[]> parts) {
        long[] all = parts.stream().flatMapToLong(Arrays::stream).toArray();
        Arrays.sort(all);
        return all;
    }

    private static long pct(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    /**
     * CPU time used so far by every local RabbitMQ node (processes named beam.smp, user plus
     * system, from /proc), in nanoseconds; -1 where that cannot be read (not Linux, remote broker).
     */
    private static long brokerCpuNanos() {
        long ticks = 0;
        boolean found = false;
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                try {
                    if (!Files.readString(proc.resolve("comm")).trim().equals("beam.smp")) {
                        continue;
                    }
                    String stat = Files.readString(proc.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    found = true;
                } catch (IOException | RuntimeException gone) {
                    // the process ended while being read
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return found ? ticks * (1_000_000_000L / 100) : -1;
    }

    private byte[] payload(long sentNanos) {
        byte[] b = new byte[size];
        ByteBuffer.wrap(b).putLong(0, sentNanos);
        return b;
    }

    /** Paces publishes at {@code perSecond}, parking between them. */
    private static void pace(long start, int i, int perSecond) {
        long due = start + (long) i * 1_000_000_000L / perSecond;
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
        }
    }

    /** What raw amqp-client adds to amqp-client's BASIC properties, towards what Switchboard sends. */
    private enum Extra {
        NONE, ID, ID_TIMESTAMP, HEADER, ALL
    }

    /**
     * Raw amqp-client throughput and broker CPU per message as Switchboard's properties and its
     * exchange-to-topic binding are added one at a time: what the broker pays for the wire format.
     */
    private void breakdown() throws Exception {
        String bareName = "bare (BASIC properties)";
        System.out.printf("RabbitMQ breakdown: raw amqp-client, %d messages of %d B per trial, confirm window %d, prefetch %d, acks every %d,"
                + " %d reps, order reversed every rep%n", messages, size, window, prefetch, ackEvery, reps);
        for (String mode : modes) {
            boolean persistent = mode.equals("persistent");
            Map<String, Client> variants = new java.util.LinkedHashMap<>();
            try {
                variants.put(bareName, new Raw(persistent, Extra.NONE, false));
                variants.put("+ message id", new Raw(persistent, Extra.ID, false));
                variants.put("+ id, timestamp", new Raw(persistent, Extra.ID_TIMESTAMP, false));
                variants.put("+ header only", new Raw(persistent, Extra.HEADER, false));
                variants.put("+ id, timestamp, header", new Raw(persistent, Extra.ALL, false));
                variants.put("+ topic binding only", new Raw(persistent, Extra.NONE, true));
                variants.put("+ id, timestamp, binding", new Raw(persistent, Extra.ID_TIMESTAMP, true));
                variants.put("+ all four", new Raw(persistent, Extra.ALL, true));
                Map<String, List<Double>> rate = new HashMap<>();
                Map<String, List<Double>> broker = new HashMap<>();
                List<String> order = new ArrayList<>(variants.keySet());
                for (Client c : variants.values()) {
                    c.throughput(Math.max(1000, messages / 10));
                }
                for (int r = 0; r < reps; r++) {
                    java.util.Collections.reverse(order);
                    for (String name : order) {
                        long brokerCpu = brokerCpuNanos();
                        rate.computeIfAbsent(name, k -> new ArrayList<>()).add(variants.get(name).throughput(messages));
                        broker.computeIfAbsent(name, k -> new ArrayList<>()).add((brokerCpuNanos() - brokerCpu) / 1000.0 / messages);
                    }
                }
                double bare = median(rate.get(bareName));
                for (String name : variants.keySet()) {
                    double m = median(rate.get(name));
                    System.out.printf("%s %-28s %,8.0f msg/s  %.2fx bare  broker CPU %5.1f us/msg  (trials: %s)%n", mode, name, m, m / bare,
                            median(broker.get(name)), rate.get(name).stream().map(v -> String.format("%,.0f", v)).toList());
                }
            } finally {
                for (Client c : variants.values()) {
                    c.close();
                }
            }
        }
    }

    /** Raw amqp-client: one connection, a confirm channel guarded by the publishing thread, a consumer channel. */
    private final class Raw implements Client {
        private final boolean persistent;
        private final Extra extra;
        private final boolean topicBinding;
        private final Connection conn;
        private final Channel pub;
        private final Channel sub;
        private final String exchange = "bench.raw." + UUID.randomUUID();
        private final String queue;
        private final Semaphore permits = new Semaphore(window);
        private final java.util.concurrent.ConcurrentSkipListSet<Long> outstanding = new java.util.concurrent.ConcurrentSkipListSet<>();
        private volatile Sink sink;

        /**
         * @param extra what each message carries beyond the delivery mode and content type of
         *     amqp-client's BASIC properties; {@link Extra#ID_TIMESTAMP} is what Switchboard's carry
         *     with default ids and no user headers, {@link Extra#ALL} adds the millisecond header
         *     sent when the id does not carry the time
         * @param topicBinding whether the fan-out exchange is also bound to a topic exchange, as
         *     Switchboard binds every channel's exchange for pattern subscriptions
         */
        Raw(boolean persistent, Extra extra, boolean topicBinding) throws Exception {
            this.persistent = persistent;
            this.extra = extra;
            this.topicBinding = topicBinding;
            ConnectionFactory f = new ConnectionFactory();
            f.setUri(uri);
            f.setAutomaticRecoveryEnabled(false);
            conn = f.newConnection("bench-raw");
            pub = conn.createChannel();
            pub.confirmSelect();
            pub.addConfirmListener(new ConfirmListener() {
                @Override
                public void handleAck(long seq, boolean multiple) {
                    settle(seq, multiple);
                }

                @Override
                public void handleNack(long seq, boolean multiple) {
                    settle(seq, multiple);
                }
            });
            sub = conn.createChannel();
            sub.exchangeDeclare(exchange, BuiltinExchangeType.FANOUT, persistent, true, null);
            if (topicBinding) {
                sub.exchangeDeclare(exchange + ".topic", BuiltinExchangeType.TOPIC, false, true, null);
                sub.exchangeBind(exchange + ".topic", exchange, "");
            }
            queue = persistent ? sub.queueDeclare("bench.raw.q." + UUID.randomUUID(), true, false, true, null).getQueue()
                    : sub.queueDeclare().getQueue();
            sub.queueBind(queue, exchange, "");
            sub.basicQos(prefetch);
            sub.basicConsume(queue, false, new DefaultConsumer(sub) {
                private int unacked;

                @Override
                public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) throws java.io.IOException {
                    Sink s = sink;
                    if (s != null) {
                        s.accept(body);
                    }
                    if (++unacked >= ackEvery) {
                        unacked = 0;
                        sub.basicAck(env.getDeliveryTag(), true);
                    } else if (s != null && s.remaining() == 0) {
                        unacked = 0;
                        sub.basicAck(env.getDeliveryTag(), true);
                    }
                }
            });
        }

        private void settle(long seq, boolean multiple) {
            if (multiple) {
                var head = outstanding.headSet(seq, true);
                int n = head.size();
                head.clear();
                permits.release(n);
            } else if (outstanding.remove(seq)) {
                permits.release();
            }
        }

        private void publish(byte[] body) throws Exception {
            permits.acquire();
            outstanding.add(pub.getNextPublishSeqNo());
            AMQP.BasicProperties props = persistent ? MessageProperties.PERSISTENT_BASIC : MessageProperties.BASIC;
            if (extra != Extra.NONE) {
                long now = System.currentTimeMillis();
                AMQP.BasicProperties.Builder b = props.builder();
                if (extra != Extra.HEADER) {
                    b.messageId(UUID.randomUUID().toString());
                }
                if (extra == Extra.ID_TIMESTAMP || extra == Extra.ALL) {
                    b.timestamp(new java.util.Date(now));
                }
                if (extra == Extra.HEADER || extra == Extra.ALL) {
                    b.headers(Map.of("sb-timestamp", now));
                }
                props = b.build();
            }
            pub.basicPublish(exchange, "bench", false, props, body);
        }

        @Override
        public double throughput(int n) throws Exception {
            Sink s = new Sink(n, false);
            sink = s;
            long start = System.nanoTime();
            byte[] body = payload(0);
            for (int i = 0; i < n; i++) {
                publish(body);
            }
            s.await();
            permits.acquire(window);
            permits.release(window);
            return n / ((System.nanoTime() - start) / 1e9);
        }

        @Override
        public long[] latency(int perSecond, int seconds) throws Exception {
            int n = perSecond * seconds;
            Sink s = new Sink(n, true);
            sink = s;
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                pace(start, i, perSecond);
                publish(payload(System.nanoTime()));
            }
            s.await();
            return s.latencies(n / 10);
        }

        @Override
        public void close() throws Exception {
            if (topicBinding) {
                sub.exchangeDelete(exchange + ".topic");
            }
            conn.close();
        }
    }

    /** Switchboard on the rabbitmq transport with the same window, prefetch and persistence. */
    private final class Sb implements Client {
        private final Switchboard sb;
        private final String channel = "bench.sb." + UUID.randomUUID().toString().substring(0, 8);
        private final Subscription subscription;
        private final String durable;
        private volatile Sink sink;

        Sb(boolean persistent) {
            Map<String, Object> p = new HashMap<>();
            p.put("switchboard.transport", "rabbitmq");
            p.put("switchboard.rabbitmq.uri", uri);
            p.put("switchboard.rabbitmq.prefix", "bench");
            p.put("switchboard.rabbitmq.confirm-window", window);
            p.put("switchboard.rabbitmq.persistent", persistent);
            p.put("switchboard.subscriber.prefetch", prefetch);
            p.putAll(extra);
            sb = Switchboard.open(p);
            SubscriptionOptions opts = SubscriptionOptions.defaults();
            durable = persistent ? "bench-" + UUID.randomUUID().toString().substring(0, 8) : null;
            if (durable != null) {
                opts = opts.durable(durable);
            }
            subscription = sb.subscriber().subscribe(channel, opts, d -> {
                Sink s = sink;
                if (s != null) {
                    s.accept(d.message().payload());
                }
            });
        }

        @Override
        public double throughput(int n) throws Exception {
            Sink s = new Sink(n, false);
            sink = s;
            AtomicInteger confirmed = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long start = System.nanoTime();
            Message m = Message.ofBytes(payload(0));
            for (int i = 0; i < n; i++) {
                sb.publisher().publish(channel, m).whenComplete((ok, e) -> {
                    if (e != null) {
                        failure.set(e);
                    }
                    confirmed.incrementAndGet();
                });
            }
            s.await();
            while (confirmed.get() < n) {
                Thread.onSpinWait();
            }
            if (failure.get() != null) {
                throw new IllegalStateException("a publish failed", failure.get());
            }
            return n / ((System.nanoTime() - start) / 1e9);
        }

        @Override
        public long[] latency(int perSecond, int seconds) throws Exception {
            int n = perSecond * seconds;
            Sink s = new Sink(n, true);
            sink = s;
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                pace(start, i, perSecond);
                sb.publisher().publish(channel, Message.ofBytes(payload(System.nanoTime())));
            }
            s.await();
            return s.latencies(n / 10);
        }

        @Override
        public void close() {
            subscription.close();
            if (durable != null) {
                sb.subscriber().deleteDurable(durable);
            }
            try (Channel ch = sb.unwrap(Connection.class).createChannel()) {
                ch.exchangeDelete("bench.ch." + channel);
            } catch (Exception e) {
                System.err.println("could not delete the benchmark's exchange: " + e);
            }
            sb.close();
        }
    }

    /** Counts deliveries of one trial and, for latency trials, records send-to-handler times. */
    private static final class Sink {
        private final CountDownLatch done;
        private final long[] latencies;
        private final AtomicInteger next = new AtomicInteger();

        Sink(int n, boolean measure) {
            this.done = new CountDownLatch(n);
            this.latencies = measure ? new long[n] : null;
        }

        void accept(byte[] body) {
            if (latencies != null) {
                int i = next.getAndIncrement();
                if (i < latencies.length) {
                    latencies[i] = (System.nanoTime() - ByteBuffer.wrap(body).getLong(0)) / 1000;
                }
            }
            done.countDown();
        }

        long remaining() {
            return done.getCount();
        }

        void await() throws InterruptedException {
            if (!done.await(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("trial did not complete: " + done.getCount() + " messages missing");
            }
        }

        long[] latencies(int skip) {
            return Arrays.copyOfRange(latencies, Math.min(skip, latencies.length), latencies.length);
        }
    }
}
