package io.switchboard.redis.internal;

import io.switchboard.Message;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Redis wire format (see {@code docs/wire-format-redis.md}): {@code SB1\n}, one line of JSON
 * metadata, {@code \n}, then the raw payload bytes. Stateless and thread-safe.
 *
 * <p>Decoding never throws: a message without the magic, or with metadata that is not the
 * documented JSON, is delivered as a plain message whose payload is exactly the bytes received.
 */
final class RedisEnvelope {
    static final byte[] MAGIC = {'S', 'B', '1', '\n'};

    private static final ThreadLocal<ByteSink> SINK = ThreadLocal.withInitial(ByteSink::new);

    private RedisEnvelope() {
    }

    /** Encodes a message into one Redis PUBLISH payload. */
    static byte[] encode(Message m) {
        ByteSink s = SINK.get();
        s.reset();
        s.ascii("{\"id\":");
        s.jsonString(m.id());
        s.ascii(",\"timestamp\":");
        s.ascii(Long.toString(m.timestamp().toEpochMilli()));
        s.ascii(",\"contentType\":");
        s.jsonString(m.contentType());
        s.ascii(",\"headers\":{");
        boolean first = true;
        for (Map.Entry<String, String> h : m.headers().entrySet()) {
            if (!first) {
                s.put((byte) ',');
            }
            first = false;
            s.jsonString(h.getKey());
            s.put((byte) ':');
            s.jsonString(h.getValue());
        }
        s.ascii("}}");
        byte[] payload = m.payload();
        byte[] out = new byte[MAGIC.length + s.size + 1 + payload.length];
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        System.arraycopy(s.buf, 0, out, MAGIC.length, s.size);
        out[MAGIC.length + s.size] = '\n';
        System.arraycopy(payload, 0, out, MAGIC.length + s.size + 1, payload.length);
        return out;
    }

