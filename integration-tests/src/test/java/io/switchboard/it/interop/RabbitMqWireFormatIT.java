package io.switchboard.it.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.switchboard.Message;
import io.switchboard.Subscription;
import io.switchboard.Switchboard;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The amqplib and pika snippets of {@code docs/wire-format-rabbitmq.md}, run as they stand in the
 * doc, on a prefix no one used before (so neither {@code P.topic} nor any channel exchange exists
 * when they bind), exchange messages both ways with a Switchboard instance on the shared RabbitMQ:
 * every byte 0x00-0xFF, JSON, headers, content types, exact and pattern subscriptions, the
 * millisecond timestamp, and messages without a {@code timestamp} property in both directions.
 */
@DisplayName("docs/wire-format-rabbitmq.md: the amqplib and pika snippets talk to Switchboard")
class RabbitMqWireFormatIT {
    static final String DOC = "wire-format-rabbitmq.md";
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration WAIT = Duration.ofSeconds(20);
    static final List<String> CHANNELS = List.of("orders.created", "orders.seen", "payments.eu.settled", "orders.raw");

    /** The shared server's port, as bin/services starts it. */
    static int port() {
        return 5672;
    }

    @Test
    @DisplayName("amqplib declares before binding, reads and answers every kind of message")
    void amqplib() throws Exception {
        Path dir = Runtimes.node();
        Path script = DocSnippets.write(DOC, "amqplib-service.js", dir);
        exchange("amqplib", dir, "node", script.toString());
    }

    @Test
    @DisplayName("pika declares before binding, reads and answers every kind of message")
    void pika() throws Exception {
        String python = Runtimes.python("pika", "python3-pika");
        Path dir = Path.of("target", "python").toAbsolutePath();
        Path script = DocSnippets.write(DOC, "pika_service.py", dir);
        exchange("pika", dir, python, script.toString());
    }

    private void exchange(String who, Path dir, String... command) throws Exception {
        String prefix = "it" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        ConnectionFactory cf = new ConnectionFactory();
        cf.setHost("127.0.0.1");
        cf.setPort(port());
        BlockingQueue<Message> answers = new LinkedBlockingQueue<>();
        BlockingQueue<Message> raw = new LinkedBlockingQueue<>();
        try (Connection amqp = cf.newConnection("wire-format-it");
                ForeignProcess p = ForeignProcess.start(who, dir, Runtimes.env("AMQP_URL", "amqp://guest:guest@127.0.0.1:" + port() + "/%2F",
                        "SB_PREFIX", prefix), command)) {
            try {
                // Before any Switchboard instance exists on this prefix: the snippet must declare what it binds to.
                p.awaitLine("'subscribed to' line", WAIT, l -> l.startsWith("subscribed to"));
                try (Switchboard sb = Switchboard.open(Map.of("switchboard.transport", "rabbitmq", "switchboard.cache", "memory",
                        "switchboard.rabbitmq.uri", "amqp://guest:guest@127.0.0.1:" + port() + "/", "switchboard.rabbitmq.prefix", prefix));
                        Subscription s = sb.subscriber().subscribe("orders.seen", d -> answers.add(d.message()));
                        Subscription r = sb.subscriber().subscribe("orders.raw", d -> raw.add(d.message()))) {
                    Channel ch = amqp.createChannel();
                    long before = System.currentTimeMillis();
                    exchangeWith(who, p, sb, ch, prefix, answers);
                    ch.basicPublish(prefix + ".ch.orders.raw", "orders.raw", new AMQP.BasicProperties.Builder().contentType("text/plain").build(),
                            "no timestamp, no id".getBytes(StandardCharsets.UTF_8));
                    Message m = raw.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                    assertNotNull(m, "Switchboard received the message published without timestamp or id");
                    assertEquals("no timestamp, no id", m.text());
                    assertFalse(m.id().isEmpty(), "a generated id");
                    assertTrue(!m.timestamp().isBefore(Instant.ofEpochMilli(before)) && !m.timestamp().isAfter(Instant.now()),
                            "Switchboard gives a message without timestamp the receive time, got " + m.timestamp());
                }
            } finally {
                try (Channel ch = amqp.createChannel()) {
                    for (String c : CHANNELS) {
                        ch.exchangeDelete(prefix + ".ch." + c);
                    }
                    ch.exchangeDelete(prefix + ".topic");
                }
            }
        }
    }

