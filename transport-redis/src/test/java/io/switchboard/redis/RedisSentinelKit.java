package io.switchboard.redis;

import io.switchboard.tck.Faults;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A private Sentinel set-up ({@link RedisSentinelProcesses}) for a contract-kit subclass, started
 * before its rules and killed after them (a static {@code @RegisterExtension} field), with fault
 * hooks: connections cut with CLIENT KILL on both data nodes, a restart that is a failover (the
 * master killed with SIGKILL, the replica promoted, the old master back as a replica), and an
 * outage of both data nodes.
 */
final class RedisSentinelKit implements BeforeAllCallback, AfterAllCallback {
    private final String clientName = TestSupport.unique("tck-sentinel");
    private RedisSentinelProcesses sentinel;

    /**
     * Starts once: JUnit calls an extension registered on the contract class again before each
     * of its {@code @Nested} classes, which must share the one set-up.
     */
    @Override
    public void beforeAll(ExtensionContext context) {
        if (sentinel == null) {
            sentinel = RedisSentinelProcesses.start();
        }
    }

    /** Stops after the contract class itself (not after each {@code @Nested} class), by PID. */
    @Override
    public void afterAll(ExtensionContext context) {
        if (sentinel != null && context.getRequiredTestClass().getEnclosingClass() == null) {
            sentinel.close();
            sentinel = null;
        }
    }

    RedisSentinelProcesses processes() {
        return sentinel;
    }

    /** Settings for a Switchboard whose transport is on the set-up's master. */
    Map<String, Object> transport() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("switchboard.transport", "redis");
        p.put("switchboard.redis.uri", sentinel.uri());
        p.put("switchboard.redis.client-name", clientName);
        // Reconnect attempts at most half a second apart, so that the promoted master is found soon after the sentinels name it.
        p.put("switchboard.redis.reconnect.max-backoff", "500ms");
        return p;
    }

    /** Settings for a Switchboard whose cache is on the set-up's master (and whose transport is the memory one). */
    Map<String, Object> cache() {
        Map<String, Object> p = transport();
        p.put("switchboard.transport", "memory");
        p.put("switchboard.cache", "redis");
        return p;
    }

    /** Cut (CLIENT KILL on both data nodes), restart (failover), outage (both data nodes killed, then started). */
    Faults faults() {
        return Faults.builder().name("private Sentinel set-up " + sentinel.uri())
                .cutConnections(() -> {
                    int killed = 0;
                    for (RedisSentinelProcesses.Proc p : sentinel.dataNodes()) {
                        if (p.alive()) {
                            killed += RedisClients.killByName("127.0.0.1", p.port, null, clientName);
                        }
                    }
                    if (killed == 0) {
                        throw new IllegalStateException("no connection named " + clientName + " to cut");
                    }
                })
                .restartServer(sentinel::failOverAndRejoin)
                .outage(sentinel::killData, sentinel::startData).build();
    }
}
