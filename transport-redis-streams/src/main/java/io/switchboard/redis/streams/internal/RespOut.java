package io.switchboard.redis.streams.internal;

import io.switchboard.redis.common.Resp;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.args.Rawable;

/**
 * The writer connection's command encoder: RESP written straight into one reusable buffer and
 * from it to the socket Jedis connected and authenticated, in one write per batch. An
 * {@code XADD} is encoded from the entry's fields with no argument objects per field (Jedis's
 * {@link CommandArguments} wraps and copies every argument); any other command is encoded from its
 * {@link CommandArguments} as Jedis would. Replies are still read by Jedis on the same
 * connection, whose own output buffer is never used once this is. Not thread-safe: the writer
 * uses it under its send lock.
 */
final class RespOut {
    private static final int BUFFER = 64 * 1024;
    private static final byte[] XADD = StreamEntries.bytes("$4\r\nXADD\r\n");
    private static final byte[] MAXLEN = StreamEntries.bytes("$6\r\nMAXLEN\r\n$1\r\n~\r\n");
    private static final byte[] MINID = StreamEntries.bytes("$5\r\nMINID\r\n$1\r\n~\r\n");
    private static final byte[] NEW_ID = StreamEntries.bytes("$1\r\n*\r\n");

    private final OutputStream out;
    private final byte[] buf = new byte[BUFFER];
    private int pos;

    RespOut(OutputStream out) {
        this.out = out;
    }

    /**
     * Buffers {@code XADD key MAXLEN|MINID ~ threshold * field value ...}.
     *
     * @param minId whether {@code threshold} is a {@code MINID} (else a {@code MAXLEN})
     */
    void xadd(byte[] key, boolean minId, byte[] threshold, List<byte[]> fields) throws IOException {
        head('*', 6 + fields.size());
        put(XADD);
        bulk(key);
        put(minId ? MINID : MAXLEN);
        bulk(threshold);
        put(NEW_ID);
        for (int i = 0, n = fields.size(); i < n; i++) {
            bulk(fields.get(i));
        }
    }

    /** Buffers any command as Jedis's protocol writer would. */
    void command(CommandArguments args) throws IOException {
        head('*', args.size());
        for (Rawable r : args) {
            bulk(r.getRaw());
        }
    }

    /** Writes what is buffered to the socket. */
    void flush() throws IOException {
        if (pos > 0) {
            out.write(buf, 0, pos);
            pos = 0;
        }
        out.flush();
    }

    /** Forgets what is buffered (the connection broke). */
    void clear() {
        pos = 0;
    }

    private void bulk(byte[] b) throws IOException {
        head('$', b.length);
        if (b.length > BUFFER / 2) {
            drain();
            out.write(b);
        } else {
            put(b);
        }
        room(2);
        buf[pos++] = '\r';
        buf[pos++] = '\n';
    }

    private void head(char type, int n) throws IOException {
        room(Resp.MAX_HEADER);
        pos = Resp.putHeader(buf, pos, (byte) type, n);
    }

    private void put(byte[] b) throws IOException {
        room(b.length);
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
    }

    private void room(int n) throws IOException {
        if (pos + n > buf.length) {
            drain();
        }
    }

    private void drain() throws IOException {
        if (pos > 0) {
            out.write(buf, 0, pos);
            pos = 0;
        }
    }
}
