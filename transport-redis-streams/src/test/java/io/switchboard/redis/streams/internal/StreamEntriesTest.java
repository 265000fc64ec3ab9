package io.switchboard.redis.streams.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.Message;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StreamEntriesTest {
    private static List<Object> fields(Object... kv) {
        List<Object> l = new ArrayList<>();
        for (Object o : kv) {
            l.add(o instanceof String ? ((String) o).getBytes(StandardCharsets.UTF_8) : o);
        }
        return l;
    }

    @Test
    void aMessageRoundTripsThroughItsFields() throws Exception {
        byte[] payload = new byte[256];
        for (int i = 0; i < 256; i++) {
            payload[i] = (byte) i;
        }
        Message m = Message.builder().payload(payload).header("Mixed-Case", "v").header("mixed-case", "").contentType("application/x")
                .timestamp(Instant.ofEpochMilli(1_700_000_000_123L)).build();
        List<byte[]> encoded = StreamEntries.encode(m, null);
        assertEquals("id", new String(encoded.get(0), StandardCharsets.UTF_8));
        assertEquals("payload", new String(encoded.get(encoded.size() - 2), StandardCharsets.UTF_8), "payload is the last field");
        Message back = StreamEntries.decode("1-0", new ArrayList<Object>(encoded), "ch", 1 << 20);
        assertEquals(m.id(), back.id());
        assertEquals(m.timestamp(), back.timestamp());
        assertEquals(m.contentType(), back.contentType());
        assertEquals(m.headers(), back.headers());
        assertArrayEquals(payload, back.payload());
        assertEquals("ch", back.channel());
    }

    @Test
    void theDefaultContentTypeIsLeftOutAndReadBack() throws Exception {
        Message m = Message.ofBytes(new byte[] {1, 2, 3});
        List<byte[]> encoded = StreamEntries.encode(m, null);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < encoded.size(); i += 2) {
            names.add(new String(encoded.get(i), StandardCharsets.UTF_8));
        }
        assertEquals(List.of("id", "time", "payload"), names, "no content-type field for " + Message.OCTET_STREAM);
        Message back = StreamEntries.decode("1-0", new ArrayList<Object>(encoded), "ch", 1 << 20);
        assertEquals(Message.OCTET_STREAM, back.contentType());
        assertEquals(m.id(), back.id());
        assertEquals(m.timestamp().toEpochMilli(), back.timestamp().toEpochMilli());
        Message text = Message.builder().text("t").build();
        assertTrue(StreamEntries.decode("1-0", new ArrayList<Object>(StreamEntries.encode(text, null)), "ch", 1 << 20).contentType()
                .startsWith("text/plain"), "any other content type is written");
    }

    @Test
    void todaysEntriesWithAnExplicitDefaultContentTypeAreStillRead() throws Exception {
        Message m = StreamEntries.decode("5-0", fields("id", "m1", "time", "1700000000123", "content-type", Message.OCTET_STREAM, "h.k", "v",
                "payload", "p"), "ch", 1 << 20);
        assertEquals("m1", m.id());
        assertEquals(Instant.ofEpochMilli(1_700_000_000_123L), m.timestamp());
        assertEquals(Message.OCTET_STREAM, m.contentType());
        assertEquals(Map.of("k", "v"), m.headers());
        assertEquals("p", m.text());
    }

    @Test
    void timeDigitsParseLikeLongParseLong() throws Exception {
        for (String t : List.of("0", "1", "-5", "+7", "1700000000123", "253402300799999", "0001700000000123")) {
            assertEquals(Instant.ofEpochMilli(Long.parseLong(t)), StreamEntries.decode("1-0", fields("time", t, "payload", "p"), "ch", 100)
                    .timestamp(), "time " + t);
        }
        for (String t : List.of("", "-", "12a", "1.5", "99999999999999999999")) {
            assertThrows(StreamEntries.Unreadable.class, () -> StreamEntries.decode("1-0", fields("time", t, "payload", "p"), "ch", 100), t);
        }
        assertArrayEquals("1700000000123".getBytes(StandardCharsets.US_ASCII), StreamEntries.decimal(1_700_000_000_123L));
        assertArrayEquals("0".getBytes(StandardCharsets.US_ASCII), StreamEntries.decimal(0));
        assertArrayEquals("-3".getBytes(StandardCharsets.US_ASCII), StreamEntries.decimal(-3));
    }

    @Test
    void extraHeadersReplaceTheMessagesOwn() throws Exception {
        Message m = Message.builder().text("x").header("sb-attempts", "old").build();
        Message back = StreamEntries.decode("1-0", new ArrayList<Object>(StreamEntries.encode(m, Map.of("sb-attempts", "3"))), "ch", 1 << 20);
        assertEquals("3", back.header("sb-attempts"));
    }

    @Test
    void aPayloadOnlyEntryTakesItsIdAndTimeFromTheEntryId() throws Exception {
        Message m = StreamEntries.decode("1700000000999-4", fields("payload", "bare", "unknown", "ignored"), "ch", 1 << 20);
        assertEquals("1700000000999-4", m.id());
        assertEquals(Instant.ofEpochMilli(1_700_000_000_999L), m.timestamp());
        assertEquals(Message.OCTET_STREAM, m.contentType());
        assertEquals("bare", m.text());
        assertTrue(m.headers().isEmpty());
    }

    @Test
    void unreadableEntriesSayWhy() {
        assertTrue(assertThrows(StreamEntries.Unreadable.class, () -> StreamEntries.decode("1-0", fields("id", "x"), "ch", 100))
                .getMessage().contains("no 'payload'"));
        assertTrue(assertThrows(StreamEntries.Unreadable.class, () -> StreamEntries.decode("1-0", fields("time", "soon", "payload", "p"), "ch",
                100)).getMessage().contains("'time'"));
        assertTrue(assertThrows(StreamEntries.Unreadable.class, () -> StreamEntries.decode("1-0", fields("payload", "0123456789"), "ch", 5))
                .getMessage().contains("switchboard.message.max-size=5"));
        assertThrows(StreamEntries.Unreadable.class, () -> StreamEntries.decode("1-0", fields("id", "", "payload", "p"), "ch", 100));
    }

    @Test
    void idsCompareByTimeThenSequence() {
        assertTrue(StreamIds.compare("10-0", "9-5") > 0);
        assertTrue(StreamIds.compare("10-1", "10-0") > 0);
        assertEquals(0, StreamIds.compare("0-0", "0-0"));
        assertTrue(StreamIds.compare("1700000000000-0", "0-0") > 0);
    }
}
