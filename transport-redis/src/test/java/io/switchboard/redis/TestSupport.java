package io.switchboard.redis;

import io.switchboard.ConnectionEvent;
import io.switchboard.Switchboard;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/** Small helpers shared by the Redis tests. */
final class TestSupport {
    static final String SHARED_URI = "redis://127.0.0.1:6379";

    private TestSupport() {
    }

    /** Waits until the condition holds, failing with the message after the timeout. */
    static void await(Duration timeout, BooleanSupplier condition, String message) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toMillis() + "ms waiting for: " + message);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + message, e);
            }
        }
    }

    static String unique(String base) {
        return base + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }

    /** Records connection events. */
    static final class Events {
        final List<ConnectionEvent> all = new CopyOnWriteArrayList<>();

        boolean has(ConnectionEvent.Type type) {
            return all.stream().anyMatch(e -> e.type() == type && e.component().equals("transport"));
        }

        long count(ConnectionEvent.Type type) {
            return all.stream().filter(e -> e.type() == type && e.component().equals("transport")).count();
        }
    }

    static Switchboard open(Map<String, ?> properties, Events events) {
        Switchboard.Builder b = Switchboard.builder().properties(properties);
        if (events != null) {
            b.connectionListener(events.all::add);
        }
        return b.open();
    }
}
