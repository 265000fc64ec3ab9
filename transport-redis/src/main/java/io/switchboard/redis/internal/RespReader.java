package io.switchboard.redis.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The subscriber's hot path: reads RESP2 replies from a socket Jedis has authenticated, with
 * pushed messages ({@code message}, {@code smessage}, {@code pmessage}) parsed without
 * allocating anything but the payload, which is copied once, from this reader's buffer into an
 * array of its exact length. With {@code splitEnvelopes}, a payload that lies whole in the buffer
 * and starts with the SB1 magic and a metadata line is copied as two arrays instead: the magic and
 * metadata line ({@link #meta}) and the message's payload after it ({@link #payload}), which the
 * decoded message then adopts, so that its bytes are copied once rather than twice (measured with
 * {@code bin/bench redis}, see docs/redis.md, performance). Channel and glob names are compared in place with the previous
 * message's and only turned into new arrays when they change. Every other reply is returned as
 * Jedis would: a {@code List} of {@code byte[]}, {@code Long} and {@code null}, a {@code byte[]}
 * for a bulk or simple string, a {@code Long}. Not thread-safe: one reader thread at a time, with
 * a happens-before edge between successive ones.
 *
 * <p>An error reply is thrown as {@link JedisDataException} (its text as the message), I/O
 * failures as {@link JedisConnectionException} with the cause kept (a
 * {@link java.net.SocketTimeoutException} for a read timeout), as Jedis throws them.
 */
final class RespReader {
    /** What {@link #read()} found. */
    static final int OTHER = 0;
    static final int MESSAGE = 1;
    static final int SMESSAGE = 2;
    static final int PMESSAGE = 3;

    private static final byte[] MESSAGE_WORD = "message".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SMESSAGE_WORD = "smessage".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PMESSAGE_WORD = "pmessage".getBytes(StandardCharsets.US_ASCII);
    private static final int BUFFER = 64 * 1024;
    /** Longer names are read into fresh arrays rather than the scratch one. */
    private static final int MAX_SCRATCH = 64 * 1024;

    private final InputStream in;
    private final byte[] r = new byte[BUFFER];
    private int rpos;
    private int rlen;
    private byte[] scratch = new byte[256];

    /** For {@link #MESSAGE} and the others: the channel's name as received (the same array while it repeats). */
    byte[] channel = new byte[0];
    /** For {@link #PMESSAGE}: the glob's name as received (the same array while it repeats). */
    byte[] glob = new byte[0];
    /**
     * For a message: its payload, a fresh array; after {@link #meta} when that is not null (the
     * bytes after the metadata line), else the whole payload as received.
     */
    byte[] payload;
    /**
     * For a message whose payload was split (see the class comment): its first bytes, the magic
     * and the metadata line with its newline, a fresh array; else null.
     */
    byte[] meta;
    private final boolean splitEnvelopes;
    /** For {@link #OTHER}: the reply. */
    Object reply;

    /** A reader that never splits a payload. */
    RespReader(InputStream in) {
        this(in, false);
    }

    /** A reader that splits envelopes off their payloads when {@code splitEnvelopes} (see the class comment). */
    RespReader(InputStream in, boolean splitEnvelopes) {
        this.in = in;
        this.splitEnvelopes = splitEnvelopes;
    }

    /** Reads one reply; returns its kind and sets the fields that kind uses. */
    int read() {
        payload = null;
        meta = null;
        reply = null;
        byte type = next();
        if (type != '*') {
            reply = scalar(type, true);
            return OTHER;
        }
        long n = integer();
        if (n < 1) {
            reply = n < 0 ? null : new ArrayList<>(0);
            return OTHER;
        }
        byte first = next();
        if (first != '$') {
            reply = rest(n, scalar(first, false));
            return OTHER;
        }
        long len = integer();
        int kind = OTHER;
        if (len == MESSAGE_WORD.length || len == PMESSAGE_WORD.length) {
            int l = (int) len;
            byte[] s = fill(l);
            if (n == 3 && Arrays.equals(s, 0, l, MESSAGE_WORD, 0, MESSAGE_WORD.length)) {
                kind = MESSAGE;
            } else if (n == 3 && Arrays.equals(s, 0, l, SMESSAGE_WORD, 0, SMESSAGE_WORD.length)) {
                kind = SMESSAGE;
            } else if (n == 4 && Arrays.equals(s, 0, l, PMESSAGE_WORD, 0, PMESSAGE_WORD.length)) {
                kind = PMESSAGE;
            } else {
                reply = rest(n, Arrays.copyOf(s, l));
                return OTHER;
            }
        } else {
            reply = rest(n, bulkBody(len));
            return OTHER;
        }
        if (kind == PMESSAGE) {
            glob = name(glob);
        }
        channel = name(channel);
        expect('$');
        long size = integer();
        if (size < 0 || size > Integer.MAX_VALUE - 16) {
            throw new JedisConnectionException("a pushed message with a payload of " + size + " bytes");
        }
        if (!splitEnvelopes || !split((int) size)) {
            payload = body((int) size);
        }
        return kind;
    }

    /**
     * Reads a payload of {@code size} bytes as {@link #meta} and {@link #payload} if it lies whole
     * in the buffer, with its CRLF, and starts with the magic and a metadata line; else reads
     * nothing and returns false.
     */
    private boolean split(int size) {
        int start = rpos;
        if (rlen - start < size + 2 || size <= RedisEnvelope.MAGIC.length || !RedisEnvelope.hasMagic(r, start, size)) {
            return false;
        }
        int end = start + size;
        int nl = -1;
        for (int i = start + RedisEnvelope.MAGIC.length; i < end; i++) {
            if (r[i] == '\n') {
                nl = i;
                break;
            }
        }
        if (nl < 0) {
            return false;
        }
        meta = Arrays.copyOfRange(r, start, nl + 1);
        payload = Arrays.copyOfRange(r, nl + 1, end);
        rpos = end;
        crlf();
        return true;
    }

    /** The remaining elements of an array whose first one was {@code first}. */
    private List<Object> rest(long n, Object first) {
        List<Object> list = new ArrayList<>((int) Math.min(n, 16));
        list.add(first);
        for (long i = 1; i < n; i++) {
            list.add(scalar(next(), false));
        }
        return list;
    }

    /**
     * One reply whose type byte was just read (nested arrays included). An error is thrown at the
     * top level and returned as a {@link JedisDataException} inside an array (as Jedis does), so
     * that the rest of the array is still read.
     */
    private Object scalar(byte type, boolean top) {
        switch (type) {
            case '$':
                return bulkBody(integer());
            case ':':
                return integer();
            case '+':
                return line();
            case '-': {
                JedisDataException e = new JedisDataException(new String(line(), StandardCharsets.UTF_8));
                if (top) {
                    throw e;
                }
                return e;
            }
            case '*': {
                long n = integer();
                if (n < 0) {
                    return null;
                }
                List<Object> list = new ArrayList<>((int) Math.min(n, 16));
                for (long i = 0; i < n; i++) {
                    list.add(scalar(next(), false));
                }
                return list;
            }
            default:
                throw new JedisConnectionException("unexpected reply type '" + (char) type + "' on the subscriber connection");
        }
    }

    /** A bulk string's body after its length line ({@code null} for length -1). */
    private byte[] bulkBody(long len) {
        if (len < 0) {
            return null;
        }
        if (len > Integer.MAX_VALUE - 16) {
            throw new JedisConnectionException("a bulk reply of " + len + " bytes");
        }
        return body((int) len);
    }

    /** The next bulk string (its {@code $} already read) as a name: {@code previous} itself when equal. */
    private byte[] name(byte[] previous) {
        expect('$');
        long len = integer();
        if (len < 0 || len > MAX_SCRATCH) {
            return bulkBody(len);
        }
        int l = (int) len;
        byte[] s = fill(l);
        return Arrays.equals(s, 0, l, previous, 0, previous.length) ? previous : Arrays.copyOf(s, l);
    }

    /** Reads {@code len} bytes and the CRLF after them into the scratch array. */
    private byte[] fill(int len) {
        if (scratch.length < len) {
            scratch = new byte[Math.max(len, scratch.length * 2)];
        }
        copy(scratch, len);
        crlf();
        return scratch;
    }

    /** Reads {@code len} bytes and the CRLF after them into a new array. */
    private byte[] body(int len) {
        byte[] b = new byte[len];
        copy(b, len);
        crlf();
        return b;
    }

    private void copy(byte[] dst, int len) {
        int done = 0;
        while (done < len) {
            if (rpos == rlen) {
                if (len - done >= r.length) {
                    // Large payloads go straight from the socket into their array.
                    done += readInto(dst, done, len - done);
                    continue;
                }
                fillBuffer();
            }
            int n = Math.min(len - done, rlen - rpos);
            System.arraycopy(r, rpos, dst, done, n);
            rpos += n;
            done += n;
        }
    }

    private byte[] line() {
        int start = rpos;
        // Fast path: the whole line is in the buffer.
        for (int i = rpos; i + 1 < rlen; i++) {
            if (r[i] == '\r') {
                if (r[i + 1] != '\n') {
                    throw new JedisConnectionException("malformed reply: CR without LF");
                }
                rpos = i + 2;
                return Arrays.copyOfRange(r, start, i);
            }
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte c;
        while ((c = next()) != '\r') {
            out.write(c);
        }
        expectLf();
        return out.toByteArray();
    }

    /** A decimal integer line, after its type byte. */
    private long integer() {
        long v = 0;
        boolean negative = false;
        byte c = next();
        if (c == '-') {
            negative = true;
            c = next();
        }
        while (c != '\r') {
            if (c < '0' || c > '9') {
                throw new JedisConnectionException("unexpected byte " + c + " in a length or integer reply");
            }
            v = v * 10 + (c - '0');
            c = next();
        }
        expectLf();
        return negative ? -v : v;
    }

    private void expect(char type) {
        byte b = next();
        if (b != type) {
            throw new JedisConnectionException("unexpected byte '" + (char) b + "' where '" + type + "' was expected in a pushed message");
        }
    }

    private void crlf() {
        if (next() != '\r') {
            throw new JedisConnectionException("malformed reply: a bulk string not followed by CRLF");
        }
        expectLf();
    }

    private void expectLf() {
        if (next() != '\n') {
            throw new JedisConnectionException("malformed reply: CR without LF");
        }
    }

    private byte next() {
        if (rpos == rlen) {
            fillBuffer();
        }
        return r[rpos++];
    }

    private void fillBuffer() {
        int n = readInto(r, 0, r.length);
        rpos = 0;
        rlen = n;
    }

    private int readInto(byte[] dst, int off, int len) {
        int n;
        try {
            n = in.read(dst, off, len);
        } catch (IOException e) {
            throw new JedisConnectionException(e);
        }
        if (n <= 0) {
            throw new JedisConnectionException("Unexpected end of stream.");
        }
        return n;
    }
}
