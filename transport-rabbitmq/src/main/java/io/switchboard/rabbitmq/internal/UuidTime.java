package io.switchboard.rabbitmq.internal;

/**
 * Reads the time field of a UUID version 7 string (RFC 9562: the first 48 bits are milliseconds
 * since the epoch). Switchboard's default message ids have this layout with the message's own
 * millisecond, which lets a message carry its millisecond timestamp without a header. Stateless.
 */
final class UuidTime {
    /** Each ASCII character's hex value, -1 where it is none: cheaper than Character.digit per character. */
    private static final byte[] HEX = new byte[128];

    static {
        java.util.Arrays.fill(HEX, (byte) -1);
        for (int c = '0'; c <= '9'; c++) {
            HEX[c] = (byte) (c - '0');
        }
        for (int c = 'a'; c <= 'f'; c++) {
            HEX[c] = (byte) (c - 'a' + 10);
            HEX[c - 'a' + 'A'] = (byte) (c - 'a' + 10);
        }
    }

    private UuidTime() {
    }

    /**
     * The milliseconds in {@code id} if it is a canonical UUID string ({@code 8-4-4-4-12} hex
     * digits) of version 7, else -1.
     */
    static long millis(String id) {
        if (id == null || id.length() != 36 || id.charAt(8) != '-' || id.charAt(13) != '-' || id.charAt(18) != '-'
                || id.charAt(23) != '-' || id.charAt(14) != '7') {
            return -1;
        }
        // Runs on every publish and every delivery: straight loops, and one test of the sign
        // (a non-hex character's -1) at the end instead of a branch per character.
        long millis = 0;
        int bad = 0;
        for (int i = 0; i < 8; i++) {
            int d = hex(id.charAt(i));
            bad |= d;
            millis = (millis << 4) | (d & 0xf);
        }
        for (int i = 9; i < 13; i++) {
            int d = hex(id.charAt(i));
            bad |= d;
            millis = (millis << 4) | (d & 0xf);
        }
        for (int i = 15; i < 18; i++) {
            bad |= hex(id.charAt(i));
        }
        for (int i = 19; i < 23; i++) {
            bad |= hex(id.charAt(i));
        }
        for (int i = 24; i < 36; i++) {
            bad |= hex(id.charAt(i));
        }
        return bad < 0 ? -1 : millis;
    }

    private static int hex(char c) {
        return c < 128 ? HEX[c] : -1;
    }
}
