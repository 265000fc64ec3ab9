package io.switchboard.tck;

import java.util.Map;

/** The kit against the in-memory reference transport: it must pass every rule. */
class MemoryTransportContractTest extends TransportContract {
    @Override
    protected Map<String, Object> properties() {
        return Map.of("switchboard.transport", "memory");
    }
}