    /** Whether the bytes start with the envelope magic. */
    static boolean hasMagic(byte[] raw) {
        if (raw.length < MAGIC.length) {
            return false;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (raw[i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Decodes an envelope; {@code null} when the bytes have the magic but not the documented
     * metadata line (the caller then delivers them raw).
     */
    static Message decode(byte[] raw, String channel) {
        int nl = -1;
        for (int i = MAGIC.length; i < raw.length; i++) {
            if (raw[i] == '\n') {
                nl = i;
                break;
            }
        }
        if (nl < 0) {
            return null;
        }
        try {
            MetaParser p = new MetaParser(raw, MAGIC.length, nl);
            p.parse();
            Message.Builder b = Message.builder().payload(Arrays.copyOfRange(raw, nl + 1, raw.length)).channel(channel);
            if (p.id != null) {
                b.id(p.id);
            }
            b.timestamp(p.timestamp != null ? Instant.ofEpochMilli(p.timestamp) : Instant.now());
            if (p.contentType != null) {
                b.contentType(p.contentType);
            }
            if (p.headers != null) {
                b.headers(p.headers);
            }
            return b.build();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A message for bytes that are not an envelope: payload exactly as received. */
    static Message raw(byte[] raw, String channel) {
        return Message.builder().payload(raw).contentType(sniff(raw)).channel(channel).build();
    }

    /** {@code application/json} when the first non-blank byte is '{' or '[', else octet-stream. */
    static String sniff(byte[] raw) {
        for (byte b : raw) {
            if (b == ' ' || b == '\t' || b == '\r' || b == '\n') {
                continue;
            }
            return b == '{' || b == '[' ? Message.JSON : Message.OCTET_STREAM;
        }
        return Message.OCTET_STREAM;
    }

    /** A reusable growable byte buffer for one thread. */
    private static final class ByteSink {
        private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        byte[] buf = new byte[512];
        int size;

        void reset() {
            size = 0;
            if (buf.length > 64 * 1024) {
                buf = new byte[512];
            }
        }

        void put(byte b) {
            if (size == buf.length) {
                buf = Arrays.copyOf(buf, buf.length * 2);
            }
            buf[size++] = b;
        }

        void ascii(String s) {
            for (int i = 0; i < s.length(); i++) {
                put((byte) s.charAt(i));
            }
        }

        void jsonString(String s) {
            put((byte) '"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\') {
                    put((byte) '\\');
                    put((byte) c);
                } else if (c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029) {
                    put((byte) '\\');
                    put((byte) 'u');
                    put(HEX[(c >> 12) & 0xf]);
                    put(HEX[(c >> 8) & 0xf]);
                    put(HEX[(c >> 4) & 0xf]);
                    put(HEX[c & 0xf]);
                } else if (c < 0x80) {
                    put((byte) c);
                } else if (c < 0x800) {
                    put((byte) (0xc0 | (c >> 6)));
                    put((byte) (0x80 | (c & 0x3f)));
                } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, s.charAt(++i));
                    put((byte) (0xf0 | (cp >> 18)));
                    put((byte) (0x80 | ((cp >> 12) & 0x3f)));
                    put((byte) (0x80 | ((cp >> 6) & 0x3f)));
                    put((byte) (0x80 | (cp & 0x3f)));
                } else if (Character.isSurrogate(c)) {
                    ascii("\\ufffd");
                } else {
                    put((byte) (0xe0 | (c >> 12)));
                    put((byte) (0x80 | ((c >> 6) & 0x3f)));
                    put((byte) (0x80 | (c & 0x3f)));
                }
            }
            put((byte) '"');
        }
    }

    /**
     * A strict parser for the one-line metadata object: known members are read, unknown members of
     * any JSON type skipped (so newer writers may add fields). Throws IllegalArgumentException on
     * anything that is not JSON.
     */
    private static final class MetaParser {
        private static final byte[] ID = {'i', 'd'};
        private static final byte[] TIMESTAMP = "timestamp".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] CONTENT_TYPE = "contentType".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] HEADERS = "headers".getBytes(StandardCharsets.US_ASCII);
        private static final ThreadLocal<String> LAST_CONTENT_TYPE = new ThreadLocal<>();
        private final byte[] b;
        private final int end;
        private int i;
        String id;
        Long timestamp;
        String contentType;
        Map<String, String> headers;

        MetaParser(byte[] b, int start, int end) {
            this.b = b;
            this.i = start;
            this.end = end;
        }

        void parse() {
            ws();
            expect('{');
            ws();
            if (peek() == '}') {
                i++;
            } else {
                while (true) {
                    ws();
                    int nameStart = i + 1;
                    skipString();
                    int nameEnd = i - 1;
                    ws();
                    expect(':');
                    ws();
                    if (named(nameStart, nameEnd, ID)) {
                        id = string();
                    } else if (named(nameStart, nameEnd, TIMESTAMP)) {
                        timestamp = integer();
                    } else if (named(nameStart, nameEnd, CONTENT_TYPE)) {
                        contentType = contentType();
                    } else if (named(nameStart, nameEnd, HEADERS)) {
                        headers = stringMap();
                    } else {
                        skipValue();
                    }
                    ws();
                    byte c = next();
                    if (c == '}') {
                        break;
                    }
                    if (c != ',') {
                        throw fail();
                    }
                }
            }
            ws();
            if (i != end) {
                throw fail();
            }
        }

        private Map<String, String> stringMap() {
            expect('{');
            ws();
            if (peek() == '}') {
                i++;
                return null;
            }
            Map<String, String> m = new LinkedHashMap<>();
            while (true) {
                ws();
                String k = string();
                ws();
                expect(':');
                ws();
                m.put(k, string());
                ws();
                byte c = next();
                if (c == '}') {
                    return m;
                }
                if (c != ',') {
                    throw fail();
                }
            }
        }

        private void skipValue() {
            byte c = peek();
            if (c == '"') {
                string();
            } else if (c == '{' || c == '[') {
                byte close = c == '{' ? (byte) '}' : (byte) ']';
                i++;
                ws();
                if (peek() == close) {
                    i++;
                    return;
                }
                while (true) {
                    ws();
                    if (close == '}') {
                        string();
                        ws();
                        expect(':');
                        ws();
                    }
                    skipValue();
                    ws();
                    byte n = next();
                    if (n == close) {
                        return;
                    }
                    if (n != ',') {
                        throw fail();
                    }
                }
            } else {
                int start = i;
                while (i < end && (Character.isLetterOrDigit(b[i]) || b[i] == '-' || b[i] == '+' || b[i] == '.')) {
                    i++;
                }
                if (i == start) {
                    throw fail();
                }
            }
        }

        private long integer() {
            boolean negative = peek() == '-';
            if (negative) {
                i++;
            }
            int start = i;
            long v = 0;
            while (i < end && b[i] >= '0' && b[i] <= '9') {
                if (i - start >= 18) {
                    throw fail();
                }
                v = v * 10 + (b[i++] - '0');
            }
            if (i == start) {
                throw fail();
            }
            return negative ? -v : v;
        }

        /** Content types repeat, so the last one seen by this thread is reused when the bytes match. */
        private String contentType() {
            int start = i + 1;
            String cached = LAST_CONTENT_TYPE.get();
            if (cached != null && start + cached.length() < end && b[start + cached.length()] == '"') {
                boolean same = true;
                for (int k = 0; k < cached.length(); k++) {
                    if (b[start + k] != cached.charAt(k)) {
                        same = false;
                        break;
                    }
                }
                if (same) {
                    i = start + cached.length() + 1;
                    return cached;
                }
            }
            String s = string();
            boolean ascii = s.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\');
            if (ascii) {
                LAST_CONTENT_TYPE.set(s);
            }
            return s;
        }

        private boolean named(int start, int stop, byte[] name) {
            if (stop - start != name.length) {
                return false;
            }
            for (int k = 0; k < name.length; k++) {
                if (b[start + k] != name[k]) {
                    return false;
                }
            }
            return true;
        }

        private void skipString() {
            expect('"');
            while (true) {
                byte c = next();
                if (c == '"') {
                    return;
                }
                if (c == '\\') {
                    next();
                }
            }
        }

        private String string() {
            expect('"');
            int start = i;
            while (i < end && b[i] != '"' && b[i] != '\\') {
                i++;
            }
            if (i < end && b[i] == '"') {
                return new String(b, start, i++ - start, StandardCharsets.UTF_8);
            }
            StringBuilder sb = new StringBuilder(new String(b, start, i - start, StandardCharsets.UTF_8));
            while (true) {
                if (i >= end) {
                    throw fail();
                }
                byte c = b[i];
                if (c == '"') {
                    i++;
                    return sb.toString();
                }
                if (c == '\\') {
                    byte e = b[i + 1 < end ? i + 1 : end - 1];
                    i += 2;
                    switch (e) {
                        case '"': sb.append('"'); break;
                        case '\\': sb.append('\\'); break;
                        case '/': sb.append('/'); break;
                        case 'b': sb.append('\b'); break;
                        case 'f': sb.append('\f'); break;
                        case 'n': sb.append('\n'); break;
                        case 'r': sb.append('\r'); break;
                        case 't': sb.append('\t'); break;
                        case 'u':
                            if (i + 4 > end) {
                                throw fail();
                            }
                            sb.append((char) Integer.parseInt(new String(b, i, 4, StandardCharsets.US_ASCII), 16));
                            i += 4;
                            break;
                        default:
                            throw fail();
                    }
                } else {
                    int runStart = i;
                    while (i < end && b[i] != '"' && b[i] != '\\') {
                        i++;
                    }
                    sb.append(new String(b, runStart, i - runStart, StandardCharsets.UTF_8));
                }
            }
        }

        private void ws() {
            while (i < end && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r')) {
                i++;
            }
        }

        private byte peek() {
            if (i >= end) {
                throw fail();
            }
            return b[i];
        }

        private byte next() {
            byte c = peek();
            i++;
            return c;
        }

        private void expect(char c) {
            if (next() != c) {
                throw fail();
            }
        }

        private IllegalArgumentException fail() {
            return new IllegalArgumentException("not the SB1 metadata line at byte " + i);
        }
    }
}
