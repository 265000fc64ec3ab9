package io.switchboard.tck;

import io.switchboard.Capabilities;
import io.switchboard.memory.MemoryTransportProvider;
import io.switchboard.spi.Config;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.DeliveryListener;
import io.switchboard.spi.ProviderContext;
import io.switchboard.spi.SubscriptionRequest;
import io.switchboard.spi.Transport;
import io.switchboard.spi.TransportProvider;
import io.switchboard.spi.InboundDelivery;
import io.switchboard.spi.TransportSubscription;
import java.time.Duration;
import java.util.List;

/** Providers that are not broken, for the kit to pass on besides the memory provider. Test classpath only. */
public final class HonestProviders {
    private HonestProviders() {
    }

    /**
     * An honest at-most-once transport that declares no capability at all: the memory transport,
     * acknowledging each message as it hands it over, as a fire-and-forget broker does. The kit's
     * refusal rules and the facade's in-process retries run on it.
     */
    public static final class AtMostOnce implements TransportProvider {
        private final TransportProvider memory = new MemoryTransportProvider();

        @Override
        public String name() {
            return "at-most-once-memory";
        }

        @Override
        public List<ConfigKey<?>> configKeys() {
            return List.of();
        }

        @Override
        public Capabilities capabilities(Config config) {
            return Capabilities.of(name());
        }

        @Override
        public Transport create(ProviderContext context) {
            return new ForwardingTransport(memory.create(context)) {
                @Override
                public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                    return delegate.subscribe(request, d -> {
                        d.ack();
                        listener.onDelivery(new DetachedCopy(d));
                    });
                }
            };
        }
    }

    /** A copy of a delivery whose settlement does nothing: the original settles the message. */
    static final class DetachedCopy extends ForwardingInboundDelivery {
        DetachedCopy(InboundDelivery original) {
            super(original);
        }

        @Override
        public boolean redelivered() {
            return false;
        }

        @Override
        public void ack() {
        }

        @Override
        public void release() {
        }

        @Override
        public void retry(Duration delay) {
        }

        @Override
        public void deadLetter(String reason, int attempts) {
        }

        @Override
        public boolean claimDeliveryThread() {
            return false;
        }
    }
}
