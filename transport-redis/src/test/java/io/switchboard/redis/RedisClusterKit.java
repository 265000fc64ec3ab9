package io.switchboard.redis;

import io.switchboard.tck.Faults;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A private six-node Redis Cluster ({@link RedisClusterProcesses}) for a contract-kit subclass,
 * formed before its rules and killed after them (a static {@code @RegisterExtension} field), with
 * fault hooks: connections cut with CLIENT KILL on every node, a restart that is a failover of
 * every master (each killed with SIGKILL in turn, its replica promoted, the old master back as a
 * replica), and an outage of all six nodes.
 */
final class RedisClusterKit implements BeforeAllCallback, AfterAllCallback {
    private final String clientName = TestSupport.unique("tck-cluster");
    private RedisClusterProcesses cluster;

    /**
     * Starts once: JUnit calls an extension registered on the contract class again before each
     * of its {@code @Nested} classes, which must share the one set-up.
     */
    @Override
    public void beforeAll(ExtensionContext context) {
        if (cluster == null) {
            cluster = RedisClusterProcesses.start();
        }
    }

    /** Stops after the contract class itself (not after each {@code @Nested} class), by PID. */
    @Override
    public void afterAll(ExtensionContext context) {
        if (cluster != null && context.getRequiredTestClass().getEnclosingClass() == null) {
            cluster.close();
            cluster = null;
        }
    }

    RedisClusterProcesses processes() {
        return cluster;
    }

    /** Settings for a Switchboard whose cache is on the cluster (and whose transport is the memory one). */
    Map<String, Object> cache() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("switchboard.transport", "memory");
        p.put("switchboard.cache", "redis");
        p.put("switchboard.redis.uri", cluster.uri());
        p.put("switchboard.redis.client-name", clientName);
        return p;
    }

    /** Settings for a Switchboard whose transport is on the cluster. */
    Map<String, Object> transport() {
        Map<String, Object> p = cache();
        p.put("switchboard.transport", "redis");
        p.remove("switchboard.cache");
        p.put("switchboard.redis.reconnect.max-backoff", "500ms");
        return p;
    }

    /**
     * Cut (CLIENT KILL on every node), restart (each master failed over in turn: whichever slot
     * a rule's keys or channels hash to, its master is among them), outage (every node killed, then started).
     */
    Faults faults() {
        return Faults.builder().name("private Redis Cluster " + cluster.seeds())
                .cutConnections(() -> {
                    int killed = 0;
                    for (RedisClusterProcesses.Node n : cluster.nodes()) {
                        if (n.alive()) {
                            killed += RedisClients.killByName("127.0.0.1", n.port, null, clientName);
                        }
                    }
                    if (killed == 0) {
                        throw new IllegalStateException("no connection named " + clientName + " to cut");
                    }
                })
                .restartServer(() -> {
                    for (int slot : new int[] {0, 8192, 16383}) {
                        cluster.failOverAndRejoin(slot);
                    }
                })
                .outage(cluster::killAll, cluster::startAll).build();
    }
}
