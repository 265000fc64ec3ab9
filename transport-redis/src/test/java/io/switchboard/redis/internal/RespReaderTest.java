package io.switchboard.redis.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

class RespReaderTest {
    /** A stream that hands out at most {@code chunk} bytes per read, so replies straddle reads. */
    private static InputStream chunked(byte[] data, int chunk) {
        return new ByteArrayInputStream(data) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, chunk));
            }
        };
    }

    private static byte[] bulk(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("$" + b.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(b);
        out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static byte[] bulk(String s) {
        return bulk(s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] concat(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object p : parts) {
            out.writeBytes(p instanceof String ? ((String) p).getBytes(StandardCharsets.US_ASCII) : (byte[]) p);
        }
        return out.toByteArray();
    }

    @Test
    void pushedMessagesAreParsedWithNamesReusedWhileTheyRepeat() {
        byte[] big = new byte[200_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) i;
        }
        byte[] wire = concat("*3\r\n", bulk("subscribe"), bulk("p:a"), ":1\r\n",
                "*3\r\n", bulk("message"), bulk("p:a"), bulk("one"),
                "*3\r\n", bulk("message"), bulk("p:a"), bulk(new byte[] {0, '\r', '\n', (byte) 0xff}),
                "*3\r\n", bulk("message"), bulk("p:b"), bulk(big),
                "*4\r\n", bulk("pmessage"), bulk("p:*"), bulk("p:b"), bulk(""),
                "*3\r\n", bulk("smessage"), bulk("p:b"), bulk("s"),
                "*2\r\n", bulk("pong"), bulk(""),
                "+PONG\r\n",
                "$15\r\nsb-resubscribed\r\n",
                "-NOPERM this user has no permissions to access the 'x' channel\r\n",
                "*3\r\n", bulk("message"), bulk("p:b"), bulk("after"));
        for (int chunk : new int[] {1, 7, 64 * 1024}) {
            RespReader r = new RespReader(chunked(wire, chunk));
            assertEquals(RespReader.OTHER, r.read());
            List<?> confirm = (List<?>) r.reply;
            assertArrayEquals("subscribe".getBytes(StandardCharsets.US_ASCII), (byte[]) confirm.get(0));
            assertEquals(1L, confirm.get(2));

            assertEquals(RespReader.MESSAGE, r.read());
            byte[] channel = r.channel;
            assertEquals("p:a", new String(channel, StandardCharsets.UTF_8));
            assertEquals("one", new String(r.payload, StandardCharsets.UTF_8));
            assertEquals(RespReader.MESSAGE, r.read());
            assertSame(channel, r.channel, "a repeated channel name is the same array");
            assertArrayEquals(new byte[] {0, '\r', '\n', (byte) 0xff}, r.payload);

            assertEquals(RespReader.MESSAGE, r.read());
            assertEquals("p:b", new String(r.channel, StandardCharsets.UTF_8));
            assertArrayEquals(big, r.payload, "chunk " + chunk);

            assertEquals(RespReader.PMESSAGE, r.read());
            assertEquals("p:*", new String(r.glob, StandardCharsets.UTF_8));
            assertEquals("p:b", new String(r.channel, StandardCharsets.UTF_8));
            assertEquals(0, r.payload.length);

            assertEquals(RespReader.SMESSAGE, r.read());
            assertEquals("s", new String(r.payload, StandardCharsets.UTF_8));

            assertEquals(RespReader.OTHER, r.read());
            assertArrayEquals("pong".getBytes(StandardCharsets.US_ASCII), (byte[]) ((List<?>) r.reply).get(0));
            assertEquals(RespReader.OTHER, r.read());
            assertArrayEquals("PONG".getBytes(StandardCharsets.US_ASCII), (byte[]) r.reply);
            assertEquals(RespReader.OTHER, r.read());
            assertArrayEquals("sb-resubscribed".getBytes(StandardCharsets.US_ASCII), (byte[]) r.reply);

            JedisDataException refused = assertThrows(JedisDataException.class, r::read);
            assertTrue(refused.getMessage().startsWith("NOPERM "), refused.getMessage());
            assertEquals(RespReader.MESSAGE, r.read(), "an error reply is read whole; the next reply follows");
            assertEquals("after", new String(r.payload, StandardCharsets.UTF_8));

            JedisConnectionException end = assertThrows(JedisConnectionException.class, r::read);
            assertTrue(end.getMessage().contains("end of stream"), end.getMessage());
        }
    }

    @Test
    void envelopesLyingWholeInTheBufferAreSplitOffTheirPayloadsAndEverythingElseIsNot() {
        byte[] env = "SB1\n{\"id\":\"a\",\"timestamp\":1}\npay\nload".getBytes(StandardCharsets.US_ASCII);
        byte[] noLine = "SB1\n{\"id\":\"a\"}".getBytes(StandardCharsets.US_ASCII);
        byte[] foreign = "SB2\n{}\nx".getBytes(StandardCharsets.US_ASCII);
        byte[] wire = concat("*3\r\n", bulk("message"), bulk("p:a"), bulk(env),
                "*4\r\n", bulk("pmessage"), bulk("p:*"), bulk("p:a"), bulk(env),
                "*3\r\n", bulk("message"), bulk("p:a"), bulk(noLine),
                "*3\r\n", bulk("message"), bulk("p:a"), bulk(foreign),
                "*3\r\n", bulk("message"), bulk("p:a"), bulk("SB1\n"),
                "*3\r\n", bulk("message"), bulk("p:a"), bulk("SB1\n\n"));
        for (int chunk : new int[] {1, 64 * 1024}) {
            RespReader r = new RespReader(chunked(wire, chunk), true);
            for (int kind : new int[] {RespReader.MESSAGE, RespReader.PMESSAGE}) {
                assertEquals(kind, r.read());
                if (chunk == 1) {
                    // Not whole in the buffer: read as one array, as without splitting.
                    assertNull(r.meta);
                    assertArrayEquals(env, r.payload);
                } else {
                    assertEquals("SB1\n{\"id\":\"a\",\"timestamp\":1}\n", new String(r.meta, StandardCharsets.US_ASCII));
                    assertEquals("pay\nload", new String(r.payload, StandardCharsets.US_ASCII));
                }
            }
            for (byte[] whole : new byte[][] {noLine, foreign, "SB1\n".getBytes(StandardCharsets.US_ASCII)}) {
                assertEquals(RespReader.MESSAGE, r.read());
                assertNull(r.meta, new String(whole, StandardCharsets.US_ASCII));
                assertArrayEquals(whole, r.payload);
            }
            assertEquals(RespReader.MESSAGE, r.read());
            if (chunk != 1) {
                assertEquals("SB1\n\n", new String(r.meta, StandardCharsets.US_ASCII), "an empty metadata line is still split");
                assertEquals(0, r.payload.length);
            }
            assertThrows(JedisConnectionException.class, r::read);
        }
        RespReader plain = new RespReader(new ByteArrayInputStream(wire));
        assertEquals(RespReader.MESSAGE, plain.read());
        assertNull(plain.meta, "a reader made without splitting never splits");
        assertArrayEquals(env, plain.payload);
    }

    @Test
    void otherArraysAndNullsAreReturnedAsJedisWould() {
        byte[] wire = concat("*3\r\n", bulk("message"), bulk("x"), ":5\r\n",
                "*2\r\n", bulk("messagex"), "$-1\r\n",
                "*2\r\n:1\r\n-ERR inner\r\n",
                "*-1\r\n", "*0\r\n", ":42\r\n");
        RespReader r = new RespReader(chunked(wire, 3));
        // A "message" whose payload is not a bulk string is not a message: the connection is unusable.
        assertThrows(JedisConnectionException.class, r::read);
        r = new RespReader(chunked(concat("*2\r\n", bulk("messagex"), "$-1\r\n", "*2\r\n:1\r\n-ERR inner\r\n", "*-1\r\n", "*0\r\n",
                ":42\r\n"), 3));
        assertEquals(RespReader.OTHER, r.read());
        List<?> l = (List<?>) r.reply;
        assertArrayEquals("messagex".getBytes(StandardCharsets.US_ASCII), (byte[]) l.get(0));
        assertNull(l.get(1));
        assertEquals(RespReader.OTHER, r.read());
        assertInstanceOf(JedisDataException.class, ((List<?>) r.reply).get(1), "an error inside an array is returned, not thrown");
        assertEquals(RespReader.OTHER, r.read());
        assertNull(r.reply);
        assertEquals(RespReader.OTHER, r.read());
        assertEquals(List.of(), r.reply);
        assertEquals(RespReader.OTHER, r.read());
        assertEquals(42L, r.reply);
    }

    @Test
    void aReadTimeoutKeepsItsCause() {
        RespReader r = new RespReader(new InputStream() {
            @Override
            public int read() throws java.io.IOException {
                throw new SocketTimeoutException("Read timed out");
            }

            @Override
            public int read(byte[] b, int off, int len) throws java.io.IOException {
                throw new SocketTimeoutException("Read timed out");
            }
        });
        JedisConnectionException e = assertThrows(JedisConnectionException.class, r::read);
        assertInstanceOf(SocketTimeoutException.class, e.getCause());
    }
}
