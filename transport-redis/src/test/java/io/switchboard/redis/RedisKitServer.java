package io.switchboard.redis;

import io.switchboard.tck.Faults;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A private redis-server for a contract-kit subclass, started before its rules and killed after
 * them (register it as a static {@code @RegisterExtension} field), with the kit's fault hooks:
 * connections cut with CLIENT KILL of the kit's client name, the server held down by killing it
 * and started again on the same port, and restarted.
 */
final class RedisKitServer implements BeforeAllCallback, AfterAllCallback {
    private final String clientName = TestSupport.unique("tck");
    private RedisServerProcess server;

    /**
     * Starts once: JUnit calls an extension registered on the contract class again before each
     * of its {@code @Nested} classes, which must share the one set-up.
     */
    @Override
    public void beforeAll(ExtensionContext context) {
        if (server == null) {
            server = RedisServerProcess.start(null);
        }
    }

    /** Stops after the contract class itself (not after each {@code @Nested} class), by PID. */
    @Override
    public void afterAll(ExtensionContext context) {
        if (server != null && context.getRequiredTestClass().getEnclosingClass() == null) {
            server.kill();
            server = null;
        }
    }

    /** Settings for a Switchboard whose transport is on this server. */
    Map<String, Object> transport() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("switchboard.transport", "redis");
        p.put("switchboard.redis.uri", server.uri());
        p.put("switchboard.redis.client-name", clientName);
        return p;
    }

    /** Settings for a Switchboard whose cache is on this server (and whose transport is the memory one). */
    Map<String, Object> cache() {
        Map<String, Object> p = transport();
        p.put("switchboard.transport", "memory");
        p.put("switchboard.cache", "redis");
        return p;
    }

    /** Cut (CLIENT KILL of every connection named as in {@link #transport()}), outage (kill, start) and restart. */
    Faults faults() {
        return Faults.builder().name("private redis-server on port " + server.port)
                .cutConnections(() -> {
                    if (RedisClients.killByName("127.0.0.1", server.port, null, clientName) == 0) {
                        throw new IllegalStateException("no connection named " + clientName + " to cut");
                    }
                })
                .outage(server::kill, server::start).build();
    }
}
