package io.switchboard.micrometer;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.switchboard.Message;
import io.switchboard.Switchboard;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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
 * the median of each mode and the ratio on/off.
 */
public final class MetricsOverheadHarness {
    private static final int WINDOW = 1000;

    private MetricsOverheadHarness() {
    }

    /** Runs the comparison; arguments as {@code name=value}. */
    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new java.util.HashMap<>(Map.of("trials", "6", "seconds", "5", "transports", "redis,rabbitmq", "size", "256"));
        for (String a : args) {
            String[] kv = a.split("=", 2);
            opts.put(kv[0], kv[1]);
        }
        int trials = Integer.parseInt(opts.get("trials"));
        double seconds = Double.parseDouble(opts.get("seconds"));
        int size = Integer.parseInt(opts.get("size"));
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
            return published / ((lastDelivery.get() - start) / 1e9);
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
