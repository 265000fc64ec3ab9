package io.switchboard.spring;

import io.switchboard.Switchboard;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The shared RabbitMQ on 127.0.0.1:5672: each test run uses a prefix of its own and removes, at the
 * end, the queues and exchanges under it, and nothing else.
 */
final class SharedRabbitMq {
    static final String URI = "amqp://guest:guest@127.0.0.1:5672/";

    private SharedRabbitMq() {
    }

    static String newPrefix() {
        return "sbboot" + Long.toHexString(System.nanoTime());
    }

    /** Deletes the queues and exchanges named {@code prefix.*}, through a Switchboard's own connection. */
    static void deleteTopology(Switchboard sb, String prefix) throws Exception {
        com.rabbitmq.client.Connection c = sb.unwrap(com.rabbitmq.client.Connection.class);
        for (String q : rabbitmqctl("list_queues", "name").split("\n")) {
            if (q.trim().startsWith(prefix + ".")) {
                try (com.rabbitmq.client.Channel ch = c.createChannel()) {
                    ch.queueDelete(q.trim());
                }
            }
        }
        for (String x : rabbitmqctl("list_exchanges", "name").split("\n")) {
            if (x.trim().startsWith(prefix + ".")) {
                try (com.rabbitmq.client.Channel ch = c.createChannel()) {
                    ch.exchangeDelete(x.trim());
                }
            }
        }
    }

    private static String rabbitmqctl(String... args) throws IOException, InterruptedException {
        String[] cmd = new String[args.length + 2];
        cmd[0] = "rabbitmqctl";
        cmd[1] = "-q";
        System.arraycopy(args, 0, cmd, 2, args.length);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }
}
