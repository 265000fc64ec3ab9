package io.switchboard.rabbitmq;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Closes the shared broker's connections that carry one client-provided name, leaving everyone else's alone. */
final class SharedBrokerConnections {
    private static final Pattern PID = Pattern.compile("^(<[^>]+>)\\s");

    private SharedBrokerConnections() {
    }

    /** Closes every connection named {@code name}; returns how many. */
    static int close(String name) throws IOException, InterruptedException {
        int closed = 0;
        for (String line : run("rabbitmqctl", "-q", "list_connections", "pid", "client_properties").split("\n")) {
            if (!line.contains("\"" + name + "\"")) {
                continue;
            }
            Matcher m = PID.matcher(line);
            if (m.find()) {
                run("rabbitmqctl", "-q", "close_connection", m.group(1), "test: connection cut");
                closed++;
            }
        }
        return closed;
    }

    /** Deletes every queue and exchange of the shared broker whose name starts with {@code prefix + "."}. */
    static void deleteTopology(String prefix) throws Exception {
        try (com.rabbitmq.client.Connection c = RabbitMqTests.raw(5672)) {
            for (String q : run("rabbitmqctl", "-q", "list_queues", "name").split("\n")) {
                if (q.trim().startsWith(prefix + ".")) {
                    try (com.rabbitmq.client.Channel ch = c.createChannel()) {
                        ch.queueDelete(q.trim());
                    }
                }
            }
            for (String x : run("rabbitmqctl", "-q", "list_exchanges", "name").split("\n")) {
                if (x.trim().startsWith(prefix + ".")) {
                    try (com.rabbitmq.client.Channel ch = c.createChannel()) {
                        ch.exchangeDelete(x.trim());
                    }
                }
            }
        }
    }

    /** Whether the shared broker has a binding from exchange {@code source} to exchange or queue {@code destination}. */
    static boolean bound(String source, String destination) throws IOException, InterruptedException {
        for (String line : run("rabbitmqctl", "-q", "list_bindings", "source_name", "destination_name").split("\n")) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length == 2 && cols[0].equals(source) && cols[1].equals(destination)) {
                return true;
            }
        }
        return false;
    }

    /** The broker's count of delivered but unacknowledged messages of one queue, or -1 if there is no such queue. */
    static int unacknowledged(String queue) throws IOException, InterruptedException {
        for (String line : run("rabbitmqctl", "-q", "list_queues", "name", "messages_unacknowledged").split("\n")) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length == 2 && cols[0].equals(queue)) {
                return Integer.parseInt(cols[1]);
            }
        }
        return -1;
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }
}
