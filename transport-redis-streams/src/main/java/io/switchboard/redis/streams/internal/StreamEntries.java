package io.switchboard.redis.streams.internal;

import io.switchboard.Message;
import io.switchboard.spi.Payloads;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.args.Rawable;

/**
 * The stream entry format (see {@code docs/redis-streams.md}): fields {@code id}, {@code time}
 * (epoch milliseconds, decimal), {@code content-type} (left out when it is the default
 * {@code application/octet-stream}), one {@code h.<name>} per header, and {@code payload} last.
 * Stateless and thread-safe.
 *
 * <p>An entry written by another client may leave out every field but {@code payload}: the
 * message id is then the entry id, the timestamp the entry id's time, the content type
 * {@code application/octet-stream}. Unknown fields are ignored.
 */
final class StreamEntries {
    static final String ID = "id";
    static final String TIME = "time";
    static final String CONTENT_TYPE = "content-type";
    static final String HEADER_PREFIX = "h.";
    static final String PAYLOAD = "payload";
    private static final byte[] ID_B = bytes(ID);
    private static final byte[] TIME_B = bytes(TIME);
    private static final byte[] CONTENT_TYPE_B = bytes(CONTENT_TYPE);
    private static final byte[] PAYLOAD_B = bytes(PAYLOAD);
    private static final byte[] HEADER_PREFIX_B = bytes(HEADER_PREFIX);
    private static final String MAX_SIZE_KEY = "switchboard.message.max-size";

    /** An entry that cannot be delivered as a message; the message says why, in one line. */
    static final class Unreadable extends Exception {
        private static final long serialVersionUID = 1L;

        Unreadable(String reason) {
            super(reason, null, false, false);
        }
    }

    private StreamEntries() {
    }

    /**
     * A command argument that is written as it is: Jedis copies every {@code byte[]} argument
     * (payloads included) into a {@code Rawable} of its own, which the encoded fields never need.
     * The array must not change after it is added.
     */
    static final class Raw implements Rawable {
        private final byte[] bytes;

