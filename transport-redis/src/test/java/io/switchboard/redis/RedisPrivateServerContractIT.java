package io.switchboard.redis;

import io.switchboard.tck.Faults;
import io.switchboard.tck.TransportContract;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The whole transport contract against a private redis-server, with every fault hook (cut, outage, restart). */
class RedisPrivateServerContractIT extends TransportContract {
    @RegisterExtension
    static final RedisKitServer REDIS = new RedisKitServer();

    @Override
    protected Map<String, Object> properties() {
        return REDIS.transport();
    }

    @Override
    protected Faults faults() {
        return REDIS.faults();
    }
}
