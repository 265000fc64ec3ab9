package io.switchboard.micrometer;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.switchboard.Message;
import io.switchboard.Switchboard;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures what metrics cost: publish-to-delivery throughput on Redis and RabbitMQ with
 * {@link MicrometerMetrics} (on a Prometheus registry) and without, alternating trials in the
 * same run so that both modes see the same machine. Not a test: run it on a quiet machine.
 *
 * <pre>
 * mvn -B -q -pl metrics-micrometer -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java -cp metrics-micrometer/target/test-classes:metrics-micrometer/target/classes:$(cat metrics-micrometer/target/cp.txt) \
 *     io.switchboard.micrometer.MetricsOverheadHarness [trials=6] [seconds=5] [transports=redis,rabbitmq] [size=256]
 * </pre>
 *
 * <p>Each trial opens a publishing and a subscribing Switchboard (both with metrics, or both
 * without), publishes {@code size}-byte messages for {@code seconds} with at most 1,000 in flight
 * (published but not yet delivered, so that Redis pub/sub never overflows the subscriber's
 * buffer), and counts msg/s from the first publish to the last delivery. It prints every trial,
 * the median of each mode and the ratio on/off. With {@code cpu=true} it also prints, per trial,
 * the CPU time per message of each group of this JVM's threads (numbers in thread names folded),
 * which is steadier than throughput on a loaded machine and shows where metrics spend.
 */
public final class MetricsOverheadHarness {
    private static final int WINDOW = 1000;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static boolean cpu;

    private MetricsOverheadHarness() {
    }

    /** Runs the comparison; arguments as {@code name=value}. */
    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new java.util.HashMap<>(Map.of("trials", "6", "seconds", "5", "transports", "redis,rabbitmq", "size", "256",
                "cpu", "false"));
        for (String a : args) {
            String[] kv = a.split("=", 2);
            opts.put(kv[0], kv[1]);
        }
        int trials = Integer.parseInt(opts.get("trials"));
        double seconds = Double.parseDouble(opts.get("seconds"));
        int size = Integer.parseInt(opts.get("size"));
        cpu = Boolean.parseBoolean(opts.get("cpu"));
        for (String transport : opts.get("transports").split(",")) {
            List<Double> off = new ArrayList<>();
            List<Double> on = new ArrayList<>();
            // Warm-up of both modes: the JIT and the connections, not measured.
            trial(transport, false, 1, size);
            trial(transport, true, 1, size);
            for (int t = 0; t < trials; t++) {
                boolean metricsFirst = t % 2 == 1;
                for (boolean metrics : new boolean[] {metricsFirst, !metricsFirst}) {
                    double rate = trial(transport, metrics, seconds, size);
                    (metrics ? on : off).add(rate);
                    System.out.printf("%s trial %d metrics %-3s %,10.0f msg/s%n", transport, t + 1, metrics ? "on" : "off", rate);
                }
            }
            double medianOff = median(off);
            double medianOn = median(on);
            System.out.printf("%s: metrics off %,.0f msg/s, on %,.0f msg/s (medians of %d): on/off = %.3f%n", transport, medianOff, medianOn,
                    trials, medianOn / medianOff);
        }
    }

    private static Map<String, Object> properties(String transport) {
        return transport.equals("redis")
                ? Map.of("switchboard.transport", "redis", "switchboard.redis.uri", "redis://127.0.0.1:6379")
                : Map.of("switchboard.transport", "rabbitmq", "switchboard.rabbitmq.uri", "amqp://guest:guest@127.0.0.1:5672/",
                        "switchboard.rabbitmq.persistent", "false");
    }

    private static Switchboard open(String transport, boolean metrics, PrometheusMeterRegistry registry) {
        Switchboard.Builder b = Switchboard.builder().properties(properties(transport));
        if (metrics) {
            b.interceptor(MicrometerMetrics.of(registry));
        }
        return b.open();
    }

    /** One trial: msg/s from the first publish to the last delivery. */
    static double trial(String transport, boolean metrics, double seconds, int size) throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        String channel = "bench-metrics.throughput";
        Semaphore window = new Semaphore(WINDOW);
        AtomicLong delivered = new AtomicLong();
        AtomicLong lastDelivery = new AtomicLong();
        try (Switchboard subscriber = open(transport, metrics, registry);
                Switchboard publisher = open(transport, metrics, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
            subscriber.subscriber().subscribe(channel, d -> {
                delivered.incrementAndGet();
                lastDelivery.set(System.nanoTime());
                window.release();
            });
            Map<Long, Long> cpuBefore = threadCpu();
            byte[] payload = new byte[size];
            Arrays.fill(payload, (byte) 'x');
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long published = 0;
            while (System.nanoTime() < end) {
                if (!window.tryAcquire(5, TimeUnit.SECONDS)) {
                    throw new IllegalStateException(transport + ": no delivery for 5 s; " + delivered.get() + " of " + published + " delivered");
                }
                publisher.publisher().publish(channel, Message.ofBytes(payload));
                published++;
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (delivered.get() < published && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            if (delivered.get() < published) {
                throw new IllegalStateException(transport + ": " + delivered.get() + " of " + published + " delivered within 30 s");
            }
            if (cpu) {
                printCpu(transport, metrics, cpuBefore, threadCpu(), published);
            }
            return published / ((lastDelivery.get() - start) / 1e9);
        }
    }

    /** CPU time of each live thread, by id. */
    private static Map<Long, Long> threadCpu() {
        Map<Long, Long> times = new java.util.HashMap<>();
        for (long id : THREADS.getAllThreadIds()) {
            long t = THREADS.getThreadCpuTime(id);
            if (t >= 0) {
                times.put(id, t);
            }
        }
        return times;
    }

    private static void printCpu(String transport, boolean metrics, Map<Long, Long> before, Map<Long, Long> after, long messages) {
        Map<String, Long> groups = new TreeMap<>();
        long total = 0;
        for (Map.Entry<Long, Long> e : after.entrySet()) {
            java.lang.management.ThreadInfo info = THREADS.getThreadInfo(e.getKey());
            String name = info == null ? "?" : info.getThreadName().replaceAll("[0-9]+", "N");
            long used = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            groups.merge(name, used, Long::sum);
            total += used;
        }
        StringBuilder line = new StringBuilder(String.format("  cpu %s metrics %-3s total %6.0f ns/msg:", transport, metrics ? "on" : "off",
                (double) total / messages));
        for (Map.Entry<String, Long> g : groups.entrySet()) {
            if (g.getValue() * 100 >= total) {
                line.append(String.format(" %s %.0f", g.getKey(), (double) g.getValue() / messages));
            }
        }
        System.out.println(line);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
