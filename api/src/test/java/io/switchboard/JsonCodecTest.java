package io.switchboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
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

    /** What a first-week user stores: java.time values and Optionals. */
    public record Booking(Instant at, LocalDate day, Duration length, OffsetDateTime local, Optional<String> note,
            Optional<Integer> seats) {
    }

    @Test
    void javaTimeAndOptionalWorkOutOfTheBoxAsIso8601Strings() {
        Booking b = new Booking(Instant.parse("2024-05-01T12:30:00.123Z"), LocalDate.of(2024, 5, 1), Duration.ofSeconds(90),
                OffsetDateTime.parse("2024-05-01T14:30:00+02:00"), Optional.of("window"), Optional.empty());
        String json = new String(JsonCodec.defaults().encode(b), StandardCharsets.UTF_8);
        assertEquals("{\"at\":\"2024-05-01T12:30:00.123Z\",\"day\":\"2024-05-01\",\"length\":\"PT1M30S\","
                + "\"local\":\"2024-05-01T14:30:00+02:00\",\"note\":\"window\",\"seats\":null}", json);
        assertEquals(b, JsonCodec.defaults().decode(json.getBytes(StandardCharsets.UTF_8), Booking.class), "reads back equal, offset kept");
        Booking fromNode = JsonCodec.defaults().decode(
                "{\"at\":\"2024-05-01T12:30:00.123Z\",\"day\":\"2024-05-01\",\"length\":\"PT1M30S\"}".getBytes(StandardCharsets.UTF_8),
                Booking.class);
        assertEquals(Optional.empty(), fromNode.note(), "an absent Optional reads as empty, never null");
        assertEquals(Instant.parse("2024-05-01T12:30:00.123Z"), fromNode.at());
    }

    /** A type whose JSON form a user's module decides. */
    public record Money(long cents) {
    }

    private static SimpleModule moneyAsText() {
        SimpleModule m = new SimpleModule("money");
        m.addSerializer(Money.class, new com.fasterxml.jackson.databind.JsonSerializer<Money>() {
            @Override
            public void serialize(Money v, com.fasterxml.jackson.core.JsonGenerator g, com.fasterxml.jackson.databind.SerializerProvider p)
                    throws java.io.IOException {
                g.writeString(v.cents() / 100 + "." + String.format("%02d", v.cents() % 100));
            }
        });
        return m;
    }

    @Test
    void aUsersModulesAddToTheDefaults() {
        JsonCodec codec = JsonCodec.builder().modules(moneyAsText()).build();
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("price", new Money(1999));
        value.put("at", Instant.parse("2024-05-01T00:00:00Z"));
        assertEquals("{\"price\":\"19.99\",\"at\":\"2024-05-01T00:00:00Z\"}", new String(codec.encode(value), StandardCharsets.UTF_8));
    }

    @Test
    void aUsersObjectMapperIsUsedWithTheCodecsLimitsAndLeftUnchanged() {
        ObjectMapper mine = JsonMapper.builder().addModule(moneyAsText()).enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
        mine.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(5000).build());
        JsonCodec codec = JsonCodec.builder().objectMapper(mine).maxNestingDepth(10).build();
        assertEquals("{\"a\":\"0.05\",\"b\":1}", new String(codec.encode(Map.of("b", 1, "a", new Money(5))), StandardCharsets.UTF_8),
                "the user's module and features apply");
        assertThrows(CodecException.class, () -> codec.decode("{\"name\":\"a\",\"added\":1}".getBytes(StandardCharsets.UTF_8), Holder.class),
                "the user's FAIL_ON_UNKNOWN_PROPERTIES applies");
        byte[] deep = ("[".repeat(11) + "]".repeat(11)).getBytes(StandardCharsets.UTF_8);
        CodecException read = assertThrows(CodecException.class, () -> codec.decode(deep, Object.class));
        assertTrue(read.getMessage().contains("depth"), "the codec's read limit holds, not the mapper's 5000: " + read.getMessage());
        assertTrue(encodeFailure(codec, nested(11)).contains("maxNestingDepth=10"), "the codec's write limit holds");
        assertEquals(5000, mine.getFactory().streamReadConstraints().getMaxNestingDepth(), "the user's mapper is not changed");
    }

    @Test
    void refusesAMapperWithDefaultTyping() {
        ObjectMapper typed = JsonMapper.builder().build();
        typed.activateDefaultTyping(typed.getPolymorphicTypeValidator(), ObjectMapper.DefaultTyping.NON_FINAL);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonCodec.builder().objectMapper(typed));
        assertTrue(e.getMessage().contains("default typing"), e.getMessage());
        ObjectMapper legacy = new ObjectMapper();
        legacy.activateDefaultTyping(legacy.getPolymorphicTypeValidator(), ObjectMapper.DefaultTyping.JAVA_LANG_OBJECT,
                com.fasterxml.jackson.annotation.JsonTypeInfo.As.PROPERTY);
        assertThrows(IllegalArgumentException.class, () -> JsonCodec.builder().objectMapper(legacy));
    }

    @Test
    void refusesAModuleThatTurnsOnDefaultTyping() {
        SimpleModule sneaky = new SimpleModule("sneaky") {
            @Override
            public void setupModule(SetupContext context) {
                super.setupModule(context);
                ObjectMapper owner = context.getOwner();
                owner.activateDefaultTyping(owner.getPolymorphicTypeValidator());
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonCodec.builder().modules(sneaky).build());
        assertTrue(e.getMessage().contains("default typing"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> JsonCodec.builder().objectMapper(JsonMapper.builder().build()).modules(sneaky).build());
    }

    @Test
    void refusesAMapperForAnotherFormat() {
        ObjectMapper notJson = new ObjectMapper(new com.fasterxml.jackson.core.JsonFactory() {
            @Override
            public String getFormatName() {
                return "YAML";
            }
        });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonCodec.builder().objectMapper(notJson));
        assertTrue(e.getMessage().contains("YAML"), e.getMessage());
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

    private static Object nested(int depth) {
        Object v = "leaf";
        for (int i = 0; i < depth; i++) {
            v = List.of(v);
        }
        return v;
    }

    private static String encodeFailure(JsonCodec codec, Object value) {
        return assertThrows(CodecException.class, () -> codec.encode(value), "must fail at the write").getMessage();
    }

    @Test
    void nestingDeeperThanTheReadLimitFailsAtTheWrite() {
        JsonCodec codec = JsonCodec.defaults();
        Object deepest = nested(JsonCodec.DEFAULT_MAX_NESTING_DEPTH);
        assertEquals(deepest, codec.decode(codec.encode(deepest), Object.class), "the deepest writable value reads back");
        String m = encodeFailure(codec, nested(300));
        assertTrue(m.contains("depth") && m.contains("maxNestingDepth=200"), m);
    }

    @Test
    void everyLimitHoldsForWritesAsForReads() {
        JsonCodec codec = JsonCodec.builder().maxStringLength(10).maxNumberLength(5).maxNameLength(4).maxDocumentLength(60)
                .maxNestingDepth(3).build();
        for (Object ok : List.of("x".repeat(10), new BigInteger("99999"), new BigDecimal("-1.2345"), Map.of("abcd", 1),
                List.of(List.of(List.of())), new byte[6])) {
            byte[] json = codec.encode(ok);
            codec.decode(json, Object.class);
        }
        assertTrue(encodeFailure(codec, "x".repeat(11)).contains("maxStringLength=10"));
        assertTrue(encodeFailure(codec, new BigInteger("123456")).contains("maxNumberLength=5"));
        assertTrue(encodeFailure(codec, new BigDecimal("1.23456")).contains("maxNumberLength=5"));
        assertTrue(encodeFailure(codec, Map.of("abcde", 1)).contains("maxNameLength=4"));
        assertTrue(encodeFailure(codec, List.of(List.of(List.of(List.of())))).contains("maxNestingDepth=3"));
        assertTrue(encodeFailure(codec, new byte[7]).contains("maxStringLength=10"), "base64 of 7 bytes is 12 characters");
        assertTrue(encodeFailure(codec, List.of("0123456789", "0123456789", "0123456789", "0123456789", "0123456789"))
                .contains("maxDocumentLength=60"));
    }

    @Test
    void refusesUnpairedSurrogatesInJsonStringsAndNamesAtTheWrite() {
        JsonCodec codec = JsonCodec.defaults();
        String name = encodeFailure(codec, Map.of("a\uDC00", 1));
        assertTrue(name.contains("property name") && name.contains("unpaired surrogate U+DC00 at position 2"), name);
        String value = encodeFailure(codec, Map.of("k", "a\uD800b"));
        assertTrue(value.contains("string") && value.contains("U+D800"), value);
        encodeFailure(codec, List.of("x\uD83D"));
        encodeFailure(codec, new String[] {"ok", "\uDE00"});
        assertEquals(List.of("\uD83D\uDE00"), codec.decode(codec.encode(List.of("\uD83D\uDE00")), Object.class), "a pair is kept");
    }

    @Test
    void anythingTheCodecWritesItReadsBack() {
        JsonCodec codec = JsonCodec.builder().maxStringLength(12).maxNumberLength(6).maxNameLength(5).maxDocumentLength(200)
                .maxNestingDepth(4).build();
        Random random = new Random(42);
        int written = 0;
        int refused = 0;
        for (int i = 0; i < 5000; i++) {
            Object value = randomValue(random, 0);
            byte[] json;
            try {
                json = codec.encode(value);
            } catch (CodecException e) {
                refused++;
                continue;
            }
            written++;
            codec.decode(json, Object.class);
        }
        assertTrue(written > 500 && refused > 500, "both sides exercised: " + written + " written, " + refused + " refused");
    }

    private static Object randomValue(Random r, int depth) {
        switch (r.nextInt(depth > 5 ? 4 : 6)) {
            case 0:
                return "s".repeat(r.nextInt(16));
            case 1:
                return new BigInteger(r.nextInt(30) + 1, r).negate();
            case 2:
                return new BigDecimal(new BigInteger(r.nextInt(30) + 1, r), r.nextInt(10) - 5);
            case 3:
                return r.nextLong();
            case 4:
                List<Object> list = new ArrayList<>();
                for (int i = r.nextInt(4); i > 0; i--) {
                    list.add(randomValue(r, depth + 1));
                }
                return list;
            default:
                Map<String, Object> map = new LinkedHashMap<>();
                for (int i = r.nextInt(3); i > 0; i--) {
                    map.put("k".repeat(r.nextInt(8) + 1), randomValue(r, depth + 1));
                }
                return map;
        }
    }
}
