package io.switchboard.redis.internal;

import io.switchboard.redis.common.RedisConnector;
import io.switchboard.Health;
import io.switchboard.Message;
import io.switchboard.spi.DeliveryListener;
import io.switchboard.spi.ProviderContext;
import io.switchboard.spi.SubscriptionRequest;
import io.switchboard.spi.Transport;
import io.switchboard.spi.TransportSubscription;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The Redis pub/sub transport: one pipelined publisher connection and one multiplexed subscriber
 * connection. At-most-once. Thread-safe; see {@code docs/redis.md} for the behaviour under faults.
 */
public final class RedisTransport implements Transport {
    private final RedisSettings settings;
    private final RedisConnector connector;
    private final RedisPublisher publisher;
    private final RedisSubscriber subscriber;
    private final AtomicBoolean closed = new AtomicBoolean();

    private RedisTransport(RedisSettings settings, RedisConnector connector, RedisPublisher publisher, RedisSubscriber subscriber) {
        this.settings = settings;
        this.connector = connector;
        this.publisher = publisher;
        this.subscriber = subscriber;
    }

    /**
     * Connects both connections, blocking at most about the connect and command timeouts; for a
     * {@code redis-cluster://} URI, the {@link RedisClusterTransport} instead.
     *
     * @throws io.switchboard.ConfigurationException for bad settings or refused credentials
     * @throws io.switchboard.ConnectionException if Redis cannot be reached or does not answer as Redis
     */
    public static Transport create(ProviderContext context) {
        RedisSettings settings = RedisSettings.from(context);
        if (settings.endpoint.topology() == io.switchboard.redis.common.RedisEndpoint.Topology.CLUSTER) {
            return RedisClusterTransport.create(context);
        }
        RedisConnector connector = new RedisConnector(settings.endpoint);
        RedisPublisher publisher = new RedisPublisher(settings, connector, context.instanceName(), context.scheduler());
        RedisSubscriber subscriber;
        try {
            subscriber = new RedisSubscriber(settings, connector, context.events(), context.scheduler(),
                    context.instanceName(), publisher::suspect);
        } catch (RuntimeException e) {
            publisher.close(System.nanoTime());
            throw e;
        }
        context.events().connected();
        return new RedisTransport(settings, connector, publisher, subscriber);
    }

    @Override
    public CompletionStage<Void> publish(String channel, Message message) {
        return publisher.publish(channel, message);
    }

    @Override
    public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
        return subscriber.subscribe(request, listener);
    }

    @Override
    public boolean deleteDurable(String name) {
        throw new UnsupportedOperationException("the Redis transport has no durable subscriptions");
    }

    @Override
    public Health health() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("server", settings.describe());
        if (connector.lastMaster() != null) {
            details.put("master", connector.lastMaster().toString());
        }
        details.put("serverVersion", publisher.serverVersion());
        details.put("envelope", settings.envelope);
        if (!settings.channelPrefix.isEmpty()) {
            details.put("channelPrefix", settings.channelPrefix);
        }
        publisher.addHealth(details);
        subscriber.addHealth(details);
        Health.Status status;
        if (closed.get()) {
            status = Health.Status.DOWN;
        } else if (publisher.isConnected() && subscriber.isConnected()) {
            status = Health.Status.UP;
        } else {
            status = Health.Status.DEGRADED;
        }
        return Health.of(status, details);
    }

    /** Returns within {@code timeout}, whatever state the connections and the server are in. */
    @Override
    public void close(Duration timeout) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        subscriber.close(deadline);
        publisher.close(deadline);
    }

    @Override
    public String toString() {
        return "RedisTransport[" + settings.describe() + "]";
    }
}
