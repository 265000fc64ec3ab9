package io.switchboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonCodecTest {
    /** A type that must never be created from a payload. */
    public static final class Gadget {
        static volatile boolean created;

        public Gadget() {
            created = true;
        }
    }

    /** A plain value type with a field of declared type Object. */
    public static final class Holder {
        public Object value;
        public String name;
    }

    @Test
    void deepNestingFailsWithCodecException() {
        String deep = "[".repeat(JsonCodec.DEFAULT_MAX_NESTING_DEPTH + 50) + "]".repeat(JsonCodec.DEFAULT_MAX_NESTING_DEPTH + 50);
        CodecException e = assertThrows(CodecException.class,
                () -> JsonCodec.defaults().decode(deep.getBytes(StandardCharsets.UTF_8), Object.class));
        assertTrue(e.getMessage().toLowerCase().contains("depth"), e.getMessage());
    }

    @Test
    void oversizeDocumentFailsWithCodecExceptionBeforeParsing() {
        JsonCodec small = JsonCodec.builder().maxDocumentLength(100).build();
        byte[] doc = ("\"" + "x".repeat(200) + "\"").getBytes(StandardCharsets.UTF_8);
        CodecException e = assertThrows(CodecException.class, () -> small.decode(doc, String.class));
        assertTrue(e.getMessage().contains("over the limit of 100 bytes"), e.getMessage());
    }

    @Test
    void classNamesInThePayloadInstantiateNothing() {
        String payload = "{\"@class\":\"" + Gadget.class.getName() + "\",\"value\":[\"" + Gadget.class.getName()
                + "\",{}],\"name\":\"n\"}";
        Holder h = JsonCodec.defaults().decode(payload.getBytes(StandardCharsets.UTF_8), Holder.class);
        assertFalse(Gadget.created, "a class named in the payload was instantiated");
        assertEquals("n", h.name);
        Object any = JsonCodec.defaults().decode(payload.getBytes(StandardCharsets.UTF_8), Object.class);
        assertTrue(any instanceof Map, "untyped JSON decodes to plain maps and lists, got " + any.getClass());
        assertFalse(Gadget.created);
    }

    @Test
    void malformedJsonFailsWithCodecExceptionNamingTheType() {
        CodecException e = assertThrows(CodecException.class,
                () -> JsonCodec.defaults().decode("{not json".getBytes(StandardCharsets.UTF_8), Holder.class));
        assertTrue(e.getMessage().contains("Holder"), e.getMessage());
    }

    @Test
    void unknownPropertiesAreIgnored() {
        Holder h = JsonCodec.defaults().decode("{\"name\":\"a\",\"added\":1}".getBytes(StandardCharsets.UTF_8), Holder.class);
        assertEquals("a", h.name);
    }
}
