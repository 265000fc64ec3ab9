package io.switchboard;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.switchboard.internal.JsonWriteLimits;
import java.io.IOException;
import java.lang.reflect.Type;

/**
 * Encodes values to JSON and decodes them back, for message payloads and typed cache values.
 * Thread-safe and immutable.
 *
 * <p>Safe with input from other processes: polymorphic (default) typing is never enabled, so a
 * payload cannot choose which class gets instantiated, and parsing is bounded. Defaults:
 * documents up to {@value #DEFAULT_MAX_DOCUMENT_LENGTH} bytes, nesting up to
 * {@value #DEFAULT_MAX_NESTING_DEPTH} levels, strings up to {@value #DEFAULT_MAX_STRING_LENGTH}
 * characters, numbers up to {@value #DEFAULT_MAX_NUMBER_LENGTH} digits, property names up to
 * {@value #DEFAULT_MAX_NAME_LENGTH} characters. The same limits hold for writing and for reading,
 * so whatever this codec encodes it decodes: a value over a limit fails at {@link #encode} with
 * {@link CodecException} naming the limit, before anything is sent or stored, and a payload over a
 * limit fails at {@link #decode}. Unknown properties are ignored, so a newer writer does not break
 * an older reader.
 *
 * <p>{@code java.time} values are ISO-8601 strings ({@code Instant} {@code "2024-05-01T12:30:00Z"},
 * {@code LocalDate} {@code "2024-05-01"}, {@code Duration} {@code "PT1M30S"}; an
 * {@code OffsetDateTime} keeps its offset when read back); an {@code Optional} is its value or
 * {@code null}, and reads back empty when absent or {@code null}. See {@code docs/wire-format.md}.
 *
 * <p>{@code byte[]} and {@link String} are not JSON-encoded by {@link SharedCache}: see there.
 */
public final class JsonCodec {
    /** Default maximum document length in bytes (16 MiB). */
    public static final long DEFAULT_MAX_DOCUMENT_LENGTH = 16L * 1024 * 1024;
    /** Default maximum nesting depth. */
    public static final int DEFAULT_MAX_NESTING_DEPTH = 200;
    /** Default maximum string length in characters (16 Mi). */
    public static final int DEFAULT_MAX_STRING_LENGTH = 16 * 1024 * 1024;
    /** Default maximum number length in digits. */
    public static final int DEFAULT_MAX_NUMBER_LENGTH = 1000;
    /** Default maximum property name length in characters (Jackson's own default). */
    public static final int DEFAULT_MAX_NAME_LENGTH = StreamReadConstraints.DEFAULT_MAX_NAME_LEN;

    private static final JsonCodec DEFAULTS = builder().build();

    private final ObjectMapper mapper;
    private final long maxDocumentLength;
    private final String limits;

    private JsonCodec(Builder b) {
        StreamReadConstraints read = StreamReadConstraints.builder()
                .maxDocumentLength(b.maxDocumentLength)
                .maxNestingDepth(b.maxNestingDepth)
                .maxStringLength(b.maxStringLength)
                .maxNumberLength(b.maxNumberLength)
                .maxNameLength(b.maxNameLength)
                .build();
        StreamWriteConstraints write = StreamWriteConstraints.builder().maxNestingDepth(b.maxNestingDepth).build();
        JsonFactory factory = new JsonFactoryBuilder()
                .streamReadConstraints(read)
                .streamWriteConstraints(write)
                .addDecorator(new JsonWriteLimits(read, new JsonFactoryBuilder().streamReadConstraints(read).build()))
                .build();
        this.mapper = JsonMapper.builder(factory)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .addModule(new JavaTimeModule())
                .addModule(new Jdk8Module())
                // ISO-8601 text, which every language parses; numeric timestamps are ambiguous (seconds or millis?).
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
                // An offset written by another service is kept as written, not shifted to UTC.
                .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
                .build();
        this.maxDocumentLength = b.maxDocumentLength;
        this.limits = "maxDocumentLength=" + b.maxDocumentLength + ", maxNestingDepth=" + b.maxNestingDepth
                + ", maxStringLength=" + b.maxStringLength + ", maxNumberLength=" + b.maxNumberLength + ", maxNameLength=" + b.maxNameLength;
    }

    /** The codec with the documented default limits. */
    public static JsonCodec defaults() {
        return DEFAULTS;
    }

