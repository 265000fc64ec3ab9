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
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.sasl.Sasl;
import javax.security.sasl.SaslClient;
import javax.security.sasl.SaslException;

/**
 * The check {@code open()} makes of each server on a connection of its own before trusting it:
 * that it accepts a connection and answers a memcached {@code version} request in the configured
 * protocol, and that SASL authentication is as configured (the credentials accepted, or none
 * required), before a deadline. spymemcached counts a server as available as soon as TCP
 * connects, which a frozen process (its kernel still accepts) or a server of another kind passes
 * too, and retries refused credentials forever. Blocking; each check uses one or two sockets and
 * closes them. Thread-safe (no state).
 */
public final class Handshake {
    /** What the server did. */
    public enum Outcome {
        /** It answered as memcached (and accepted the credentials, if any); the detail is its version. */
        ANSWERED,
        /** No connection could be made before the deadline (refused, unreachable, closed at once). */
        UNREACHABLE,
        /** It accepted the connection but answered nothing before the deadline. */
        SILENT,
        /** It answered, but not as memcached; the detail shows what it said. */
        NOT_MEMCACHED,
        /** It is memcached, but answers the text protocol only (memcached -B ascii); the detail is its version. */
        TEXT_ONLY,
        /** It requires SASL authentication and none is configured. */
        AUTH_REQUIRED,
        /** Credentials are configured, but it does not support SASL (it runs without -S). */
        NO_SASL,
        /** It does not offer the configured mechanism; the detail lists those it offers. */
        MECHANISM_NOT_OFFERED,
        /** It refused the credentials; the detail is its message. */
        AUTH_REFUSED
    }

    /** The outcome with its detail: the version, the error or the (printable) reply; never a secret. */
    public record Result(Outcome outcome, String detail) {
    }

    /** SASL credentials for the check; {@link #toString()} masks the password. */
    public static final class Credentials {
        final String username;
        final String password;
        final String mechanism;

        /** {@code mechanism} as SASL names it: {@code PLAIN} or {@code CRAM-MD5}. */
        public Credentials(String username, String password, String mechanism) {
            this.username = username;
            this.password = password;
            this.mechanism = mechanism;
        }

        @Override
        public String toString() {
            return username + " (password ****, " + mechanism + ")";
        }
    }

    static final int MAGIC_REQUEST = 0x80;
    static final int MAGIC_RESPONSE = 0x81;
    static final int OP_VERSION = 0x0b;
    static final int OP_NOOP = 0x0a;
    static final int OP_SASL_LIST_MECHS = 0x20;
    static final int OP_SASL_AUTH = 0x21;
    static final int OP_SASL_STEP = 0x22;
    static final int STATUS_OK = 0;
    static final int STATUS_AUTH_ERROR = 0x20;
    static final int STATUS_AUTH_CONTINUE = 0x21;
    static final int STATUS_UNKNOWN_COMMAND = 0x81;
    /** Pause between connection attempts to a server that refuses, until the deadline. */
    private static final long RETRY_MILLIS = 100;
    /** How long to keep reading what a peer that is not memcached says, to quote it. */
    private static final long GLANCE_MILLIS = 50;

    private Handshake() {
    }

