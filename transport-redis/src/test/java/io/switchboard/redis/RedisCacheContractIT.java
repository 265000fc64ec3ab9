package io.switchboard.redis;

import io.switchboard.tck.CacheContract;
import io.switchboard.tck.Faults;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The whole cache contract against a private redis-server, the fault rules (outage, restart) included. */
class RedisCacheContractIT extends CacheContract {
    @RegisterExtension
    static final RedisKitServer REDIS = new RedisKitServer();

    @Override
    protected Map<String, Object> properties() {
        return REDIS.cache();
    }

    @Override
    protected Faults faults() {
        return REDIS.faults();
    }
}
