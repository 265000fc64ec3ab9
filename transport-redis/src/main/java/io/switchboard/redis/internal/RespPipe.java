package io.switchboard.redis.internal;

import io.switchboard.redis.common.Resp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.function.IntSupplier;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * The publisher's hot path: writes {@code PUBLISH} commands in RESP straight into a reusable
 * buffer and parses the integer replies without allocating per message, on a socket Jedis has
 * already authenticated. Writing is done under the publisher's write lock, reading by the one
 * reply thread; the two halves share nothing. I/O failures are thrown as
 * {@link JedisConnectionException} (cause kept) so they are translated like every other.
 *
 * <p>Before every blocking read the socket's read timeout is set from {@code readTimeoutMillis},
 * so that the time left to the oldest command's deadline, not a fixed timeout restarted by each
 * read, decides when a silent server is given up on.
 */
final class RespPipe {
    static final byte[] PUBLISH_HEAD = "*3\r\n$7\r\nPUBLISH\r\n$".getBytes(StandardCharsets.US_ASCII);
    /** Redis 7's sharded publish: the message goes to the subscribers of the channel's shard only. */
    static final byte[] SPUBLISH_HEAD = "*3\r\n$8\r\nSPUBLISH\r\n$".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PING = "*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int BUFFER = 64 * 1024;

    /** An error reply ({@code -ERR ...}). */
    static final class ErrorReply {
        final String message;

        ErrorReply(String message) {
            this.message = message;
        }
    }

    private final Socket socket;
    private final IntSupplier readTimeoutMillis;
    private final OutputStream out;
    private final InputStream in;
    private final byte[] w = new byte[BUFFER];
    private int wpos;
    private final byte[] r = new byte[BUFFER];
    private int rpos;
    private int rlen;
    private boolean inReply;

    RespPipe(Socket socket, IntSupplier readTimeoutMillis) {
        this.socket = socket;
        this.readTimeoutMillis = readTimeoutMillis;
        try {
            this.out = socket.getOutputStream();
            this.in = socket.getInputStream();
        } catch (IOException e) {
            throw new JedisConnectionException(e);
        }
    }

    void publish(byte[] channel, byte[] payload) {
        publish(PUBLISH_HEAD, channel, payload);
    }

    /** Writes (buffered) one publish command: {@link #PUBLISH_HEAD} or {@link #SPUBLISH_HEAD}. */
    void publish(byte[] head, byte[] channel, byte[] payload) {
        room(head.length + 24 + channel.length + 16);
        put(head);
        number(channel.length);
        crlf();
        put(channel);
        crlf();
        w[wpos++] = '$';
        number(payload.length);
        crlf();
        if (payload.length > BUFFER / 2) {
            flush();
            write(payload, payload.length);
        } else {
            room(payload.length + 2);
            put(payload);
        }
        room(2);
        crlf();
    }

    void ping() {
        room(PING.length);
        put(PING);
    }

    void flush() {
        if (wpos > 0) {
            write(w, wpos);
            wpos = 0;
        }
    }

    /**
     * Reads one reply: a {@code Long} for an integer, a {@code String} for a simple string, an
     * {@link ErrorReply} for an error.
     *
     * @throws JedisConnectionException on EOF, timeout (cause {@link java.net.SocketTimeoutException})
     *     or anything that is not one of those
     */
    Object read() {
        byte type = next();
        inReply = true;
        Object reply = parse(type);
        inReply = false;
        return reply;
    }

    /** Whether a reply was partly read when the last read failed (its rest would be misread). */
    boolean inReply() {
        return inReply;
    }

    private Object parse(byte type) {
        switch (type) {
            case ':': {
                long v = 0;
                boolean negative = false;
                byte c = next();
                if (c == '-') {
                    negative = true;
                    c = next();
                }
                while (c != '\r') {
                    if (c < '0' || c > '9') {
                        throw new JedisConnectionException("unexpected byte " + c + " in an integer reply");
                    }
                    v = v * 10 + (c - '0');
                    c = next();
                }
                expectLf();
                return negative ? -v : v;
            }
            case '+':
                return line();
            case '-':
                return new ErrorReply(line());
            default:
                throw new JedisConnectionException("unexpected reply type '" + (char) type + "' on the publisher connection");
        }
    }

    private String line() {
        StringBuilder sb = new StringBuilder();
        byte c;
        while ((c = next()) != '\r') {
            sb.append((char) (c & 0xff));
        }
        expectLf();
        return new String(sb.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    private void expectLf() {
        if (next() != '\n') {
            throw new JedisConnectionException("malformed reply: CR without LF");
        }
    }

    private byte next() {
        if (rpos == rlen) {
            try {
                socket.setSoTimeout(readTimeoutMillis.getAsInt());
                rlen = in.read(r, 0, r.length);
            } catch (IOException e) {
                throw new JedisConnectionException(e);
            }
            rpos = 0;
            if (rlen <= 0) {
                rlen = 0;
                throw new JedisConnectionException("Unexpected end of stream.");
            }
        }
        return r[rpos++];
    }

    private void room(int n) {
        if (wpos + n > w.length) {
            flush();
        }
    }

    private void put(byte[] b) {
        System.arraycopy(b, 0, w, wpos, b.length);
        wpos += b.length;
    }

    private void crlf() {
        w[wpos++] = '\r';
        w[wpos++] = '\n';
    }

    private void number(int n) {
        wpos = Resp.putDecimal(w, wpos, n);
    }

    private void write(byte[] b, int len) {
        try {
            out.write(b, 0, len);
            out.flush();
        } catch (IOException e) {
            throw new JedisConnectionException(e);
        }
    }
}