        Raw(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public byte[] getRaw() {
            return bytes;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Rawable && Arrays.equals(bytes, ((Rawable) o).getRaw());
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }

    /** The field-value pairs of a message, in the documented order, with {@code extraHeaders} added to its own. */
    static List<byte[]> encode(Message m, Map<String, String> extraHeaders) {
        int n = 8 + 2 * (m.headers().size() + (extraHeaders == null ? 0 : extraHeaders.size()));
        List<byte[]> out = new ArrayList<>(n);
        out.add(ID_B);
        out.add(bytes(m.id()));
        out.add(TIME_B);
        out.add(decimal(m.timestamp().toEpochMilli()));
        // The default content type is what a reader assumes when the field is missing: one field
        // pair less to write, store and read per binary message (docs/redis-streams.md).
        if (!Message.OCTET_STREAM.equals(m.contentType())) {
            out.add(CONTENT_TYPE_B);
            out.add(bytes(m.contentType()));
        }
        for (Map.Entry<String, String> h : m.headers().entrySet()) {
            if (extraHeaders == null || !extraHeaders.containsKey(h.getKey())) {
                out.add(bytes(HEADER_PREFIX + h.getKey()));
                out.add(bytes(h.getValue()));
            }
        }
        if (extraHeaders != null) {
            for (Map.Entry<String, String> h : extraHeaders.entrySet()) {
                out.add(bytes(HEADER_PREFIX + h.getKey()));
                out.add(bytes(h.getValue()));
            }
        }
        out.add(PAYLOAD_B);
        out.add(Payloads.view(m)); // read only, by the writer as it encodes the command
        return out;
    }

    /**
     * The message of an entry.
     *
     * @param entryId the stream entry id, {@code <ms>-<seq>}
     * @param fields alternating field names and values, as Redis returns them
     * @throws Unreadable if a field's value is not what the format allows, or the message is over the size limit
     */
    static Message decode(String entryId, List<?> fields, String channel, long maxMessageSize) throws Unreadable {
        Message.Builder b = Message.builder().channel(channel);
        boolean hasId = false;
        boolean hasTime = false;
        byte[] payload = null;
        try {
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                Object rawName = fields.get(i);
                Object rawValue = fields.get(i + 1);
                // Field names are compared as bytes: no string per field name of every entry.
                byte[] name = rawName instanceof byte[] ? (byte[]) rawName : bytes(String.valueOf(rawName));
                if (Arrays.equals(name, PAYLOAD_B)) {
                    payload = rawValue instanceof byte[] ? (byte[]) rawValue : new byte[0];
                } else if (Arrays.equals(name, ID_B)) {
                    b.id(text(rawValue));
                    hasId = true;
                } else if (Arrays.equals(name, TIME_B)) {
                    b.timestamp(Instant.ofEpochMilli(millis(rawValue)));
                    hasTime = true;
                } else if (Arrays.equals(name, CONTENT_TYPE_B)) {
                    b.contentType(text(rawValue));
                } else if (hasPrefix(name, HEADER_PREFIX_B)) {
                    String header = new String(name, HEADER_PREFIX_B.length, name.length - HEADER_PREFIX_B.length, StandardCharsets.UTF_8);
                    b.header(header, text(rawValue));
                }
            }
            if (!hasId) {
                b.id(entryId);
            }
            if (!hasTime) {
                b.timestamp(Instant.ofEpochMilli(StreamIds.millis(entryId)));
            }
        } catch (IllegalArgumentException | java.time.DateTimeException e) {
            throw new Unreadable(shorten(e.getMessage()));
        }
        if (payload == null) {
            throw new Unreadable("the entry has no 'payload' field");
        }
        // Jedis's reply gave this entry a payload array of its own, which nobody writes to: no second copy.
        Message m = Payloads.adopt(b, payload).build();
        if (m.size() > maxMessageSize) {
            throw new Unreadable("the message is " + m.size() + " bytes (payload and headers), over " + MAX_SIZE_KEY + "=" + maxMessageSize);
        }
        return m;
    }

    /** The decimal digits of a {@code time} value, parsed without a string; non-digits (or none) make the entry unreadable. */
    private static long millis(Object rawValue) throws Unreadable {
        if (rawValue instanceof byte[]) {
            byte[] v = (byte[]) rawValue;
            boolean negative = v.length > 1 && v[0] == '-';
            long ms = 0;
            int i = negative ? 1 : 0;
            if (v.length > i && v.length - i <= 18) {
                for (; i < v.length; i++) {
                    int d = v[i] - '0';
                    if (d < 0 || d > 9) {
                        break;
                    }
                    ms = ms * 10 + d;
                }
                if (i == v.length) {
                    return negative ? -ms : ms;
                }
            }
        }
        String value = text(rawValue);
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new Unreadable("field 'time' is '" + shorten(value) + "', not epoch milliseconds");
        }
    }

    /** The decimal digits of {@code n} as ASCII bytes. */
    static byte[] decimal(long n) {
        return bytes(Long.toString(n));
    }

    /** Whether {@code name} is longer than {@code prefix} and starts with it. */
    private static boolean hasPrefix(byte[] name, byte[] prefix) {
        return name.length > prefix.length && Arrays.equals(name, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** The sum of the lengths of every field name and value: about what the entry holds in memory. */
    static long rawSize(List<?> fields) {
        long n = 0;
        for (Object o : fields) {
            if (o instanceof byte[]) {
                n += ((byte[]) o).length;
            }
        }
        return n;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String text(Object o) {
        return o instanceof byte[] ? new String((byte[]) o, StandardCharsets.UTF_8) : String.valueOf(o);
    }

    private static String shorten(String s) {
        String t = String.valueOf(s);
        return t.length() <= 120 ? t : t.substring(0, 120) + "...";
    }
}
