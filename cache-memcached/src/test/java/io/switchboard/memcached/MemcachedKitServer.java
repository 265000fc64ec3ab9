package io.switchboard.memcached;

import io.switchboard.tck.Faults;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A private memcached for a contract-kit subclass, started before its rules and killed after them
 * (register it as a static {@code @RegisterExtension} field), with the kit's fault hooks: the
 * server held down by SIGKILL and started again on the same port (empty), and restarted that way.
 */
final class MemcachedKitServer implements BeforeAllCallback, AfterAllCallback {
    private MemcachedProcess server;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        server = MemcachedProcess.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (server != null) {
            server.close();
        }
    }

    /** Settings for a Switchboard whose cache is this server, over {@code protocol} ({@code binary} or {@code text}). */
    Map<String, Object> properties(String protocol) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("switchboard.transport", "memory");
        p.put("switchboard.cache", "memcached");
        p.put("switchboard.memcached.servers", server.address());
        p.put("switchboard.memcached.protocol", protocol);
        return p;
    }

    /** Outage (SIGKILL, start again) and restart (both). */
    Faults faults() {
        return Faults.builder().name("private memcached on " + server.address()).outage(server::kill, server::restart).build();
    }
}
