package io.switchboard.redis;

import io.switchboard.tck.TransportContract;
import io.switchboard.tck.TransportFaults;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The whole transport contract against a private redis-server, with the restart and cut hooks. */
class RedisPrivateServerContractIT extends TransportContract {
    private static final String CLIENT_NAME = TestSupport.unique("tck-private");
    private static RedisServerProcess server;

    @BeforeAll
    static void start() {
        server = RedisServerProcess.start(null);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.kill();
        }
    }

    @Override
    protected Map<String, Object> properties() {
        return Map.of("switchboard.transport", "redis", "switchboard.redis.uri", server.uri(),
                "switchboard.redis.client-name", CLIENT_NAME);
    }

    @Override
    protected TransportFaults faults() {
        return new TransportFaults() {
            @Override
            public boolean canRestartServer() {
                return true;
            }

            @Override
            public void restartServer() {
                server.kill();
                server.start();
            }

            @Override
            public boolean canCutConnections() {
                return true;
            }

            @Override
            public void cutConnections() {
                RedisClients.killByName("127.0.0.1", server.port, null, CLIENT_NAME);
            }
        };
    }
}
