package io.switchboard.internal;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fast unique message ids in UUID version 7 layout: 48 bits of milliseconds, then a per-process
 * random node and a counter, so ids are unique across processes and roughly time-ordered without
 * paying for {@code SecureRandom} per message.
 */
public final class MessageIds {
    private static final long NODE;
    private static final AtomicLong COUNTER;

    static {
        SecureRandom random = new SecureRandom();
        NODE = random.nextLong();
        COUNTER = new AtomicLong(random.nextLong());
    }

    private MessageIds() {
    }

    /** A new id for now, formatted as a UUID string. */
    public static String next() {
        return next(System.currentTimeMillis());
    }

    /** A new id whose time field is {@code millis} (epoch milliseconds), formatted as a UUID string. */
    public static String next(long millis) {
        long count = COUNTER.getAndIncrement();
        long msb = (millis << 16) | 0x7000L | ((count >>> 52) & 0x0FFFL);
        long lsb = (0x2L << 62) | ((NODE ^ (count * 0x9E3779B97F4A7C15L)) & 0x3FFFFFFFFFFFFFFFL);
        return new java.util.UUID(msb, lsb).toString();
    }
}
