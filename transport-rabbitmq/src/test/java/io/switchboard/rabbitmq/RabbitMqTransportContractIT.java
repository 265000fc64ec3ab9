package io.switchboard.rabbitmq;

import io.switchboard.tck.Faults;
import io.switchboard.tck.TransportContract;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;

/**
 * The whole transport contract against the shared broker on 127.0.0.1:5672. The connection-cut
 * hook closes only this class's connections (found by their client-provided name), never other
 * people's; the rules that stop or restart the server run in
 * {@link RabbitMqPrivateNodeContractIT}.
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
    protected Faults faults() {
        return Faults.builder().name("connections named " + CONNECTION_NAME + " on the shared broker")
                .cutConnections(() -> SharedBrokerConnections.close(CONNECTION_NAME)).build();
    }
}
