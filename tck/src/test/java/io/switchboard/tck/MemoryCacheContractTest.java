package io.switchboard.tck;

import java.util.Map;

/** The kit against the in-memory reference cache: it must pass every rule. */
class MemoryCacheContractTest extends CacheContract {
    @Override
    protected Map<String, Object> properties() {
        return Map.of("switchboard.transport", "memory", "switchboard.cache", "memory");
    }
}
