package io.switchboard.tck;

import java.util.Map;

/**
 * The kit with fault hooks, against the memory transport behind a simulated connection that the
 * hooks cut: it must pass every rule, the fault rules T20 and T21 included.
 */
class ReconnectingTransportContractTest extends TransportContract {
    @Override
    protected Map<String, Object> properties() {
        return Map.of("switchboard.transport", "reconnecting-memory", "switchboard.memory.broker", "reconnecting");
    }

    @Override
    protected TransportFaults faults() {
        return BrokenProviders.Reconnecting.hooks();
    }
}
