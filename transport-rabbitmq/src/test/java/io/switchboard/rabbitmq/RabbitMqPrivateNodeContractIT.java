package io.switchboard.rabbitmq;

import io.switchboard.tck.Faults;
import io.switchboard.tck.TransportContract;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The whole transport contract on a private broker node, with every fault hook (cut, outage, restart). */
class RabbitMqPrivateNodeContractIT extends TransportContract {
    @RegisterExtension
    static final RabbitMqKitNode NODE = new RabbitMqKitNode();

    @Override
    protected Map<String, Object> properties() {
        return NODE.properties();
    }

    @Override
    protected Faults faults() {
        return NODE.faults();
    }
}
