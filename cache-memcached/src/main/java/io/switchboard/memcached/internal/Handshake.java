package io.switchboard.memcached.internal;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The check {@code open()} makes of each server on a connection of its own before trusting it:
 * that it accepts a connection and answers a memcached {@code version} request, in the configured
 * protocol, before a deadline. spymemcached counts a server as available as soon as TCP connects,
 * which a frozen process (its kernel still accepts) or a server of another kind passes too.
 * Blocking; each call uses one socket and closes it. Thread-safe (no state).
 */
public final class Handshake {
    /** What the server did. */
    public enum Outcome {
        /** It answered as memcached; {@link Result#detail()} is its version. */
        ANSWERED,
        /** No connection could be made before the deadline (refused, unreachable, closed at once). */
        UNREACHABLE,
        /** It accepted the connection but answered nothing before the deadline. */
        SILENT,
        /** It answered, but not as memcached; {@link Result#detail()} shows what it said. */
        NOT_MEMCACHED
    }

    /** The outcome with its detail: the version, the error or the (printable) reply. */
    public record Result(Outcome outcome, String detail) {
    }

    static final int MAGIC_REQUEST = 0x80;
    static final int MAGIC_RESPONSE = 0x81;
    static final int OP_VERSION = 0x0b;
    /** Pause between connection attempts to a server that refuses, until the deadline. */
    private static final long RETRY_MILLIS = 100;

    private Handshake() {
    }

    /**
     * Connects to {@code address} and asks for its version, trying again while it refuses
     * connections, until {@code deadlineNanos} (a {@link System#nanoTime()} value).
     */
    public static Result check(InetSocketAddress address, boolean binary, long deadlineNanos) {
        Result last = new Result(Outcome.UNREACHABLE, "no attempt made");
        while (true) {
            long left = remainingMillis(deadlineNanos);
            if (left <= 0) {
                return last;
            }
            last = attempt(address, binary, deadlineNanos, left);
            if (last.outcome() != Outcome.UNREACHABLE) {
                return last;
            }
            try {
                Thread.sleep(Math.max(1, Math.min(RETRY_MILLIS, remainingMillis(deadlineNanos))));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Result(Outcome.UNREACHABLE, "interrupted");
            }
        }
    }

    private static Result attempt(InetSocketAddress address, boolean binary, long deadlineNanos, long leftMillis) {
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            try {
                socket.connect(address, (int) Math.min(Integer.MAX_VALUE, leftMillis));
            } catch (SocketTimeoutException e) {
                return new Result(Outcome.UNREACHABLE, "no connection within the time");
            }
            try {
                return binary ? binaryVersion(socket, deadlineNanos) : textVersion(socket, deadlineNanos);
            } catch (SocketTimeoutException e) {
                return new Result(Outcome.SILENT, "accepted the connection but did not answer a version request");
            } catch (EOFException e) {
                return new Result(Outcome.UNREACHABLE, "closed the connection without answering");
            }
        } catch (IOException e) {
            return new Result(Outcome.UNREACHABLE, String.valueOf(e.getMessage()));
        }
    }

    private static Result binaryVersion(Socket socket, long deadlineNanos) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(header(OP_VERSION, 0, 0));
        out.flush();
        InputStream in = socket.getInputStream();
        byte[] head = new byte[24];
        int first = read(socket, in, deadlineNanos);
        if (first != MAGIC_RESPONSE) {
            return notMemcached(socket, in, first, deadlineNanos);
        }
        head[0] = (byte) first;
        readFully(socket, in, head, 1, deadlineNanos);
        ByteBuffer h = ByteBuffer.wrap(head);
        int bodyLength = h.getInt(8);
        if (bodyLength < 0 || bodyLength > 4096) {
            return new Result(Outcome.NOT_MEMCACHED, "a binary reply with a body of " + bodyLength + " bytes to a version request");
        }
        byte[] body = new byte[bodyLength];
        readFully(socket, in, body, 0, deadlineNanos);
        return new Result(Outcome.ANSWERED, new String(body, StandardCharsets.US_ASCII));
    }

    private static Result textVersion(Socket socket, long deadlineNanos) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write("version\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        StringBuilder line = new StringBuilder();
        while (line.length() < 256) {
            int c = read(socket, in, deadlineNanos);
            if (c == '\n') {
                break;
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        String reply = line.toString();
        if (reply.startsWith("VERSION ")) {
            return new Result(Outcome.ANSWERED, reply.substring("VERSION ".length()));
        }
        return new Result(Outcome.NOT_MEMCACHED, "'" + printable(reply) + "' to a text version request");
    }

    /** What a peer that is not memcached said, read for a moment, shown printable. */
    private static Result notMemcached(Socket socket, InputStream in, int first, long deadlineNanos) throws IOException {
        StringBuilder said = new StringBuilder().append((char) first);
        long glance = Math.min(deadlineNanos, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50));
        try {
            while (said.length() < 60) {
                said.append((char) read(socket, in, glance));
            }
        } catch (IOException enough) {
            // The first bytes already tell what it is.
        }
        return new Result(Outcome.NOT_MEMCACHED, "'" + printable(said.toString()) + "' to a binary version request");
    }

    /** A request header without key or extras. */
    static byte[] header(int opcode, int keyLength, int bodyLength) {
        ByteBuffer b = ByteBuffer.allocate(24);
        b.put((byte) MAGIC_REQUEST).put((byte) opcode).putShort((short) keyLength).put((byte) 0).put((byte) 0).putShort((short) 0);
        b.putInt(bodyLength).putInt(0).putLong(0);
        return b.array();
    }

    private static int read(Socket socket, InputStream in, long deadlineNanos) throws IOException {
        long left = remainingMillis(deadlineNanos);
        if (left <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
        int c = in.read();
        if (c < 0) {
            throw new EOFException();
        }
        return c;
    }

    private static void readFully(Socket socket, InputStream in, byte[] into, int from, long deadlineNanos) throws IOException {
        for (int i = from; i < into.length; i++) {
            into[i] = (byte) read(socket, in, deadlineNanos);
        }
    }

    private static long remainingMillis(long deadlineNanos) {
        return TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    }

    /** Control and non-ASCII bytes as {@code \xNN}, so that a reply can be quoted in a message. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c >= 0x20 && c < 0x7f) {
                b.append(c);
            } else {
                b.append(String.format("\\x%02x", (int) c));
            }
        }
        return b.toString();
    }
}
