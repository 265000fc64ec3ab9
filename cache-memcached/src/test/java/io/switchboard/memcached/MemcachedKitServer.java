package io.switchboard.memcached;

import io.switchboard.tck.Faults;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Private memcached servers for a contract-kit subclass, started before its rules and killed after
 * them (register it as a static {@code @RegisterExtension} field), with the kit's fault hooks: the
 * servers held down by SIGKILL and started again on the same ports (empty), restarted that way,
 * and, with several servers, the last one alone held down that way.
 */
final class MemcachedKitServer implements BeforeAllCallback, AfterAllCallback {
    private final int count;
    private final List<MemcachedProcess> servers = new ArrayList<>();

    /** One server. */
    MemcachedKitServer() {
        this(1);
    }

    /** {@code count} servers, the cache spread over them. */
    MemcachedKitServer(int count) {
        this.count = count;
    }

    /**
     * Starts once: JUnit calls an extension registered on the contract class again before each
     * of its {@code @Nested} classes, which must share the one set-up.
     */
    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        if (servers.isEmpty()) {
            for (int i = 0; i < count; i++) {
                servers.add(MemcachedProcess.start());
            }
        }
    }

    /** Stops after the contract class itself (not after each {@code @Nested} class), by PID. */
    @Override
    public void afterAll(ExtensionContext context) {
        if (context.getRequiredTestClass().getEnclosingClass() == null) {
            servers.forEach(MemcachedProcess::close);
            servers.clear();
        }
    }

    /** Settings for a Switchboard whose cache is these servers, over {@code protocol} ({@code binary} or {@code text}). */
    Map<String, Object> properties(String protocol) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("switchboard.transport", "memory");
        p.put("switchboard.cache", "memcached");
        p.put("switchboard.memcached.servers", addresses());
        p.put("switchboard.memcached.protocol", protocol);
        return p;
    }

    /** Outage (SIGKILL, start again) and restart of every server; with several, the outage of the last one alone. */
    Faults faults() {
        Faults.Builder b = Faults.builder().name("private memcached on " + addresses()).outage(() -> {
            for (MemcachedProcess s : servers) {
                s.kill();
            }
        }, () -> {
            for (MemcachedProcess s : servers) {
                s.restart();
            }
        });
        if (servers.size() > 1) {
            MemcachedProcess last = servers.get(servers.size() - 1);
            b.oneServerOutage(last::kill, last::restart);
        }
        return b.build();
    }

    private String addresses() {
        return servers.stream().map(MemcachedProcess::address).collect(Collectors.joining(","));
    }
}
