package io.switchboard.redis.streams;

import io.switchboard.tck.Faults;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A private, persistent redis-server for a contract-kit subclass, started before its rules and
 * killed after them (register it as a static {@code @RegisterExtension} field), with the kit's
 * fault hooks: connections cut with CLIENT KILL of the kit's client name, the server held down by
 * kill -9 and started again on the same port and data, and restarted that way.
 */
final class StreamsKitServer implements BeforeAllCallback, AfterAllCallback {
    private final String clientName = StreamsTestSupport.unique("tck-streams");
    private StreamsServerProcess server;

    /**
     * Starts once: JUnit calls an extension registered on the contract class again before each
     * of its {@code @Nested} classes, which must share the one set-up.
     */
    @Override
    public void beforeAll(ExtensionContext context) {
        if (server == null) {
            server = StreamsServerProcess.start(true);
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

    /** Settings for a Switchboard on this server, declaring survives-restart. */
    Map<String, Object> transport() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("switchboard.transport", "redis-streams");
        p.put("switchboard.redis-streams.uri", server.uri());
        p.put("switchboard.redis-streams.client-name", clientName);
        p.put("switchboard.redis-streams.survives-restart", "true");
        return p;
    }

    String uri() {
        return server.uri();
    }

    int port() {
        return server.port;
    }

    /** Cut (CLIENT KILL of every connection named as in {@link #transport()}), outage (kill -9, start) and restart. */
    Faults faults() {
        return Faults.builder().name("private persistent redis-server on port " + server.port)
                .cutConnections(() -> {
                    if (StreamsTestSupport.killByName(server.port, clientName) == 0) {
                        throw new IllegalStateException("no connection named " + clientName + " to cut");
                    }
                })
                .outage(server::kill, server::start).build();
    }
}
