package io.switchboard.spi;

/**
 * Receives deliveries from a transport. Implemented by the facade; thread-safe and non-blocking:
 * the transport may call it from its socket-reading thread. The one exception is a transport that
 * declares {@link Transport#handlersMayRunOnDeliveryThread()}: then a call may run the handler.
 */
@FunctionalInterface
public interface DeliveryListener {
    /**
     * Takes one delivery. Returns at once and the handler runs later on a facade thread, unless
     * the transport declared {@link Transport#handlersMayRunOnDeliveryThread()}.
     */
    void onDelivery(InboundDelivery delivery);
}