    /**
     * Connects to {@code address} and checks it, trying again while it refuses connections, until
     * {@code deadlineNanos} (a {@link System#nanoTime()} value). With the binary protocol a second
     * connection asks for the version in the text protocol meanwhile: a server of another kind
     * that waits for a complete line before answering (Redis does) is then known at once instead
     * of at the deadline. {@code credentials} is null for no authentication (binary only).
     */
    public static Result check(InetSocketAddress address, boolean binary, Credentials credentials, long deadlineNanos) {
        Result last = new Result(Outcome.UNREACHABLE, "no attempt made");
        while (true) {
            long left = remainingMillis(deadlineNanos);
            if (left <= 0) {
                return last;
            }
            last = attempt(address, binary, credentials, deadlineNanos, left);
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

    private static Result attempt(InetSocketAddress address, boolean binary, Credentials credentials, long deadlineNanos, long leftMillis) {
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            try {
                socket.connect(address, (int) Math.min(Integer.MAX_VALUE, leftMillis));
            } catch (SocketTimeoutException e) {
                return new Result(Outcome.UNREACHABLE, "no connection within the time");
            }
            if (!binary) {
                return exchange(() -> textVersion(socket, deadlineNanos), null);
            }
            TextSniff sniff = new TextSniff(address, socket, deadlineNanos);
            sniff.start();
            try {
                Result r = exchange(() -> binaryCheck(socket, credentials, deadlineNanos), sniff);
                if (r.outcome() == Outcome.NOT_MEMCACHED) {
                    Result text = sniff.await(GLANCE_MILLIS * 4);
                    if (text != null && text.outcome() == Outcome.ANSWERED) {
                        return new Result(Outcome.TEXT_ONLY, text.detail());
                    }
                }
                return r;
            } finally {
                sniff.end();
            }
        } catch (IOException e) {
            return new Result(Outcome.UNREACHABLE, String.valueOf(e.getMessage()));
        }
    }

    @FunctionalInterface
    private interface Exchange {
        Result run() throws IOException;
    }

    /** Runs an exchange, mapping a silent or closing peer to its outcome; a sniff that found a stranger wins. */
    private static Result exchange(Exchange exchange, TextSniff sniff) throws IOException {
        try {
            return exchange.run();
        } catch (IOException e) {
            Result stranger = sniff == null ? null : sniff.result;
            if (stranger != null && stranger.outcome() == Outcome.NOT_MEMCACHED) {
                return stranger;
            }
            if (e instanceof SocketTimeoutException) {
                return new Result(Outcome.SILENT, "accepted the connection but did not answer a version request");
            }
            if (e instanceof EOFException) {
                return new Result(Outcome.UNREACHABLE, "closed the connection without answering");
            }
            throw e;
        }
    }

    private static Result binaryCheck(Socket socket, Credentials credentials, long deadlineNanos) throws IOException {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        out.write(request(OP_VERSION, new byte[0], new byte[0]));
        out.flush();
        int first = read(socket, in, deadlineNanos);
        if (first != MAGIC_RESPONSE) {
            return new Result(Outcome.NOT_MEMCACHED, "'" + glance(socket, in, first, deadlineNanos) + "' to a binary version request");
        }
        Reply version = reply(socket, in, first, deadlineNanos);
        String v = new String(version.value, StandardCharsets.US_ASCII);
        if (credentials == null) {
            out.write(request(OP_NOOP, new byte[0], new byte[0]));
            out.flush();
            Reply noop = reply(socket, in, read(socket, in, deadlineNanos), deadlineNanos);
            return noop.status == STATUS_AUTH_ERROR ? new Result(Outcome.AUTH_REQUIRED, noop.text()) : new Result(Outcome.ANSWERED, v);
        }
        out.write(request(OP_SASL_LIST_MECHS, new byte[0], new byte[0]));
        out.flush();
        Reply mechs = reply(socket, in, read(socket, in, deadlineNanos), deadlineNanos);
        if (mechs.status != STATUS_OK) {
            return new Result(Outcome.NO_SASL, mechs.text());
        }
        List<String> offered = Arrays.asList(mechs.text().trim().split("\\s+"));
        if (!offered.contains(credentials.mechanism)) {
            return new Result(Outcome.MECHANISM_NOT_OFFERED, String.join(" ", offered));
        }
        return authenticate(socket, in, out, credentials, v, deadlineNanos);
    }

    private static Result authenticate(Socket socket, InputStream in, OutputStream out, Credentials c, String version, long deadlineNanos)
            throws IOException {
        byte[] mech = c.mechanism.getBytes(StandardCharsets.US_ASCII);
        SaslClient sasl = Sasl.createSaslClient(new String[] {c.mechanism}, null, "memcached",
                socket.getInetAddress().getHostAddress(), null, callbacks -> answer(callbacks, c));
        if (sasl == null) {
            return new Result(Outcome.MECHANISM_NOT_OFFERED, "(this JVM has no SASL client for " + c.mechanism + ")");
        }
        try {
            byte[] response = sasl.hasInitialResponse() ? sasl.evaluateChallenge(new byte[0]) : new byte[0];
            int opcode = OP_SASL_AUTH;
            for (int step = 0; step < 10; step++) {
                out.write(request(opcode, mech, response));
                out.flush();
                Reply r = reply(socket, in, read(socket, in, deadlineNanos), deadlineNanos);
                if (r.status == STATUS_OK) {
                    return new Result(Outcome.ANSWERED, version);
                }
                if (r.status != STATUS_AUTH_CONTINUE) {
                    return new Result(Outcome.AUTH_REFUSED, r.text());
                }
                response = sasl.evaluateChallenge(r.value);
                opcode = OP_SASL_STEP;
            }
            return new Result(Outcome.AUTH_REFUSED, "no result after 10 SASL steps");
        } catch (SaslException e) {
            return new Result(Outcome.AUTH_REFUSED, "the SASL exchange failed: " + e.getMessage());
        } finally {
            sasl.dispose();
        }
    }

    private static void answer(Callback[] callbacks, Credentials c) throws UnsupportedCallbackException {
        for (Callback cb : callbacks) {
            if (cb instanceof NameCallback) {
                ((NameCallback) cb).setName(c.username);
            } else if (cb instanceof PasswordCallback) {
                ((PasswordCallback) cb).setPassword(c.password.toCharArray());
            } else {
                throw new UnsupportedCallbackException(cb);
            }
        }
    }

    private static Result textVersion(Socket socket, long deadlineNanos) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write("version\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String reply = line(socket, socket.getInputStream(), deadlineNanos);
        if (reply.startsWith("VERSION ")) {
            return new Result(Outcome.ANSWERED, reply.substring("VERSION ".length()));
        }
        return new Result(Outcome.NOT_MEMCACHED, "'" + printable(reply) + "' to a text version request");
    }

    private static String line(Socket socket, InputStream in, long deadlineNanos) throws IOException {
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
        return line.toString();
    }

    /**
     * The text protocol's version request on a second connection, while the binary check waits:
     * if the peer answers it with something that is not memcached, the binary check is cut short.
     */
    private static final class TextSniff extends Thread {
        private final InetSocketAddress address;
        private final Socket binary;
        private final long deadlineNanos;
        private final Socket socket = new Socket();
        volatile Result result;

        TextSniff(InetSocketAddress address, Socket binary, long deadlineNanos) {
            super("memcached-handshake-" + address.getPort());
            setDaemon(true);
            this.address = address;
            this.binary = binary;
            this.deadlineNanos = deadlineNanos;
        }

        @Override
        public void run() {
            try (Socket s = socket) {
                s.connect(address, (int) Math.max(1, remainingMillis(deadlineNanos)));
                Result r = textVersion(s, deadlineNanos);
                result = r;
                if (r.outcome() == Outcome.NOT_MEMCACHED) {
                    binary.close();
                }
            } catch (IOException e) {
                // Silent, closed or stopped: the binary check decides.
            }
        }

        Result await(long millis) {
            try {
                join(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return result;
        }

        void end() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Closing only ends the sniff.
            }
        }
    }

    /** A binary reply: its status and value (the body after extras and key). */
    private static final class Reply {
        final int status;
        final byte[] value;

        Reply(int status, byte[] value) {
            this.status = status;
            this.value = value;
        }

        String text() {
            return printable(new String(value, StandardCharsets.US_ASCII));
        }
    }

    private static Reply reply(Socket socket, InputStream in, int first, long deadlineNanos) throws IOException {
        if (first != MAGIC_RESPONSE) {
            throw new IOException("not a memcached binary reply: first byte " + first);
        }
        byte[] head = new byte[24];
        head[0] = (byte) first;
        readFully(socket, in, head, 1, deadlineNanos);
        ByteBuffer h = ByteBuffer.wrap(head);
        int keyLength = h.getShort(2) & 0xffff;
        int extras = h.get(4) & 0xff;
        int status = h.getShort(6) & 0xffff;
        int bodyLength = h.getInt(8);
        if (bodyLength < 0 || bodyLength > 64 * 1024 || keyLength + extras > bodyLength) {
            throw new IOException("a memcached binary reply with a body of " + bodyLength + " bytes to a handshake request");
        }
        byte[] body = new byte[bodyLength];
        readFully(socket, in, body, 0, deadlineNanos);
        return new Reply(status, Arrays.copyOfRange(body, extras + keyLength, bodyLength));
    }

    /** What a peer that is not memcached said, read for a moment, printable. */
    private static String glance(Socket socket, InputStream in, int first, long deadlineNanos) {
        StringBuilder said = new StringBuilder().append((char) first);
        long until = Math.min(deadlineNanos, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GLANCE_MILLIS));
        try {
            while (said.length() < 60) {
                said.append((char) read(socket, in, until));
            }
        } catch (IOException enough) {
            // The first bytes already tell what it is.
        }
        return printable(said.toString());
    }

    /** A request with an optional key and value and no extras. */
    static byte[] request(int opcode, byte[] key, byte[] value) {
        ByteBuffer b = ByteBuffer.allocate(24 + key.length + value.length);
        b.put((byte) MAGIC_REQUEST).put((byte) opcode).putShort((short) key.length).put((byte) 0).put((byte) 0).putShort((short) 0);
        b.putInt(key.length + value.length).putInt(0).putLong(0);
        b.put(key).put(value);
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

    /** Control and non-ASCII characters as {@code \xNN}, so that a reply can be quoted in a message. */
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
