package io.switchboard.rabbitmq;

import io.switchboard.tck.Faults;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A private RabbitMQ node for a contract-kit subclass, started before its rules and killed after
 * them (register it as a static {@code @RegisterExtension} field), with the kit's fault hooks:
 * every connection closed with {@code rabbitmqctl close_all_connections}, the node held down by
 * {@code kill -9} and started again on the same ports and data, and restarted that way.
 */
final class RabbitMqKitNode implements BeforeAllCallback, AfterAllCallback {
    private PrivateRabbitMqNode node;

    /**
     * Starts once: JUnit calls an extension registered on the contract class again before each
     * of its {@code @Nested} classes, which must share the one set-up.
     */
    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        if (node == null) {
            node = PrivateRabbitMqNode.start();
        }
    }

    /** Stops after the contract class itself (not after each {@code @Nested} class), by PID. */
    @Override
    public void afterAll(ExtensionContext context) {
        if (node != null && context.getRequiredTestClass().getEnclosingClass() == null) {
            node.close();
            node = null;
        }
    }

    /** Settings for a Switchboard on this node. */
    Map<String, Object> properties() {
        return RabbitMqTests.properties(node.uri(), "sb");
    }

    /** Cut (close_all_connections), outage (kill -9, start) and restart (both). */
    Faults faults() {
        return Faults.builder().name(node.toString()).cutConnections(node::closeAllConnections).outage(node::kill9, node::restart).build();
    }
}
