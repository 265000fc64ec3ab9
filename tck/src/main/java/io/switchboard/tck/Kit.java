package io.switchboard.tck;

import io.switchboard.Delivery;
import io.switchboard.Message;
import io.switchboard.MessageHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assertions;

/** Waiting on conditions, unique names and recording handlers, shared by the contracts. */
final class Kit {
    /** Header marking the sentinel message a rule publishes last, to know everything before it has had its chance. */
    static final String SENTINEL = "tck-sentinel";

    private Kit() {
    }

    /**
     * Polls {@code condition} until it holds, failing with {@code message} when {@code timeout} passes first.
     * Polls every few milliseconds: cheap, and fast enough for in-memory providers.
     */
    static void await(Duration timeout, BooleanSupplier condition, Supplier<String> message) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = 1;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                Assertions.fail("gave up after " + timeout.toMillis() + " ms: " + message.get());
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                Assertions.fail("interrupted while waiting: " + message.get());
            }
            pause = Math.min(pause * 2, 20);
        }
    }

    /** A random lower-case token, so that parallel runs on one shared server never meet. */
    static String token() {
        StringBuilder sb = new StringBuilder(10);
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int i = 0; i < 10; i++) {
            sb.append("abcdefghijklmnopqrstuvwxyz0123456789".charAt(r.nextInt(36)));
        }
        return sb.toString();
    }

    /** A channel prefix {@code tck.<random>} unique to one rule run. */
    static String channelPrefix() {
        return "tck." + token();
    }

    /** A durable subscription name unique to one rule run. */
    static String durableName(String what) {
        return ("tck-" + what + "-" + token()).toLowerCase(Locale.ROOT);
    }

    /** The sentinel message. */
    static Message sentinel() {
        return Message.builder().text("sentinel").header(SENTINEL, "true").build();
    }

    static boolean isSentinel(Delivery d) {
        return "true".equals(d.message().header(SENTINEL));
    }

    /** A handler that records every delivery, thread-safe. */
    static class Recorder implements MessageHandler {
        private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
        private final String name;

        Recorder(String name) {
            this.name = name;
        }

        @Override
        public void handle(Delivery delivery) throws Exception {
            deliveries.add(delivery);
        }

        String name() {
            return name;
        }

        List<Delivery> all() {
            return new ArrayList<>(deliveries);
        }

        /** Every delivery except sentinels. */
        List<Delivery> messages() {
            return deliveries.stream().filter(d -> !isSentinel(d)).collect(Collectors.toList());
        }

        List<String> texts() {
            return messages().stream().map(d -> d.message().text()).collect(Collectors.toList());
        }

        long count(Predicate<Delivery> p) {
            return deliveries.stream().filter(p).count();
        }

        boolean hasSentinel() {
            return deliveries.stream().anyMatch(Kit::isSentinel);
        }

        /** Waits until {@code n} non-sentinel deliveries arrived. */
        void awaitMessages(int n, Duration timeout) {
            await(timeout, () -> messages().size() >= n,
                    () -> name + " received " + messages().size() + " of " + n + " messages: " + describe());
        }

        /** Waits for the sentinel. */
        void awaitSentinel(Duration timeout) {
            await(timeout, this::hasSentinel, () -> name + " did not receive the sentinel published last; received: " + describe());
        }

        String describe() {
            List<Delivery> all = all();
            String listed = all.stream().limit(20).map(d -> d.channel() + ":" + (isSentinel(d) ? "<sentinel>" : abbreviate(d.message().text())))
                    .collect(Collectors.joining(", ", "[", all.size() > 20 ? ", ...]" : "]"));
            return all.size() + " deliveries " + listed;
        }

        private static String abbreviate(String s) {
            return s.length() > 40 ? s.substring(0, 40) + "..." : s;
        }
    }

    /** The 256 byte values, 0 to 255, once each: a payload that any charset conversion would damage. */
    static byte[] allByteValues() {
        byte[] b = new byte[256];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) i;
        }
        return b;
    }
}
