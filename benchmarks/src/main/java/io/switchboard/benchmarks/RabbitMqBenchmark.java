package io.switchboard.benchmarks;

import static io.switchboard.benchmarks.Measures.median;
import static io.switchboard.benchmarks.Measures.processCpuNanos;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
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
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListSet;
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
 * mode 1).
 *
 * <p>The reference is amqp-client used as RabbitMQ recommends: publisher and consumer on separate
 * connections (a connection that publishes too fast is blocked by flow control, and with it
 * anything else it carries), the same confirm window and prefetch, consumer acks batched with
 * {@code multiple=true}. Extra rows: the same client on one connection (the shape Switchboard had),
 * raw+same-work (also sending Switchboard's message id and timestamp and binding its exchange to a
 * topic exchange as Switchboard does), Switchboard with publisher and subscriber in one instance
 * and in two. Latency trials add a second raw client identical to the first: its ratio to the
 * first is the machine's noise floor. The fan-out scenario publishes once to N subscribing
 * instances (each its own queue on the channel's exchange, as Switchboard does) and compares the
 * delivered total. {@code --breakdown} instead adds Switchboard's properties and binding one at a
 * time. Trials alternate within one run; medians and ratios are printed. Run
 * {@code bin/bench rabbitmq --help}.
 */
public final class RabbitMqBenchmark {
    private static final String RAW = "raw best practice";
    private static final String RAW_ONE = "raw one connection";
    private static final String RAW_SAME_WORK = "raw+same-work";
    private static final String SB_ONE = "Switchboard one instance";
    private static final String SB_TWO = "Switchboard two instances";
    private static final String TWIN = "identical second raw client";
    private static final Map<String, String> CONTENDER_KEYS = Map.of("raw", RAW, "raw-one-connection", RAW_ONE,
            "raw-same-work", RAW_SAME_WORK, "sb-one", SB_ONE, "sb-two", SB_TWO);

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
    private List<String> contenders = List.of(RAW, RAW_ONE, RAW_SAME_WORK, SB_ONE, SB_TWO);
    private List<Integer> fanouts = List.of(4, 16);
    private int fanoutMessages = 10_000;
    private boolean latency = true;
    private boolean breakdown;
    private final Map<String, Object> extra = new LinkedHashMap<>();

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
                        + "  --uri URI             broker (default amqp://guest:****@127.0.0.1:5672/%2F)\n"
                        + "  --messages N          messages per throughput trial (default " + messages + ")\n"
                        + "  --reps N              trials per contender and mode, order alternating (default " + reps + ")\n"
                        + "  --size BYTES          payload size (default " + size + ")\n"
                        + "  --window N            outstanding publisher confirms (default " + window + ")\n"
                        + "  --prefetch N          consumer prefetch (default " + prefetch + ")\n"
                        + "  --ack-every N         raw consumers ack with multiple=true every N messages (default " + ackEvery + ")\n"
                        + "  --modes LIST          transient,persistent (default both)\n"
                        + "  --contenders LIST     throughput and latency contenders, default raw,raw-one-connection,raw-same-work,sb-one,sb-two\n"
                        + "  --fanout LIST         subscribing instances of the fan-out scenario (transient), default 4,16; 'none' skips it\n"
                        + "  --fanout-messages N   messages published per fan-out trial (default " + fanoutMessages + ")\n"
                        + "  --rate N              msg/s of the latency trials (default " + rate + ")\n"
                        + "  --latency-seconds N   length of each latency trial (default " + latencySeconds + ")\n"
                        + "  --no-latency          skip the latency trials\n"
                        + "  --set KEY=VALUE       extra Switchboard setting, repeatable, e.g. --set switchboard.rabbitmq.pattern-subscriptions=false\n"
                        + "  --breakdown           instead: raw amqp-client throughput and broker CPU with each of Switchboard's\n"
                        + "                        properties and its topic-exchange binding added one at a time\n"
                        + "Prints each reference's settings first. Defaults take about 7 minutes on 2 cores.");
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
                case "--contenders" -> contenders = Arrays.stream(v.split(",")).map(c -> {
                    String name = CONTENDER_KEYS.get(c);
                    if (name == null) {
                        throw new IllegalArgumentException("--contenders: unknown contender '" + c + "'; choose from "
                                + "raw, raw-one-connection, raw-same-work, sb-one, sb-two");
                    }
                    return name;
                }).toList();
                case "--fanout" -> fanouts = v.equals("none") ? List.of() : Arrays.stream(v.split(",")).map(Integer::parseInt).toList();
                case "--fanout-messages" -> fanoutMessages = Integer.parseInt(v);
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
        /**
         * Publishes n messages as fast as the window allows; returns when every subscriber consumed
         * them all and every confirm arrived.
         *
         * @return messages delivered (n times the subscribers) per second
         */
        double throughput(int n) throws Exception;

        /** Messages each publish delivers: the number of subscribers. */
        default int subscribers() {
            return 1;
        }

        /** Publishes at a fixed rate; returns latencies in microseconds of the messages after warm-up. */
        long[] latency(int perSecond, int seconds) throws Exception;
    }

    private void printReferences() {
        System.out.println(String.join("\n",
                "References and their settings (amqp-client " + Measures.version(Connection.class, "com.rabbitmq", "amqp-client") + "):",
                "  " + RAW + ": one connection for the publisher and one for the consumer (RabbitMQ's advice: flow control blocks a"
                        + " publishing connection, and with it whatever shares it; Spring AMQP's default since 2.0.2); publisher: one"
                        + " channel in confirm mode, at most " + window + " unconfirmed (asynchronous ConfirmListener, multiple"
                        + " confirms settle a range); consumer: one channel, basicQos(" + prefetch + "), manual ack with multiple=true"
                        + " every " + ackEvery + " messages; BASIC properties (PERSISTENT_BASIC when persistent); fanout exchange, one"
                        + " queue (exclusive server-named when transient, durable when persistent); automatic recovery off",
                "  " + RAW_ONE + ": the same, publisher and consumer channels on one connection",
                "  " + RAW_SAME_WORK + ": " + RAW + " also sending a message id and timestamp, with its exchange bound to a topic"
                        + " exchange, as Switchboard does",
                "  " + SB_ONE + ": one Switchboard instance publishing and subscribing; confirm-window " + window + ", subscriber.prefetch "
                        + prefetch + ", persistent per mode" + (extra.isEmpty() ? "" : ", " + extra) + "; a new Message.ofBytes per publish,"
                        + " the handler reads payload()",
                "  " + SB_TWO + ": the same settings, publisher in one instance, subscriber in another",
                "  " + TWIN + " (latency only): a second " + RAW + " client, the noise floor",
                "  fan-out (transient): one publisher, N subscribing instances; raw: a publisher connection and N consumer"
                        + " connections, each with its own exclusive queue bound to one fanout exchange that is bound to a topic"
                        + " exchange (Switchboard's topology), settings as " + RAW + "; Switchboard: one publishing instance and N"
                        + " subscribing instances",
                "Quantities: msg/s = messages delivered to handlers (for fan-out: N per publish) per second, from the first publish"
                        + " until every message is consumed and confirmed; client CPU is this JVM's per delivered message; broker CPU"
                        + " is every local beam.smp's."));
    }

    private void run() throws Exception {
        if (breakdown) {
            breakdown();
            return;
        }
        System.out.printf("RabbitMQ benchmark: %d messages of %d B per trial, %d reps, modes %s%n", messages, size, reps, modes);
        printReferences();
        for (String mode : modes) {
            boolean persistent = mode.equals("persistent");
            Map<String, Client> clients = new LinkedHashMap<>();
            try {
                for (String c : contenders) {
                    clients.put(c, create(c, persistent));
                }
                throughput(mode, clients);
                if (latency) {
                    latency(mode, persistent, clients);
                }
            } finally {
                closeAll(clients.values());
            }
        }
        if (!fanouts.isEmpty()) {
            fanout();
        }
    }

    private Client create(String contender, boolean persistent) throws Exception {
        return switch (contender) {
            case RAW -> new Raw(persistent, Extra.NONE, false, true, 1);
            case RAW_ONE -> new Raw(persistent, Extra.NONE, false, false, 1);
            case RAW_SAME_WORK -> new Raw(persistent, Extra.ID_TIMESTAMP, true, true, 1);
            case SB_ONE -> new Sb(persistent, false, 1);
            case SB_TWO -> new Sb(persistent, true, 1);
            default -> throw new IllegalArgumentException(contender);
        };
    }

    private static void closeAll(Iterable<Client> clients) throws Exception {
        for (Client c : clients) {
            c.close();
        }
    }

    /** Alternating throughput trials of the clients; prints each, the medians and the ratios to the first raw reference. */
    private Map<String, Double> trials(String label, Map<String, Client> clients, int n) throws Exception {
        Map<String, List<Double>> rates = new LinkedHashMap<>();
        Map<String, List<Double>> cpu = new LinkedHashMap<>();
        for (Map.Entry<String, Client> c : clients.entrySet()) {
            // An untimed trial of the full size: with a tenth of it the JIT was still compiling
            // through the first timed trial of every contender (half the rate, twice the CPU).
            c.getValue().throughput(n);
            rates.put(c.getKey(), new ArrayList<>());
            cpu.put(c.getKey(), new ArrayList<>());
        }
        List<String> order = new ArrayList<>(clients.keySet());
        for (int r = 0; r < reps; r++) {
            for (String name : order) {
                Client c = clients.get(name);
                long clientCpu = processCpuNanos();
                long brokerCpu = brokerCpuNanos();
                double rps = c.throughput(n);
                long delivered = (long) n * c.subscribers();
                double clientPerMsg = (processCpuNanos() - clientCpu) / 1000.0 / delivered;
                long brokerUsed = brokerCpuNanos() - brokerCpu;
                rates.get(name).add(rps);
                cpu.get(name).add(clientPerMsg);
                System.out.printf("  %-12s %-28s trial %d: %,10.0f msg/s  (CPU per delivered message: client %.1f us, broker %s)%n", label,
                        name, r + 1, rps, clientPerMsg, brokerCpu < 0 ? "unknown" : String.format("%.1f us", brokerUsed / 1000.0 / delivered));
            }
            Collections.reverse(order);
        }
        Map<String, Double> medians = new LinkedHashMap<>();
        String ref = clients.keySet().iterator().next();
        double refRate = median(rates.get(ref));
        double refCpu = median(cpu.get(ref));
        System.out.printf("  %s medians, ratio to %s:%n", label, ref);
        for (String name : clients.keySet()) {
            double m = median(rates.get(name));
            double c = median(cpu.get(name));
            medians.put(name, m);
            System.out.printf("    %-28s %,10.0f msg/s  %.2fx   client CPU %.1f us/msg  %.2fx%n", name, m, m / refRate, c, c / refCpu);
        }
        medians.put("cpu:" + ref, refCpu);
        for (String name : clients.keySet()) {
            medians.put("cpu:" + name, median(cpu.get(name)));
        }
        return medians;
    }

    private void throughput(String mode, Map<String, Client> clients) throws Exception {
        System.out.printf("%n%s throughput, %d messages per trial%n", mode, messages);
        Map<String, Double> m = trials(mode, clients, messages);
        if (m.containsKey(RAW) && m.containsKey(SB_ONE)) {
            double rate = m.get(SB_ONE) / m.get(RAW);
            double cpu = m.get("cpu:" + SB_ONE) / m.get("cpu:" + RAW);
            System.out.printf("  %s: %s / %s throughput %.2fx %s, client CPU per message %.2fx %s%n", mode, SB_ONE, RAW, rate,
                    Measures.atLeast(rate, 0.9), cpu, Measures.atMost(cpu, 1.2));
        }
        if (m.containsKey(RAW) && m.containsKey(SB_TWO)) {
            System.out.printf("  %s: %s / %s throughput %.2fx%n", mode, SB_TWO, RAW, m.get(SB_TWO) / m.get(RAW));
        }
    }

    /**
     * Latency trials of every contender plus a second raw best-practice client identical to the
     * first: the spread between two identical clients is this machine's noise floor, against which
     * the ratios should be read.
     */
    private void latency(String mode, boolean persistent, Map<String, Client> clients) throws Exception {
        Map<String, Client> all = new LinkedHashMap<>(clients);
        boolean withTwin = clients.containsKey(RAW);
        if (withTwin) {
            all.put(TWIN, new Raw(persistent, Extra.NONE, false, true, 1));
            all.get(TWIN).throughput(Math.max(1000, messages / 10));
        }
        try {
            Map<String, List<long[]>> lat = new LinkedHashMap<>();
            Map<String, List<Double>> cpu = new LinkedHashMap<>();
            all.keySet().forEach(k -> {
                lat.put(k, new ArrayList<>());
                cpu.put(k, new ArrayList<>());
            });
            List<String> order = new ArrayList<>(all.keySet());
            for (int r = 0; r < Math.max(1, reps / 2 + 1); r++) {
                for (String name : order) {
                    long clientCpu = processCpuNanos();
                    lat.get(name).add(all.get(name).latency(rate, latencySeconds));
                    // at a fixed rate, unlike at saturation, no contender gains from bigger batches
                    cpu.get(name).add((processCpuNanos() - clientCpu) / 1000.0 / ((long) rate * latencySeconds * all.get(name).subscribers()));
                }
                Collections.reverse(order);
            }
            Map<String, long[]> merged = new LinkedHashMap<>();
            lat.forEach((k, v) -> merged.put(k, merge(v)));
            String ref = all.keySet().iterator().next();
            long[] rl = merged.get(ref);
            System.out.printf("%n%s latency at %,d msg/s (%d s trials, first 10%% dropped), ratio to %s:%n", mode, rate, latencySeconds, ref);
            for (Map.Entry<String, long[]> e : merged.entrySet()) {
                long[] l = e.getValue();
                double p50 = (double) pct(l, 50) / Math.max(1, pct(rl, 50));
                double p99 = (double) pct(l, 99) / Math.max(1, pct(rl, 99));
                String note = e.getKey().equals(TWIN) ? "  (noise floor)"
                        : e.getKey().equals(SB_ONE) && ref.equals(RAW) ? "  " + Measures.atMost(Math.max(p50, p99), 1.2) : "";
                System.out.printf("    %-28s p50 %,7d us  p99 %,8d us   p50 %.2fx  p99 %.2fx  client CPU %.1f us/msg %.2fx%s%n", e.getKey(),
                        pct(l, 50), pct(l, 99), p50, p99, median(cpu.get(e.getKey())),
                        median(cpu.get(e.getKey())) / median(cpu.get(ref)), note);
            }
        } finally {
            if (withTwin) {
                all.get(TWIN).close();
            }
        }
    }

    private void fanout() throws Exception {
        for (int n : fanouts) {
            System.out.printf("%nFan-out, transient: one publisher, %d subscribing instances, %d messages published per trial%n", n,
                    fanoutMessages);
            Map<String, Client> clients = new LinkedHashMap<>();
            try {
                clients.put("raw, same topology", new Raw(false, Extra.NONE, true, true, n));
                clients.put("Switchboard", new Sb(false, true, n));
                Map<String, Double> m = trials("fan-out " + n, clients, fanoutMessages);
                double ratio = m.get("Switchboard") / m.get("raw, same topology");
                System.out.printf("  fan-out to %d: Switchboard / raw delivered total %.2fx %s%n", n, ratio, Measures.atLeast(ratio, 0.9));
            } finally {
                closeAll(clients.values());
            }
        }
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
    static long brokerCpuNanos() {
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
        System.out.printf("RabbitMQ breakdown: raw amqp-client (publisher and consumer on separate connections), %d messages of %d B"
                + " per trial, confirm window %d, prefetch %d, acks every %d, %d reps, order reversed every rep%n", messages, size,
                window, prefetch, ackEvery, reps);
        for (String mode : modes) {
            boolean persistent = mode.equals("persistent");
            Map<String, Client> variants = new LinkedHashMap<>();
            try {
                variants.put(bareName, new Raw(persistent, Extra.NONE, false, true, 1));
                variants.put("+ message id", new Raw(persistent, Extra.ID, false, true, 1));
                variants.put("+ id, timestamp", new Raw(persistent, Extra.ID_TIMESTAMP, false, true, 1));
                variants.put("+ header only", new Raw(persistent, Extra.HEADER, false, true, 1));
                variants.put("+ id, timestamp, header", new Raw(persistent, Extra.ALL, false, true, 1));
                variants.put("+ topic binding only", new Raw(persistent, Extra.NONE, true, true, 1));
                variants.put("+ id, timestamp, binding", new Raw(persistent, Extra.ID_TIMESTAMP, true, true, 1));
                variants.put("+ all four", new Raw(persistent, Extra.ALL, true, true, 1));
                Map<String, List<Double>> rates = new HashMap<>();
                Map<String, List<Double>> broker = new HashMap<>();
                List<String> order = new ArrayList<>(variants.keySet());
                for (Client c : variants.values()) {
                    c.throughput(Math.max(1000, messages / 10));
                }
                for (int r = 0; r < reps; r++) {
                    Collections.reverse(order);
                    for (String name : order) {
                        long brokerCpu = brokerCpuNanos();
                        rates.computeIfAbsent(name, k -> new ArrayList<>()).add(variants.get(name).throughput(messages));
                        broker.computeIfAbsent(name, k -> new ArrayList<>()).add((brokerCpuNanos() - brokerCpu) / 1000.0 / messages);
                    }
                }
                double bare = median(rates.get(bareName));
                for (String name : variants.keySet()) {
                    double m = median(rates.get(name));
                    System.out.printf("%s %-28s %,8.0f msg/s  %.2fx bare  broker CPU %5.1f us/msg  (trials: %s)%n", mode, name, m, m / bare,
                            median(broker.get(name)), rates.get(name).stream().map(v -> String.format("%,.0f", v)).toList());
                }
            } finally {
                closeAll(variants.values());
            }
        }
    }

    private ConnectionFactory factory() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(uri);
        f.setAutomaticRecoveryEnabled(false);
        return f;
    }

    /**
     * Raw amqp-client: a confirm channel guarded by the publishing thread, and one or more consumer
     * channels each with its own queue on the exchange.
     */
    private final class Raw implements Client {
        private final boolean persistent;
        private final Extra extra;
        private final boolean topicBinding;
        private final List<Connection> connections = new ArrayList<>();
        private final Channel pub;
        private final Channel admin;
        private final String exchange = "bench.raw." + UUID.randomUUID();
        private final int subscribers;
        private final Semaphore permits = new Semaphore(window);
        private final ConcurrentSkipListSet<Long> outstanding = new ConcurrentSkipListSet<>();
        private volatile Sink sink;

        /**
         * @param extra what each message carries beyond the delivery mode and content type of
         *     amqp-client's BASIC properties; {@link Extra#ID_TIMESTAMP} is what Switchboard's carry
         *     with default ids and no user headers, {@link Extra#ALL} adds the millisecond header
         *     sent when the id does not carry the time
         * @param topicBinding whether the fan-out exchange is also bound to a topic exchange, as
         *     Switchboard binds every channel's exchange for pattern subscriptions
         * @param separate whether the publisher and each consumer have connections of their own
         * @param subscribers how many consumers, each with its own queue bound to the exchange
         */
        Raw(boolean persistent, Extra extra, boolean topicBinding, boolean separate, int subscribers) throws Exception {
            this.persistent = persistent;
            this.extra = extra;
            this.topicBinding = topicBinding;
            this.subscribers = subscribers;
            ConnectionFactory f = factory();
            Connection pubConn = f.newConnection(separate ? "bench-raw-pub" : "bench-raw");
            connections.add(pubConn);
            pub = pubConn.createChannel();
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
            admin = pubConn.createChannel();
            admin.exchangeDeclare(exchange, BuiltinExchangeType.FANOUT, persistent, true, null);
            if (topicBinding) {
                admin.exchangeDeclare(exchange + ".topic", BuiltinExchangeType.TOPIC, false, true, null);
                admin.exchangeBind(exchange + ".topic", exchange, "");
            }
            for (int i = 0; i < subscribers; i++) {
                Connection subConn = pubConn;
                if (separate) {
                    subConn = f.newConnection("bench-raw-sub-" + i);
                    connections.add(subConn);
                }
                Channel sub = subConn.createChannel();
                String queue = persistent ? sub.queueDeclare("bench.raw.q." + UUID.randomUUID(), true, false, true, null).getQueue()
                        : sub.queueDeclare().getQueue();
                sub.queueBind(queue, exchange, "");
                sub.basicQos(prefetch);
                sub.basicConsume(queue, false, new DefaultConsumer(sub) {
                    private Sink trial;
                    private int seen;
                    private int unacked;

                    @Override
                    public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) throws IOException {
                        Sink s = sink;
                        if (s != trial) {
                            trial = s;
                            seen = 0;
                        }
                        if (s != null) {
                            s.accept(body);
                        }
                        seen++;
                        // ack in batches, and at the end of a trial so that nothing waits unacknowledged
                        if (++unacked >= ackEvery || (s != null && seen == s.perSubscriber)) {
                            unacked = 0;
                            sub.basicAck(env.getDeliveryTag(), true);
                        }
                    }
                });
            }
        }

        @Override
        public int subscribers() {
            return subscribers;
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
            Sink s = new Sink(n, subscribers, false);
            sink = s;
            long start = System.nanoTime();
            byte[] body = payload(0);
            for (int i = 0; i < n; i++) {
                publish(body);
            }
            s.await();
            permits.acquire(window);
            permits.release(window);
            return (double) n * subscribers / ((System.nanoTime() - start) / 1e9);
        }

        @Override
        public long[] latency(int perSecond, int seconds) throws Exception {
            int n = perSecond * seconds;
            Sink s = new Sink(n, subscribers, true);
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
                admin.exchangeDelete(exchange + ".topic");
            }
            for (Connection c : connections) {
                c.close();
            }
        }
    }

    /**
     * Switchboard on the rabbitmq transport with the same window, prefetch and persistence: one
     * instance publishing and subscribing, or a publishing instance and {@code subscribers}
     * subscribing instances.
     */
    private final class Sb implements Client {
        private final Switchboard publisher;
        private final List<Switchboard> instances = new ArrayList<>();
        private final List<Subscription> subscriptions = new ArrayList<>();
        private final List<String> durables = new ArrayList<>();
        private final String channel = "bench.sb." + UUID.randomUUID().toString().substring(0, 8);
        private final int subscribers;
        private volatile Sink sink;

        Sb(boolean persistent, boolean separateInstances, int subscribers) {
            this.subscribers = subscribers;
            publisher = open(persistent);
            instances.add(publisher);
            for (int i = 0; i < subscribers; i++) {
                Switchboard sub = publisher;
                if (separateInstances) {
                    sub = open(persistent);
                    instances.add(sub);
                }
                SubscriptionOptions opts = SubscriptionOptions.defaults();
                if (persistent) {
                    String durable = "bench-" + UUID.randomUUID().toString().substring(0, 8);
                    durables.add(durable);
                    opts = opts.durable(durable);
                }
                subscriptions.add(sub.subscriber().subscribe(channel, opts, d -> {
                    Sink s = sink;
                    if (s != null) {
                        s.accept(d.message().payload());
                    }
                }));
            }
        }

        private Switchboard open(boolean persistent) {
            Map<String, Object> p = new HashMap<>();
            p.put("switchboard.transport", "rabbitmq");
            p.put("switchboard.rabbitmq.uri", uri);
            p.put("switchboard.rabbitmq.prefix", "bench");
            p.put("switchboard.rabbitmq.confirm-window", window);
            p.put("switchboard.rabbitmq.persistent", persistent);
            p.put("switchboard.subscriber.prefetch", prefetch);
            p.putAll(extra);
            return Switchboard.open(p);
        }

        @Override
        public int subscribers() {
            return subscribers;
        }

        @Override
        public double throughput(int n) throws Exception {
            Sink s = new Sink(n, subscribers, false);
            sink = s;
            AtomicInteger confirmed = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long start = System.nanoTime();
            byte[] body = payload(0);
            for (int i = 0; i < n; i++) {
                // a message per publish, as an application makes them: each with an id of its own
                publisher.publisher().publish(channel, Message.ofBytes(body)).whenComplete((ok, e) -> {
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
            return (double) n * subscribers / ((System.nanoTime() - start) / 1e9);
        }

        @Override
        public long[] latency(int perSecond, int seconds) throws Exception {
            int n = perSecond * seconds;
            Sink s = new Sink(n, subscribers, true);
            sink = s;
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                pace(start, i, perSecond);
                publisher.publisher().publish(channel, Message.ofBytes(payload(System.nanoTime())));
            }
            s.await();
            return s.latencies(n / 10);
        }

        @Override
        public void close() throws Exception {
            for (Subscription s : subscriptions) {
                s.close();
            }
            for (String d : durables) {
                publisher.subscriber().deleteDurable(d);
            }
            for (Switchboard sb : instances) {
                sb.close();
            }
            // the channel's exchange is durable (Switchboard leaves it for other instances): remove it
            try (Connection c = factory().newConnection("bench-cleanup"); Channel ch = c.createChannel()) {
                ch.exchangeDelete("bench.ch." + channel);
            } catch (Exception e) {
                System.err.println("could not delete the benchmark's exchange: " + e);
            }
        }
    }

    /** Counts deliveries of one trial and, for latency trials, records send-to-handler times. */
    private static final class Sink {
        final int perSubscriber;
        private final CountDownLatch done;
        private final long[] latencies;
        private final AtomicInteger next = new AtomicInteger();

        Sink(int n, int subscribers, boolean measure) {
            this.perSubscriber = n;
            this.done = new CountDownLatch(n * subscribers);
            this.latencies = measure ? new long[n * subscribers] : null;
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
