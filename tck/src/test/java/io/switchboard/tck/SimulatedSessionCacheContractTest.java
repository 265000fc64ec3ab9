package io.switchboard.tck;

import java.util.Map;

/** The session-store rules through a {@link SimulatedConnection}, so that its cache endpoint forwards touch too. */
class SimulatedSessionCacheContractTest extends SessionCacheContract {
    private final SimulatedConnection connection = new SimulatedConnection();

    @Override
    protected Map<String, Object> properties() {
        return connection.around(Map.of("switchboard.transport", "memory", "switchboard.cache", "memory"));
    }
}
