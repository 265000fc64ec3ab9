package io.switchboard.tck.sync;

import java.util.Map;
import java.util.UUID;

/** The cache-sync contract on the in-memory transport and cache (no fault hooks: S6, S10 and S11 are announced skips; SimulatedCacheSyncContractTest runs them). */
public class MemoryCacheSyncContractTest extends CacheSyncContract {
    private final String broker = "sync-" + UUID.randomUUID();

    @Override
    protected Map<String, Object> properties() {
        return Map.of("switchboard.transport", "memory", "switchboard.cache", "memory", "switchboard.memory.broker", broker);
    }
}
