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
 * (epoch milliseconds, decimal), {@code content-type}, one {@code h.<name>} per header, and
 * {@code payload} last. Stateless and thread-safe.
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
        out.add(bytes(Long.toString(m.timestamp().toEpochMilli())));
        out.add(CONTENT_TYPE_B);
        out.add(bytes(m.contentType()));
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
        out.add(Payloads.view(m)); // read only, by Jedis as it writes the command
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
                String name = text(fields.get(i));
                Object rawValue = fields.get(i + 1);
                if (PAYLOAD.equals(name)) {
                    payload = rawValue instanceof byte[] ? (byte[]) rawValue : new byte[0];
                    continue;
                }
                String value = text(rawValue);
                if (ID.equals(name)) {
                    b.id(value);
                    hasId = true;
                } else if (TIME.equals(name)) {
                    long ms;
                    try {
                        ms = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        throw new Unreadable("field 'time' is '" + shorten(value) + "', not epoch milliseconds");
                    }
                    b.timestamp(Instant.ofEpochMilli(ms));
                    hasTime = true;
                } else if (CONTENT_TYPE.equals(name)) {
                    b.contentType(value);
                } else if (name.startsWith(HEADER_PREFIX) && name.length() > HEADER_PREFIX.length()) {
                    String header = name.substring(HEADER_PREFIX.length());
                    b.header(header, value);
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
