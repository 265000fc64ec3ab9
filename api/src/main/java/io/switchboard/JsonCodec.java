package io.switchboard;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.switchboard.internal.JsonWriteLimits;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Encodes values to JSON and decodes them back, for message payloads and typed cache values.
 * Thread-safe and immutable.
 *
 * <p>Safe with input from other processes: polymorphic (default) typing is never enabled (a
 * user's {@link Builder#objectMapper mapper} or {@link Builder#modules module} that enables it is
 * refused), so a payload cannot choose which class gets instantiated, and parsing is bounded. Defaults:
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
    private final JsonWriteLimits writeLimits;
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
        ObjectMapper m;
        if (b.mapper != null) {
            // copy() copies the factory too, so the user's mapper keeps its own constraints.
            m = b.mapper.copy();
            m.getFactory().setStreamReadConstraints(read).setStreamWriteConstraints(write);
            m.registerModules(b.modules);
        } else {
            m = JsonMapper.builder(new JsonFactoryBuilder().streamReadConstraints(read).streamWriteConstraints(write).build())
                    .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                    .addModule(new JavaTimeModule())
                    .addModule(new Jdk8Module())
                    // ISO-8601 text, which every language parses; numeric timestamps are ambiguous (seconds or millis?).
                    .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                    .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
                    // An offset written by another service is kept as written, not shifted to UTC.
                    .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
                    .addModules(b.modules)
                    .build();
        }
        // A module may reach its owner and turn default typing on: check what was built, not only what was given.
        requireNoDefaultTyping(m, b.mapper != null ? "the ObjectMapper given to JsonCodec.Builder, with its modules," : "a module given to JsonCodec.Builder");
        this.mapper = m;
        this.writeLimits = new JsonWriteLimits(read, new JsonFactoryBuilder().streamReadConstraints(read).build());
        this.maxDocumentLength = b.maxDocumentLength;
        this.limits = "maxDocumentLength=" + b.maxDocumentLength + ", maxNestingDepth=" + b.maxNestingDepth
                + ", maxStringLength=" + b.maxStringLength + ", maxNumberLength=" + b.maxNumberLength + ", maxNameLength=" + b.maxNameLength;
    }

    private static void requireNoDefaultTyping(ObjectMapper m, String what) {
        JavaType any = m.constructType(Object.class);
        if (m.getDeserializationConfig().getDefaultTyper(any) != null || m.getSerializationConfig().getDefaultTyper(any) != null) {
            throw new IllegalArgumentException(what + " enables default typing (activateDefaultTyping or setDefaultTyping): a payload "
                    + "from another process could then choose which class is instantiated. Use a mapper without it; for polymorphic "
                    + "types of your own, annotate them with @JsonTypeInfo(use = Id.NAME) and @JsonSubTypes.");
        }
    }

    /** The codec with the documented default limits. */
    public static JsonCodec defaults() {
        return DEFAULTS;
    }

    /** Starts a codec with custom limits, modules or mapper. */
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
        ByteArrayBuilder out = new ByteArrayBuilder();
        // The generator is made here, not by the factory, so that a user's mapper gets the write limits too.
        try (JsonGenerator g = writeLimits.decorate(mapper.getFactory(), mapper.getFactory().createGenerator(out, JsonEncoding.UTF8))) {
            mapper.writeValue(g, value);
        } catch (JsonProcessingException e) {
            StreamConstraintsException limit = limitIn(e);
            throw new CodecException(cannotEncode(value) + (limit != null ? limit.getOriginalMessage() + "; " + whyLimited()
                    : e.getOriginalMessage()), e);
        } catch (IOException e) {
            throw new CodecException(cannotEncode(value) + e, e);
        }
        json = out.toByteArray();
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
     * Decodes UTF-8 JSON into a value of a generic type, such as {@code new TypeRef<List<Order>>() {}}.
     *
     * @throws CodecException if the bytes are not valid JSON for that type or exceed a limit
     */
    public <T> T decode(byte[] json, TypeRef<T> type) {
        return decode(json, type.type());
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
        private ObjectMapper mapper;
        private final List<Module> modules = new ArrayList<>();

        private Builder() {
        }

        /**
         * Uses a copy of {@code mapper} instead of the default configuration: its modules,
         * features, naming strategy and mix-ins apply, while this builder's limits replace the
         * mapper's own stream constraints (for reading and for writing). The mapper itself is not
         * changed. Unlike the defaults, nothing is added to it: register Jackson's JSR-310 and
         * JDK 8 modules on it if it is to handle {@code java.time} and {@code Optional}.
         *
         * @throws IllegalArgumentException if the mapper enables default typing (a payload could
         *     then choose the class to instantiate), or does not produce JSON
         */
        public Builder objectMapper(ObjectMapper mapper) {
            Objects.requireNonNull(mapper, "mapper");
            String format = mapper.getFactory().getFormatName();
            if (!JsonFactory.FORMAT_NAME_JSON.equals(format)) {
                throw new IllegalArgumentException("the ObjectMapper given to JsonCodec.Builder produces " + format
                        + ", not JSON; give a JsonMapper (or an ObjectMapper over a JsonFactory)");
            }
            requireNoDefaultTyping(mapper, "the ObjectMapper given to JsonCodec.Builder");
            this.mapper = mapper;
            return this;
        }

        /**
         * Registers Jackson modules (serializers for types of your own, other data types) on top
         * of the default configuration, or of the {@link #objectMapper(ObjectMapper)} given.
         * {@link #build()} refuses a module that turns on default typing.
         */
        public Builder modules(Module... modules) {
            for (Module m : modules) {
                this.modules.add(Objects.requireNonNull(m, "module"));
            }
            return this;
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

        /**
         * Builds the codec.
         *
         * @throws IllegalArgumentException if a module turned on default typing
         */
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
