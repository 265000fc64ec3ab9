package io.switchboard.redis.streams;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;

/** Small helpers shared by the Redis Streams tests. */
final class StreamsTestSupport {
    static final String SHARED_URI = "redis://127.0.0.1:6379";

    private StreamsTestSupport() {
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

    /** Kills every client connection whose CLIENT SETNAME is {@code name}; returns how many. */
    static int killByName(int port, String name) {
        int killed = 0;
        try (Jedis j = new Jedis("127.0.0.1", port)) {
            for (String line : j.clientList().split("\n")) {
                String id = null;
                boolean ours = false;
                for (String field : line.trim().split(" ")) {
                    if (field.startsWith("id=")) {
                        id = field.substring(3);
                    } else if (field.equals("name=" + name)) {
                        ours = true;
                    }
                }
                if (ours && id != null) {
                    j.sendCommand(Protocol.Command.CLIENT, "KILL", "ID", id);
                    killed++;
                }
            }
        }
        return killed;
    }
}
