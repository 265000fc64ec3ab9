package io.switchboard.redis.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import io.switchboard.Message;
import io.switchboard.spi.Payloads;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Redis wire format (see {@code docs/wire-format-redis.md}): {@code SB1\n}, one line of JSON
 * metadata, {@code \n}, then the raw payload bytes. Stateless and thread-safe.
 *
 * <p>A message without the magic is delivered as a plain message whose payload is exactly the
 * bytes received. One with the magic but metadata that is not the documented JSON is delivered
 * the same way, with the header {@value #MALFORMED_HEADER} saying why, so a handler can tell it
 * from a foreign message: {@link #decode} reports it as {@link Malformed}.
 */
final class RedisEnvelope {
    static final byte[] MAGIC = {'S', 'B', '1', '\n'};
    /** Set on a message delivered raw because its envelope could not be read; the value says why. */
    static final String MALFORMED_HEADER = "sb-malformed-envelope";
    private static final String MAX_SIZE_KEY = "switchboard.message.max-size";

    /** Bytes that start with the magic but are not a readable envelope; the message says why, in one short line. */
    static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String reason) {
            super(reason, null, false, false);
        }
    }

    /**
     * Streaming JSON for the metadata line. The line's length is bounded before parsing (see
     * {@link #maxMetadataBytes}), which bounds every string in it; no document-length limit
     * either, since a reused parser counts every line it was fed.
     */
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(8)
                    .maxStringLength(Integer.MAX_VALUE)
                    .maxNumberLength(40)
                    .build())
            .build();

    /*
     * The limits an envelope is read under are those its writer keeps: the message rules of
     * Message.Builder (id, content type, header names and values), through which the reader
     * builds what it read; switchboard.message.max-size for payload plus header bytes, which the
     * facade checks at publish; and the timestamp range of Message.Builder (years 1 to 9999),
     * checked on the number before it becomes an Instant.
     */
    private static final long MIN_TIMESTAMP = Message.EARLIEST_TIMESTAMP.toEpochMilli();
    private static final long MAX_TIMESTAMP = Message.LATEST_TIMESTAMP.toEpochMilli();

    private static final ThreadLocal<Encoder> ENCODER = ThreadLocal.withInitial(Encoder::new);


    /**
     * One non-blocking parser per decoding thread, fed one metadata line after another (each a
     * root value): creating and recycling a parser per message cost more than parsing. A parser
     * left in any state but "between root values" is dropped with its decoder.
     */
    private static final ThreadLocal<Decoder> DECODER = ThreadLocal.withInitial(Decoder::new);

    private RedisEnvelope() {
    }

    /** Encodes a message into one Redis PUBLISH payload. */
    static byte[] encode(Message m) {
        Encoder e = ENCODER.get();
        try {
            return e.encode(m);
        } catch (IOException | RuntimeException failure) {
            ENCODER.remove();
            throw new IllegalStateException("cannot encode the envelope of message " + m.id(), failure);
        }
    }

    /** A growable byte buffer the generator flushes into; emptied per message. */
    private static final class Buffer extends OutputStream {
        byte[] bytes = new byte[512];
        int size;

        @Override
        public void write(int b) {
            room(1);
            bytes[size++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            room(len);
            System.arraycopy(b, off, bytes, size, len);
            size += len;
        }

        private void room(int n) {
            if (size + n > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + n));
            }
        }
    }

    /**
     * One thread's generator and buffer, kept across messages: creating and closing a Jackson
     * generator per message cost more than the encoding itself. Each message is one root value;
     * no separator is written between them, and the buffer is emptied per message. The payload is
     * copied once, into the frame, after the metadata.
     */
    private static final class Encoder {
        private final Buffer out = new Buffer();
        private final JsonGenerator g;
        private final Digits digits = new Digits();

        Encoder() {
            try {
                g = JSON.createGenerator(out);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            g.setRootValueSeparator(null);
        }

        byte[] encode(Message m) throws IOException {
            if (Message.OCTET_STREAM.equals(m.contentType()) && m.headers().isEmpty()) {
                byte[] frame = encodeDefaultShape(m, digits);
                if (frame != null) {
                    return frame;
                }
            }
            out.size = 0;
            out.write(MAGIC, 0, MAGIC.length);
            g.writeStartObject();
            g.writeStringField("id", m.id());
            g.writeNumberField("timestamp", m.timestamp().toEpochMilli());
            // The documented defaults are left out: half the metadata, and half the cost to read it.
            if (!Message.OCTET_STREAM.equals(m.contentType())) {
                g.writeStringField("contentType", m.contentType());
            }
            if (!m.headers().isEmpty()) {
                g.writeObjectFieldStart("headers");
                for (Map.Entry<String, String> h : m.headers().entrySet()) {
                    g.writeStringField(h.getKey(), h.getValue());
                }
                g.writeEndObject();
            }
            g.writeEndObject();
            g.flush();
            out.write('\n');
            byte[] payload = Payloads.view(m); // read only: copied into the frame
            byte[] frame = Arrays.copyOf(out.bytes, out.size + payload.length);
            System.arraycopy(payload, 0, frame, out.size, payload.length);
            return frame;
        }
    }

    /**
     * The frame of a message with the documented defaults and an id of printable ASCII without
     * quote or backslash, written without the generator, straight into an array of its exact size:
     * the same bytes as the generator writes ({@code {"id":"ID","timestamp":N}}, nothing to
     * escape), which is also the shape {@link #fastTimestamp} reads without the parser. Null for
     * any other id.
     */
    static byte[] encodeDefaultShape(Message m) {
        return encodeDefaultShape(m, new Digits());
    }

    /** As {@link #encodeDefaultShape(Message)}, with the timestamp's digits from (and into) {@code digits}. */
    private static byte[] encodeDefaultShape(Message m, Digits digits) {
        String id = m.id();
        byte[] time = digits.of(m.timestamp().toEpochMilli());
        int idLength = id.length();
        byte[] payload = Payloads.view(m); // read only: copied into the frame
        int metadata = MAGIC.length + FAST_ID.length + idLength + FAST_TIMESTAMP.length + time.length + 2;
        byte[] frame = new byte[metadata + payload.length];
        int i = 0;
        System.arraycopy(MAGIC, 0, frame, i, MAGIC.length);
        i += MAGIC.length;
        System.arraycopy(FAST_ID, 0, frame, i, FAST_ID.length);
        i += FAST_ID.length;
        for (int k = 0; k < idLength; k++) {
            char c = id.charAt(k);
            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
                return null;
            }
            frame[i++] = (byte) c;
        }
        System.arraycopy(FAST_TIMESTAMP, 0, frame, i, FAST_TIMESTAMP.length);
        i += FAST_TIMESTAMP.length;
        System.arraycopy(time, 0, frame, i, time.length);
        i += time.length;
        frame[i++] = '}';
        frame[i++] = '\n';
        System.arraycopy(payload, 0, frame, i, payload.length);
        return frame;
    }

    /**
     * The decimal text of the last timestamp written ({@link Long#toString(long)}'s digits): a
     * publishing thread's messages mostly share their millisecond, and writing the digits out, a
     * division per digit, was a third of the publishing thread's samples in a JFR profile of
     * {@code bin/bench redis} (see docs/redis.md, performance). One thread's.
     */
    private static final class Digits {
        /** Message timestamps lie in years 1 to 9999, so this one never matches. */
        private long value = Long.MIN_VALUE;
        private byte[] text;

        byte[] of(long v) {
            if (v != value || text == null) {
                text = Long.toString(v).getBytes(StandardCharsets.US_ASCII);
                value = v;
            }
            return text;
        }
    }

    /** Whether the bytes start with the envelope magic. */
    static boolean hasMagic(byte[] raw) {
        return hasMagic(raw, 0, raw.length);
    }

    /** Whether the {@code length} bytes of {@code raw} from {@code from} start with the envelope magic. */
    static boolean hasMagic(byte[] raw, int from, int length) {
        if (length < MAGIC.length) {
            return false;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (raw[from + i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The longest metadata line a writer keeping {@code maxMessageSize} can produce: header bytes
     * at most that, JSON escaping at most six bytes per byte ({@code \u0001}), plus the id,
     * timestamp and content type.
     */
    static long maxMetadataBytes(long maxMessageSize) {
        return 6 * maxMessageSize + 8192;
    }

    /**
     * Decodes an envelope, under the limits its writer keeps.
     *
     * @param maxMessageSize {@code switchboard.message.max-size}: payload plus header bytes
     * @throws Malformed when the bytes have the magic but not the documented metadata line, or
     *     break a limit (the caller then delivers them raw, see {@link #raw(byte[], String, String)})
     */
    static Message decode(byte[] raw, String channel, long maxMessageSize) throws Malformed {
        int nl = -1;
        for (int i = MAGIC.length; i < raw.length; i++) {
            if (raw[i] == '\n') {
                nl = i;
                break;
            }
        }
        if (nl < 0) {
            throw new Malformed("no newline ends the metadata line");
        }
        return decode(raw, nl, null, channel, maxMessageSize);
    }

    /**
     * Decodes an envelope read as two arrays (see {@link RespReader}): {@code meta}, the magic and
     * the metadata line with its newline, and {@code body}, the payload after it, which the
     * message adopts (the caller must not write to it). The same result and the same
     * {@link Malformed} as {@link #decode(byte[], String, long)} on the bytes of both together.
     */
    static Message decode(byte[] meta, byte[] body, String channel, long maxMessageSize) throws Malformed {
        if (meta.length <= MAGIC.length || !hasMagic(meta) || meta[meta.length - 1] != '\n') {
            throw new IllegalArgumentException("not the magic and a metadata line");
        }
        return decode(meta, meta.length - 1, body, channel, maxMessageSize);
    }

    /** The bytes of {@code meta} and then {@code body}, in one new array: an envelope read split, as received. */
    static byte[] join(byte[] meta, byte[] body) {
        byte[] all = Arrays.copyOf(meta, meta.length + body.length);
        System.arraycopy(body, 0, all, meta.length, body.length);
        return all;
    }

    /**
     * Decodes the metadata line ending at {@code raw[nl]}; the payload is {@code body} (adopted)
     * if not null, else the bytes of {@code raw} after the line (copied).
     */
    private static Message decode(byte[] raw, int nl, byte[] body, String channel, long maxMessageSize) throws Malformed {
        if (nl - MAGIC.length > maxMetadataBytes(maxMessageSize)) {
            throw new Malformed("the metadata line is " + (nl - MAGIC.length) + " bytes, longer than any message of at most "
                    + MAX_SIZE_KEY + "=" + maxMessageSize + " has");
        }
        String id = null;
        Long timestamp = null;
        String contentType = null;
        Map<String, String> headers = null;
        long fast = fastTimestamp(raw, nl);
        if (fast != NOT_FAST) {
            int idEnd = indexOfQuote(raw, MAGIC.length + FAST_ID.length, nl);
            id = new String(raw, MAGIC.length + FAST_ID.length, idEnd - MAGIC.length - FAST_ID.length, StandardCharsets.ISO_8859_1);
            if (fast < MIN_TIMESTAMP || fast > MAX_TIMESTAMP) {
                throw new Malformed("timestamp " + fast + " is outside years 1 to 9999");
            }
            timestamp = fast;
        } else {
            Decoder decoder = DECODER.get();
            JsonParser p = decoder.parser;
            boolean clean = false;
            try {
                ByteArrayFeeder feeder = (ByteArrayFeeder) p.getNonBlockingInputFeeder();
                feeder.feedInput(raw, MAGIC.length, nl);
                if (p.nextToken() != JsonToken.START_OBJECT) {
                    throw new Malformed("the metadata is not a JSON object");
                }
                JsonToken t;
                while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken value = p.nextToken();
                    switch (field) {
                        case "id":
                            id = string(p, value, "id");
                            break;
                        case "timestamp":
                            if (value == JsonToken.VALUE_NUMBER_INT) {
                                timestamp = p.getLongValue();
                                if (timestamp < MIN_TIMESTAMP || timestamp > MAX_TIMESTAMP) {
                                    throw new Malformed("timestamp " + timestamp + " is outside years 1 to 9999");
                                }
                            } else if (value != JsonToken.VALUE_NULL) {
                                throw new Malformed("'timestamp' is not an integer");
                            }
                            break;
                        case "contentType":
                            contentType = decoder.contentType(p, value);
                            break;
                        case "headers":
                            if (value == JsonToken.START_OBJECT) {
                                JsonToken h;
                                while ((h = p.nextToken()) == JsonToken.FIELD_NAME) {
                                    String name = p.currentName();
                                    String v = string(p, p.nextToken(), "a header value");
                                    if (v == null) {
                                        throw new Malformed("a header value is null");
                                    }
                                    if (headers == null) {
                                        headers = new LinkedHashMap<>();
                                    }
                                    headers.put(name, v);
                                }
                                if (h != JsonToken.END_OBJECT) {
                                    throw new Malformed("'headers' is cut off");
                                }
                            } else if (value != JsonToken.VALUE_NULL) {
                                throw new Malformed("'headers' is not an object");
                            }
                            break;
                        default:
                            if (!skip(p, value)) {
                                throw new Malformed("the metadata is cut off");
                            }
                    }
                }
                if (t != JsonToken.END_OBJECT || p.nextToken() != JsonToken.NOT_AVAILABLE) {
                    throw new Malformed("the metadata line is not exactly one JSON object");
                }
                clean = true;
            } catch (IOException e) {
                throw new Malformed("the metadata is not valid JSON: " + shorten(e instanceof JsonProcessingException
                        ? ((JsonProcessingException) e).getOriginalMessage() : e.getMessage()));
            } finally {
                if (!clean) {
                    closeQuietly(p);
                    DECODER.remove();
                }
            }
        }
        try {
            Message.Builder b = (body != null ? Payloads.adopt(Message.builder(), body)
                    : Message.builder().payload(raw, nl + 1, raw.length - nl - 1)).channel(channel);
            if (id != null) {
                b.id(id);
            }
            b.timestamp(timestamp != null ? Instant.ofEpochMilli(timestamp) : Instant.now());
            if (contentType != null) {
                b.contentType(contentType);
            }
            if (headers != null) {
                b.headers(headers);
            }
            Message m = b.build();
            if (m.size() > maxMessageSize) {
                throw new Malformed("the message is " + m.size() + " bytes (payload and headers), over " + MAX_SIZE_KEY + "="
                        + maxMessageSize);
            }
            return m;
        } catch (IllegalArgumentException e) {
            // The message's own rules, the same the publishing side's Message.Builder applied.
            throw new Malformed(shorten(e.getMessage()));
        }
    }

    private static final byte[] FAST_ID = "{\"id\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FAST_TIMESTAMP = "\",\"timestamp\":".getBytes(StandardCharsets.US_ASCII);
    /** Not a timestamp {@link #fastTimestamp} can return (it returns at most 18 digits). */
    private static final long NOT_FAST = Long.MIN_VALUE;

    /**
     * The metadata this writer produces for a message with the documented defaults, read without
     * the JSON parser: exactly {@code {"id":"ID","timestamp":N}} with an id of printable ASCII
     * without quote or backslash (nothing to unescape) and N a plain integer of at most 18 digits
     * (no leading zero, no {@code -0}). Returns N, or {@link #NOT_FAST} for anything else, which
     * the parser then reads (with the same result for this shape).
     */
    static long fastTimestamp(byte[] raw, int nl) {
        int i = MAGIC.length;
        if (!startsWith(raw, i, nl, FAST_ID)) {
            return NOT_FAST;
        }
        i = indexOfQuote(raw, i + FAST_ID.length, nl);
        if (i < 0 || !startsWith(raw, i, nl, FAST_TIMESTAMP)) {
            return NOT_FAST;
        }
        i += FAST_TIMESTAMP.length;
        boolean negative = i < nl && raw[i] == '-';
        if (negative) {
            i++;
        }
        int digits = nl - 1 - i;
        if (digits < 1 || digits > 18 || raw[nl - 1] != '}' || raw[i] == '0' && (digits > 1 || negative)) {
            return NOT_FAST;
        }
        long v = 0;
        for (int j = i; j < nl - 1; j++) {
            byte c = raw[j];
            if (c < '0' || c > '9') {
                return NOT_FAST;
            }
            v = v * 10 + (c - '0');
        }
        return negative ? -v : v;
    }

    /** The index of the quote ending a string of printable ASCII without backslash from {@code from}; -1 if there is none. */
    private static int indexOfQuote(byte[] raw, int from, int end) {
        for (int i = from; i < end; i++) {
            byte c = raw[i];
            if (c == '"') {
                return i;
            }
            if (c < 0x20 || c > 0x7e || c == '\\') {
                return -1;
            }
        }
        return -1;
    }

    private static boolean startsWith(byte[] raw, int at, int end, byte[] prefix) {
        if (end - at < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (raw[at + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static String shorten(String s) {
        String t = String.valueOf(s);
        int nl = t.indexOf('\n');
        if (nl >= 0) {
            t = t.substring(0, nl);
        }
        return t.length() > 200 ? t.substring(0, 200) + "..." : t;
    }

    /** One thread's parser, and the last content type read (senders mostly repeat one). */
    private static final class Decoder {
        final JsonParser parser;
        private String lastContentType = Message.JSON;

        Decoder() {
            try {
                parser = JSON.createNonBlockingByteArrayParser();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Like {@link RedisEnvelope#string}, but the same content type as last time is the same String. */
        String contentType(JsonParser p, JsonToken token) throws IOException, Malformed {
            if (token != JsonToken.VALUE_STRING) {
                return string(p, token, "contentType");
            }
            String last = lastContentType;
            int length = p.getTextLength();
            if (length == last.length()) {
                char[] chars = p.getTextCharacters();
                int offset = p.getTextOffset();
                int i = 0;
                while (i < length && chars[offset + i] == last.charAt(i)) {
                    i++;
                }
                if (i == length) {
                    return last;
                }
            }
            lastContentType = p.getText();
            return lastContentType;
        }
    }

    /** Skips one value whose first token was just read; false if the input ends inside it. */
    private static boolean skip(JsonParser p, JsonToken first) throws IOException {
        if (first == null || first == JsonToken.NOT_AVAILABLE) {
            return false;
        }
        int depth = first.isStructStart() ? 1 : 0;
        while (depth > 0) {
            JsonToken t = p.nextToken();
            if (t == null || t == JsonToken.NOT_AVAILABLE) {
                return false;
            }
            if (t.isStructStart()) {
                depth++;
            } else if (t.isStructEnd()) {
                depth--;
            }
        }
        return true;
    }

    private static void closeQuietly(JsonParser p) {
        try {
            p.close();
        } catch (IOException ignored) {
            // a parser over an in-memory buffer has nothing to fail on close
        }
    }

    /** The string value, {@code null} for JSON null; a non-string makes the envelope malformed. */
    private static String string(JsonParser p, JsonToken token, String what) throws IOException, Malformed {
        if (token == JsonToken.VALUE_STRING) {
            return p.getText();
        }
        if (token == JsonToken.VALUE_NULL) {
            return null;
        }
        throw new Malformed(what + " is not a string");
    }

    /** A message for bytes that are not an envelope: payload exactly as received. */
    static Message raw(byte[] raw, String channel) {
        // The frame is the reader's own allocation and nobody writes to it: no second copy.
        return Payloads.adopt(Message.builder(), raw).contentType(sniff(raw)).channel(channel).build();
    }

    /** A message for bytes that start with the magic but are not a readable envelope: payload exactly as received, flagged. */
    static Message raw(byte[] raw, String channel, String malformedReason) {
        return Payloads.adopt(Message.builder(), raw).contentType(sniff(raw)).channel(channel).header(MALFORMED_HEADER, malformedReason).build();
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
}
