package io.switchboard;

/**
 * Handles the messages of one subscription.
 *
 * <p>Returning normally acknowledges the delivery. Throwing negatively acknowledges it: on an
 * at-least-once transport it is redelivered according to the subscription's {@link RetryPolicy},
 * then dead-lettered or dropped; on an at-most-once transport it is retried in this process by the
 * same policy and then dropped. Either way the exception is logged and counted, and the
 * subscription goes on.
 *
 * <p>Runs on a Switchboard handler thread, never on a socket-reading thread. With concurrency 1
 * (the default) calls for one subscription never overlap; with more they may, and the handler must
 * be thread-safe.
 */
@FunctionalInterface
public interface MessageHandler {
    /**
     * Handles one delivery.
     *
     * @param delivery the message and its delivery details
     * @throws Exception to have the delivery negatively acknowledged
     */
    void handle(Delivery delivery) throws Exception;
}
