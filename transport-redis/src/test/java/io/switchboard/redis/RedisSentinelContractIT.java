package io.switchboard.redis;

import io.switchboard.tck.Faults;
import io.switchboard.tck.TransportContract;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole transport contract through redis-sentinel:// on a private Sentinel set-up, the fault
 * rules included: restartServer() is a failover (the master killed with SIGKILL, the replica promoted).
 */
class RedisSentinelContractIT extends TransportContract {
    @RegisterExtension
    static final RedisSentinelKit SENTINEL = new RedisSentinelKit();

    @Override
    protected Map<String, Object> properties() {
        return SENTINEL.transport();
    }

    @Override
    protected Faults faults() {
        return SENTINEL.faults();
    }
}
