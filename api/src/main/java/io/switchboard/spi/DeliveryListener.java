package io.switchboard.spi;

/**
 * Receives deliveries from a transport. Implemented by the facade; thread-safe and non-blocking:
 * the transport may call it from its socket-reading thread.
 */
@FunctionalInterface
public interface DeliveryListener {
    /** Takes one delivery. Returns at once; the handler runs later on a facade thread. */
    void onDelivery(InboundDelivery delivery);
}
