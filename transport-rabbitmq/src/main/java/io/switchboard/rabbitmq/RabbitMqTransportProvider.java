package io.switchboard.rabbitmq;

import io.switchboard.Capabilities;
import io.switchboard.Capability;
import io.switchboard.rabbitmq.internal.RabbitMqSettings;
import io.switchboard.rabbitmq.internal.RabbitMqTransport;
import io.switchboard.spi.Config;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.ProviderContext;
import io.switchboard.spi.Transport;
import io.switchboard.spi.TransportProvider;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code rabbitmq} transport: at-least-once publish/subscribe on RabbitMQ with publisher
 * confirms, manual acknowledgements, durable shared subscriptions, broker-side retries with
 * backoff and dead letters. Topology and wire format: {@code docs/wire-format-rabbitmq.md}.
 *
 * <p>Thread-safe and stateless; {@link #create} connects and blocks for at most
 * {@code switchboard.rabbitmq.connection-timeout}. No argument may be {@code null}.
 */
public final class RabbitMqTransportProvider implements TransportProvider {
    /** Where to connect: {@code amqp://user:pass@host:port/vhost}, or {@code amqps://} for TLS. */
    public static final ConfigKey<String> URI = ConfigKey.secret("switchboard.rabbitmq.uri", "amqp://guest:guest@127.0.0.1:5672/",
            "Broker URI amqp://user:pass@host:port/vhost (amqps:// for TLS); the vhost is URL-encoded, '/' is %2F or an empty path.");
    /** Cluster nodes as host:port; when set they replace the URI's host and port. */
    public static final ConfigKey<List<String>> ADDRESSES = ConfigKey.list("switchboard.rabbitmq.addresses", List.of(),
            "Cluster nodes as host:port, tried in turn on every (re)connect (in the order address-order says) until one answers; "
                    + "replaces the URI's host and port when set. An entry "
                    + "user:password@host:port also sets the login (unless username/password are set), shown masked wherever printed; "
                    + "prefer switchboard.rabbitmq.password, a secret key.");
    /** In which order the addresses are tried. */
    public static final ConfigKey<String> ADDRESS_ORDER = ConfigKey.oneOf("switchboard.rabbitmq.address-order", "shuffle",
            List.of("shuffle", "ordered"), "shuffle: each connection tries the addresses in a random order of its own, so that the "
                    + "connections of many instances spread over the cluster's nodes and move to a surviving one on failover; ordered: "
                    + "always from the first, for a preferred node.");
    /** User name overriding the URI's. */
    public static final ConfigKey<String> USERNAME = ConfigKey.string("switchboard.rabbitmq.username", null,
            "User name; overrides the one in the URI.");
    /** Password overriding the URI's. */
    public static final ConfigKey<String> PASSWORD = ConfigKey.secret("switchboard.rabbitmq.password", null,
            "Password; overrides the one in the URI.");
    /** Virtual host overriding the URI's. */
    public static final ConfigKey<String> VIRTUAL_HOST = ConfigKey.string("switchboard.rabbitmq.virtual-host", null,
            "Virtual host (not URL-encoded); overrides the one in the URI.");
    /** Connection timeout, also the time the first connect keeps retrying an unreachable broker. */
    public static final ConfigKey<Duration> CONNECTION_TIMEOUT = ConfigKey.duration("switchboard.rabbitmq.connection-timeout",
            Duration.ofSeconds(10), "How long open() keeps trying to reach the broker before failing; also the TCP and handshake timeout, "
                    + "and (10 s at least) the longest wait for each broker reply in subscribe() and deleteDurable().");
    /** Heartbeat. */
    public static final ConfigKey<Duration> HEARTBEAT = ConfigKey.duration("switchboard.rabbitmq.heartbeat", Duration.ofSeconds(20),
            "AMQP heartbeat; a silent broker is declared lost after about twice this.");
    /** Delay between reconnection attempts. */
    public static final ConfigKey<Duration> RECOVERY_INTERVAL = ConfigKey.duration("switchboard.rabbitmq.recovery-interval",
            Duration.ofSeconds(1), "Pause between reconnection attempts after the connection is lost.");
    /** How long a publish waits for the broker's confirm. */
    public static final ConfigKey<Duration> CONFIRM_TIMEOUT = ConfigKey.duration("switchboard.rabbitmq.confirm-timeout",
            Duration.ofSeconds(30), "How long a publish may take: its stage fails with a retryable PublishException when the broker has "
                    + "not confirmed it by then (checked every eighth of it, at least every second); publish() itself never waits for "
                    + "the broker.");
    /** Bound on publishes awaiting a confirm. */
    public static final ConfigKey<Integer> CONFIRM_WINDOW = ConfigKey.integer("switchboard.rabbitmq.confirm-window", 1000,
            "Most publishes awaiting a broker confirm; publish() blocks the caller while it is full, for at most confirm-timeout, "
                    + "then fails with a retryable PublishException.");
    /** Persistent messages. */
    public static final ConfigKey<Boolean> PERSISTENT = ConfigKey.bool("switchboard.rabbitmq.persistent", true,
            "Publish persistent messages (delivery mode 2) so that they survive a broker restart in durable queues; "
                    + "false is faster and drops survives-restart from the capabilities.");
    /** Queue type of durable subscriptions. */
    public static final ConfigKey<String> QUEUE_TYPE = ConfigKey.oneOf("switchboard.rabbitmq.queue-type", "classic",
            List.of("classic", "quorum"), "Queue type of durable subscription and dead-letter queues (transient subscriptions are always classic).");
    /** Delivery limit of quorum subscription queues. */
    public static final ConfigKey<Integer> DELIVERY_LIMIT = ConfigKey.integer("switchboard.rabbitmq.delivery-limit", null,
            "With queue-type=quorum: x-delivery-limit of durable subscription queues. A message the broker has delivered more than "
                    + "this many times without an acknowledgement (its consumer crashed, lost its connection or gave it back) is "
                    + "dead-lettered by the broker to the subscription's dead-letter channel (dropped without one), with "
                    + "sb-dead-letter-reason and sb-attempts. Unset: no limit (RabbitMQ 4 sets 20 by default).");
    /** Whether channel exchanges are bound to the topic exchange that pattern subscriptions read. */
    public static final ConfigKey<Boolean> PATTERN_SUBSCRIPTIONS = ConfigKey.bool("switchboard.rabbitmq.pattern-subscriptions", true,
            "Bind every channel's exchange to the topic exchange that pattern subscriptions read; false saves the broker a topic "
                    + "routing per message but drops pattern-subscriptions from the capabilities. Every instance sharing the vhost "
                    + "and prefix should agree: a binding made by one stays.");
    /** Name prefix of every exchange and queue. */
    public static final ConfigKey<String> PREFIX = ConfigKey.string("switchboard.rabbitmq.prefix", "sb",
            "Prefix of every exchange and queue name, so that several applications can share a vhost: 1 to 50 letters, digits, "
                    + "'_' and '-' (no '.', which separates it from the rest of each name), not 'amq'.");
    /** Prefetch override. */
    public static final ConfigKey<Integer> PREFETCH = ConfigKey.integer("switchboard.rabbitmq.prefetch", null,
            "Prefetch (basic.qos) per subscription; overrides switchboard.subscriber.prefetch for this transport.");
    /** Subscriptions that get a consumer channel of their own. */
    public static final ConfigKey<Integer> DEDICATED_CHANNELS = ConfigKey.integer("switchboard.rabbitmq.dedicated-channels", 100,
            "The first this many subscriptions of an instance each consume on a channel of their own (their handlers may run on its "
                    + "delivery thread, and a channel error such as the broker's consumer_timeout touches no other); later ones share "
                    + "channels, consumers-per-channel each. 0 shares from the first.");
    /** Consumers per shared channel. */
    public static final ConfigKey<Integer> CONSUMERS_PER_CHANNEL = ConfigKey.integer("switchboard.rabbitmq.consumers-per-channel", 50,
            "Most subscriptions (of one prefetch, each still with its own) consuming on one shared channel, past dedicated-channels; "
                    + "with the broker's channel_max of 2047 the defaults fit about 97,000 subscriptions per instance. A channel error "
                    + "(a consumer_timeout, a queue deleted under a consumer) requeues and re-subscribes every consumer on that channel.");
    /** Connection name shown by the broker. */
    public static final ConfigKey<String> CONNECTION_NAME = ConfigKey.string("switchboard.rabbitmq.connection-name", null,
            "Base of the names of the two connections, NAME-pub (publishing) and NAME-sub (consuming), shown in the management "
                    + "UI and rabbitmqctl list_connections; default switchboard-INSTANCE.");
    /** TLS hostname verification. */
    public static final ConfigKey<Boolean> TLS_VERIFY_HOSTNAME = ConfigKey.bool("switchboard.rabbitmq.tls.verify-hostname", true,
            "With amqps://, verify that the broker's certificate matches its host name (the JVM's default trust store is used).");

    private static final List<ConfigKey<?>> KEYS = List.of(URI, ADDRESSES, ADDRESS_ORDER, USERNAME, PASSWORD, VIRTUAL_HOST, CONNECTION_TIMEOUT,
            HEARTBEAT, RECOVERY_INTERVAL, CONFIRM_TIMEOUT, CONFIRM_WINDOW, PERSISTENT, PATTERN_SUBSCRIPTIONS, QUEUE_TYPE, DELIVERY_LIMIT, PREFIX, PREFETCH,
            DEDICATED_CHANNELS, CONSUMERS_PER_CHANNEL, CONNECTION_NAME, TLS_VERIFY_HOSTNAME);

    /** Creates the provider; it connects only in {@link #create}. */
    public RabbitMqTransportProvider() {
    }

    @Override
    public String name() {
        return "rabbitmq";
    }

    @Override
    public List<ConfigKey<?>> configKeys() {
        return KEYS;
    }

    /**
     * Every at-least-once capability; {@code survives-restart} only with persistent messages,
     * {@code pattern-subscriptions} only while channel exchanges are bound for them.
     */
    @Override
    public Capabilities capabilities(Config config) {
        Set<Capability> set = EnumSet.of(Capability.AT_LEAST_ONCE, Capability.DURABLE_SUBSCRIPTIONS, Capability.COMPETING_CONSUMERS,
                Capability.DEAD_LETTERS, Capability.PER_CHANNEL_ORDERING);
        if (config.get(PATTERN_SUBSCRIPTIONS)) {
            set.add(Capability.PATTERN_SUBSCRIPTIONS);
        }
        if (config.get(PERSISTENT)) {
            set.add(Capability.SURVIVES_RESTART);
        }
        return Capabilities.of(name(), set);
    }

    /**
     * Connects to the broker.
     *
     * @throws io.switchboard.ConfigurationException if a setting is invalid, or the broker refused the credentials or the vhost
     * @throws io.switchboard.ConnectionException if no broker answered within the connection timeout
     */
    @Override
    public Transport create(ProviderContext context) {
        return RabbitMqTransport.connect(RabbitMqSettings.from(context.config()), context);
    }
}
