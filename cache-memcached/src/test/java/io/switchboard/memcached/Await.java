package io.switchboard.memcached;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a condition with a deadline instead of sleeping and hoping. */
final class Await {
    private Await() {
    }

    /** Returns the time waited; fails with {@code message} when {@code limit} passes first. */
    static Duration await(Duration limit, BooleanSupplier condition, String message) {
        return await(limit, condition, () -> message);
    }

    /** As above, with the message computed on failure (to show the state at that moment). */
    static Duration await(Duration limit, BooleanSupplier condition, java.util.function.Supplier<String> message) {
        long start = System.nanoTime();
        long deadline = start + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(message.get() + " (waited " + limit + ")");
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting: " + message.get(), e);
            }
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
