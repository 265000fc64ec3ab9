package io.switchboard;

import io.switchboard.internal.MessageIds;
import io.switchboard.internal.PayloadAccess;
import io.switchboard.internal.Utf8;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A message: an id, a payload of bytes, string headers, a content type and a timestamp; and,
 * once published or received, the channel it travelled on. Immutable and thread-safe.
 *
 * <p>The payload is binary-safe and copied on the way in and on the way out, so no caller can
 * change a message another thread holds. The id is unique by default (a time-ordered,
 * UUID-formatted string) and may be set by the caller, for example to deduplicate on the receiving
 * side of an at-least-once transport.
 *
 * <p>Header names are non-empty, at most 255 characters, without control characters; names
 * starting with {@code sb-} are reserved for Switchboard. Values are any string without
 * {@code \0}. Every string must be well-formed UTF-16 (no unpaired surrogate, which has no UTF-8
 * form and would reach the wire changed): the builder refuses one with
 * {@link IllegalArgumentException}. No argument may be {@code null}.
 */
public final class Message {
    /**
     * The earliest timestamp a message may carry, 0001-01-01T00:00:00Z. Timestamps are years 1 to
     * 9999 on every transport: what every language's date type holds (Python's datetime the least).
     */
    public static final Instant EARLIEST_TIMESTAMP = Instant.parse("0001-01-01T00:00:00Z");

    /** The latest timestamp a message may carry, 9999-12-31T23:59:59.999Z (milliseconds are what transports carry). */
    public static final Instant LATEST_TIMESTAMP = Instant.parse("9999-12-31T23:59:59.999Z");

    /** Content type of {@link #ofBytes(byte[])} messages. */
    public static final String OCTET_STREAM = "application/octet-stream";
    /** Content type of {@link #ofText(String)} messages. */
    public static final String TEXT = "text/plain; charset=utf-8";
    /** Content type of {@link #ofJson(Object)} messages. */
    public static final String JSON = "application/json";

    static {
        PayloadAccess.install(new PayloadAccess() {
            @Override
            public byte[] view(Message message) {
                return message.payload;
            }

            @Override
            public Builder adopt(Builder builder, byte[] payload) {
                builder.payload = payload;
                return builder;
            }
        });
    }

    private final String id;
    private final String channel;
    private final byte[] payload;
    private final Map<String, String> headers;
    private final String contentType;
    private final Instant timestamp;
    /** UTF-8 bytes of header names and values, counted as the builder checked them. */
    private final long headerBytes;

    private Message(Builder b, byte[] payloadNoCopy) {
        this(b, payloadNoCopy, b.timestamp != null ? b.timestamp : Instant.now());
    }

