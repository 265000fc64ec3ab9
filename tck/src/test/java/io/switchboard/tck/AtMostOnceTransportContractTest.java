package io.switchboard.tck;

import java.util.Map;

/**
 * The kit against an honest at-most-once transport declaring no capability, behind a simulated
 * connection: it must pass, with the refusal rules running in place of the capability rules and
 * the fault rules checking that nothing is delivered twice.
 */
class AtMostOnceTransportContractTest extends TransportContract {
    private final SimulatedConnection connection = new SimulatedConnection();

    @Override
    protected Map<String, Object> properties() {
        return connection.around(Map.of("switchboard.transport", "at-most-once-memory", "switchboard.memory.broker", "at-most-once"));
    }

    @Override
    protected Faults faults() {
        return connection.faults();
    }
}
