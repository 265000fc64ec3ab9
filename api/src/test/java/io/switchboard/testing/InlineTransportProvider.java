package io.switchboard.testing;

import io.switchboard.spi.InboundDelivery;

/**
 * A transport named {@code inline}: {@link FakeTransportProvider}'s, with deliveries that grant
 * the publishing thread to handlers ({@link InboundDelivery#claimDeliveryThread()}), so tests can
 * see where handlers run. Registered only through {@link TestClassLoaders}.
 */
public final class InlineTransportProvider extends FakeTransportProvider {
    @Override
    public String name() {
        return "inline";
    }

    @Override
    protected boolean grantsDeliveryThread() {
        return true;
    }
}
