package io.switchboard.rabbitmq;

import io.switchboard.tck.TransportContract;
import io.switchboard.tck.TransportFaults;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The whole transport contract on a private broker node, so that the kit may restart the server and cut connections. */
class RabbitMqPrivateNodeContractIT extends TransportContract {
    private static PrivateRabbitMqNode node;

    @BeforeAll
    static void startNode() throws Exception {
        node = PrivateRabbitMqNode.start();
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @Override
    protected Map<String, Object> properties() {
        return RabbitMqTests.properties(node.uri(), "sb");
    }

    @Override
    protected TransportFaults faults() {
        return new TransportFaults() {
            @Override
            public void restartServer() throws Exception {
                node.kill9();
                node.restart();
            }

            @Override
            public boolean canRestartServer() {
                return true;
            }

            @Override
            public void cutConnections() throws Exception {
                node.closeAllConnections();
            }

            @Override
            public boolean canCutConnections() {
                return true;
            }
        };
    }
}
