package io.switchboard.memcached.internal;

import java.time.Duration;

/** Converts TTLs to memcached's expiration field. Stateless. */
public final class Expiry {
    /** Memcached reads an expiration above this many seconds (30 days) as an absolute Unix time. */
    public static final long MAX_RELATIVE_SECONDS = 60L * 60 * 24 * 30;

    private Expiry() {
    }

    /**
     * The expiration to send: 0 for {@link Duration#ZERO} (no expiry); otherwise the TTL in whole
     * seconds rounded up, plus one, as a relative time, or past 30 days as an absolute Unix time.
     * The extra second is because memcached expires on a clock that ticks once a second: an item
     * sent with 1 expires at the next tick, anywhere from 0 to 1 s later. With it, an entry lives
     * at least its TTL and at most a second longer.
     *
     * @throws IllegalArgumentException for a negative TTL or one ending after 2038-01-19 (memcached's 32-bit clock)
     */
    public static int of(Duration ttl, long nowEpochSeconds) {
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("ttl must be positive, or Duration.ZERO for no expiry; got " + ttl);
        }
        if (ttl.isZero()) {
            return 0;
        }
        long seconds = ttl.getSeconds() + (ttl.getNano() > 0 ? 1 : 0) + 1;
        if (seconds <= MAX_RELATIVE_SECONDS) {
            return (int) seconds;
        }
        long absolute = nowEpochSeconds + seconds;
        if (absolute > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("ttl " + ttl + " ends after 2038-01-19, beyond memcached's 32-bit expiration time;"
                    + " use a shorter TTL or Duration.ZERO for no expiry");
        }
        return (int) absolute;
    }
}
