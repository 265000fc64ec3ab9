package io.switchboard.redis;

import io.switchboard.tck.Faults;
import io.switchboard.tck.TransportContract;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole transport contract through redis-cluster:// (sharded pub/sub, patterns by broadcast)
 * on a private six-node Redis Cluster, the fault rules included: restartServer() fails every
 * master over in turn (SIGKILL, replica promoted).
 */
class RedisClusterContractIT extends TransportContract {
    @RegisterExtension
    static final RedisClusterKit CLUSTER = new RedisClusterKit();

    @Override
    protected Map<String, Object> properties() {
        return CLUSTER.transport();
    }

    @Override
    protected Faults faults() {
        return CLUSTER.faults();
    }
}
