package io.switchboard.tck.sync;

import java.util.Map;
import java.util.UUID;

/** The cache-sync contract on the in-memory transport and cache (no gap hook: S6 is an announced skip; the api's near-cache tests cover gaps). */
public class MemoryCacheSyncContractTest extends CacheSyncContract {
    private final String broker = "sync-" + UUID.randomUUID();

    @Override
    protected Map<String, Object> properties() {
        return Map.of("switchboard.transport", "memory", "switchboard.cache", "memory", "switchboard.memory.broker", broker);
    }
}
