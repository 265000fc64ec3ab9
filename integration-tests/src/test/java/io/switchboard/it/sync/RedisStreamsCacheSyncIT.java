package io.switchboard.it.sync;

import io.switchboard.tck.Faults;
import io.switchboard.tck.sync.CacheSyncContract;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The cache-sync contract on Redis Streams with the Redis cache, both on a private redis-server
 * that the gap rules cut, restart (announcements are lost, and the cache comes back empty, as
 * after a failover without replication) and hold down.
 */
class RedisStreamsCacheSyncIT extends CacheSyncContract {
    private static PrivateRedis redis;

    @BeforeAll
    static void start() throws Exception {
        redis = PrivateRedis.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (redis != null) {
            redis.close();
        }
    }

    @Override
    protected Map<String, Object> properties() {
        return Map.of("switchboard.transport", "redis-streams", "switchboard.cache", "redis", "switchboard.redis.uri", redis.uri(),
                "switchboard.redis-streams.uri", redis.uri());
    }

    @Override
    protected Faults faults() {
        return redis.faults();
    }
}
