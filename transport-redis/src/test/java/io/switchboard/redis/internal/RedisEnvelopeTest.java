package io.switchboard.redis.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.Message;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedisEnvelopeTest {
    private static final long MAX_SIZE = 4L * 1024 * 1024;

    /**
     * Decodes the bytes whole, and as RespReader splits them (magic and metadata line, then the
     * payload) when they have the line: the two must agree, on the message or on why it is malformed.
     */
    private static Message decodeBoth(byte[] raw, String channel, long maxSize) throws RedisEnvelope.Malformed {
        int nl = -1;
        for (int i = RedisEnvelope.MAGIC.length; RedisEnvelope.hasMagic(raw) && i < raw.length; i++) {
            if (raw[i] == '\n') {
                nl = i;
                break;
            }
        }
        if (nl < 0) {
            return RedisEnvelope.decode(raw, channel, maxSize);
        }
        byte[] meta = java.util.Arrays.copyOf(raw, nl + 1);
        byte[] body = java.util.Arrays.copyOfRange(raw, nl + 1, raw.length);
        assertArrayEquals(raw, RedisEnvelope.join(meta, body));
        Message whole;
        try {
            whole = RedisEnvelope.decode(raw, channel, maxSize);
        } catch (RedisEnvelope.Malformed e) {
            RedisEnvelope.Malformed split = assertThrows(RedisEnvelope.Malformed.class,
                    () -> RedisEnvelope.decode(meta, body, channel, maxSize));
            assertEquals(e.getMessage(), split.getMessage());
            throw e;
        }
        Message split = RedisEnvelope.decode(meta, body, channel, maxSize);
        String line = new String(meta, StandardCharsets.UTF_8);
        // Without an id or timestamp on the wire each decode makes its own.
        assertEquals(line.contains("\"id\"") ? whole.id() : split.id(), split.id());
        if (line.contains("\"timestamp\"")) {
            assertEquals(whole.timestamp(), split.timestamp());
        }
        assertArrayEquals(whole.payload(), split.payload());
        assertEquals(whole.headers(), split.headers());
        assertEquals(whole.contentType(), split.contentType());
        assertEquals(whole.channel(), split.channel());
        return whole;
    }

    /** The reason the bytes are not an envelope; fails if they are one. */
    private static String malformed(String wire) {
        return assertThrows(RedisEnvelope.Malformed.class, () -> decodeBoth(wire.getBytes(StandardCharsets.UTF_8), "c", MAX_SIZE),
                wire).getMessage();
    }

    private static Message decode(String wire, long maxSize) throws Exception {
        return decodeBoth(wire.getBytes(StandardCharsets.UTF_8), "c", maxSize);
    }

    @Test
    void timestampsOutsideYearsOneTo9999AreRefusedByTheWriterAndTheReader() throws Exception {
        long min = Instant.parse("0001-01-01T00:00:00Z").toEpochMilli();
        long max = Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli();
        for (long ok : new long[] {min, 0, -1, 1_700_000_000_123L, max}) {
            Message m = Message.builder().id("x").timestamp(Instant.ofEpochMilli(ok)).build();
            assertEquals(ok, decodeBoth(RedisEnvelope.encode(m), "c", MAX_SIZE).timestamp().toEpochMilli());
        }
        for (long bad : new long[] {Long.MIN_VALUE, min - 1, max + 1, Long.MAX_VALUE}) {
            assertTrue(malformed("SB1\n{\"id\":\"x\",\"timestamp\":" + bad + "}\n").contains("outside years 1 to 9999"), "reader, " + bad);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Message.builder().id("x").timestamp(Instant.ofEpochMilli(bad)), "writer, " + bad);
            assertTrue(e.getMessage().contains("outside years 1 to 9999"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Message.builder().timestamp(Instant.MAX));
        assertTrue(malformed("SB1\n{\"timestamp\":99999999999999999999}\n").startsWith("the metadata is not valid JSON"));
    }

    @Test
    void idsContentTypesAndHeadersAreReadUnderTheRulesTheWriterKeeps() throws Exception {
        String id255 = "i".repeat(255);
        assertEquals(id255, decode("SB1\n{\"id\":\"" + id255 + "\"}\n", MAX_SIZE).id());
        assertTrue(malformed("SB1\n{\"id\":\"" + id255 + "i\"}\n").contains("message id"));
        assertTrue(malformed("SB1\n{\"id\":\"a\\u0007b\"}\n").contains("message id"));
        assertTrue(malformed("SB1\n{\"contentType\":\"\"}\n").contains("content type"));
        assertTrue(malformed("SB1\n{\"headers\":{\"\":\"v\"}}\n").contains("header name"));
        assertTrue(malformed("SB1\n{\"headers\":{\"h\":\"a\\u0000b\"}}\n").contains("NUL"));
        // Header bytes count against message.max-size as at the publishing side.
        String value = "v".repeat(1000);
        String wire = "SB1\n{\"headers\":{\"h\":\"" + value + "\"}}\n" + "p".repeat(23);
        assertEquals(value, decode(wire, 1024).header("h"));
        RedisEnvelope.Malformed tooBig = assertThrows(RedisEnvelope.Malformed.class, () -> decode(wire + "p", 1024));
        assertTrue(tooBig.getMessage().contains("1025 bytes") && tooBig.getMessage().contains("switchboard.message.max-size=1024"),
                tooBig.getMessage());
        RedisEnvelope.Malformed longLine = assertThrows(RedisEnvelope.Malformed.class,
                () -> decode("SB1\n{\"x\":\"" + "y".repeat(7 * 1024 + 8192) + "\"}\n", 1024));
        assertTrue(longLine.getMessage().contains("metadata line"), longLine.getMessage());
    }

    @Test
    void roundTripsEveryFieldAndBinaryPayload() throws Exception {
        byte[] payload = new byte[256];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) i;
        }
        Message m = Message.builder().id("id-1").payload(payload).contentType("application/x-y")
                .header("quote\"back\\slash", "line\nbreak\ttab \u0001 é 😀 \u2028")
                .timestamp(Instant.ofEpochMilli(1_700_000_000_123L)).build();
        byte[] wire = RedisEnvelope.encode(m);
        assertTrue(RedisEnvelope.hasMagic(wire));
        Message back = decodeBoth(wire, "a.b", MAX_SIZE);
        assertEquals("id-1", back.id());
        assertEquals("a.b", back.channel());
        assertArrayEquals(payload, back.payload());
        assertEquals(m.headers(), back.headers());
        assertEquals("application/x-y", back.contentType());
        assertEquals(m.timestamp(), back.timestamp());
    }

    @Test
    void metadataIsOneLineOfJsonAfterTheMagic() throws Exception {
        Message m = Message.builder().id("x").text("p\nq").header("h", "v\nw").timestamp(Instant.ofEpochMilli(5)).build();
        String wire = new String(RedisEnvelope.encode(m), StandardCharsets.UTF_8);
        assertEquals("SB1\n{\"id\":\"x\",\"timestamp\":5,\"contentType\":\"text/plain; charset=utf-8\",\"headers\":{\"h\":\"v\\nw\"}}\np\nq",
                wire);
    }

    @Test
    void documentedDefaultsAreLeftOutAndReadBack() throws Exception {
        Message m = Message.builder().id("x").payload(new byte[] {1}).timestamp(Instant.ofEpochMilli(5)).build();
        byte[] wire = RedisEnvelope.encode(m);
        assertEquals("SB1\n{\"id\":\"x\",\"timestamp\":5}\n", new String(wire, 0, wire.length - 1, StandardCharsets.UTF_8));
        Message back = decodeBoth(wire, "c", MAX_SIZE);
        assertEquals(Message.OCTET_STREAM, back.contentType());
        assertEquals(Map.of(), back.headers());
    }

    @Test
    void contentTypesAlternatingOnOneThreadAreEachReadRight() throws Exception {
        String[] types = {"application/json", "application/jsoN", "text/plain; charset=utf-8", "application/json", "a/b"};
        for (String type : types) {
            Message m = Message.builder().id("x").payload(new byte[0]).contentType(type).build();
            assertEquals(type, decodeBoth(RedisEnvelope.encode(m), "c", MAX_SIZE).contentType());
        }
    }

    @Test
    void acceptsMetadataFromOtherWritersWithUnknownFieldsAndEscapes() throws Exception {
        String meta = "SB1\n { \"v\": [1, {\"a\": null}], \"headers\" : {\"k\":\"\\u00e9\\n\\/\"}, \"id\":\"n1\", \"timestamp\": 42,"
                + " \"extra\": true, \"contentType\":\"application/json\" }\n{\"x\":1}";
        Message m = decodeBoth(meta.getBytes(StandardCharsets.UTF_8), "c", MAX_SIZE);
        assertEquals("n1", m.id());
        assertEquals(Map.of("k", "é\n/"), m.headers());
        assertEquals(42, m.timestamp().toEpochMilli());
        assertEquals("{\"x\":1}", m.text());
    }

    @Test
    void malformedMetadataIsNotAnEnvelopeAndSaysWhy() {
        assertTrue(malformed("SB1\nnot json\nrest").startsWith("the metadata is not valid JSON"));
        assertEquals("no newline ends the metadata line", malformed("SB1\n{\"id\":\"a\""));
        assertTrue(malformed("SB1\n{\"id\":\"\"}\n").contains("message id"), malformed("SB1\n{\"id\":\"\"}\n"));
        assertEquals("'timestamp' is not an integer", malformed("SB1\n{\"timestamp\":1.5}\n"));
        assertEquals("id is not a string", malformed("SB1\n{\"id\":7}\n"));
        assertEquals("the metadata line is not exactly one JSON object", malformed("SB1\n{}{}\n"));
    }

    @Test
    void aMalformedEnvelopeIsDeliveredRawWithItsReason() {
        byte[] wire = "SB1\n{\"id\":7}\n{\"a\":1}".getBytes(StandardCharsets.UTF_8);
        Message m = RedisEnvelope.raw(wire, "c", "id is not a string");
        assertArrayEquals(wire, m.payload());
        assertEquals(Map.of(RedisEnvelope.MALFORMED_HEADER, "id is not a string"), m.headers());
    }

    @Test
    void rawMessagesSniffJsonOnly() {
        assertEquals(Message.JSON, RedisEnvelope.raw(" {\"a\":1}".getBytes(StandardCharsets.UTF_8), "c").contentType());
        assertEquals(Message.JSON, RedisEnvelope.raw("[1]".getBytes(StandardCharsets.UTF_8), "c").contentType());
        assertEquals(Message.OCTET_STREAM, RedisEnvelope.raw("hello".getBytes(StandardCharsets.UTF_8), "c").contentType());
        assertEquals(Message.OCTET_STREAM, RedisEnvelope.raw(new byte[0], "c").contentType());
    }

    @Test
    void decodesEnvelopeAfterEnvelopeOnOneThreadAroundMalformedOnes() throws Exception {
        String[] broken = {"SB1\n{\"id\":\"a\"\nx", "SB1\nnot json\nx", "SB1\n{\"id\":\"a\"}{\"id\":\"b\"}\nx",
            "SB1\n{\"x\":[1,{\"y\":\n", "SB1\n{\"id\":7}\nx"};
        for (int i = 0; i < 50; i++) {
            Message m = Message.builder().id("id-" + i).text("payload " + i).header("n", Integer.toString(i)).build();
            Message back = decodeBoth(RedisEnvelope.encode(m), "c", MAX_SIZE);
            assertEquals("id-" + i, back.id());
            assertEquals("payload " + i, back.text());
            assertEquals(Integer.toString(i), back.header("n"));
            malformed(broken[i % broken.length]);
        }
    }

    @Test
    void theWritersOwnDefaultShapeIsReadWithoutTheParserAndEverythingElseWithIt() throws Exception {
        // The shape the writer produces for default content type and no headers.
        byte[] own = RedisEnvelope.encode(Message.builder().id("a-1").timestamp(Instant.ofEpochMilli(1_700_000_000_123L)).build());
        assertEquals(1_700_000_000_123L, RedisEnvelope.fastTimestamp(own, own.length - 1));
        Message m = decode("SB1\n{\"id\":\"a-1\",\"timestamp\":-5}\np", MAX_SIZE);
        assertEquals("a-1", m.id());
        assertEquals(-5, m.timestamp().toEpochMilli());
        assertEquals("p", m.text());
        assertEquals(Message.OCTET_STREAM, m.contentType());
        // Shapes the fast path leaves to the parser, which reads them as before.
        String[] others = {"SB1\n{\"id\":\"a\\u0041\",\"timestamp\":5}\n", "SB1\n{\"id\":\"\u00e9\",\"timestamp\":5}\n",
            "SB1\n{\"id\":\"a\", \"timestamp\":5}\n", "SB1\n{\"id\":\"a\",\"timestamp\":5 }\n",
            "SB1\n{\"id\":\"a\",\"timestamp\":-0}\n", "SB1\n{\"id\":\"a\",\"timestamp\":1234567890123456789}\n"};
        String[] ids = {"aA", "\u00e9", "a", "a", "a", null};
        long[] timestamps = {5, 5, 5, 5, 0, 0};
        for (int i = 0; i < others.length; i++) {
            byte[] raw = bytes(others[i]);
            assertEquals(Long.MIN_VALUE, RedisEnvelope.fastTimestamp(raw, raw.length - 1), others[i]);
            if (ids[i] == null) {
                assertTrue(malformed(others[i]).contains("outside years 1 to 9999"), others[i]);
            } else {
                Message back = decodeBoth(raw, "c", MAX_SIZE);
                assertEquals(ids[i], back.id(), others[i]);
                assertEquals(timestamps[i], back.timestamp().toEpochMilli(), others[i]);
            }
        }
        // Leading zeros are not JSON, on either path; the writer's limits hold on the fast path too.
        assertTrue(malformed("SB1\n{\"id\":\"a\",\"timestamp\":05}\n").startsWith("the metadata is not valid JSON"));
        assertTrue(malformed("SB1\n{\"id\":\"a\",\"timestamp\":999999999999999999}\n").contains("outside years 1 to 9999"));
        assertTrue(malformed("SB1\n{\"id\":\"\",\"timestamp\":5}\n").contains("message id"));
        assertTrue(malformed("SB1\n{\"id\":\"" + "i".repeat(256) + "\",\"timestamp\":5}\n").contains("message id"));
    }

    @Test
    void theDefaultShapeIsWrittenWithoutTheGeneratorAsTheGeneratorWritesIt() throws Exception {
        long min = Instant.parse("0001-01-01T00:00:00Z").toEpochMilli();
        long max = Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli();
        byte[] payload = {0, 1, (byte) 0xff, '\n', '"'};
        String[] ids = {"x", "a-1", "0123456789abcdef0123456789abcdef0123", " !#$%&'()*+,-./:;<=>?@[]^_`{|}~", "i".repeat(255)};
        long[] timestamps = {min, -1_000_001, -10, -9, -1, 0, 1, 9, 10, 99, 100, 1_700_000_000_123L, max};
        for (String id : ids) {
            for (long t : timestamps) {
                Message m = Message.builder().id(id).payload(payload).timestamp(Instant.ofEpochMilli(t)).build();
                byte[] wire = RedisEnvelope.encodeDefaultShape(m);
                String metadata = "SB1\n{\"id\":\"" + id + "\",\"timestamp\":" + t + "}\n";
                assertEquals(metadata, new String(wire, 0, wire.length - payload.length, StandardCharsets.ISO_8859_1), id + " " + t);
                assertArrayEquals(payload, java.util.Arrays.copyOfRange(wire, wire.length - payload.length, wire.length));
                assertArrayEquals(wire, RedisEnvelope.encode(m));
                assertEquals(t, RedisEnvelope.fastTimestamp(wire, metadata.length() - 1), id + " " + t);
                Message back = decodeBoth(wire, "c", MAX_SIZE);
                assertEquals(id, back.id());
                assertEquals(t, back.timestamp().toEpochMilli());
                assertArrayEquals(payload, back.payload());
            }
        }
        // Ids with something to escape, or beyond ASCII, go through the generator, and read back.
        for (String id : new String[] {"a\"b", "a\\b", "\u00e9t\u00e9", "\u65e5\u672c"}) {
            Message m = Message.builder().id(id).payload(payload).timestamp(Instant.ofEpochMilli(5)).build();
            assertEquals(null, RedisEnvelope.encodeDefaultShape(m), id);
            assertEquals(id, decodeBoth(RedisEnvelope.encode(m), "c", MAX_SIZE).id());
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
