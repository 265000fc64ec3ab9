package io.switchboard.rabbitmq.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.LongString;
import io.switchboard.Message;
import io.switchboard.spi.Channels;
import io.switchboard.spi.Payloads;
import io.switchboard.spi.SubscriptionRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * Reads one delivery of one subscription into a {@link Message}, whoever published it. Immutable
 * and thread-safe.
 *
 * <p>Total: it reads anything an AMQP client can send. A value a Switchboard message cannot hold
 * (a {@code message_id} or {@code content_type} with control characters, say) is replaced, its
 * original kept in a header, and named in {@link Read#problems}; the subscription then
 * dead-letters the original, or delivers the substitute if it has no dead-letter channel.
 *
 * <p>Trusts what the broker says over what the publisher wrote: the channel comes from the
 * channel exchange the message was published to; the transport's own {@code sb-channel} and
 * {@code sb-attempt} headers count only on a message that came in through the default exchange
 * straight to this subscription's queue, the way the transport's retries come back, and even then
 * the channel must be one the subscription receives and the attempt is clamped to
 * 1..{@code maxAttempts}. Elsewhere a foreign {@code sb-channel} could move a message to another
 * channel, and a huge {@code sb-attempt} skip every retry.
 */
final class RabbitMqInbound {
    /** Header keeping an original {@code message_id} a Switchboard id cannot hold. */
    static final String RAW_MESSAGE_ID_HEADER = "sb-raw-message-id";
    static final String REPLY_TO_HEADER = io.switchboard.Publisher.REPLY_TO_HEADER;
    static final String CORRELATION_ID_HEADER = io.switchboard.Publisher.CORRELATION_ID_HEADER;
    /** Header keeping an original {@code content_type} a Switchboard content type cannot hold. */
    static final String RAW_CONTENT_TYPE_HEADER = "sb-raw-content-type";
    /** The dead-letter reason header, written by this transport or, for the broker's dead letters, read in. */
    static final String DEAD_LETTER_REASON_HEADER = "sb-dead-letter-reason";
    /** The dead letter's original channel. */
    static final String ORIGINAL_CHANNEL_HEADER = "sb-original-channel";
    /** The attempts a dead letter was given. */
    static final String ATTEMPTS_HEADER = "sb-attempts";

    private final Topology topology;
    private final SubscriptionRequest request;
    private final Predicate<String> accepts;
    private final int maxAttempts;
    private final Integer deliveryLimit;
    RabbitMqInbound(Topology topology, SubscriptionRequest request) {
        this(topology, request, null);
    }

    /** @param deliveryLimit the configured delivery limit of quorum queues, to report in dead letters; {@code null} if unset */
    RabbitMqInbound(Topology topology, SubscriptionRequest request, Integer deliveryLimit) {
        this.topology = topology;
        this.request = request;
        this.accepts = Channels.matcher(request.channelOrPattern());
        this.maxAttempts = request.options().retryPolicy().maxAttempts();
        this.deliveryLimit = deliveryLimit;
    }

    /** A read delivery. */
    static final class Read {
        /** The message; with substitutes where {@link #problems} is not empty. */
        final Message message;
        /** The attempt number, 1..maxAttempts. */
        final int attempt;
        /** What could not be read as sent, one phrase each; empty when everything could. */
        final List<String> problems;

        Read(Message message, int attempt, List<String> problems) {
            this.message = message;
            this.attempt = attempt;
            this.problems = problems;
        }
    }

    /**
     * Reads a delivery that arrived on {@code queue}.
     *
     * @param queue the name of the queue the subscription consumes
     */
    Read read(Envelope envelope, AMQP.BasicProperties props, byte[] body, String queue) {
        List<String> problems = null;
        Map<String, Object> raw = props.getHeaders();
        boolean ownRetryPath = envelope.getExchange().isEmpty() && queue.equals(envelope.getRoutingKey());
        Message.Builder b = Message.builder();
        if (raw != null) {
            for (Map.Entry<String, Object> e : raw.entrySet()) {
                String name = e.getKey();
                Object v = e.getValue();
                if (v == null || v instanceof List || v instanceof Map || isTransportHeader(name) || isBrokerDeathHistory(name)) {
                    continue;
                }
                try {
                    b.header(name, text(v));
                } catch (IllegalArgumentException ignored) {
                    // Not a Switchboard header (control characters in the name, NUL in the value):
                    // left out, as documented; the message itself is intact.
                }
            }
        }
        if (raw != null && "delivery_limit".equals(textOrNull(raw.get("x-first-death-reason")))
                && !raw.containsKey(DEAD_LETTER_REASON_HEADER)) {
            deliveryLimitHeaders(b, raw);
        }
        // An AMQP RPC client names its reply queue and correlation id in properties, not headers.
        fromProperty(b, raw, REPLY_TO_HEADER, props.getReplyTo());
        fromProperty(b, raw, CORRELATION_ID_HEADER, props.getCorrelationId());
        // amqp-client hands each delivery a body of its own, which nobody writes to: no second copy.
        Payloads.adopt(b.channel(channel(envelope, raw, ownRetryPath)), body);
        String id = props.getMessageId();
        if (id != null && !id.isEmpty()) {
            try {
                b.id(id);
            } catch (IllegalArgumentException e) {
                problems = new ArrayList<>(2);
                problems.add("message_id '" + printable(id) + "' has control characters or more than 255 characters");
                b.id(UUID.nameUUIDFromBytes(id.getBytes(StandardCharsets.UTF_8)).toString()).header(RAW_MESSAGE_ID_HEADER, printable(id));
            }
        }
        String type = props.getContentType();
        if (type != null && !type.isEmpty()) {
            try {
                b.contentType(type);
            } catch (IllegalArgumentException e) {
                if (problems == null) {
                    problems = new ArrayList<>(1);
                }
                problems.add("content_type '" + printable(type) + "' has control characters or more than 255 characters");
                b.header(RAW_CONTENT_TYPE_HEADER, printable(type));
            }
        }
        b.timestamp(RabbitMqSubscription.timestampOf(props));
        return new Read(b.build(), ownRetryPath ? clamp(attemptHeader(raw)) : 1, problems == null ? List.of() : problems);
    }

    private static void fromProperty(Message.Builder b, Map<String, Object> raw, String header, String property) {
        if (property == null || property.isEmpty() || raw != null && raw.containsKey(header)) {
            return;
        }
        try {
            b.header(header, property);
        } catch (IllegalArgumentException ignored) {
            // A property no header can hold (NUL) is left out, as such headers are.
        }
    }

    /**
     * The dead-letter headers this transport writes itself, for a message a quorum queue
     * dead-lettered at its delivery limit: the broker keeps neither a reason of ours nor the
     * delivery count, only {@code x-first-death-reason=delivery_limit}. The count is the limit
     * plus one (the broker dead-letters a message delivered once more than its limit), known when
     * this transport set the limit.
     */
    private void deliveryLimitHeaders(Message.Builder b, Map<String, Object> raw) {
        String original = textOrNull(raw.get(RabbitMqTransport.CHANNEL_HEADER));
        String exchange = textOrNull(raw.get("x-first-death-exchange"));
        if (original == null && exchange != null) {
            original = topology.channelOf(exchange);
        }
        if (original == null && raw.get("x-death") instanceof List && !((List<?>) raw.get("x-death")).isEmpty()
                && ((List<?>) raw.get("x-death")).get(0) instanceof Map) {
            Object keys = ((Map<?, ?>) ((List<?>) raw.get("x-death")).get(0)).get("routing-keys");
            if (keys instanceof List && !((List<?>) keys).isEmpty()) {
                original = textOrNull(((List<?>) keys).get(0));
            }
        }
        String queue = textOrNull(raw.get("x-first-death-queue"));
        b.header(DEAD_LETTER_REASON_HEADER, deliveryLimit != null
                ? "delivered " + (deliveryLimit + 1) + " times without an acknowledgement: queue " + queue + " reached its delivery limit ("
                        + deliveryLimit + ", switchboard.rabbitmq.delivery-limit) and the broker dead-lettered it"
                : "queue " + queue + " reached its delivery limit (x-delivery-limit) and the broker dead-lettered it");
        if (deliveryLimit != null) {
            b.header(ATTEMPTS_HEADER, Integer.toString(deliveryLimit + 1));
        }
        if (original != null && !raw.containsKey(ORIGINAL_CHANNEL_HEADER)) {
            try {
                b.header(ORIGINAL_CHANNEL_HEADER, original);
            } catch (IllegalArgumentException ignored) {
                // not a header value a message can hold: left out, as any such header is
            }
        }
    }

    private static String textOrNull(Object v) {
        return v instanceof LongString || v instanceof String || v instanceof byte[] ? text(v) : null;
    }

    /**
     * The least a delivery can be read as, when {@link #read} itself failed: the payload, on the
     * channel the broker names, with a fresh id.
     */
    Message minimal(Envelope envelope, byte[] body) {
        return Payloads.adopt(Message.builder().channel(channel(envelope, null, false)), body).build();
    }

    /**
     * The channel exchange's channel; else, on the retry path, a valid {@code sb-channel} that
     * this subscription receives; else a routing key that is such a channel; else an exact
     * subscription's own channel; else the routing key as the broker gave it.
     */
    private String channel(Envelope envelope, Map<String, Object> headers, boolean ownRetryPath) {
        String exchange = envelope.getExchange();
        String fromExchange = topology.channelOf(exchange);
        if (fromExchange != null) {
            return fromExchange;
        }
        if (ownRetryPath && headers != null) {
            Object c = headers.get(RabbitMqTransport.CHANNEL_HEADER);
            if (c instanceof LongString || c instanceof String || c instanceof byte[]) {
                String named = text(c);
                if (receives(named)) {
                    return named;
                }
            }
        }
        String key = envelope.getRoutingKey();
        if (receives(key)) {
            return key;
        }
        return request.isPattern() ? key : request.channelOrPattern();
    }

    private boolean receives(String channel) {
        try {
            Channels.requireChannel(channel);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return accepts.test(channel);
    }

    /**
     * Our retries never carry more than maxAttempts (a copy with attempt n + 1 is made only while
     * n is below it), so the clamp changes nothing for them; a forged or stale value above it
     * still gets its one, last attempt, and a value below 1 counts as the first.
     */
    private int clamp(long attempt) {
        return (int) Math.max(1, Math.min(maxAttempts, attempt));
    }

    private static long attemptHeader(Map<String, Object> h) {
        Object a = h == null ? null : h.get(RabbitMqTransport.ATTEMPT_HEADER);
        if (a instanceof Number) {
            return ((Number) a).longValue();
        }
        if (a instanceof LongString || a instanceof String) {
            try {
                return Long.parseLong(a.toString().trim());
            } catch (NumberFormatException e) {
                return 1;
            }
        }
        return 1;
    }

    private static String text(Object v) {
        if (v instanceof byte[]) {
            return new String((byte[]) v, StandardCharsets.UTF_8);
        }
        if (v instanceof Date) {
            return ((Date) v).toInstant().toString();
        }
        return v.toString();
    }

    private static boolean isTransportHeader(String name) {
        return name.equals(RabbitMqTransport.ATTEMPT_HEADER) || name.equals(RabbitMqTransport.CHANNEL_HEADER)
                || name.equals(RabbitMqTransport.TIMESTAMP_HEADER);
    }

    /** Headers the broker writes when it dead-letters a message: its history, never the application's. */
    static boolean isBrokerDeathHistory(String header) {
        return header.startsWith("x-death") || header.startsWith("x-first-death-") || header.startsWith("x-last-death-");
    }

    /** The value with control characters written as {@code \\uXXXX}, so that it can travel in a header and be logged. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
