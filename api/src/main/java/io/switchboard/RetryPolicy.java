package io.switchboard;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How a subscription retries a message whose handler threw: how many attempts in all, and how
 * long to wait before each retry (exponential backoff with jitter, capped). Immutable.
 *
 * <p>The default, {@link #defaults()}, is 3 attempts with 100 ms, 200 ms backoff (max 10 s,
 * 20% jitter). {@link #none()} means one attempt.
 */
public final class RetryPolicy {
    private static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, 1.0, Duration.ZERO, 0.0);
    private static final RetryPolicy DEFAULTS = new RetryPolicy(3, Duration.ofMillis(100), 2.0, Duration.ofSeconds(10), 0.2);

    private final int maxAttempts;
    private final Duration initialBackoff;
    private final double multiplier;
    private final Duration maxBackoff;
    private final double jitter;

    private RetryPolicy(int maxAttempts, Duration initialBackoff, double multiplier, Duration maxBackoff, double jitter) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
        if (initialBackoff.isNegative() || maxBackoff.isNegative()) {
            throw new IllegalArgumentException("backoff must not be negative");
        }
        if (multiplier < 1.0) {
            throw new IllegalArgumentException("multiplier must be at least 1.0, got " + multiplier);
        }
        if (jitter < 0.0 || jitter > 1.0) {
            throw new IllegalArgumentException("jitter must be between 0.0 and 1.0, got " + jitter);
        }
        this.maxAttempts = maxAttempts;
        this.initialBackoff = initialBackoff;
        this.multiplier = multiplier;
        this.maxBackoff = maxBackoff;
        this.jitter = jitter;
    }

    /** One attempt, no retry. */
    public static RetryPolicy none() {
        return NONE;
    }

    /** 3 attempts, 100 ms initial backoff doubling up to 10 s, 20% jitter. */
    public static RetryPolicy defaults() {
        return DEFAULTS;
    }

    /**
     * Exponential backoff: retry {@code maxAttempts - 1} times, waiting {@code initialBackoff},
     * then twice as long each time, capped at {@code maxBackoff}, with 20% jitter.
     *
     * @throws IllegalArgumentException if {@code maxAttempts < 1} or a duration is negative
     */
    public static RetryPolicy exponential(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
        return new RetryPolicy(maxAttempts, Objects.requireNonNull(initialBackoff, "initialBackoff"), 2.0,
                Objects.requireNonNull(maxBackoff, "maxBackoff"), 0.2);
    }

    /**
     * Fixed backoff without jitter: retry {@code maxAttempts - 1} times, waiting {@code backoff} each time.
     *
     * @throws IllegalArgumentException if {@code maxAttempts < 1} or the duration is negative
     */
    public static RetryPolicy fixed(int maxAttempts, Duration backoff) {
        Objects.requireNonNull(backoff, "backoff");
        return new RetryPolicy(maxAttempts, backoff, 1.0, backoff, 0.0);
    }

    /** This policy with a different jitter fraction (0.0 to 1.0). */
    public RetryPolicy withJitter(double jitter) {
        return new RetryPolicy(maxAttempts, initialBackoff, multiplier, maxBackoff, jitter);
    }

    /** This policy with a different backoff multiplier (at least 1.0). */
    public RetryPolicy withMultiplier(double multiplier) {
        return new RetryPolicy(maxAttempts, initialBackoff, multiplier, maxBackoff, jitter);
    }

    /** Attempts in all, including the first; at least 1. */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** The wait before the first retry, before jitter. */
    public Duration initialBackoff() {
        return initialBackoff;
    }

    /** The growth factor of the wait from one retry to the next. */
    public double multiplier() {
        return multiplier;
    }

    /** The longest wait before a retry, before jitter. */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    /** The jitter fraction: each wait is drawn uniformly within ± this fraction of its nominal value. */
    public double jitter() {
        return jitter;
    }

    /** Whether a failed attempt number {@code attempt} (1-based) is followed by another. */
    public boolean shouldRetry(int attempt) {
        return attempt < maxAttempts;
    }

    /** The wait after failed attempt number {@code attempt} (1-based), jitter applied. */
    public Duration backoff(int attempt) {
        double nominal = initialBackoff.toNanos() * Math.pow(multiplier, Math.max(0, attempt - 1));
        nominal = Math.min(nominal, (double) maxBackoff.toNanos());
        if (jitter > 0 && nominal > 0) {
            nominal *= 1.0 + jitter * (2 * ThreadLocalRandom.current().nextDouble() - 1);
        }
        return Duration.ofNanos((long) nominal);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RetryPolicy)) {
            return false;
        }
        RetryPolicy r = (RetryPolicy) o;
        return maxAttempts == r.maxAttempts && initialBackoff.equals(r.initialBackoff) && multiplier == r.multiplier
                && maxBackoff.equals(r.maxBackoff) && jitter == r.jitter;
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxAttempts, initialBackoff, multiplier, maxBackoff, jitter);
    }

    @Override
    public String toString() {
        return "RetryPolicy[maxAttempts=" + maxAttempts + ", initialBackoff=" + initialBackoff + ", multiplier="
                + multiplier + ", maxBackoff=" + maxBackoff + ", jitter=" + jitter + "]";
    }
}
