package io.switchboard.rabbitmq;

import com.rabbitmq.client.Connection;

/**
 * The two amqp-client connections of a {@code rabbitmq} transport, for applications that need the
 * native client: {@code switchboard.unwrap(RabbitMqConnections.class)}. The transport publishes on
 * one ({@code <connection-name>-pub}) and consumes and acknowledges on the other
 * ({@code <connection-name>-sub}), so that the broker's flow control, which blocks connections that
 * publish, does not stall consumers. ({@code unwrap(Connection.class)} gives the consuming one.)
 *
 * <p>Thread-safe. Each method returns the connection in use at the time of the call: after a
 * reconnect it is a new one. Do not close either, consume on the publishing one, or publish on the
 * consuming one (the broker would then block it during an alarm, and acknowledgements with it);
 * open channels of your own for anything else and close them when done. Neither method blocks.
 */
public interface RabbitMqConnections {
    /**
     * The connection publishes and their confirms go on.
     *
     * @throws io.switchboard.ConnectionException while it is down (the transport is reconnecting)
     */
    Connection publishing();

    /**
     * The connection consumers and acknowledgements go on.
     *
     * @throws io.switchboard.ConnectionException while it is down (the transport is reconnecting)
     */
    Connection consuming();
}
