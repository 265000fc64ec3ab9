package io.switchboard.tck;

import io.switchboard.tck.sync.CacheSyncContract;
import io.switchboard.tck.sync.SyncFaults;
import java.util.Map;

/** The cache-sync contract on the memory transport with simulated connection cuts, so that S6 runs too. */
class ReconnectingCacheSyncContractTest extends CacheSyncContract {
    @Override
    protected Map<String, Object> properties() {
        return Map.of("switchboard.transport", "reconnecting-memory", "switchboard.cache", "memory",
                "switchboard.memory.broker", "reconnecting-sync");
    }

    @Override
    protected SyncFaults faults() {
        return new SyncFaults() {
            @Override
            public boolean canInterrupt() {
                return true;
            }

            @Override
            public void interrupt() {
                BrokenProviders.Reconnecting.cutAll();
            }
        };
    }
}
