package io.switchboard.rabbitmq.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Envelope;
import io.switchboard.RetryPolicy;
import io.switchboard.SubscriptionOptions;
import io.switchboard.spi.SubscriptionRequest;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RabbitMqInboundTest {
    private static final Topology TOPOLOGY = new Topology("sb");
    private static final String QUEUE = "sb.sub.billing";
    private static final byte[] BODY = {1, 2, 3};

    private static RabbitMqInbound inbound(String channelOrPattern) {
        return new RabbitMqInbound(TOPOLOGY, new SubscriptionRequest(channelOrPattern,
                SubscriptionOptions.defaults().durable("billing").retry(RetryPolicy.fixed(4, Duration.ofMillis(10))), 10));
    }

    private static AMQP.BasicProperties headers(Map<String, Object> h) {
        return new AMQP.BasicProperties.Builder().messageId("m").headers(h).build();
    }

    private static Envelope viaExchange(String channel) {
        return new Envelope(1, false, "sb.ch." + channel, channel);
    }

    private static Envelope viaRetryPath() {
        return new Envelope(1, false, "", QUEUE);
    }

    @Test
    void theChannelExchangeSaysTheChannelWhateverSbChannelSays() {
        RabbitMqInbound.Read r = inbound("orders.*").read(viaExchange("orders.eu"), headers(Map.of("sb-channel", "orders.us")), BODY, QUEUE);
        assertEquals("orders.eu", r.message.channel());
        assertFalse(r.message.headers().containsKey("sb-channel"));
        assertTrue(r.problems.isEmpty());
    }

    @Test
    void onTheRetryPathSbChannelCountsOnlyWhenTheSubscriptionReceivesThatChannel() {
        RabbitMqInbound pattern = inbound("orders.*");
        assertEquals("orders.us", pattern.read(viaRetryPath(), headers(Map.of("sb-channel", "orders.us")), BODY, QUEUE).message.channel());
        assertEquals(QUEUE, pattern.read(viaRetryPath(), headers(Map.of("sb-channel", "payroll.secret")), BODY, QUEUE).message.channel(),
                "not one it receives: the routing key as the broker gave it");
        RabbitMqInbound exact = inbound("orders.eu");
        assertEquals("orders.eu", exact.read(viaRetryPath(), headers(Map.of("sb-channel", "payroll.secret")), BODY, QUEUE).message.channel());
        assertEquals("orders.eu", exact.read(viaRetryPath(), headers(Map.of("sb-channel", "orders..bad")), BODY, QUEUE).message.channel());
    }

    @Test
    void aMessageFromAnotherExchangeGetsARoutingKeyItReceivesOrTheExactSubscriptionsChannel() {
        assertEquals("orders.eu", inbound("orders.*").read(new Envelope(1, false, "legacy", "orders.eu"), headers(Map.of()), BODY, QUEUE)
                .message.channel());
        assertEquals("orders.eu", inbound("orders.eu").read(new Envelope(1, false, "legacy", "whatever"), headers(Map.of()), BODY, QUEUE)
                .message.channel());
    }

    @Test
    void sbAttemptCountsOnlyOnTheRetryPathClampedToTheRetryPolicy() {
        RabbitMqInbound in = inbound("orders.eu");
        assertEquals(1, in.read(viaExchange("orders.eu"), headers(Map.of("sb-attempt", 3)), BODY, QUEUE).attempt, "a publish is attempt 1");
        assertEquals(3, in.read(viaRetryPath(), headers(Map.of("sb-attempt", 3)), BODY, QUEUE).attempt, "our retry copy");
        assertEquals(4, in.read(viaRetryPath(), headers(Map.of("sb-attempt", Long.MAX_VALUE)), BODY, QUEUE).attempt);
        assertEquals(4, in.read(viaRetryPath(), headers(Map.of("sb-attempt", "99999999999")), BODY, QUEUE).attempt);
        assertEquals(1, in.read(viaRetryPath(), headers(Map.of("sb-attempt", -7)), BODY, QUEUE).attempt);
        assertEquals(1, in.read(viaRetryPath(), headers(Map.of("sb-attempt", "two")), BODY, QUEUE).attempt);
        assertEquals(1, in.read(viaRetryPath(), headers(Map.of()), BODY, QUEUE).attempt);
        assertEquals(1, in.read(new Envelope(1, false, "", "sb.sub.other"), headers(Map.of("sb-attempt", 3)), BODY, QUEUE).attempt,
                "the default exchange to another queue is not the retry path");
    }

    @Test
    void valuesAMessageCannotHoldAreReplacedNamedAndKept() {
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().messageId("a\u0007b").contentType("text/x\u001f").build();
        RabbitMqInbound.Read r = inbound("orders.eu").read(viaExchange("orders.eu"), props, BODY, QUEUE);
        assertEquals(2, r.problems.size(), String.valueOf(r.problems));
        assertEquals("a\\u0007b", r.message.headers().get(RabbitMqInbound.RAW_MESSAGE_ID_HEADER));
        assertEquals("text/x\\u001f", r.message.headers().get(RabbitMqInbound.RAW_CONTENT_TYPE_HEADER));
        assertEquals(r.message.id(), inbound("orders.eu").read(viaExchange("orders.eu"), props, BODY, QUEUE).message.id(),
                "the same substitute id every time");
    }

    @Test
    void aDeadLetterOfTheBrokersDeliveryLimitGetsTheTransportsDeadLetterHeaders() {
        // As RabbitMQ 3.10 writes it (x-delivery-count dropped, x-death kept).
        Map<String, Object> h = Map.of("kind", "bad", "x-first-death-reason", "delivery_limit", "x-first-death-queue", "sb.sub.worker",
                "x-first-death-exchange", "sb.ch.jobs", "x-death", java.util.List.of(Map.of("reason", "delivery_limit", "count", 1L,
                        "routing-keys", java.util.List.of("jobs"))));
        RabbitMqInbound limited = new RabbitMqInbound(TOPOLOGY, new SubscriptionRequest("jobs-dead", SubscriptionOptions.defaults(), 10), 2);
        Map<String, String> got = limited.read(viaExchange("jobs-dead"), headers(h), BODY, "amq.gen-x").message.headers();
        assertEquals("3", got.get("sb-attempts"));
        assertEquals("jobs", got.get("sb-original-channel"));
        assertEquals("bad", got.get("kind"));
        assertTrue(got.get("sb-dead-letter-reason").startsWith("delivered 3 times without an acknowledgement: queue sb.sub.worker reached its "
                + "delivery limit (2"), got.toString());
        assertFalse(got.keySet().stream().anyMatch(k -> k.startsWith("x-")), "the broker's history stays hidden: " + got);

        Map<String, String> unknownLimit = inbound("jobs-dead").read(viaExchange("jobs-dead"), headers(h), BODY, QUEUE).message.headers();
        assertFalse(unknownLimit.containsKey("sb-attempts"), "no count without the limit: " + unknownLimit);
        assertTrue(unknownLimit.get("sb-dead-letter-reason").contains("delivery limit"), unknownLimit.toString());

        Map<String, String> ours = limited.read(viaExchange("jobs-dead"), headers(Map.of("x-first-death-reason", "delivery_limit",
                "sb-dead-letter-reason", "handler failed")), BODY, QUEUE).message.headers();
        assertEquals("handler failed", ours.get("sb-dead-letter-reason"), "a reason already there is kept");
    }
}
