package io.switchboard.redis.streams;

import io.switchboard.tck.Faults;
import io.switchboard.tck.TransportContract;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole transport contract against a private redis-server with the append-only file on,
 * declaring survives-restart, with every fault hook (cut, outage, restart by kill -9).
 */
class RedisStreamsPrivateServerContractIT extends TransportContract {
    @RegisterExtension
    static final StreamsKitServer REDIS = new StreamsKitServer();

    @Override
    protected Map<String, Object> properties() {
        return REDIS.transport();
    }

    @Override
    protected Faults faults() {
        return REDIS.faults();
    }
}
