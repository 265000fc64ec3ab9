package io.switchboard.redis.streams;

import io.switchboard.tck.Faults;
import io.switchboard.tck.TransportContract;
import java.util.Map;

/**
 * The whole transport contract against the shared Redis (no survives-restart: the shared server
 * need not persist). Connection cuts are scoped to this class's own connections (CLIENT KILL ID of
 * every client carrying its unique client name); the rules that stop or restart the server run in
 * {@link RedisStreamsPrivateServerContractIT}.
 */
class RedisStreamsTransportContractIT extends TransportContract {
    private static final String CLIENT_NAME = StreamsTestSupport.unique("tck-streams-contract");

    @Override
    protected Map<String, Object> properties() {
        return Map.of("switchboard.transport", "redis-streams", "switchboard.redis-streams.uri", StreamsTestSupport.SHARED_URI,
                "switchboard.redis-streams.client-name", CLIENT_NAME);
    }

    @Override
    protected Faults faults() {
        return Faults.builder().name("connections named " + CLIENT_NAME + " on the shared Redis").cutConnections(() -> {
            if (StreamsTestSupport.killByName(6379, CLIENT_NAME) == 0) {
                throw new IllegalStateException("no connection named " + CLIENT_NAME + " to cut");
            }
        }).build();
    }
}
