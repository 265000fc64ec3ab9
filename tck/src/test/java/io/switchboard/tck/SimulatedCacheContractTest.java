package io.switchboard.tck;

import java.util.Map;

/** The cache contract with fault hooks, against the memory cache behind a {@link SimulatedConnection}: C21, C22 and C23 (as the one server's outage) run too. */
class SimulatedCacheContractTest extends CacheContract {
    private final SimulatedConnection connection = new SimulatedConnection();

    @Override
    protected Map<String, Object> properties() {
        return connection.around(Map.of("switchboard.transport", "memory", "switchboard.cache", "memory",
                "switchboard.memory.broker", "simulated-cache"));
    }

    @Override
    protected Faults faults() {
        return connection.faults();
    }
}
