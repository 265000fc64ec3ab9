package io.switchboard.redis;

import io.switchboard.tck.CacheContract;
import java.util.Map;

/** The whole cache contract against the shared Redis. */
class RedisCacheContractIT extends CacheContract {
    @Override
    protected Map<String, Object> properties() {
        return Map.of("switchboard.transport", "memory", "switchboard.cache", "redis",
                "switchboard.redis.uri", TestSupport.SHARED_URI);
    }
}