    /** Starts a codec with custom limits. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Encodes a value as UTF-8 JSON.
     *
     * @throws CodecException if the value cannot be encoded, or its JSON would be over one of this
     *     codec's limits (and so could not be decoded); the message names the limit
     */
    public byte[] encode(Object value) {
        byte[] json;
        try {
            json = mapper.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            StreamConstraintsException limit = limitIn(e);
            throw new CodecException(cannotEncode(value) + (limit != null ? limit.getOriginalMessage() + "; " + whyLimited()
                    : e.getOriginalMessage()), e);
        }
        if (json.length > maxDocumentLength) {
            throw new CodecException(cannotEncode(value) + "the document is " + json.length + " bytes, over maxDocumentLength="
                    + maxDocumentLength + "; " + whyLimited(), null);
        }
        return json;
    }

    private static String cannotEncode(Object value) {
        return "cannot encode a " + (value == null ? "null" : value.getClass().getName()) + " as JSON: ";
    }

    private String whyLimited() {
        return "this codec writes only what it can read back (" + limits + ")";
    }

    private static StreamConstraintsException limitIn(Throwable t) {
        for (; t != null; t = t.getCause()) {
            if (t instanceof StreamConstraintsException) {
                return (StreamConstraintsException) t;
            }
        }
        return null;
    }

    /**
     * Decodes UTF-8 JSON into a value of the given class.
     *
     * @throws CodecException if the bytes are not valid JSON for that type or exceed a limit
     */
    public <T> T decode(byte[] json, Class<T> type) {
        return decode(json, (Type) type);
    }

    /**
     * Decodes UTF-8 JSON into a value of the given (possibly generic) type.
     *
     * @throws CodecException if the bytes are not valid JSON for that type or exceed a limit
     */
    public <T> T decode(byte[] json, Type type) {
        if (json.length > maxDocumentLength) {
            throw new CodecException("JSON document of " + json.length + " bytes is over the limit of "
                    + maxDocumentLength + " bytes (maxDocumentLength)", null);
        }
        JavaType javaType = mapper.getTypeFactory().constructType(type);
        try {
            return mapper.readValue(json, javaType);
        } catch (IOException e) {
            String detail = e instanceof JsonProcessingException
                    ? ((JsonProcessingException) e).getOriginalMessage() : e.getMessage();
            throw new CodecException("cannot decode " + json.length + " bytes of JSON as " + type.getTypeName()
                    + ": " + detail, e);
        }
    }

    @Override
    public String toString() {
        return "JsonCodec[" + limits + "]";
    }

    /** Builds a {@link JsonCodec}. Each limit holds for writes and reads alike. Not thread-safe. */
    public static final class Builder {
        private long maxDocumentLength = DEFAULT_MAX_DOCUMENT_LENGTH;
        private int maxNestingDepth = DEFAULT_MAX_NESTING_DEPTH;
        private int maxStringLength = DEFAULT_MAX_STRING_LENGTH;
        private int maxNumberLength = DEFAULT_MAX_NUMBER_LENGTH;
        private int maxNameLength = DEFAULT_MAX_NAME_LENGTH;

        private Builder() {
        }

        /** Maximum document length in bytes; positive. */
        public Builder maxDocumentLength(long bytes) {
            this.maxDocumentLength = positive(bytes, "maxDocumentLength");
            return this;
        }

        /** Maximum nesting depth of arrays and objects; positive. */
        public Builder maxNestingDepth(int depth) {
            this.maxNestingDepth = (int) positive(depth, "maxNestingDepth");
            return this;
        }

        /** Maximum length of one string, in characters; positive. */
        public Builder maxStringLength(int chars) {
            this.maxStringLength = (int) positive(chars, "maxStringLength");
            return this;
        }

        /** Maximum length of one number, in digits; positive. */
        public Builder maxNumberLength(int digits) {
            this.maxNumberLength = (int) positive(digits, "maxNumberLength");
            return this;
        }

        /** Maximum length of one property name, in characters; positive. */
        public Builder maxNameLength(int chars) {
            this.maxNameLength = (int) positive(chars, "maxNameLength");
            return this;
        }

        /** Builds the codec. */
        public JsonCodec build() {
            return new JsonCodec(this);
        }

        private static long positive(long v, String name) {
            if (v <= 0) {
                throw new IllegalArgumentException(name + " must be positive, got " + v);
            }
            return v;
        }
    }
}
