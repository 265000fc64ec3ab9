package io.switchboard.rabbitmq;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.switchboard.Switchboard;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/** Helpers shared by the RabbitMQ tests. */
final class RabbitMqTests {
    static final String SHARED_URI = "amqp://guest:guest@127.0.0.1:5672/%2F";

    private RabbitMqTests() {
    }

    /** Waits for a condition, failing with the message when the deadline passes. */
    static void await(Duration timeout, BooleanSupplier condition, String message) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + ": " + message);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted: " + message, e);
            }
        }
    }

    /** A name unique to this run, for channels, subscriptions and prefixes. */
    static String unique(String base) {
        return base + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static Map<String, Object> properties(String uri, String prefix) {
        Map<String, Object> p = new HashMap<>();
        p.put("switchboard.transport", "rabbitmq");
        p.put("switchboard.rabbitmq.uri", uri);
        p.put("switchboard.rabbitmq.prefix", prefix);
        p.put("switchboard.rabbitmq.recovery-interval", "300ms");
        p.put("switchboard.close.timeout", "10s");
        return p;
    }

    static Switchboard open(String uri, String prefix, Map<String, Object> extra) {
        Map<String, Object> p = properties(uri, prefix);
        p.putAll(extra);
        return Switchboard.open(p);
    }

    /** A raw amqp-client connection, to check what other AMQP clients see. */
    static Connection raw(int port) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost("127.0.0.1");
        f.setPort(port);
        f.setAutomaticRecoveryEnabled(false);
        return f.newConnection("switchboard-test-raw");
    }
}
