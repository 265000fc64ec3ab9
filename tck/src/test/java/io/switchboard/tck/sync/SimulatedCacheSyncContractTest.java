package io.switchboard.tck.sync;

import io.switchboard.tck.Faults;
import io.switchboard.tck.SimulatedConnection;
import java.util.Map;
import java.util.UUID;

/** The cache-sync contract on the memory transport and cache behind a {@link SimulatedConnection}, so that the gap rules run too. */
public class SimulatedCacheSyncContractTest extends CacheSyncContract {
    private final SimulatedConnection connection = new SimulatedConnection();
    private final String broker = "sync-sim-" + UUID.randomUUID();

    @Override
    protected Map<String, Object> properties() {
        return connection.around(Map.of("switchboard.transport", "memory", "switchboard.cache", "memory", "switchboard.memory.broker", broker));
    }

    @Override
    protected Faults faults() {
        return connection.faults();
    }
}
