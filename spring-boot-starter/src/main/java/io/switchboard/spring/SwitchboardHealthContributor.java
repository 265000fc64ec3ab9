package io.switchboard.spring;

import io.switchboard.Switchboard;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@link Switchboard#health()} for Actuator: one component per part of the Switchboard's health
 * ({@code transport}, {@code cache}, {@code subscriptions}, {@code near-cache:NAME}), each with its
 * details. A DOWN part is {@code DOWN}; DEGRADED (working, with problems such as dropped messages
 * or a reconnection in progress) is {@code UP} with the detail {@code degraded: true}, so that a
 * readiness probe keeps a degraded instance in service. Include it in the readiness group
 * ({@code management.endpoint.health.group.readiness.include=readinessState,switchboard}); leave it
 * out of liveness, since restarting an instance does not bring a broker back. Thread-safe; each
 * check calls {@code health()}, which does not block for long.
 */
public final class SwitchboardHealthContributor implements CompositeHealthContributor {
    private final Switchboard switchboard;

    SwitchboardHealthContributor(Switchboard switchboard) {
        this.switchboard = switchboard;
    }

    @Override
    public HealthContributor getContributor(String name) {
        return switchboard.health().components().containsKey(name) ? indicator(name) : null;
    }

    @Override
    public Stream<Entry> stream() {
        return switchboard.health().components().keySet().stream().map(name -> new Entry(name, indicator(name)));
    }

    private HealthIndicator indicator(String name) {
        return () -> {
            io.switchboard.Health h = switchboard.health().components().get(name);
            return h == null ? Health.down().withDetail("closed", true).build() : convert(h);
        };
    }

    static Health convert(io.switchboard.Health h) {
        Health.Builder b = h.status() == io.switchboard.Health.Status.DOWN ? Health.down() : Health.up();
        if (h.status() == io.switchboard.Health.Status.DEGRADED) {
            b.withDetail("degraded", true);
        }
        b.withDetails(h.details());
        if (!h.components().isEmpty()) {
            Map<String, Object> parts = new LinkedHashMap<>();
            h.components().forEach((k, v) -> parts.put(k, Map.of("status", v.status().name(), "details", v.details())));
            b.withDetail("components", parts);
        }
        return b.build();
    }

    @Override
    public String toString() {
        return "SwitchboardHealthContributor[" + switchboard + "]";
    }
}
