package io.switchboard.spi;

/**
 * Receives deliveries from a transport. Implemented by the facade; thread-safe and non-blocking:
 * the transport may call it from its socket-reading thread. The one exception is a delivery whose
 * {@link InboundDelivery#claimDeliveryThread()} granted the thread: then the call runs the handler.
 */
@FunctionalInterface
public interface DeliveryListener {
    /**
     * Takes one delivery. Returns at once and the handler runs later on a facade thread, unless
     * the delivery's {@link InboundDelivery#claimDeliveryThread()} granted this thread.
     */
    void onDelivery(InboundDelivery delivery);
}
