package io.switchboard.memory;

import io.switchboard.Capabilities;
import io.switchboard.Capability;
import io.switchboard.ConfigurationException;
import io.switchboard.spi.Config;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.ProviderContext;
import io.switchboard.spi.Transport;
import io.switchboard.spi.TransportProvider;
import java.util.List;

/**
 * The in-process transport, selected with {@code switchboard.transport=memory}: the embedded
 * default and the reference implementation of the transport contract.
 *
 * <p>Every {@code Switchboard} in the JVM that names the same broker
 * ({@value #BROKER_KEY}, default {@code default}) shares its subscriptions, durable queues and
 * cache, so several simulated service instances in one JVM talk to each other. Nothing crosses a
 * process boundary and nothing survives a JVM restart, so {@link Capability#SURVIVES_RESTART} is
 * the one capability it does not declare.
 *
 * <p>Thread-safe; stateless apart from the JVM-wide brokers. No method accepts {@code null}
 * ({@link NullPointerException}). {@link #create} never blocks. The transport it creates
 * completes every publish before returning (a full queue fails the stage with a retryable
 * {@link io.switchboard.PublishException}), never blocks on I/O, and throws
 * {@link IllegalStateException} when used after {@code close}. Limits are described in
 * {@code docs/semantics.md}.
 */
public final class MemoryTransportProvider implements TransportProvider {
    /** The provider name. */
    public static final String NAME = "memory";
    /** Name of the broker key. */
    public static final String BROKER_KEY = "switchboard.memory.broker";
    /** Which JVM-wide broker to join; instances naming the same broker see each other. */
    public static final ConfigKey<String> BROKER = ConfigKey.string(BROKER_KEY, "default",
            "Name of the in-process broker to join: Switchboard instances in one JVM with the same name share "
                    + "subscriptions and cache. One JVM only; nothing survives a restart.");
    /** Per-queue capacity. */
    public static final ConfigKey<Integer> QUEUE_CAPACITY = ConfigKey.integer("switchboard.memory.queue-capacity", 100_000,
            "Most messages one in-memory subscription queue holds; a publish that finds a matching queue full fails "
                    + "with a retryable PublishException.");

    private static final Capabilities CAPABILITIES = Capabilities.of(NAME, Capability.AT_LEAST_ONCE,
            Capability.DURABLE_SUBSCRIPTIONS, Capability.COMPETING_CONSUMERS, Capability.PATTERN_SUBSCRIPTIONS,
            Capability.DEAD_LETTERS, Capability.PER_CHANNEL_ORDERING);

    /** Creates the provider; cheap, as {@link java.util.ServiceLoader} requires. */
    public MemoryTransportProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<ConfigKey<?>> configKeys() {
        return List.of(BROKER, QUEUE_CAPACITY);
    }

    @Override
    public Capabilities capabilities(Config config) {
        return CAPABILITIES;
    }

    /**
     * Joins the configured broker (creating it on first use) and reports the connection at once.
     *
     * @throws ConfigurationException if the queue capacity is not positive
     */
    @Override
    public Transport create(ProviderContext context) {
        int capacity = context.config().get(QUEUE_CAPACITY);
        if (capacity < 1) {
            throw new ConfigurationException("'" + QUEUE_CAPACITY.name() + "' is " + capacity
                    + " but must be a positive number of messages (default " + QUEUE_CAPACITY.defaultValue() + ").");
        }
        MemoryTransport transport = new MemoryTransport(MemoryBroker.named(context.config().get(BROKER)), capacity);
        context.events().connected();
        return transport;
    }

    @Override
    public String toString() {
        return "MemoryTransportProvider";
    }
}
