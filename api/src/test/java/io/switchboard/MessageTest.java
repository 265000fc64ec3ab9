package io.switchboard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MessageTest {
    @Test
    void timestampsOutsideYearsOneTo9999AreRefusedByTheBuilder() {
        assertEquals(Message.EARLIEST_TIMESTAMP, Message.builder().timestamp(Message.EARLIEST_TIMESTAMP).build().timestamp());
        assertEquals(Message.LATEST_TIMESTAMP, Message.builder().timestamp(Message.LATEST_TIMESTAMP).build().timestamp());
        for (java.time.Instant bad : new java.time.Instant[] {java.time.Instant.MIN, Message.EARLIEST_TIMESTAMP.minusMillis(1),
                Message.LATEST_TIMESTAMP.plusMillis(1), java.time.Instant.MAX}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Message.builder().timestamp(bad));
            assertTrue(e.getMessage().contains(bad.toString()) && e.getMessage().contains("years 1 to 9999"), e.getMessage());
        }
    }

    @Test
    void payloadIsCopiedOnTheWayInAndOut() {
        byte[] original = {1, 2, 3};
        Message m = Message.ofBytes(original);
        original[0] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, m.payload());
        m.payload()[1] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, m.payload());
        assertTrue(m.payloadEquals(new byte[] {1, 2, 3}));
    }

    @Test
    void headersAreUnmodifiableAndTheBuilderCannotChangeABuiltMessage() {
        Message.Builder b = Message.builder().header("a", "1");
        Message m = b.build();
        b.header("b", "2");
        assertEquals(Map.of("a", "1"), m.headers());
        assertThrows(UnsupportedOperationException.class, () -> m.headers().put("c", "3"));
    }

    @Test
    void idsAreUniqueAndUuidShaped() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            ids.add(Message.ofText("x").id());
        }
        assertEquals(100_000, ids.size());
        String id = Message.ofText("x").id();
        assertTrue(id.matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"), id);
    }

    @Test
    void invalidHeadersAreRefusedNamingTheHeader() {
        assertThrows(IllegalArgumentException.class, () -> Message.builder().header("", "v"));
        assertThrows(IllegalArgumentException.class, () -> Message.builder().header("a\nb", "v"));
        assertThrows(IllegalArgumentException.class, () -> Message.builder().header("x".repeat(256), "v"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Message.builder().header("trace", "a\0b"));
        assertTrue(e.getMessage().contains("'trace'"), e.getMessage());
        assertThrows(NullPointerException.class, () -> Message.builder().header("a", null));
        assertThrows(IllegalArgumentException.class, () -> Message.builder().id(""));
        assertThrows(IllegalArgumentException.class, () -> Message.builder().contentType("text/plain\r\n"));
    }

    @Test
    void refusesUnpairedSurrogatesInEveryStringThatGoesToTheWire() {
        String lone = "ab\uD800c";
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class, () -> Message.builder().header(lone, "v"));
        assertTrue(name.getMessage().contains("header name") && name.getMessage().contains("unpaired surrogate U+D800 at position 3"),
                name.getMessage());
        assertTrue(name.getMessage().contains("'ab\\ud800c'"), "the culprit is shown escaped: " + name.getMessage());
        IllegalArgumentException value = assertThrows(IllegalArgumentException.class, () -> Message.builder().header("trace", "\uDC00"));
        assertTrue(value.getMessage().contains("value of header 'trace'") && value.getMessage().contains("U+DC00"), value.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Message.builder().header("h", "x\uD83D"), "high surrogate at the end");
        assertThrows(IllegalArgumentException.class, () -> Message.builder().header("h", "\uDE00\uD83D"), "pair in the wrong order");
        IllegalArgumentException text = assertThrows(IllegalArgumentException.class, () -> Message.ofText("caf\uD800"));
        assertTrue(text.getMessage().contains("text payload"), text.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Message.builder().id("id-\uD800"));
        assertThrows(IllegalArgumentException.class, () -> Message.builder().contentType("text/\uDFFF"));
        Message ok = Message.builder().header("emoji-\uD83D\uDE00", "\uD83D\uDE00").text("\uD83D\uDE00").build();
        assertEquals("\uD83D\uDE00", ok.text(), "a well-formed pair is kept");
    }

    @Test
    void sizeIsKeptRightWhenHeadersAreReplacedOrRemoved() {
        Message.Builder b = Message.builder().payload(new byte[3]).header("a", "12345").header("b", "é");
        b.header("a", "1");
        b.removeHeader("b");
        Message m = b.build();
        assertEquals(3 + 1 + 1, m.size());
        assertEquals(3 + 1 + 1 + 1 + 2, m.toBuilder().header("c", "é").build().size());
        assertEquals(m.size(), m.withChannel("x").size());
    }

    @Test
    void sizeCountsPayloadAndUtf8HeaderBytes() {
        Message m = Message.builder().payload(new byte[10]).header("ab", "é€😀").build();
        assertEquals(10 + 2 + 2 + 3 + 4, m.size());
    }

    @Test
    void withChannelKeepsEverythingElse() {
        Message m = Message.builder().text("hi").header("h", "v").id("my-id").build();
        Message c = m.withChannel("orders");
        assertEquals("orders", c.channel());
        assertEquals("my-id", c.id());
        assertEquals("hi", c.text());
        assertEquals(m.headers(), c.headers());
        assertEquals(m.timestamp(), c.timestamp());
        assertSame(c, c.withChannel("orders"));
        assertNotEquals(m, c);
    }

    @Test
    void toStringShowsNoPayloadOrHeaderValues() {
        Message m = Message.builder().text("secret-payload").header("authorization", "Bearer token123").build();
        assertFalse(m.toString().contains("secret-payload") || m.toString().contains("token123"), m.toString());
        assertTrue(m.toString().contains("authorization"));
    }

    @Test
    void typedJsonReadsOfGenericPayloads() {
        Message m = Message.ofJson(Map.of("eu", List.of(1L, 2L)));
        Map<String, List<Long>> got = m.json(new TypeRef<Map<String, List<Long>>>() {
        });
        assertEquals(2L, got.get("eu").get(1), "Long, not the Integer an untyped read gives");
        assertEquals(got, m.json(new TypeRef<Map<String, List<Long>>>() {
        }, JsonCodec.defaults()));
    }

    @Test
    void jsonRoundTrip() {
        Message m = Message.ofJson(Map.of("n", 1, "list", List.of("a")));
        assertEquals(Message.JSON, m.contentType());
        assertEquals(Map.of("n", 1, "list", List.of("a")), m.json(Map.class));
    }

    @Test
    void payloadBufferIsAReadOnlyViewOfThePayloadWithoutACopy() {
        byte[] bytes = {1, 2, 3, 4};
        Message m = Message.ofBytes(bytes);
        java.nio.ByteBuffer b = m.payloadBuffer();
        assertTrue(b.isReadOnly());
        assertEquals(0, b.position());
        assertEquals(4, b.remaining());
        byte[] read = new byte[4];
        b.get(read);
        assertArrayEquals(bytes, read);
        assertThrows(java.nio.ReadOnlyBufferException.class, () -> m.payloadBuffer().put(0, (byte) 9));
        assertThrows(java.nio.ReadOnlyBufferException.class, () -> m.payloadBuffer().array());
        assertEquals(0, m.payloadBuffer().position(), "each call is a fresh buffer");
        assertTrue(m.payloadEquals(bytes), "unchanged");
    }
}
