package io.switchboard.rabbitmq;

import io.switchboard.tck.Faults;
import io.switchboard.tck.TransportContract;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole transport contract on the private three-node cluster with quorum queues, every
 * instance starting from the first node ({@code address-order=ordered}): the kit's restart hook
 * kills with {@code kill -9} the node serving the connections and starts it again, so its fault
 * rules check that the clients move to a surviving node and that what quorum queues hold survives
 * the loss of a node; its cut hook closes every connection on every node. No outage hook: a
 * cluster missing one node is not down (see {@link RabbitMqClusterNodes#faults()}).
 */
class RabbitMqClusterContractIT extends TransportContract {
    @RegisterExtension
    static final RabbitMqClusterNodes CLUSTER = new RabbitMqClusterNodes();
    private static final String PREFIX = RabbitMqTests.unique("sbclkit");

    @Override
    protected Map<String, Object> properties() {
        Map<String, Object> p = CLUSTER.properties(PREFIX);
        p.put("switchboard.rabbitmq.address-order", "ordered");
        return p;
    }

    @Override
    protected Faults faults() {
        return CLUSTER.faults();
    }
}
