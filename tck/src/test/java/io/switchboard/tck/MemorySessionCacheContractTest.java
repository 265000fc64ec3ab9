package io.switchboard.tck;

import java.util.Map;

/** The session-store rules against the in-memory reference cache: it must pass every one. */
class MemorySessionCacheContractTest extends SessionCacheContract {
    @Override
    protected Map<String, Object> properties() {
        return Map.of("switchboard.transport", "memory", "switchboard.cache", "memory");
    }
}