    /** A default id carries the timestamp's millisecond, so that a transport may send the time once. */
    private Message(Builder b, byte[] payloadNoCopy, Instant timestamp) {
        this(b.id != null ? b.id : MessageIds.next(timestamp.toEpochMilli()), b.channel, payloadNoCopy,
                b.headers == null || b.headers.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(b.headers)),
                b.contentType, timestamp, b.headers == null || b.headers.isEmpty() ? 0 : b.headerBytes);
    }

    private Message(String id, String channel, byte[] payload, Map<String, String> headers, String contentType, Instant timestamp,
            long headerBytes) {
        this.id = id;
        this.channel = channel;
        this.payload = payload;
        this.headers = headers;
        this.contentType = contentType;
        this.timestamp = timestamp;
        this.headerBytes = headerBytes;
    }

    /** A message with a binary payload (copied) and content type {@value #OCTET_STREAM}. */
    public static Message ofBytes(byte[] payload) {
        return builder().payload(payload).build();
    }

    /** A message with a UTF-8 text payload and content type {@value #TEXT}. */
    public static Message ofText(String text) {
        return builder().text(text).build();
    }

    /**
     * A message whose payload is the value encoded as JSON by {@link JsonCodec#defaults()}, with
     * content type {@value #JSON}.
     *
     * @throws CodecException if the value cannot be encoded
     */
    public static Message ofJson(Object value) {
        return builder().json(value).build();
    }

    /** Starts a message; the payload defaults to empty. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this message's fields, to derive a changed copy. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.id = id;
        b.channel = channel;
        b.payload = payload;
        if (!headers.isEmpty()) {
            b.headers = new LinkedHashMap<>(headers);
            b.headerBytes = headerBytes;
        }
        b.contentType = contentType;
        b.timestamp = timestamp;
        return b;
    }

    /** The id, never {@code null}. */
    public String id() {
        return id;
    }

    /** The channel this message was published to or received from; {@code null} before it is published. */
    public String channel() {
        return channel;
    }

    /** A copy of the payload. */
    public byte[] payload() {
        return payload.clone();
    }

    /**
     * The payload as a read-only buffer over the message's own bytes, without copying: for
     * handlers that parse, hash or forward the bytes, where {@link #payload()} would copy them
     * first. Each call returns a new buffer (position 0, limit the size), safe to hand to another
     * thread; writes through it are refused ({@link java.nio.ReadOnlyBufferException}).
     */
    public ByteBuffer payloadBuffer() {
        return ByteBuffer.wrap(payload).asReadOnlyBuffer();
    }

    /** The payload size in bytes, without copying. */
    public int payloadSize() {
        return payload.length;
    }

    /** The payload decoded as UTF-8 (malformed sequences become U+FFFD). */
    public String text() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    /**
     * The payload decoded as JSON by {@link JsonCodec#defaults()}.
     *
     * @throws CodecException if the payload is not JSON for that type
     */
    public <T> T json(Class<T> type) {
        return JsonCodec.defaults().decode(payload, type);
    }

    /**
     * The payload decoded as JSON by the given codec.
     *
     * @throws CodecException if the payload is not JSON for that type
     */
    public <T> T json(Class<T> type, JsonCodec codec) {
        return codec.decode(payload, type);
    }

    /**
     * The payload decoded as JSON by {@link JsonCodec#defaults()} into a generic type, such as
     * {@code new TypeRef<List<Order>>() {}}.
     *
     * @throws CodecException if the payload is not JSON for that type
     */
    public <T> T json(TypeRef<T> type) {
        return JsonCodec.defaults().decode(payload, type);
    }

    /**
     * The payload decoded as JSON by the given codec into a generic type.
     *
     * @throws CodecException if the payload is not JSON for that type
     */
    public <T> T json(TypeRef<T> type, JsonCodec codec) {
        return codec.decode(payload, type);
    }

    /** The headers, unmodifiable, in insertion order. */
    public Map<String, String> headers() {
        return headers;
    }

    /** One header's value, or {@code null} if absent. */
    public String header(String name) {
        return headers.get(name);
    }

    /** The content type, never {@code null}. */
    public String contentType() {
        return contentType;
    }

    /** When the message was created (millisecond precision once it has crossed a transport). */
    public Instant timestamp() {
        return timestamp;
    }

    /**
     * The size counted against the maximum message size: payload bytes plus the UTF-8 length of
     * every header name and value.
     */
    public long size() {
        return payload.length + headerBytes;
    }

    /** This message with its channel set; the id, payload and everything else are kept. */
    public Message withChannel(String channel) {
        if (Objects.equals(channel, this.channel)) {
            return this;
        }
        return new Message(id, channel, payload, headers, contentType, timestamp, headerBytes);
    }

    /** Whether the payloads are equal (without copying). */
    public boolean payloadEquals(byte[] other) {
        return Arrays.equals(payload, other);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Message)) {
            return false;
        }
        Message m = (Message) o;
        return id.equals(m.id) && Objects.equals(channel, m.channel) && Arrays.equals(payload, m.payload)
                && headers.equals(m.headers) && contentType.equals(m.contentType) && timestamp.equals(m.timestamp);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    /** Id, channel, content type, payload size and header names; never the payload or header values. */
    @Override
    public String toString() {
        return "Message[id=" + id + ", channel=" + channel + ", contentType=" + contentType
                + ", payload=" + payload.length + " bytes, headers=" + headers.keySet() + "]";
    }

    /** Builds a {@link Message}. Not thread-safe; build once per message. */
    public static final class Builder {
        private static final byte[] EMPTY = new byte[0];

        private String id;
        private String channel;
        private byte[] payload = EMPTY;
        /** Allocated by the first header: most messages have none. */
        private Map<String, String> headers;
        private long headerBytes;
        private String contentType = OCTET_STREAM;
        private Instant timestamp;

        private Builder() {
        }

        /**
         * Sets the id (default: a new unique id).
         *
         * @throws IllegalArgumentException if empty, longer than 255 characters, holding control
         *     characters or not well-formed UTF-16
         */
        public Builder id(String id) {
            Objects.requireNonNull(id, "id");
            if (id.isEmpty() || id.length() > 255) {
                throw new IllegalArgumentException("message id '" + Utf8.printable(id, 80)
                        + "' must be 1 to 255 characters without control characters");
            }
            Utf8.checkedNameLength(id, "message id");
            this.id = id;
            return this;
        }

        /**
         * Sets the channel. Providers set it on received messages; publishers need not, since
         * {@link Publisher#publish(String, Message)} names the channel.
         */
        public Builder channel(String channel) {
            this.channel = Objects.requireNonNull(channel, "channel");
            return this;
        }

        /** Sets a binary payload (copied) and content type {@value #OCTET_STREAM} unless one was set. */
        public Builder payload(byte[] payload) {
            this.payload = Objects.requireNonNull(payload, "payload").clone();
            return this;
        }

        /**
         * Sets a binary payload copied from {@code length} bytes of {@code source} at
         * {@code offset}, for providers that find the payload inside a larger frame.
         *
         * @throws IndexOutOfBoundsException if the range is not inside {@code source}
         */
        public Builder payload(byte[] source, int offset, int length) {
            Objects.checkFromIndexSize(offset, length, Objects.requireNonNull(source, "payload").length);
            this.payload = Arrays.copyOfRange(source, offset, offset + length);
            return this;
        }

        /**
         * Sets a UTF-8 text payload and content type {@value #TEXT}.
         *
         * @throws IllegalArgumentException if the text is not well-formed UTF-16
         */
        public Builder text(String text) {
            Utf8.checkedValueLength(Objects.requireNonNull(text, "text"), "text payload", null);
            this.payload = text.getBytes(StandardCharsets.UTF_8);
            this.contentType = TEXT;
            return this;
        }

        /** Sets a JSON payload encoded by {@link JsonCodec#defaults()} and content type {@value #JSON}. */
        public Builder json(Object value) {
            return json(value, JsonCodec.defaults());
        }

        /** Sets a JSON payload encoded by the given codec and content type {@value #JSON}. */
        public Builder json(Object value, JsonCodec codec) {
            this.payload = codec.encode(value);
            this.contentType = JSON;
            return this;
        }

        /**
         * Adds or replaces a header.
         *
         * @throws IllegalArgumentException if the name is empty, longer than 255 characters or has
         *     control characters, the value contains {@code \0}, or either is not well-formed UTF-16
         */
        public Builder header(String name, String value) {
            Objects.requireNonNull(name, "header name");
            Objects.requireNonNull(value, "value of header " + name);
            if (name.isEmpty() || name.length() > 255) {
                throw new IllegalArgumentException("header name '" + Utf8.printable(name, 80)
                        + "' must be 1 to 255 characters without control characters");
            }
            int nameBytes = Utf8.checkedNameLength(name, "header name");
            if (value.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("value of header '" + name + "' contains a NUL character");
            }
            int valueBytes = Utf8.checkedValueLength(value, "value of header", name);
            if (headers == null) {
                headers = new LinkedHashMap<>();
            }
            String previous = headers.put(name, value);
            headerBytes += nameBytes + valueBytes - (previous == null ? 0 : nameBytes + Utf8.length(previous));
            return this;
        }

        /** Adds or replaces every header of the map. */
        public Builder headers(Map<String, String> headers) {
            headers.forEach(this::header);
            return this;
        }

        /** Removes a header. */
        public Builder removeHeader(String name) {
            String previous = headers == null ? null : headers.remove(name);
            if (previous != null) {
                headerBytes -= Utf8.length(name) + Utf8.length(previous);
            }
            return this;
        }

        /**
         * Sets the content type, a MIME type such as {@code application/json}.
         *
         * @throws IllegalArgumentException if empty, longer than 255 characters, holding control
         *     characters or not well-formed UTF-16
         */
        public Builder contentType(String contentType) {
            Objects.requireNonNull(contentType, "contentType");
            if (contentType.isEmpty() || contentType.length() > 255) {
                throw new IllegalArgumentException("content type '" + Utf8.printable(contentType, 80) + "' is not valid");
            }
            Utf8.checkedNameLength(contentType, "content type");
            this.contentType = contentType;
            return this;
        }

        /**
         * Sets the timestamp (default: now).
         *
         * @throws IllegalArgumentException if it is outside {@link #EARLIEST_TIMESTAMP} to
         *     {@link #LATEST_TIMESTAMP} (years 1 to 9999)
         */
        public Builder timestamp(Instant timestamp) {
            Objects.requireNonNull(timestamp, "timestamp");
            if (timestamp.isBefore(EARLIEST_TIMESTAMP) || timestamp.isAfter(LATEST_TIMESTAMP)) {
                throw new IllegalArgumentException("timestamp " + timestamp + " is outside years 1 to 9999 ("
                        + EARLIEST_TIMESTAMP + " to " + LATEST_TIMESTAMP + "), the range every transport carries");
            }
            this.timestamp = timestamp;
            return this;
        }

        /** Builds the message. */
        public Message build() {
            return new Message(this, payload);
        }
    }
}
