package io.switchboard.it.sync;

import io.switchboard.tck.Faults;
import io.switchboard.tck.sync.CacheSyncContract;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The cache-sync contract on Redis Streams (a private redis-server, which the gap rules cut,
 * restart and hold down) with the shared memcached as the cache.
 */
class RedisStreamsMemcachedCacheSyncIT extends CacheSyncContract {
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
        return Map.of("switchboard.transport", "redis-streams", "switchboard.redis-streams.uri", redis.uri(), "switchboard.cache", "memcached",
                "switchboard.memcached.servers", "127.0.0.1:11211");
    }

    @Override
    protected Faults faults() {
        return redis.faults();
    }
}
