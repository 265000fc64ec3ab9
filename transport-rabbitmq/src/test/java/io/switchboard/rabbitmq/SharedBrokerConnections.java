package io.switchboard.rabbitmq;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Closes the shared broker's connections that carry one client-provided name, leaving everyone else's alone. */
final class SharedBrokerConnections {
    private SharedBrokerConnections() {
    }

    /**
     * Closes both connections of a transport whose connection name is {@code name}
     * ({@code name-pub} and {@code name-sub}) in one broker-side step, as a network cut would,
     * leaving everyone else's alone; returns how many it closed.
     */
    static int close(String name) throws IOException, InterruptedException {
        return closeNamed(name + "-pub", name + "-sub");
    }

    /** Closes the shared broker's connections of exactly these client-provided names; returns how many it closed. */
    static int closeNamed(String... connectionNames) throws IOException, InterruptedException {
        StringBuilder list = new StringBuilder();
        for (String n : connectionNames) {
            list.append(list.length() == 0 ? "" : ", ").append("<<\"").append(n).append("\">>");
        }
        String names = "[" + list + "]";
        String out = run("rabbitmqctl", "-q", "eval", "Names = " + names + ", length([rabbit_networking:close_connection("
                + "proplists:get_value(pid, I), \"test: connection cut\") || I <- rabbit_networking:connection_info_all([pid, "
                + "client_properties]), case lists:keyfind(<<\"connection_name\">>, 1, proplists:get_value(client_properties, I)) of "
                + "{_, _, V} -> lists:member(V, Names); false -> false end]).");
        return Integer.parseInt(out.trim());
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

    /** The client-provided names of the shared broker's connections. */
    static java.util.List<String> connectionNames() throws IOException, InterruptedException {
        java.util.List<String> names = new java.util.ArrayList<>();
        for (String line : run("rabbitmqctl", "-q", "list_connections", "client_properties").split("\n")) {
            Matcher m = CONNECTION_NAME.matcher(line);
            if (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    private static final Pattern CONNECTION_NAME = Pattern.compile("\\{\"connection_name\",\"([^\"]*)\"\\}");

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
