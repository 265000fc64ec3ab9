package io.switchboard.redis;

import io.switchboard.tck.SessionCacheContract;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The session-store rules (touch on the key and its token in one slot, delete) through redis-cluster:// on a private six-node Redis Cluster. */
class RedisClusterSessionCacheContractIT extends SessionCacheContract {
    @RegisterExtension
    static final RedisClusterKit CLUSTER = new RedisClusterKit();

    @Override
    protected Map<String, Object> properties() {
        return CLUSTER.cache();
    }
}
