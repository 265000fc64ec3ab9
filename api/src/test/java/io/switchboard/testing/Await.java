package io.switchboard.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits on a condition with a deadline instead of sleeping and hoping. */
public final class Await {
    private Await() {
    }

    /** Polls {@code condition} until it holds; fails with {@code message} when {@code timeout} passes first. */
    public static void await(Duration timeout, BooleanSupplier condition, String message) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + ": " + message);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting: " + message, e);
            }
        }
    }

    /** As {@link #await(Duration, BooleanSupplier, String)} with 10 seconds. */
    public static void await(BooleanSupplier condition, String message) {
        await(Duration.ofSeconds(10), condition, message);
    }

    /** A name unique to this run, for brokers, channels and durable subscriptions. */
    public static String unique(String prefix) {
        return prefix + "-" + Long.toHexString(System.nanoTime()) + Integer.toHexString((int) (Math.random() * 0xffff));
    }
}