    private void exchangeWith(String who, ForeignProcess p, Switchboard sb, Channel ch, String prefix, BlockingQueue<Message> answers) throws Exception {
        long before = System.currentTimeMillis();
        byte[] bytes = WireFormats.everyByte();
        Map<String, String> headers = Map.of("trace", "t1", "X-Request-ID", "Ab-1", "x-request-id", "lower", "note", "😀 grüße\nzwei Zeilen");
        // A caller-chosen id and timestamp: the milliseconds travel in sb-timestamp.
        Message binary = Message.builder().id("order-42-bytes").payload(bytes).headers(headers).timestamp(Instant.parse("2024-05-06T07:08:09.123Z")).build();
        sb.publisher().publishAndWait("orders.created", binary, WAIT);
        JsonNode seen = line(p, "the binary message");
        assertEquals("orders.created", seen.get("channel").asText(), who + " channel");
        assertEquals("order-42-bytes", seen.get("id").asText(), who + " id");
        assertEquals(binary.timestamp().toEpochMilli(), seen.get("timestamp").asLong(), who + " timestamp from sb-timestamp");
        assertEquals("application/octet-stream", seen.get("contentType").asText(), who + " content type");
        assertEquals(headers, WireFormats.strings(seen.get("headers")), who + " headers (sb-timestamp left out)");
        assertArrayEquals(bytes, Base64.getDecoder().decode(seen.get("payload").asText()), who + " payload");

        // A default id: a UUID version 7 carrying the milliseconds.
        Message json = Message.builder().json(Map.of("orderId", 42, "note", "grüße")).header("trace", "t2").build();
        sb.publisher().publishAndWait("orders.created", json, WAIT);
        seen = line(p, "the JSON message");
        assertEquals(json.id(), seen.get("id").asText(), who + " id");
        assertEquals(json.timestamp().toEpochMilli(), seen.get("timestamp").asLong(), who + " timestamp from the version 7 id");
        assertEquals(Message.JSON, seen.get("contentType").asText(), who + " content type");
        assertEquals(Map.of("trace", "t2"), WireFormats.strings(seen.get("headers")), who + " headers");
        assertEquals(Map.of("orderId", 42, "note", "grüße"), JSON.readValue(Base64.getDecoder().decode(seen.get("payload").asText()), Map.class));

        // Through the topic exchange: the snippet's pattern binding.
        Message text = Message.ofText("settled: 42");
        sb.publisher().publishAndWait("payments.eu.settled", text, WAIT);
        seen = line(p, "the message on payments.eu.settled");
        assertEquals("payments.eu.settled", seen.get("channel").asText(), who + " channel");
        assertEquals(text.contentType(), seen.get("contentType").asText(), who + " content type");
        assertEquals("settled: 42", new String(Base64.getDecoder().decode(seen.get("payload").asText()), StandardCharsets.UTF_8));

        // A foreign message without timestamp or id must not break the reader.
        ch.basicPublish(prefix + ".ch.orders.created", "orders.created", new AMQP.BasicProperties.Builder().contentType("text/x-raw").build(),
                "bare".getBytes(StandardCharsets.UTF_8));
        seen = line(p, "the message without timestamp");
        long after = System.currentTimeMillis();
        assertFalse(seen.get("id").asText().isEmpty(), who + " generated id");
        long ts = seen.get("timestamp").asLong();
        assertTrue(ts >= before && ts <= after, who + " gives a message without timestamp the receive time, got " + ts);

        Map<String, Message> byType = new HashMap<>();
        for (int i = 0; i < 4; i++) {
            Message m = answers.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertNotNull(m, who + " sent " + i + " of 4 answers within " + WAIT + "; it printed:\n" + p.output() + "\n" + p.errors());
            byType.put(m.contentType(), m);
            assertTrue(m.timestamp().toEpochMilli() >= before / 1000 * 1000 && !m.timestamp().isAfter(Instant.now()),
                    who + " answer timestamp (whole seconds) " + m.timestamp());
        }
        Message binaryAnswer = byType.get("application/octet-stream");
        assertNotNull(binaryAnswer, "binary answer among " + byType);
        assertArrayEquals(bytes, binaryAnswer.payload(), who + " answered the bytes unchanged");
        Map<String, String> expected = new HashMap<>(headers);
        expected.put("seen-by", who);
        assertEquals(expected, binaryAnswer.headers(), who + " answer headers");
        Message jsonAnswer = byType.get(Message.JSON);
        assertNotNull(jsonAnswer, "JSON answer among " + byType);
        assertEquals(Map.of("orderId", 42, "note", "grüße", "seenBy", who), jsonAnswer.json(Map.class), who + " JSON answer");
        assertEquals(Map.of("trace", "t2", "seen-by", who), jsonAnswer.headers(), who + " answer headers");
        assertEquals("settled: 42", byType.get(text.contentType()).text(), who + " text answer");
        assertEquals("bare", byType.get("text/x-raw").text(), who + " answer to the message without timestamp");
    }

    private static JsonNode line(ForeignProcess p, String what) throws Exception {
        return JSON.readTree(p.awaitLine("line for " + what, WAIT, l -> l.startsWith("{")));
    }
}
