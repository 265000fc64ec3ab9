package io.switchboard.rabbitmq;

import io.switchboard.tck.TransportContract;
import io.switchboard.tck.TransportFaults;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;

/**
 * The whole transport contract against the shared broker on 127.0.0.1:5672. The connection-cut
 * hook closes only this class's connections (found by their client-provided name), never other
 * people's; the server-restart rules run in {@link RabbitMqPrivateNodeContractIT}.
 */
class RabbitMqTransportContractIT extends TransportContract {
    private static final String PREFIX = RabbitMqTests.unique("sbkit");
    private static final String CONNECTION_NAME = RabbitMqTests.unique("switchboard-kit");

    @AfterAll
    static void deleteTopology() throws Exception {
        SharedBrokerConnections.deleteTopology(PREFIX);
    }

    @Override
    protected Map<String, Object> properties() {
        Map<String, Object> p = RabbitMqTests.properties(RabbitMqTests.SHARED_URI, PREFIX);
        p.put("switchboard.rabbitmq.connection-name", CONNECTION_NAME);
        return p;
    }

    @Override
    protected TransportFaults faults() {
        return new TransportFaults() {
            @Override
            public void cutConnections() throws Exception {
                SharedBrokerConnections.close(CONNECTION_NAME);
            }

            @Override
            public boolean canCutConnections() {
                return true;
            }
        };
    }
}
