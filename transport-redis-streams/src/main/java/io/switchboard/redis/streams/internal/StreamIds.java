package io.switchboard.redis.streams.internal;

/** Stream entry ids, {@code <ms>-<seq>}: comparing and reading the time. Stateless. */
final class StreamIds {
    static final String ZERO = "0-0";

    private StreamIds() {
    }

    /** Negative, zero or positive as {@code a} is before, equal to or after {@code b}. */
    static int compare(String a, String b) {
        int c = Long.compareUnsigned(millis(a), millis(b));
        return c != 0 ? c : Long.compareUnsigned(seq(a), seq(b));
    }

    /** The milliseconds part; 0 for an id that is not {@code <ms>-<seq>}. */
    static long millis(String id) {
        int dash = id.indexOf('-');
        try {
            return Long.parseUnsignedLong(dash < 0 ? id : id.substring(0, dash));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static long seq(String id) {
        int dash = id.indexOf('-');
        try {
            return dash < 0 ? 0 : Long.parseUnsignedLong(id.substring(dash + 1));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
