package io.switchboard.tck;

import java.util.Map;

/**
 * The kit against an honest at-most-once transport declaring no capability: it must pass, with
 * the refusal rules running in place of the capability rules.
 */
class AtMostOnceTransportContractTest extends TransportContract {
    @Override
    protected Map<String, Object> properties() {
        return Map.of("switchboard.transport", "at-most-once-memory", "switchboard.memory.broker", "at-most-once");
    }
}
