package io.switchboard.rabbitmq.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Address;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.PossibleAuthenticationFailureException;
import com.rabbitmq.client.ShutdownSignalException;
import io.switchboard.ConfigurationException;
import io.switchboard.ConnectionException;
import io.switchboard.Health;
import io.switchboard.Message;
import io.switchboard.rabbitmq.RabbitMqConnections;
import io.switchboard.spi.ConnectionEvents;
import io.switchboard.spi.DeliveryListener;
import io.switchboard.spi.Payloads;
import io.switchboard.spi.ProviderContext;
import io.switchboard.spi.SubscriptionRequest;
import io.switchboard.spi.Transport;
import io.switchboard.spi.TransportSubscription;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RabbitMQ transport. Thread-safe; no argument may be {@code null} (the facade has checked
 * them). No method holds a lock while it waits for the broker, and none waits unboundedly:
 * {@link #publish} never waits for the broker (only, at most {@code confirm-timeout}, for room in
 * the confirm window); {@link #close} is bounded by its timeout; {@link #subscribe} and
 * {@link #deleteDurable} wait for a few round trips, each bounded by the RPC timeout (on quorum queues, plus up to 2 s twice for cancels to be counted); a
 * subscription's close waits at most {@link #CANCEL_WAIT_MILLIS} for its cancel.
 *
 * <p>Two connections, as RabbitMQ advises: one publishes ({@code <name>-pub}), one consumes and
 * acknowledges ({@code <name>-sub}). The broker's flow control (a memory or disk alarm) blocks
 * a connection that publishes, and with it everything else on that connection; consumers on a
 * connection of their own go on receiving and acknowledging meanwhile.
 *
 * <p>Recovery is done here rather than by amqp-client's automatic recovery, so that it can be
 * checked: after a lost connection one thread reconnects every {@code recovery-interval} whichever
 * of the two is down; for a new consuming connection it re-declares what each subscription needs
 * on a fresh channel (a transient subscription gets a new server-named queue) and restarts its
 * consumer; only then it reports {@code recovered}. A delivery remembers the channel it came on,
 * so settling it after the channel was replaced is a no-op (the broker redelivers it) rather than
 * an ack of an unrelated delivery tag.
 */
public final class RabbitMqTransport implements Transport {
    private static final Logger LOG = LoggerFactory.getLogger(RabbitMqTransport.class);
    static final String ATTEMPT_HEADER = "sb-attempt";
    static final String CHANNEL_HEADER = "sb-channel";
    static final String TIMESTAMP_HEADER = "sb-timestamp";
    /** RabbitMQ's pseudo-queue for direct reply-to; replies go to names it hands out, which start with it. */
    static final String DIRECT_REPLY_TO = "amq.rabbitmq.reply-to";
    /** How long Subscription.close() waits for the broker to answer its consumer's cancel. */
    static final long CANCEL_WAIT_MILLIS = 1000;
    /** Cancels in flight at once (see {@link #cancelExecutor()}). */
    static final int CANCEL_THREADS = 16;
    /** Suffixes of the two connections' names. */
    static final String PUB = "-pub";
    static final String SUB = "-sub";
    /** How many subscriptions are re-established at once after a reconnect. */
    static final int RECOVERY_PARALLELISM = 8;
    /** How long deleteDurable waits for a quorum queue's consumer count to take in cancels already answered. */
    static final long QUORUM_CONSUMER_SETTLE_MILLIS = 2000;

    final RabbitMqSettings settings;
    final Topology topology;
    private final ProviderContext context;
    private final ConnectionEvents events;
    private final ConnectionFactory factory;
    private final String connectionName;
    private final RabbitMqPublisher publisher;
    private final ExecutorService recoveryThread;
    private final ThreadPoolExecutor cancelThreads;
    /**
     * Runs consumer callbacks, and with them handlers; unbounded, so a slow handler holds only its
     * own channel's thread. Never shut down explicitly: amqp-client still hands it each channel's
     * shutdown work after a connection closes, so its threads simply end after a few idle seconds.
     */
    private final ExecutorService deliveryThreads;
    private final Set<RabbitMqSubscription> subscriptions = ConcurrentHashMap.newKeySet();
    private final Set<String> declaredExchanges = ConcurrentHashMap.newKeySet();
    /** Consumers of closed subscriptions whose cancel the broker has not answered yet. */
    private final Set<RabbitMqSubscription.Link> cancelling = ConcurrentHashMap.newKeySet();
    /** Set when a cancel went unanswered for CANCEL_WAIT: later closes do not wait while the broker does not answer. */
    private volatile boolean cancelsUnanswered;
    /** Channels of closed subscriptions whose final acks and close wait on the background thread. */
    private final Set<RabbitMqSubscription.Link> closingLinks = ConcurrentHashMap.newKeySet();
    private final Map<String, Long> declaredRetryQueues = new ConcurrentHashMap<>();
    private final Object connectionLock = new Object();
    private final AtomicLong recoveries = new AtomicLong();
    /** Messages a subscription could not read as sent and dead-lettered unchanged. */
    final AtomicLong unreadableDeadLettered = new AtomicLong();
    /** Messages a subscription could not read as sent and, without a dead-letter channel, delivered with substitutes. */
    final AtomicLong unreadableDelivered = new AtomicLong();
    /** The publishing connection, or {@code null} while it is down. */
    private volatile Connection pub;
    /** The consuming connection, or {@code null} while it is down. */
    private volatile Connection sub;
    /** The channels of the consuming connection, shared out among subscriptions; replaced with it. */
    private volatile RabbitMqConsumerChannels consumerChannels;
    private volatile boolean recovering;
    private volatile boolean closing;
    private volatile String lastError;
    private ScheduledFuture<?> sweeper;
    private final RabbitMqConnections connections = new RabbitMqConnections() {
        @Override
        public Connection publishing() {
            return publishingConnectionOrThrow();
        }

        @Override
        public Connection consuming() {
            return consumingConnectionOrThrow();
        }

        @Override
        public String toString() {
            return "RabbitMqConnections[" + connectionName + PUB + ", " + connectionName + SUB + "]";
        }
    };

    private RabbitMqTransport(RabbitMqSettings settings, ProviderContext context) {
        this.settings = settings;
        this.topology = settings.topology;
        this.context = context;
        this.events = context.events();
        this.connectionName = settings.connectionName != null ? settings.connectionName : "switchboard-" + context.instanceName();
        this.factory = factory(settings, context.instanceName());
        AtomicInteger n = new AtomicInteger();
        this.deliveryThreads = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 5, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, context.instanceName() + "-rabbitmq-delivery-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        factory.setSharedExecutor(deliveryThreads);
        this.publisher = new RabbitMqPublisher(this, context.instanceName() + "-rabbitmq-publish", settings.confirmWindow,
                settings.confirmTimeout);
        AtomicInteger c = new AtomicInteger();
        this.cancelThreads = new ThreadPoolExecutor(CANCEL_THREADS, CANCEL_THREADS, 5, TimeUnit.SECONDS,
                new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, context.instanceName() + "-rabbitmq-cancel-" + c.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.cancelThreads.allowCoreThreadTimeOut(true);
        this.recoveryThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, context.instanceName() + "-rabbitmq-recovery");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Connects, retrying an unreachable broker until the connection timeout (amqp-client does not
     * retry a first connect on its own).
     *
     * @throws ConfigurationException if the broker refused the credentials or the virtual host
     * @throws ConnectionException if no broker answered within the connection timeout
     */
    public static RabbitMqTransport connect(RabbitMqSettings settings, ProviderContext context) {
        RabbitMqTransport t = new RabbitMqTransport(settings, context);
        try {
            long deadline = System.nanoTime() + settings.connectionTimeout.toNanos();
            Exception last = null;
            while (true) {
                try {
                    t.openBoth();
                    break;
                } catch (IOException | TimeoutException e) {
                    last = e;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new ConnectionException("cannot reach RabbitMQ at " + settings.describe() + " within "
                            + settings.connectionTimeout + " (switchboard.rabbitmq.connection-timeout): " + describe(last)
                            + "; check that the broker runs and switchboard.rabbitmq.uri / addresses", last);
                }
                Thread.sleep(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, Math.min(settings.recoveryInterval.toMillis(), 500)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            t.recoveryThread.shutdownNow();
            throw new ConnectionException("interrupted while connecting to RabbitMQ at " + settings.describe(), e);
        } catch (RuntimeException e) {
            t.recoveryThread.shutdownNow();
            throw e;
        }
        // An eighth of the timeout: a publish fails at most 12.5% after its confirm timeout.
        long period = Math.max(50, Math.min(1000, settings.confirmTimeout.toMillis() / 8));
        // Off the shared scheduler, whose tasks must not block: failing a publish runs its
        // stage's callbacks, which may publish and wait for the window.
        t.sweeper = context.scheduler().scheduleAtFixedRate(() -> t.deliveryThreads.execute(t.publisher::expireOverdue), period, period,
                TimeUnit.MILLISECONDS);
        t.events.connected();
        return t;
    }

    private static ConnectionFactory factory(RabbitMqSettings s, String instanceName) {
        ConnectionFactory f = new ConnectionFactory();
        f.setUsername(s.username);
        f.setPassword(s.password);
        f.setVirtualHost(s.virtualHost);
        int timeoutMs = (int) Math.min(Integer.MAX_VALUE, s.connectionTimeout.toMillis());
        f.setConnectionTimeout(timeoutMs);
        f.setHandshakeTimeout(timeoutMs);
        f.setChannelRpcTimeout(Math.max(timeoutMs, 10_000));
        f.setRequestedHeartbeat((int) Math.max(0, s.heartbeat.toSeconds()));
        f.setAutomaticRecoveryEnabled(false);
        f.setTopologyRecoveryEnabled(false);
        AtomicInteger n = new AtomicInteger();
        f.setThreadFactory(r -> {
            Thread t = new Thread(r, instanceName + "-rabbitmq-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        if (s.tls) {
            try {
                f.useSslProtocol(SSLContext.getDefault());
            } catch (NoSuchAlgorithmException e) {
                throw new ConfigurationException("amqps:// needs TLS but this JVM offers no default SSLContext", e);
            }
            if (s.verifyHostname) {
                f.enableHostnameVerification();
            }
        }
        return f;
    }

    private void openBoth() throws IOException, TimeoutException {
        Connection p = newConnection(PUB);
        try {
            Connection s = newConnection(SUB);
            installPublishing(p);
            installConsuming(s);
        } catch (IOException | TimeoutException | RuntimeException e) {
            p.abort();
            throw e;
        }
    }

    /** Opens a connection, translating refusals that retrying cannot fix into ConfigurationException. */
    private Connection newConnection(String role) throws IOException, TimeoutException {
        try {
            List<Address> order = settings.addresses;
            if (settings.shuffleAddresses && order.size() > 1) {
                // amqp-client without its own recovery tries a list in order: spread by shuffling.
                order = new ArrayList<>(order);
                Collections.shuffle(order, ThreadLocalRandom.current());
            }
            return factory.newConnection(order, connectionName + role);
        } catch (PossibleAuthenticationFailureException e) {
            throw new ConfigurationException("RabbitMQ at " + settings.describe() + " refused the login of user '" + settings.username
                    + "' (wrong user name or password, or a user such as guest that may only connect from localhost); "
                    + "check switchboard.rabbitmq.uri or switchboard.rabbitmq.username / password", e);
        } catch (IOException e) {
            ShutdownSignalException sig = shutdownCause(e);
            if (sig != null && sig.getReason() instanceof AMQP.Connection.Close
                    && ((AMQP.Connection.Close) sig.getReason()).getReplyCode() == AMQP.NOT_ALLOWED) {
                throw new ConfigurationException("RabbitMQ at " + settings.addressList() + " refused virtual host '" + settings.virtualHost
                        + "' to user '" + settings.username + "' (" + ((AMQP.Connection.Close) sig.getReason()).getReplyText()
                        + "); create it (rabbitmqctl add_vhost) and grant permissions (rabbitmqctl set_permissions), "
                        + "or fix the vhost in switchboard.rabbitmq.uri (/ is written %2F)", e);
            }
            throw e;
        }
    }

    private static ShutdownSignalException shutdownCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ShutdownSignalException) {
                return (ShutdownSignalException) t;
            }
        }
        return null;
    }

    private void installPublishing(Connection conn) {
        synchronized (connectionLock) {
            declaredExchanges.clear();
            declaredRetryQueues.clear();
            pub = conn;
        }
        conn.addShutdownListener(sig -> onConnectionShutdown(conn, sig));
        conn.addBlockedListener(reason -> {
            publisher.blocked(reason);
            LOG.warn("RabbitMQ blocked publishing on connection '{}': {}; publishes fail until it unblocks", name(conn), reason);
        }, () -> {
            publisher.unblocked();
            LOG.info("RabbitMQ unblocked publishing on connection '{}'", name(conn));
        });
        publisher.connected();
        if (!conn.isOpen()) {
            onConnectionShutdown(conn, conn.getCloseReason());
        }
    }

    private void installConsuming(Connection conn) {
        RabbitMqConsumerChannels pool = new RabbitMqConsumerChannels(this, conn, settings.dedicatedChannels, settings.consumersPerChannel);
        synchronized (connectionLock) {
            consumerChannels = pool;
            sub = conn;
        }
        cancelsUnanswered = false;
        conn.addShutdownListener(sig -> onConnectionShutdown(conn, sig));
        // The broker blocks only connections that publish; this one does not, unless an
        // application publishes on the connection unwrap() gave it.
        conn.addBlockedListener(reason -> LOG.warn("RabbitMQ blocked the consuming connection '{}': {}; something published on it, "
                + "so acknowledgements stall until it unblocks", name(conn), reason), () -> LOG.info("RabbitMQ unblocked connection '{}'", name(conn)));
        if (!conn.isOpen()) {
            onConnectionShutdown(conn, conn.getCloseReason());
        }
    }

    /** The node address a connection went to, as host:port. */
    private static String peer(Connection conn) {
        return conn.getAddress().getHostAddress() + ":" + conn.getPort();
    }

    private static String name(Connection conn) {
        return conn.getClientProvidedName();
    }

    private void onConnectionShutdown(Connection conn, ShutdownSignalException sig) {
        boolean publishing;
        boolean first;
        synchronized (connectionLock) {
            if (closing) {
                return;
            }
            if (conn == pub) {
                pub = null;
                publishing = true;
            } else if (conn == sub) {
                sub = null;
                publishing = false;
            } else {
                return;
            }
            first = !recovering;
            recovering = true;
        }
        lastError = describe(sig);
        LOG.warn("connection '{}' to RabbitMQ at {} lost: {}; reconnecting every {}", name(conn), settings.addressList(),
                lastError, settings.recoveryInterval);
        if (publishing) {
            publisher.connectionLost(sig);
        }
        if (first) {
            events.lost(sig);
            try {
                recoveryThread.execute(this::recover);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                LOG.debug("recovery not started: transport closing");
            }
        }
    }

    /**
     * Reconnects whichever connection is down until both are up and every subscription is
     * re-established on the consuming one, then reports {@code recovered}. Runs on the single
     * recovery thread, once per loss: a connection lost again meanwhile is picked up by the same run.
     */
    private void recover() {
        boolean consumingReplaced = false;
        while (!closing) {
            try {
                Thread.sleep(settings.recoveryInterval.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            try {
                if (!isOpen(pub)) {
                    installPublishing(newConnection(PUB));
                }
                if (!isOpen(sub)) {
                    installConsuming(newConnection(SUB));
                    consumingReplaced = true;
                }
            } catch (IOException | TimeoutException | RuntimeException e) {
                lastError = describe(e);
                LOG.debug("reconnection to RabbitMQ at {} failed: {}", settings.addressList(), lastError);
                continue;
            }
            Connection conn = sub;
            RabbitMqConsumerChannels pool = consumerChannels;
            boolean allEstablished = true;
            if (consumingReplaced) {
                allEstablished = reestablishAll(pool);
            }
            // A broker closing several connections (close_all_connections, a node shutting down)
            // closes them one after another, seconds apart when one carries thousands of
            // consumers: a round trip on each shows whether the one not replaced is going too,
            // before RECOVERED tells the application that everything works again.
            if (!allEstablished || !answers(pub) || !answers(sub)) {
                continue;
            }
            synchronized (connectionLock) {
                if (!isOpen(pub) || !isOpen(sub)) {
                    continue;
                }
                recovering = false;
            }
            boolean gap = consumingReplaced && subscriptions.stream().anyMatch(s -> !s.isDurable());
            recoveries.incrementAndGet();
            LOG.info("connections '{}{}' and '{}{}' to RabbitMQ at {} recovered; {} subscription(s) re-established", connectionName, PUB,
                    connectionName, SUB, settings.addressList(), consumingReplaced ? subscriptions.size() : 0);
            events.recovered(gap);
            return;
        }
    }

    /**
     * Re-establishes every subscription on a new consuming connection, up to
     * {@link #RECOVERY_PARALLELISM} at once: each needs a few round trips, and the broker serves
     * channels in parallel, so thousands of subscriptions come back in a fraction of the time one
     * after another would take. Returns false if the connection was lost meanwhile.
     */
    private boolean reestablishAll(RabbitMqConsumerChannels pool) {
        List<RabbitMqSubscription> all = new ArrayList<>(subscriptions);
        if (all.isEmpty()) {
            return true;
        }
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        Runnable worker = () -> {
            for (int i = next.getAndIncrement(); i < all.size() && pool.connection().isOpen() && !closing; i = next.getAndIncrement()) {
                RabbitMqSubscription s = all.get(i);
                try {
                    s.establish(pool);
                } catch (IOException | RuntimeException e) {
                    if (pool.connection().isOpen()) {
                        LOG.error("could not re-establish subscription {} after reconnecting: {}; trying again every {}",
                                s, describe(e), settings.recoveryInterval, e);
                        reestablishLater(s);
                    }
                }
            }
        };
        int helpers = Math.min(RECOVERY_PARALLELISM, all.size()) - 1;
        List<CompletableFuture<Void>> running = new ArrayList<>(helpers);
        for (int i = 0; i < helpers; i++) {
            running.add(CompletableFuture.runAsync(worker, deliveryThreads));
        }
        worker.run();
        for (CompletableFuture<Void> f : running) {
            // Each establish is bounded by its round trips' RPC timeout, and workers stop taking
            // more once the connection is gone: this join is bounded too.
            f.join();
        }
        return pool.connection().isOpen();
    }

    /** Whether the connection is open and answers a round trip (a channel opened and closed), within the RPC timeout. */
    private static boolean answers(Connection c) {
        if (!isOpen(c)) {
            return false;
        }
        try {
            Channel ch = c.createChannel();
            if (ch != null) {
                ch.close();
            }
            return c.isOpen();
        } catch (IOException | TimeoutException | RuntimeException e) {
            return false;
        }
    }

    private static boolean isOpen(Connection c) {
        return c != null && c.isOpen();
    }

    /** The open consuming connection. @throws ConnectionException when it is down */
    Connection consumingConnectionOrThrow() {
        Connection c = sub;
        if (!isOpen(c)) {
            throw new ConnectionException(notConnected(), null);
        }
        return c;
    }

    /** The connection publishes go on, or {@code null}. */
    Connection publishingConnection() {
        return pub;
    }

    /** The open publishing connection. @throws ConnectionException when it is down */
    Connection publishingConnectionOrThrow() {
        Connection c = pub;
        if (!isOpen(c)) {
            throw new ConnectionException(notConnected(), null);
        }
        return c;
    }

    /** Why there is no connection, for messages. */
    String notConnected() {
        return "not connected to RabbitMQ at " + settings.addressList() + " (reconnecting every " + settings.recoveryInterval
                + "; last error: " + lastError + ")";
    }

    /** Re-establishes a subscription whose channel alone was closed by the broker, after the recovery interval. */
    void reestablishLater(RabbitMqSubscription s) {
        try {
            context.scheduler().schedule(() -> recoveryThread.execute(() -> {
                Connection c = sub;
                RabbitMqConsumerChannels pool = consumerChannels;
                if (closing || !isOpen(c) || pool.connection() != c) {
                    return;
                }
                try {
                    s.establish(pool);
                } catch (IOException | RuntimeException e) {
                    LOG.warn("could not re-establish subscription {}: {}; trying again", s, describe(e));
                    reestablishLater(s);
                }
            }), settings.recoveryInterval.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("not re-establishing {}: closing", s);
        }
    }

    /**
     * Publishes with a confirm. Never waits for the broker: blocks only while the confirm window
     * is full, at most the confirm timeout. Fails at once, retryably, while disconnected or while
     * the broker blocks publishers (a memory or disk alarm); the stage completes within the
     * confirm timeout in every case.
     */
    @Override
    public CompletionStage<Void> publish(String channel, Message message) {
        String exchange = topology.channelExchange(channel);
        AMQP.BasicProperties props = properties(message, settings.persistent ? 2 : 1);
        return publisher.publish(exchange, channel, props, Payloads.view(message), channel, message.id(), channelExchangeNeeded(channel), true);
    }

    private static final Integer TRANSIENT = 1;
    private static final Integer PERSISTENT = 2;

    /**
     * The AMQP properties of a publish. Built straight through the properties constructor (what
     * the builder's build() calls) rather than a builder per publish; a shared template would
     * save nothing more, since the id and timestamp differ on every message and amqp-client
     * encodes the properties on every publish anyway.
     */
    private static AMQP.BasicProperties properties(Message message, int deliveryMode) {
        // The millisecond timestamp needs a header only when the id does not carry it (a default id
        // does): a headers table costs the broker a decode on every publish.
        long millis = message.timestamp().toEpochMilli();
        boolean timeInId = UuidTime.millis(message.id()) == millis;
        Map<String, String> userHeaders = message.headers();
        Map<String, Object> headers = null;
        String replyTo = null;
        String correlation = null;
        if (!timeInId || !userHeaders.isEmpty()) {
            headers = new HashMap<>(userHeaders.size() + 2);
            headers.putAll(userHeaders);
            if (!timeInId) {
                headers.put(TIMESTAMP_HEADER, millis);
            }
            // Also as the AMQP properties, for RPC clients of other languages; they are short strings.
            replyTo = shortString(userHeaders.get(RabbitMqInbound.REPLY_TO_HEADER));
            correlation = shortString(userHeaders.get(RabbitMqInbound.CORRELATION_ID_HEADER));
        }
        return new AMQP.BasicProperties(message.contentType(), null, headers, deliveryMode == 2 ? PERSISTENT : TRANSIENT, null,
                correlation, replyTo, null, message.id(), new Date(millis), null, null, null, null);
    }

    /** The value if an AMQP short string (at most 255 UTF-8 bytes) holds it, else {@code null}. */
    private static String shortString(String v) {
        return v != null && v.getBytes(StandardCharsets.UTF_8).length <= 255 ? v : null;
    }

    /** Publishes on behalf of a delivery (retry or dead letter), without taking a window permit. */
    CompletableFuture<Void> republish(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body, String channel,
            String messageId, RabbitMqPublisher.Requirement need) {
        return publisher.publish(exchange, routingKey, props, body, channel, messageId, need, false);
    }

    /**
     * The channel's fanout exchange (bound to the topic exchange), declared once per connection
     * before the first publish to it so that no publish goes to a missing exchange (which would
     * close the channel); {@code null} when already declared.
     */
    RabbitMqPublisher.Requirement channelExchangeNeeded(String channel) {
        if (declaredExchanges.contains(channel)) {
            return null;
        }
        return new RabbitMqPublisher.Requirement() {
            @Override
            public boolean met() {
                return declaredExchanges.contains(channel);
            }

            @Override
            public void declare(Channel admin) throws IOException {
                declareChannelExchange(admin, channel);
            }

            @Override
            public String describe() {
                return "exchange '" + topology.channelExchange(channel) + "'";
            }
        };
    }

    /**
     * Forgets which exchanges and delay queues exist, after the broker closed a channel (for
     * example a publish to an exchange someone deleted), so that they are declared again.
     */
    void forgetDeclarations() {
        declaredExchanges.clear();
        declaredRetryQueues.clear();
    }

    /**
     * Declares the channel exchange on the given channel and records it; binds it to the topic
     * exchange unless pattern subscriptions are switched off.
     */
    void declareChannelExchange(Channel ch, String channel) throws IOException {
        if (declaredExchanges.contains(channel)) {
            return;
        }
        String exchange = topology.channelExchange(channel);
        ch.exchangeDeclare(exchange, BuiltinExchangeType.FANOUT, true, false, null);
        if (settings.patterns) {
            declareTopicExchange(ch);
            ch.exchangeBind(topology.topicExchange(), exchange, "");
        }
        declaredExchanges.add(channel);
    }

    void declareTopicExchange(Channel ch) throws IOException {
        if (declaredExchanges.contains("#topic")) {
            return;
        }
        ch.exchangeDeclare(topology.topicExchange(), BuiltinExchangeType.TOPIC, true, false, null);
        declaredExchanges.add("#topic");
    }

    /**
     * The delay queue {@code name} for retries of one subscription queue, re-declared before its
     * lease (x-expires) runs out (publishing does not renew the lease, declaring does);
     * {@code null} while a declaration is recent enough.
     */
    RabbitMqPublisher.Requirement retryQueueNeeded(String name, String subscriptionQueue, boolean durable, long delayMillis) {
        long expires = 2 * delayMillis + 60_000;
        long fresh = TimeUnit.MILLISECONDS.toNanos(expires / 2);
        Long at = declaredRetryQueues.get(name);
        if (at != null && System.nanoTime() - at < fresh) {
            return null;
        }
        return new RabbitMqPublisher.Requirement() {
            @Override
            public boolean met() {
                Long declaredAt = declaredRetryQueues.get(name);
                return declaredAt != null && System.nanoTime() - declaredAt < fresh;
            }

            @Override
            public void declare(Channel admin) throws IOException {
                Map<String, Object> args = new HashMap<>();
                args.put("x-message-ttl", delayMillis);
                args.put("x-expires", expires);
                args.put("x-dead-letter-exchange", "");
                args.put("x-dead-letter-routing-key", subscriptionQueue);
                long now = System.nanoTime();
                admin.queueDeclare(name, durable, false, false, args);
                declaredRetryQueues.put(name, now);
            }

            @Override
            public String describe() {
                return "delay queue '" + name + "'";
            }
        };
    }

    @Override
    public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
        return subscribe(request, listener, null);
    }

    /**
     * A per-instance channel would leave a durable exchange {@code P.ch.switchboard.reply.<hex>}
     * behind for every instance that ever made a request: the inbox is an exclusive queue
     * {@code P.reply.<hex>} instead, reached through the default exchange.
     */
    @Override
    public String replyAddress(String inbox) {
        return topology.replyQueue(inbox);
    }

    @Override
    public TransportSubscription subscribeReplies(SubscriptionRequest request, DeliveryListener listener) {
        return subscribe(request, listener, topology.replyQueue(request.channelOrPattern()));
    }

    /**
     * Publishes to the default exchange with the address as routing key, with a confirm, as
     * {@link #publish} does. Only reply inboxes of this prefix ({@code P.reply.*}) and direct
     * reply-to names ({@code amq.rabbitmq.reply-to…}, for AMQP clients that use them) are
     * addresses: anything else could name any queue of the virtual host.
     */
    @Override
    public CompletionStage<Void> publishReply(String address, Message reply) {
        if (!topology.isReplyQueue(address) && !address.startsWith(DIRECT_REPLY_TO)) {
            throw new IllegalArgumentException("'" + address + "' is neither a reply queue of this transport ("
                    + topology.replyQueue("x.") + "<hex>) nor a direct reply-to name (" + DIRECT_REPLY_TO + "...)");
        }
        return publisher.publish("", address, properties(reply, 1), Payloads.view(reply), address, reply.id(), null, true);
    }

    private TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener, String replyQueue) {
        if (closing) {
            throw new IllegalStateException("transport is closed");
        }
        int prefetch = settings.prefetch != null ? settings.prefetch : Math.min(65535, request.maxUnacknowledged());
        RabbitMqSubscription s = new RabbitMqSubscription(this, request, listener, prefetch, replyQueue);
        subscriptions.add(s);
        Connection c;
        RabbitMqConsumerChannels pool;
        synchronized (connectionLock) {
            c = sub;
            pool = consumerChannels;
        }
        if (!isOpen(c)) {
            LOG.info("subscription {} registered while RabbitMQ is unreachable; it starts when the connection is back", s);
            return s;
        }
        try {
            s.establish(pool);
        } catch (IOException | RuntimeException e) {
            if (!c.isOpen() || recovering) {
                LOG.info("subscription {} will start when the connection to RabbitMQ is back: {}", s, describe(e));
                return s;
            }
            subscriptions.remove(s);
            s.abandon();
            ShutdownSignalException sig = shutdownCause(e);
            if (sig != null && sig.getReason() instanceof AMQP.Channel.Close) {
                AMQP.Channel.Close close = (AMQP.Channel.Close) sig.getReason();
                if (close.getReplyCode() == AMQP.PRECONDITION_FAILED || close.getReplyCode() == AMQP.ACCESS_REFUSED) {
                    throw new ConfigurationException("RabbitMQ refused subscription " + s + ": " + close.getReplyText()
                            + (close.getReplyCode() == AMQP.PRECONDITION_FAILED
                                    ? " (an existing queue was declared with other arguments, for example another queue type; "
                                            + "delete it or set switchboard.rabbitmq.queue-type to match)"
                                    : " (the user lacks configure/read/write permission on these names)"), e);
                }
            }
            if (e instanceof ConfigurationException) {
                throw (ConfigurationException) e;
            }
            throw e instanceof ConnectionException ? (ConnectionException) e
                    : new ConnectionException("could not start subscription " + s + ": " + describe(e), e);
        }
        if (closing) {
            s.close();
        }
        return s;
    }

    void removed(RabbitMqSubscription s) {
        subscriptions.remove(s);
    }

    /**
     * Ends this instance's subscriptions of that name, then deletes their queue, refusing while
     * other instances consume it. Deleting a queue under an open subscription only makes it
     * declare the queue again when the broker cancels its consumer, and that queue then collects
     * messages nobody reads once the subscription closes: so the local ones end first, and for
     * the others the broker's {@code if-unused} makes the check and the delete one step (quorum
     * queues have no {@code if-unused}: for them a second check comes just before the delete, and
     * each check waits up to {@link #QUORUM_CONSUMER_SETTLE_MILLIS} for cancels to be counted).
     *
     * @throws IllegalStateException if other instances consume the queue (nothing is ended then,
     *     unless one subscribed between the check and the delete)
     * @throws ConnectionException if the broker cannot be reached
     */
    @Override
    public boolean deleteDurable(String name) {
        String queue = topology.subscriptionQueue(name);
        List<RabbitMqSubscription> local = subscriptions.stream().filter(s -> name.equals(s.request.durableName())).collect(Collectors.toList());
        Channel ch = null;
        RabbitMqConsumerChannels pool = null;
        try {
            Connection c = consumingConnectionOrThrow();
            pool = consumerChannels;
            if (pool.connection() != c) {
                throw new ConnectionException(notConnected(), null);
            }
            ch = pool.borrowAdmin("deleteDurable('" + name + "')");
            int consumers;
            try {
                consumers = ch.queueDeclarePassive(queue).getConsumerCount();
            } catch (IOException e) {
                if (replyCode(e) == AMQP.NOT_FOUND) {
                    local.forEach(RabbitMqSubscription::close);
                    return false;
                }
                throw e;
            }
            long ours = local.stream().filter(RabbitMqSubscription::isConsuming).count();
            if (consumers > ours && settings.quorum) {
                consumers = settledConsumerCount(ch, queue, ours, consumers);
            }
            if (consumers > ours) {
                throw inUse(name, queue, consumers - ours, null);
            }
            for (RabbitMqSubscription s : local) {
                LOG.warn("deleteDurable('{}') ends subscription {} of this instance: it receives nothing more", name, s);
                s.close();
            }
            awaitCancels(queue);
            try {
                if (settings.quorum) {
                    // Quorum queues refuse if-unused (540 NOT_IMPLEMENTED, which closes the whole
                    // connection): check the consumers once more, then delete. A consumer that
                    // subscribes elsewhere between the two loses its queue (the broker cancels it).
                    int left = settledConsumerCount(ch, queue, 0, ch.queueDeclarePassive(queue).getConsumerCount());
                    if (left > 0) {
                        throw inUse(name, queue, left, null);
                    }
                    ch.queueDelete(queue, false, false);
                } else {
                    ch.queueDelete(queue, true, false);
                }
            } catch (IOException e) {
                if (replyCode(e) == AMQP.PRECONDITION_FAILED) {
                    throw inUse(name, queue, 1, e);
                }
                throw e;
            }
            return true;
        } catch (IOException | ShutdownSignalException e) {
            throw new ConnectionException("could not delete durable subscription '" + name + "' (queue " + queue + "): " + describe(e), e);
        } finally {
            if (ch != null) {
                pool.giveBack(ch);
            }
        }
    }

    /**
     * A quorum queue counts a cancelled consumer until its Raft log has applied the cancel, a
     * little after the broker answered it: asks again, every 50 ms for at most
     * {@link #QUORUM_CONSUMER_SETTLE_MILLIS}, until the count is down to {@code expected}.
     */
    private static int settledConsumerCount(Channel ch, String queue, long expected, int count) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(QUORUM_CONSUMER_SETTLE_MILLIS);
        while (count > expected && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            count = ch.queueDeclarePassive(queue).getConsumerCount();
        }
        return count;
    }

    private static IllegalStateException inUse(String name, String queue, long elsewhere, Exception cause) {
        return new IllegalStateException("durable subscription '" + name + "' (queue " + queue + ") is in use by " + elsewhere
                + " consumer(s) of other instances; close the subscriptions of that name there before deleteDurable('" + name + "')", cause);
    }

    /** Waits, within the RPC timeout, for this instance's own cancels of consumers of {@code queue} that the broker has not answered. */
    private void awaitCancels(String queue) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(factory.getChannelRpcTimeout());
        for (RabbitMqSubscription.Link l : cancelling) {
            if (!l.queue.equals(queue)) {
                continue;
            }
            try {
                l.consumerGone.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
                LOG.debug("a cancel of a consumer of {} is still unanswered: {}", queue, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static int replyCode(Throwable e) {
        ShutdownSignalException sig = shutdownCause(e);
        return sig != null && sig.getReason() instanceof AMQP.Channel.Close ? ((AMQP.Channel.Close) sig.getReason()).getReplyCode() : -1;
    }

    @Override
    public Health health() {
        Connection p = pub;
        Connection c = sub;
        boolean up = isOpen(p) && isOpen(c);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("connected", up);
        d.put("publishingConnection", connectionName + PUB + (isOpen(p) ? " (open, " + peer(p) + ")" : " (down)"));
        d.put("consumingConnection", connectionName + SUB + (isOpen(c) ? " (open, " + peer(c) + ")" : " (down)"));
        d.put("addresses", settings.addressList());
        d.put("virtualHost", settings.virtualHost);
        Connection any = isOpen(c) ? c : p;
        if (isOpen(any)) {
            Object version = any.getServerProperties().get("version");
            d.put("serverVersion", version == null ? "unknown" : version.toString());
        }
        d.put("subscriptions", subscriptions.size());
        RabbitMqConsumerChannels pool = consumerChannels;
        if (isOpen(c) && pool != null && pool.connection() == c) {
            d.putAll(pool.describe());
        }
        d.put("published", publisher.published.get());
        d.put("confirmed", publisher.confirmed.get());
        d.put("nacked", publisher.nacked.get());
        d.put("confirmTimeouts", publisher.timedOut.get());
        d.put("unconfirmedAtConnectionLoss", publisher.failedOnConnectionLoss.get());
        d.put("failedWhileBlocked", publisher.failedWhileBlocked.get());
        d.put("awaitingConfirm", publisher.outstanding());
        d.put("waitingToSend", publisher.waiting());
        d.put("unreadableDeadLettered", unreadableDeadLettered.get());
        d.put("unreadableDelivered", unreadableDelivered.get());
        d.put("recoveries", recoveries.get());
        String blockedReason = publisher.blockedReason();
        if (blockedReason != null) {
            d.put("blocked", blockedReason);
        }
        if (lastError != null) {
            d.put("lastError", lastError);
        }
        return Health.of(closing || !up ? Health.Status.DOWN : blockedReason != null ? Health.Status.DEGRADED : Health.Status.UP, d);
    }

    @Override
    public void close(Duration timeout) {
        synchronized (connectionLock) {
            if (closing) {
                return;
            }
            closing = true;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        for (RabbitMqSubscription s : subscriptions) {
            s.close();
        }
        if (!publisher.awaitConfirms(deadline)) {
            LOG.warn("closing with {} publish(es) still unconfirmed after {}", publisher.outstanding(), timeout);
        }
        if (sweeper != null) {
            sweeper.cancel(false);
        }
        publisher.failRemaining("the transport closed before the broker confirmed it; it may or may not have been delivered");
        // Closed subscriptions send their last acks from the background thread; do it here for
        // any still waiting, or the broker would redeliver messages whose handlers succeeded.
        // Only the acks: closing the connection closes their channels without a round trip each.
        for (RabbitMqSubscription.Link l : closingLinks) {
            l.flushFinalAcks();
        }
        for (RabbitMqSubscription.Link l : cancelling) {
            l.flushFinalAcks();
        }
        recoveryThread.shutdownNow();
        if (!cancelling.isEmpty()) {
            LOG.debug("closing with {} consumer cancel(s) unanswered; closing the connection ends those consumers", cancelling.size());
        }
        cancelThreads.shutdownNow();
        for (Connection c : new Connection[] {sub, pub}) {
            if (isOpen(c)) {
                try {
                    // Waits for the broker's close-ok within what is left of the timeout, then drops the socket.
                    c.close((int) Math.max(100, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
                } catch (IOException | ShutdownSignalException e) {
                    LOG.debug("closing RabbitMQ connection '{}': {}", name(c), e.toString());
                }
            }
        }
    }

    /** Runs a short task on the shared scheduler after a delay. */
    void later(Runnable task, long millis) {
        try {
            context.scheduler().schedule(task, millis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("timed task skipped: closing");
        }
    }

    /** Closes a subscription's channel (after its final acks) on the background thread, or at the latest in {@link #close}. */
    void closeLater(RabbitMqSubscription.Link link) {
        closingLinks.add(link);
        background(link::closeNow);
    }

    /** The link's channel is closed: nothing left for {@link #close} to do for it. */
    void closed(RabbitMqSubscription.Link link) {
        closingLinks.remove(link);
    }

    /** Runs a short blocking task off the caller's thread (which may be the connection's I/O thread). */
    void background(Runnable task) {
        try {
            recoveryThread.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("background task skipped: closing");
        }
    }

    /**
     * Waits, up to {@link #CANCEL_WAIT_MILLIS}, for the broker to answer a closed subscription's
     * cancel, so that nothing published after {@code close()} is offered to it; does not wait
     * while an earlier cancel went unanswered and the broker has said nothing since (a frozen
     * broker must not hold up every close in turn).
     */
    void awaitConsumerGone(CompletableFuture<Void> gone, RabbitMqSubscription s) {
        if (gone.isDone() || cancelsUnanswered) {
            return;
        }
        try {
            gone.get(CANCEL_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            cancelsUnanswered = true;
            LOG.warn("RabbitMQ did not answer the cancel of subscription {} within {} ms; closing without waiting for it (until the "
                    + "broker answers, it may still offer the consumer messages, which go back to the queue)", s, CANCEL_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            LOG.debug("cancel of {}: {}", s, e.toString());
        }
    }

    /** A consumer's cancel is on its way. */
    void cancelling(RabbitMqSubscription.Link link) {
        cancelling.add(link);
        link.consumerGone.whenComplete((ok, e) -> cancelling.remove(link));
    }

    /** The broker answered a cancel: it is responsive again. */
    void cancelAnswered() {
        cancelsUnanswered = false;
    }

    /**
     * Where consumers' cancels are sent: each waits for its cancel-ok, at most
     * {@link #CANCEL_THREADS} at once, so that closing thousands of subscriptions together takes
     * neither one round trip each in turn nor a thread each.
     */
    java.util.concurrent.Executor cancelExecutor() {
        return cancelThreads;
    }

    /** Where work triggered by a broker reply runs, off the connection's I/O thread. */
    java.util.concurrent.Executor settlementExecutor() {
        return deliveryThreads;
    }

    boolean isClosing() {
        return closing;
    }

    /**
     * {@link RabbitMqConnections} gives both connections; {@link Connection} gives the consuming
     * one, which a memory alarm does not block (do not publish on it, or it would be).
     */
    @Override
    public <T> T unwrap(Class<T> type) {
        if (type == RabbitMqConnections.class) {
            return type.cast(connections);
        }
        if (type.isAssignableFrom(Connection.class)) {
            return type.cast(consumingConnectionOrThrow());
        }
        throw new IllegalArgumentException("the rabbitmq transport offers " + RabbitMqConnections.class.getName() + " (both connections) and "
                + Connection.class.getName() + " (the consuming one; each replaced after a reconnect), not " + type.getName());
    }

    @Override
    public String toString() {
        return "RabbitMqTransport[" + settings.describe() + "]";
    }

    static String describe(Throwable t) {
        if (t == null) {
            return "unknown cause";
        }
        ShutdownSignalException sig = shutdownCause(t);
        if (sig != null && sig.getReason() instanceof AMQP.Connection.Close) {
            AMQP.Connection.Close c = (AMQP.Connection.Close) sig.getReason();
            return "connection closed by the broker: " + c.getReplyCode() + " " + c.getReplyText();
        }
        if (sig != null && sig.getReason() instanceof AMQP.Channel.Close) {
            AMQP.Channel.Close c = (AMQP.Channel.Close) sig.getReason();
            return "channel closed by the broker: " + c.getReplyCode() + " " + c.getReplyText();
        }
        Throwable root = t;
        while (root.getCause() != null && root.getMessage() == null) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() != null ? ": " + root.getMessage() : "");
    }
}
