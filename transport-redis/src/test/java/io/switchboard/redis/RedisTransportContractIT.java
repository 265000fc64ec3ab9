package io.switchboard.redis;

import io.switchboard.tck.Faults;
import io.switchboard.tck.TransportContract;
import java.util.Map;

/**
 * The whole transport contract against the shared Redis. Connection cuts are scoped to this
 * class's own connections (CLIENT KILL ID of every client carrying its unique client name), so
 * other users of the shared server are not disturbed; the rules that stop or restart the server
 * run in {@link RedisPrivateServerContractIT}.
 */
class RedisTransportContractIT extends TransportContract {
    private static final String CLIENT_NAME = TestSupport.unique("tck-contract");

    @Override
    protected Map<String, Object> properties() {
        return Map.of("switchboard.transport", "redis", "switchboard.redis.uri", TestSupport.SHARED_URI,
                "switchboard.redis.client-name", CLIENT_NAME);
    }

    @Override
    protected Faults faults() {
        return Faults.builder().name("connections named " + CLIENT_NAME + " on the shared Redis").cutConnections(() -> {
            if (RedisClients.killByName("127.0.0.1", 6379, null, CLIENT_NAME) == 0) {
                throw new IllegalStateException("no connection named " + CLIENT_NAME + " to cut");
            }
        }).build();
    }
}
