package io.switchboard.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.switchboard.Message;
import io.switchboard.Publisher;
import io.switchboard.Switchboard;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Request/reply on RabbitMQ beyond the kit's rules: the inbox leaves nothing on the broker, and
 * AMQP RPC clients of other languages (reply_to and correlation_id properties, direct reply-to)
 * can ask a Switchboard handler and answer a Switchboard request.
 */
class RabbitMqRequestReplyIT {
    private static final String PREFIX = RabbitMqTests.unique("sbrr");
    private static final Duration WAIT = Duration.ofSeconds(10);

    @AfterAll
    static void deleteTopology() throws Exception {
        SharedBrokerConnections.deleteTopology(PREFIX);
    }

    private static Switchboard open() {
        return RabbitMqTests.open(RabbitMqTests.SHARED_URI, PREFIX, Map.of());
    }

    @Test
    void replyInboxIsAnExclusiveQueueThatLeavesNoExchangeAndGoesWithTheInstance() throws Exception {
        String channel = "rr." + RabbitMqTests.unique("inbox");
        String replyTo;
        try (Switchboard replier = open(); Switchboard requester = open()) {
            List<String> addresses = new CopyOnWriteArrayList<>();
            replier.subscriber().subscribe(channel, d -> {
                addresses.add(d.replyTo().orElseThrow());
                d.reply(Message.ofText("pong"));
            });
            assertEquals("pong", requester.publisher().requestAndWait(channel, Message.ofText("ping"), WAIT).text());
            replyTo = addresses.get(0);
            assertTrue(replyTo.matches(java.util.regex.Pattern.quote(PREFIX) + "\\.reply\\.[0-9a-f]{32}"), replyTo);
            assertTrue(queues().contains(replyTo), "the inbox queue exists while the instance is open");
            assertEquals(List.of(), exchanges().stream().filter(x -> x.contains("reply")).collect(java.util.stream.Collectors.toList()),
                    "exchanges for replies");
        }
        String gone = replyTo;
        RabbitMqTests.await(WAIT, () -> {
            try {
                return !queues().contains(gone);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "the inbox queue " + gone + " is deleted with its connection");
    }

    @Test
    void answersAnAmqpRpcClientThatUsesDirectReplyTo() throws Exception {
        String channel = "rr." + RabbitMqTests.unique("direct");
        try (Switchboard replier = open(); Connection raw = RabbitMqTests.raw(5672)) {
            replier.subscriber().subscribe(channel, d -> d.reply(Message.ofText("re:" + d.message().text())));
            Channel ch = raw.createChannel();
            CompletableFuture<String[]> reply = new CompletableFuture<>();
            ch.basicConsume("amq.rabbitmq.reply-to", true, new DefaultConsumer(ch) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                    reply.complete(new String[] {props.getCorrelationId(), new String(body, StandardCharsets.UTF_8)});
                }
            });
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().replyTo("amq.rabbitmq.reply-to").correlationId("rpc-42")
                    .contentType("text/plain").build();
            ch.basicPublish(PREFIX + ".ch." + channel, channel, props, "from node".getBytes(StandardCharsets.UTF_8));
            String[] got = reply.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertEquals("rpc-42", got[0], "correlation_id of the reply");
            assertEquals("re:from node", got[1], "reply body");
        }
    }

    @Test
    void aForeignReplierAnswersThroughTheAmqpProperties() throws Exception {
        String channel = "rr." + RabbitMqTests.unique("foreign");
        try (Switchboard requester = open(); Connection raw = RabbitMqTests.raw(5672)) {
            Channel ch = raw.createChannel();
            String exchange = PREFIX + ".ch." + channel;
            ch.exchangeDeclare(exchange, BuiltinExchangeType.FANOUT, true, false, null);
            String queue = ch.queueDeclare("", false, true, true, null).getQueue();
            ch.queueBind(queue, exchange, "");
            ch.basicConsume(queue, true, new DefaultConsumer(ch) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) throws IOException {
                    AMQP.BasicProperties out = new AMQP.BasicProperties.Builder().correlationId(props.getCorrelationId()).build();
                    getChannel().basicPublish("", props.getReplyTo(), out, ("python says " + new String(body, StandardCharsets.UTF_8))
                            .getBytes(StandardCharsets.UTF_8));
                }
            });
            Message reply = requester.publisher().requestAndWait(channel, Message.ofText("hi"), WAIT);
            assertEquals("python says hi", reply.text());
            assertTrue(reply.header(Publisher.CORRELATION_ID_HEADER) != null, "correlation id read from the property");
        }
    }

    @Test
    void refusesToReplyToAQueueThatIsNotAReplyInbox() throws Exception {
        String channel = "rr." + RabbitMqTests.unique("forged");
        try (Switchboard sb = open()) {
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            sb.subscriber().subscribe(channel, d -> {
                try {
                    d.reply(Message.ofText("x"));
                    outcome.complete(null);
                } catch (RuntimeException e) {
                    outcome.complete(e);
                }
            });
            sb.publisher().publishAndWait(channel, Message.builder().text("forged").header(Publisher.REPLY_TO_HEADER, PREFIX + ".sub.billing")
                    .build(), WAIT);
            Throwable e = outcome.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            IllegalArgumentException iae = assertThrows(IllegalArgumentException.class, () -> {
                throw e;
            });
            assertTrue(iae.getMessage().contains(PREFIX + ".sub.billing") && iae.getMessage().contains(PREFIX + ".reply."), iae.getMessage());
        }
    }

    private static List<String> queues() throws Exception {
        return list("list_queues");
    }

    private static List<String> exchanges() throws Exception {
        return list("list_exchanges");
    }

    private static List<String> list(String what) throws Exception {
        Process p = new ProcessBuilder("rabbitmqctl", "-q", what, "name").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("rabbitmqctl " + what + " failed: " + out);
        }
        return out.lines().map(String::trim).filter(l -> l.startsWith(PREFIX + ".")).collect(java.util.stream.Collectors.toList());
    }
}
