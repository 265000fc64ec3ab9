package io.switchboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
    @Test
    void defaultsAreThreeAttemptsWithDoublingBackoffAndJitter() {
        RetryPolicy p = RetryPolicy.defaults();
        assertEquals(3, p.maxAttempts());
        assertTrue(p.shouldRetry(1));
        assertTrue(p.shouldRetry(2));
        assertFalse(p.shouldRetry(3));
        for (int i = 0; i < 1000; i++) {
            long first = p.backoff(1).toMillis();
            long second = p.backoff(2).toMillis();
            assertTrue(first >= 80 && first <= 120, "100ms +-20%: " + first);
            assertTrue(second >= 160 && second <= 240, "200ms +-20%: " + second);
        }
    }

    @Test
    void noneMeansOneAttempt() {
        assertFalse(RetryPolicy.none().shouldRetry(1));
        assertEquals(1, RetryPolicy.none().maxAttempts());
    }

    @Test
    void fixedHasNoJitterAndExponentialIsCapped() {
        assertEquals(Duration.ofMillis(50), RetryPolicy.fixed(5, Duration.ofMillis(50)).backoff(4));
        RetryPolicy capped = RetryPolicy.exponential(10, Duration.ofSeconds(1), Duration.ofSeconds(5)).withJitter(0);
        assertEquals(Duration.ofSeconds(1), capped.backoff(1));
        assertEquals(Duration.ofSeconds(4), capped.backoff(3));
        assertEquals(Duration.ofSeconds(5), capped.backoff(9));
    }

    @Test
    void refusesNonsense() {
        assertThrows(IllegalArgumentException.class, () -> RetryPolicy.fixed(0, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> RetryPolicy.fixed(2, Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> RetryPolicy.defaults().withJitter(1.5));
        assertThrows(IllegalArgumentException.class, () -> RetryPolicy.defaults().withMultiplier(0.5));
    }
}
