package io.switchboard.memcached;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A few text-protocol commands over a plain socket, as a client in another language would send
 * them: to write values with foreign flags and to read what Switchboard stored.
 */
final class RawMemcached implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawMemcached(String host, int port) throws IOException {
        socket = new Socket(host, port);
        socket.setSoTimeout(5000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** {@code set} with the given flags; returns the server's reply line. */
    String set(String key, int flags, byte[] value) throws IOException {
        out.write(("set " + key + " " + Integer.toUnsignedString(flags) + " 0 " + value.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(value);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return line();
    }

    /** {@code get}: returns {flags, bytes} or null when absent. */
    Object[] get(String key) throws IOException {
        out.write(("get " + key + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String header = line();
        if (header.equals("END")) {
            return null;
        }
        String[] parts = header.split(" ");
        int length = Integer.parseInt(parts[3]);
        byte[] data = in.readNBytes(length);
        line();
        String end = line();
        if (!end.equals("END")) {
            throw new IOException("unexpected " + end);
        }
        return new Object[] {Integer.parseUnsignedInt(parts[2]), data};
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                break;
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
