package io.switchboard.redis;

import io.switchboard.tck.CacheContract;
import io.switchboard.tck.Faults;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole cache contract through redis-cluster:// on a private six-node Redis Cluster, the fault
 * rules included: restartServer() fails every master over in turn (SIGKILL, replica promoted).
 */
class RedisClusterCacheContractIT extends CacheContract {
    @RegisterExtension
    static final RedisClusterKit CLUSTER = new RedisClusterKit();

    @Override
    protected Map<String, Object> properties() {
        return CLUSTER.cache();
    }

    @Override
    protected Faults faults() {
        return CLUSTER.faults();
    }
}
