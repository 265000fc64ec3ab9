package io.switchboard.it.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.switchboard.Message;
import io.switchboard.Switchboard;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The request/reply snippets of {@code docs/wire-format-redis.md} and
 * {@code docs/wire-format-rabbitmq.md}, run as they stand in the docs: a foreign worker answers a
 * Switchboard {@code requestAndWait}, and a foreign requester gets the reply of a Switchboard
 * handler, on the shared Redis and RabbitMQ.
 */
@DisplayName("docs/wire-format-*.md: request/reply snippets ask and answer Switchboard")
class RequestReplyWireFormatIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration WAIT = Duration.ofSeconds(20);
    static final String REDIS = "redis://127.0.0.1:6379";
    static final String AMQP = "amqp://guest:guest@127.0.0.1:5672/%2F";

    private static String unique() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }

    @Test
    @DisplayName("an ioredis worker answers a Switchboard request")
    void ioredisWorker() throws Exception {
        Path dir = Runtimes.node();
        DocSnippets.write(RedisWireFormatIT.DOC, "sb1.js", dir);
        Path script = DocSnippets.write(RedisWireFormatIT.DOC, "redis-worker.js", dir);
        String channel = "interop." + unique() + ".jobs";
        try (Switchboard sb = Switchboard.open(Map.of("switchboard.transport", "redis", "switchboard.cache", "memory", "switchboard.redis.uri", REDIS));
                ForeignProcess p = ForeignProcess.start("redis-worker", dir, Runtimes.env("REDIS_URL", REDIS, "IN_CHANNEL", channel), "node",
                        script.toString())) {
            p.awaitLine("'subscribed to' line", WAIT, l -> l.startsWith("subscribed to"));
            Message reply = sb.publisher().requestAndWait(channel, Message.ofJson(Map.of("file", "cat.png")), WAIT);
            assertEquals(Message.JSON, reply.contentType(), "reply content type");
            assertEquals(Map.of("file", "cat.png", "done", true, "by", "node"), reply.json(Map.class), "reply; the worker printed:\n"
                    + p.output() + p.errors());
        }
    }

    @Test
    @DisplayName("a redis-py requester gets the reply of a Switchboard handler")
    void redisPyRequester() throws Exception {
        String python = Runtimes.python("redis", "python3-redis");
        Path dir = Path.of("target", "python").toAbsolutePath();
        Path script = DocSnippets.write(RedisWireFormatIT.DOC, "redis_request.py", dir);
        String channel = "interop." + unique() + ".jobs";
        try (Switchboard sb = Switchboard.open(Map.of("switchboard.transport", "redis", "switchboard.cache", "memory", "switchboard.redis.uri", REDIS))) {
            sb.subscriber().subscribe(channel, d -> d.reply(Message.ofJson(Map.of("got", d.message().json(Map.class), "by", "switchboard"))));
            try (ForeignProcess p = ForeignProcess.start("redis_request.py", dir, Runtimes.env("REDIS_URL", REDIS, "OUT_CHANNEL", channel), python,
                    script.toString())) {
                String line = p.awaitLine("the reply", WAIT, l -> l.startsWith("{"));
                assertEquals(Map.of("got", Map.of("file", "cat.png"), "by", "switchboard"), JSON.readValue(line, Map.class));
                assertEquals(0, p.awaitExit(WAIT), "exit code; stderr:\n" + p.errors());
            }
        }
    }

    @Test
    @DisplayName("an amqplib requester with direct reply-to gets the reply of a Switchboard handler")
    void amqplibRequester() throws Exception {
        Path dir = Runtimes.node();
        Path script = DocSnippets.write(RabbitMqWireFormatIT.DOC, "amqplib-request.js", dir);
        String prefix = "it" + unique();
        try {
            try (Switchboard sb = rabbit(prefix)) {
                sb.subscriber().subscribe("jobs.resize", d -> d.reply(Message.ofJson(Map.of("got", d.message().json(Map.class), "by", "switchboard"))));
                try (ForeignProcess p = ForeignProcess.start("amqplib-request.js", dir, Runtimes.env("AMQP_URL", AMQP, "SB_PREFIX", prefix), "node",
                        script.toString())) {
                    String line = p.awaitLine("the reply", WAIT, l -> l.startsWith("{"));
                    assertEquals(Map.of("got", Map.of("file", "cat.png"), "by", "switchboard"), JSON.readValue(line, Map.class));
                    assertEquals(0, p.awaitExit(WAIT), "exit code; stderr:\n" + p.errors());
                }
            }
        } finally {
            deleteExchanges(prefix);
        }
    }

    @Test
    @DisplayName("a pika worker answers a Switchboard request")
    void pikaWorker() throws Exception {
        String python = Runtimes.python("pika", "python3-pika");
        Path dir = Path.of("target", "python").toAbsolutePath();
        Path script = DocSnippets.write(RabbitMqWireFormatIT.DOC, "pika_worker.py", dir);
        String prefix = "it" + unique();
        try {
            try (ForeignProcess p = ForeignProcess.start("pika_worker.py", dir, Runtimes.env("AMQP_URL", AMQP, "SB_PREFIX", prefix), python,
                    script.toString());
                    Switchboard sb = rabbit(prefix)) {
                p.awaitLine("'subscribed to' line", WAIT, l -> l.startsWith("subscribed to"));
                Message reply = sb.publisher().requestAndWait("jobs.resize", Message.ofJson(Map.of("file", "cat.png")), WAIT);
                assertEquals(Map.of("file", "cat.png", "done", true, "by", "pika"), reply.json(Map.class), "reply; the worker printed:\n"
                        + p.output() + p.errors());
            }
        } finally {
            deleteExchanges(prefix);
        }
    }

    private static Switchboard rabbit(String prefix) {
        return Switchboard.open(Map.of("switchboard.transport", "rabbitmq", "switchboard.cache", "memory", "switchboard.rabbitmq.uri",
                "amqp://guest:guest@127.0.0.1:5672/", "switchboard.rabbitmq.prefix", prefix));
    }

    private static void deleteExchanges(String prefix) throws Exception {
        ConnectionFactory cf = new ConnectionFactory();
        cf.setHost("127.0.0.1");
        try (Connection c = cf.newConnection("wire-format-it"); Channel ch = c.createChannel()) {
            ch.exchangeDelete(prefix + ".ch.jobs.resize");
            ch.exchangeDelete(prefix + ".topic");
        }
    }
}
