package io.switchboard.tck;

import java.util.Map;

/**
 * The kit with fault hooks, against the memory transport behind the shipped
 * {@link SimulatedConnection}: it must pass every rule, the fault rules T20, T21 and T24 included.
 * This is the four-line subclass a transport author writes before having a server harness.
 */
class SimulatedTransportContractTest extends TransportContract {
    private final SimulatedConnection connection = new SimulatedConnection();

    @Override
    protected Map<String, Object> properties() {
        return connection.around(Map.of("switchboard.transport", "memory", "switchboard.memory.broker", "simulated"));
    }

    @Override
    protected Faults faults() {
        return connection.faults();
    }
}
