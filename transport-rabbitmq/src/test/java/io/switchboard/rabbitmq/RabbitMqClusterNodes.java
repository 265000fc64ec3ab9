package io.switchboard.rabbitmq;

import io.switchboard.tck.Faults;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A private three-node RabbitMQ cluster on loopback for the test classes that register this as a
 * static {@code @RegisterExtension} field: started before the first such class, once per test JVM
 * (so each class pays nothing for it but its own faults), and killed when the run ends. Each node
 * is a {@link PrivateRabbitMqNode} with its own {@code RABBITMQ_NODENAME}, AMQP and distribution
 * ports and data under {@code target/rabbitmq-cluster-ID/}; all run as one user and so share its
 * Erlang cookie; the second and third join the first with {@code rabbitmqctl join_cluster}. A node
 * can be killed with {@code kill -9} and started again, when it rejoins on its own; before each
 * class every node is made to run again.
 */
final class RabbitMqClusterNodes implements BeforeAllCallback {
    static final int SIZE = 3;
    private static final Pattern CONNECTION = Pattern.compile("^<([^@\\s]+@[^.\\s]+)\\.\\S*\\s.*\\{\"connection_name\",\"([^\"]*)\"\\}");
    private List<PrivateRabbitMqNode> nodes = List.of();

    /** The cluster of this test JVM; closing it (at the end of the run) kills the nodes and deletes their data. */
    private static final class Running implements ExtensionContext.Store.CloseableResource {
        final List<PrivateRabbitMqNode> nodes = new ArrayList<>();

        @Override
        public void close() {
            for (PrivateRabbitMqNode n : nodes) {
                n.close();
            }
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Running running = context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).getOrComputeIfAbsent(Running.class, k -> {
            try {
                return start();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("could not start the three-node RabbitMQ cluster", e);
            }
        }, Running.class);
        nodes = running.nodes;
        ensureAllRunning();
    }

    /** Starts the three nodes at once, then joins the second and third to the first. */
    private static Running start() throws IOException {
        String id = UUID.randomUUID().toString().substring(0, 8);
        Path dir = Path.of("target", "rabbitmq-cluster-" + id).toAbsolutePath();
        long t0 = System.nanoTime();
        Running r = new Running();
        try {
            for (int i = 0; i < SIZE; i++) {
                r.nodes.add(PrivateRabbitMqNode.member("sbc" + id + "-" + (i + 1) + "@localhost", dir.resolve("node" + (i + 1))));
            }
            for (PrivateRabbitMqNode n : r.nodes) {
                n.launch();
            }
            for (PrivateRabbitMqNode n : r.nodes) {
                n.awaitUp();
            }
            for (int i = 1; i < SIZE; i++) {
                PrivateRabbitMqNode n = r.nodes.get(i);
                n.ctl("stop_app");
                n.ctl("join_cluster " + r.nodes.get(0).nodeName());
                n.ctl("start_app");
            }
            r.nodes.get(0).ctl("await_online_nodes " + SIZE + " --timeout 60000");
        } catch (IOException | RuntimeException e) {
            r.close();
            throw e;
        }
        System.out.printf("[cluster] %d nodes up and joined in %,d ms: %s%n", SIZE, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                r.nodes.stream().map(n -> n.nodeName() + " on " + n.port()).collect(Collectors.joining(", ")));
        return r;
    }

    PrivateRabbitMqNode node(int i) {
        return nodes.get(i);
    }

    /** The nodes' AMQP addresses, for {@code switchboard.rabbitmq.addresses}, starting with node {@code first}. */
    String addresses(int first) {
        List<String> a = new ArrayList<>();
        for (int i = 0; i < SIZE; i++) {
            a.add("127.0.0.1:" + nodes.get((first + i) % SIZE).port());
        }
        return String.join(",", a);
    }

    String addresses() {
        return addresses(0);
    }

    /** Settings for a Switchboard on the cluster: every address, quorum queues. */
    Map<String, Object> properties(String prefix) {
        Map<String, Object> p = RabbitMqTests.properties("amqp://guest:guest@127.0.0.1:" + nodes.get(0).port() + "/%2F", prefix);
        p.put("switchboard.rabbitmq.addresses", addresses());
        p.put("switchboard.rabbitmq.queue-type", "quorum");
        return p;
    }

    /** The index of a node that runs, to ask about the cluster. */
    private PrivateRabbitMqNode anyRunning() {
        for (PrivateRabbitMqNode n : nodes) {
            if (n.listening()) {
                return n;
            }
        }
        throw new IllegalStateException("no node of " + this + " runs");
    }

    /** The index of the node each client connection is on, by client-provided name. */
    Map<String, Integer> connectionNodes() throws IOException {
        Map<String, Integer> byName = new java.util.HashMap<>();
        // A connection's pid (<NODE.N.N.N>) names its node; 3.10's list_connections has no 'node' column.
        for (String line : anyRunning().ctl("-q list_connections pid client_properties").split("\n")) {
            Matcher m = CONNECTION.matcher(line.trim());
            if (m.find()) {
                byName.put(m.group(2), indexOf(m.group(1)));
            }
        }
        return byName;
    }

    /** The index of the node leading a quorum queue, or -1 if there is no such queue. */
    int leaderOf(String queue) throws IOException {
        for (String line : anyRunning().ctl("-q list_queues name leader").split("\n")) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length == 2 && cols[0].equals(queue)) {
                return indexOf(cols[1]);
            }
        }
        return -1;
    }

    private int indexOf(String nodeName) {
        for (int i = 0; i < SIZE; i++) {
            if (nodes.get(i).nodeName().equals(nodeName)) {
                return i;
            }
        }
        return -1;
    }

    /** Kills node {@code i} with SIGKILL and waits until it is gone. */
    void kill9(int i) throws IOException {
        nodes.get(i).kill9();
    }

    /** Starts node {@code i} again on its ports and data, and waits until the cluster has all three running. */
    void restart(int i) throws IOException {
        nodes.get(i).restart();
        nodes.get(i).ctl("await_online_nodes " + SIZE + " --timeout 60000");
    }

    /** Makes sure every node runs (a test may have left one killed). */
    void ensureAllRunning() throws IOException {
        for (int i = 0; i < SIZE; i++) {
            if (!nodes.get(i).listening()) {
                restart(i);
            }
        }
    }

    /**
     * Kit hooks: a cut closes every client connection on every node, once; a restart kills with
     * {@code kill -9} the node that serves the most of the client connections and starts it again
     * (so the clients lose their connections, move to a surviving node, and the quorum queues keep
     * a majority throughout). No outage hook: a cluster that loses one node is not down, and the
     * kit's outage rules expect a server that refuses every connection.
     */
    Faults faults() {
        return Faults.builder().name(toString()).cutConnections(() -> {
            for (PrivateRabbitMqNode n : nodes) {
                if (n.listening()) {
                    n.closeClusterConnectionsOnce(); // every node's connections, from one node, once each
                    return;
                }
            }
            throw new IllegalStateException("no node of " + this + " is listening");
        }).restartServer(() -> {
            Map<String, Integer> on = connectionNodes();
            int[] count = new int[SIZE];
            on.values().forEach(i -> count[Math.max(0, i)]++);
            int busiest = 0;
            for (int i = 1; i < SIZE; i++) {
                if (count[i] > count[busiest]) {
                    busiest = i;
                }
            }
            kill9(busiest);
            restart(busiest);
        }).build();
    }

    @Override
    public String toString() {
        return "RabbitMqClusterNodes[" + nodes.stream().map(n -> n.nodeName() + " on " + n.port()).collect(Collectors.joining(", ")) + "]";
    }
}
