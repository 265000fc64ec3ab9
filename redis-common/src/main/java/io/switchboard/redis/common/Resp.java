package io.switchboard.redis.common;

/**
 * Writes the parts of RESP commands that the Redis providers encode themselves (array and bulk
 * headers, lengths) into a caller's byte array, without allocating. The callers make room first:
 * a header takes at most {@value #MAX_HEADER} bytes. Shared by {@code transport-redis}'s publish
 * pipeline and {@code transport-redis-streams}' writer.
 */
public final class Resp {
    /** The most bytes {@link #putHeader} writes: a type byte, ten digits and CRLF. */
    public static final int MAX_HEADER = 13;

    private Resp() {
    }

    /**
     * Writes {@code n} (0 or more) in decimal at {@code pos}.
     *
     * @return the position after the last digit
     */
    public static int putDecimal(byte[] buf, int pos, int n) {
        if (n == 0) {
            buf[pos] = '0';
            return pos + 1;
        }
        int start = pos;
        while (n > 0) {
            buf[pos++] = (byte) ('0' + n % 10);
            n /= 10;
        }
        for (int i = start, j = pos - 1; i < j; i++, j--) {
            byte t = buf[i];
            buf[i] = buf[j];
            buf[j] = t;
        }
        return pos;
    }

    /**
     * Writes a header: {@code type} ({@code '*'} for an array of {@code n} elements, {@code '$'}
     * for a bulk string of {@code n} bytes), {@code n} in decimal and CRLF.
     *
     * @return the position after the CRLF
     */
    public static int putHeader(byte[] buf, int pos, byte type, int n) {
        buf[pos++] = type;
        pos = putDecimal(buf, pos, n);
        buf[pos++] = '\r';
        buf[pos++] = '\n';
        return pos;
    }
}
