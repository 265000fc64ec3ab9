package io.switchboard.redis;

import io.switchboard.tck.SessionCacheContract;
import java.util.Map;

/** The session-store rules (touch, delete) against the shared Redis on 127.0.0.1:6379. */
class RedisSessionCacheContractIT extends SessionCacheContract {
    @Override
    protected Map<String, Object> properties() {
        return Map.of("switchboard.transport", "memory", "switchboard.cache", "redis", "switchboard.redis.uri", TestSupport.SHARED_URI);
    }
}
