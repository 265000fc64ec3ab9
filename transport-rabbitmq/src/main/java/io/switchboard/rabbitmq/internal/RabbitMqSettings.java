package io.switchboard.rabbitmq.internal;

import com.rabbitmq.client.Address;
import io.switchboard.ConfigurationException;
import io.switchboard.rabbitmq.RabbitMqTransportProvider;
import io.switchboard.spi.Config;
import io.switchboard.spi.Masking;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The parsed, checked settings of one transport. Immutable. {@link #toString()} never shows the
 * password.
 */
public final class RabbitMqSettings {
    final List<Address> addresses;
    final boolean shuffleAddresses;
    final boolean tls;
    final boolean verifyHostname;
    final String username;
    final String password;
    final String virtualHost;
    final Duration connectionTimeout;
    final Duration heartbeat;
    final Duration recoveryInterval;
    final Duration confirmTimeout;
    final int confirmWindow;
    final boolean persistent;
    final boolean patterns;
    final boolean quorum;
    final Integer deliveryLimit;
    final Integer prefetch;
    final int dedicatedChannels;
    final int consumersPerChannel;
    final String connectionName;
    final Topology topology;

    private RabbitMqSettings(Config c, List<String> problems) {
        String uriText = c.get(RabbitMqTransportProvider.URI);
        String user = "guest";
        String pass = "guest";
        String vhost = "/";
        boolean secure = false;
        List<Address> parsed = new ArrayList<>();
        try {
            URI uri = new URI(uriText);
            String scheme = uri.getScheme();
            if ("amqps".equalsIgnoreCase(scheme)) {
                secure = true;
            } else if (!"amqp".equalsIgnoreCase(scheme)) {
                problems.add(key(RabbitMqTransportProvider.URI) + " must start with amqp:// or amqps://, got scheme '" + scheme
                        + "'; for example amqp://user:pass@127.0.0.1:5672/%2F");
            }
            if (uri.getHost() == null) {
                problems.add(key(RabbitMqTransportProvider.URI) + " has no host; for example amqp://user:pass@127.0.0.1:5672/%2F");
            } else {
                parsed.add(new Address(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : secure ? 5671 : 5672));
            }
            String userInfo = uri.getRawUserInfo();
            if (userInfo != null) {
                int colon = userInfo.indexOf(':');
                user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
                pass = colon < 0 ? "" : decode(userInfo.substring(colon + 1));
            }
            String path = uri.getRawPath();
            if (path != null && path.length() > 1) {
                vhost = decode(path.substring(1));
            }
        } catch (URISyntaxException | IllegalArgumentException e) {
            problems.add(key(RabbitMqTransportProvider.URI) + " is not a valid URI (" + e.getClass().getSimpleName()
                    + "); use amqp://user:pass@host:port/vhost with reserved characters %-encoded");
        }
        List<String> list = c.get(RabbitMqTransportProvider.ADDRESSES);
        String addressUserInfo = null;
        if (!list.isEmpty()) {
            parsed.clear();
            for (String a : list) {
                // user:pass@host:port is accepted (and the login used), but never printed as written.
                int at = a.lastIndexOf('@');
                String hostPort = a.substring(at + 1);
                if (at >= 0) {
                    String userInfo = a.substring(0, at);
                    if (addressUserInfo != null && !addressUserInfo.equals(userInfo)) {
                        problems.add(key(RabbitMqTransportProvider.ADDRESSES) + " entries carry different logins ('" + maskUserInfo(a)
                                + "' and another); the client logs in to every node with one: write it once, in "
                                + key(RabbitMqTransportProvider.USERNAME) + " / " + key(RabbitMqTransportProvider.PASSWORD));
                    }
                    addressUserInfo = userInfo;
                }
                int colon = hostPort.lastIndexOf(':');
                try {
                    int port = colon < 0 ? (secure ? 5671 : 5672) : Integer.parseInt(hostPort.substring(colon + 1));
                    String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
                    if (host.isEmpty() || port < 1 || port > 65535) {
                        throw new NumberFormatException();
                    }
                    parsed.add(new Address(host, port));
                } catch (NumberFormatException e) {
                    problems.add(key(RabbitMqTransportProvider.ADDRESSES) + " entry '" + maskUserInfo(a)
                            + "' is not [user:password@]host:port with a port from 1 to 65535");
                }
            }
        }
        if (addressUserInfo != null) {
            int colon = addressUserInfo.indexOf(':');
            user = colon < 0 ? addressUserInfo : addressUserInfo.substring(0, colon);
            pass = colon < 0 ? pass : addressUserInfo.substring(colon + 1);
        }
        this.addresses = List.copyOf(parsed);
        this.shuffleAddresses = "shuffle".equals(c.get(RabbitMqTransportProvider.ADDRESS_ORDER));
        this.tls = secure;
        this.verifyHostname = c.get(RabbitMqTransportProvider.TLS_VERIFY_HOSTNAME);
        this.username = c.get(RabbitMqTransportProvider.USERNAME) != null ? c.get(RabbitMqTransportProvider.USERNAME) : user;
        this.password = c.get(RabbitMqTransportProvider.PASSWORD) != null ? c.get(RabbitMqTransportProvider.PASSWORD) : pass;
        this.virtualHost = c.get(RabbitMqTransportProvider.VIRTUAL_HOST) != null ? c.get(RabbitMqTransportProvider.VIRTUAL_HOST) : vhost;
        this.connectionTimeout = positive(c, RabbitMqTransportProvider.CONNECTION_TIMEOUT, problems);
        this.heartbeat = c.get(RabbitMqTransportProvider.HEARTBEAT);
        this.recoveryInterval = positive(c, RabbitMqTransportProvider.RECOVERY_INTERVAL, problems);
        this.confirmTimeout = positive(c, RabbitMqTransportProvider.CONFIRM_TIMEOUT, problems);
        this.confirmWindow = c.get(RabbitMqTransportProvider.CONFIRM_WINDOW);
        if (confirmWindow < 1) {
            problems.add(key(RabbitMqTransportProvider.CONFIRM_WINDOW) + " must be at least 1, got " + confirmWindow);
        }
        this.persistent = c.get(RabbitMqTransportProvider.PERSISTENT);
        this.patterns = c.get(RabbitMqTransportProvider.PATTERN_SUBSCRIPTIONS);
        this.quorum = "quorum".equals(c.get(RabbitMqTransportProvider.QUEUE_TYPE));
        this.deliveryLimit = c.get(RabbitMqTransportProvider.DELIVERY_LIMIT);
        if (deliveryLimit != null && !quorum) {
            problems.add(key(RabbitMqTransportProvider.DELIVERY_LIMIT) + " is set but " + key(RabbitMqTransportProvider.QUEUE_TYPE)
                    + " is not 'quorum': only quorum queues count deliveries; set queue-type=quorum or remove the delivery limit");
        } else if (deliveryLimit != null && deliveryLimit < 0) {
            problems.add(key(RabbitMqTransportProvider.DELIVERY_LIMIT) + " must be 0 or more, got " + deliveryLimit);
        }
        this.prefetch = c.get(RabbitMqTransportProvider.PREFETCH);
        if (prefetch != null && (prefetch < 1 || prefetch > 65535)) {
            problems.add(key(RabbitMqTransportProvider.PREFETCH) + " must be from 1 to 65535, got " + prefetch);
        }
        this.dedicatedChannels = c.get(RabbitMqTransportProvider.DEDICATED_CHANNELS);
        if (dedicatedChannels < 0 || dedicatedChannels > 65535) {
            problems.add(key(RabbitMqTransportProvider.DEDICATED_CHANNELS) + " must be from 0 to 65535, got " + dedicatedChannels);
        }
        this.consumersPerChannel = c.get(RabbitMqTransportProvider.CONSUMERS_PER_CHANNEL);
        if (consumersPerChannel < 1 || consumersPerChannel > 10_000) {
            problems.add(key(RabbitMqTransportProvider.CONSUMERS_PER_CHANNEL) + " must be from 1 to 10000, got " + consumersPerChannel);
        }
        this.connectionName = c.get(RabbitMqTransportProvider.CONNECTION_NAME);
        String prefix = c.get(RabbitMqTransportProvider.PREFIX);
        // No '.': every name is PREFIX.KIND.rest, and a dot in the prefix would let two prefixes
        // name one queue ('a' with durable name 'sub.x' and 'a.sub' with 'x' both give a.sub.sub.x).
        if (prefix.isEmpty() || prefix.length() > 50 || !prefix.matches("[A-Za-z0-9_-]+") || prefix.equals("amq")) {
            problems.add(key(RabbitMqTransportProvider.PREFIX) + " is '" + prefix + "'; use 1 to 50 letters, digits, '_' and '-', "
                    + "not 'amq' (names starting with 'amq.' are the broker's)" + (prefix.indexOf('.') >= 0
                            ? "; no '.', since it separates the prefix from the rest of every name (for 'billing.prod' write 'billing-prod')"
                            : ""));
        }
        this.topology = new Topology(prefix);
    }

    /**
     * Parses and checks the configuration.
     *
     * @throws ConfigurationException listing every problem found
     */
    public static RabbitMqSettings from(Config config) {
        List<String> problems = new ArrayList<>();
        RabbitMqSettings s = new RabbitMqSettings(config, problems);
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems, null);
        }
        return s;
    }

    private static Duration positive(Config c, io.switchboard.spi.ConfigKey<Duration> k, List<String> problems) {
        Duration d = c.get(k);
        if (d.isNegative() || d.isZero()) {
            problems.add(key(k) + " must be positive, got " + d);
        }
        return d;
    }

    private static String key(io.switchboard.spi.ConfigKey<?> k) {
        return k.name();
    }

    /**
     * The address with its password masked ({@code user:****@host:port}), as the facade masks
     * every address-like value it prints.
     */
    static String maskUserInfo(String address) {
        return Masking.maskUserInfo(address);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** Where the transport connects, for messages: scheme, user, addresses and vhost, never the password. */
    String describe() {
        return (tls ? "amqps://" : "amqp://") + username + "@" + addressList() + "/" + virtualHost;
    }

    String addressList() {
        StringBuilder sb = new StringBuilder();
        for (Address a : addresses) {
            sb.append(sb.length() == 0 ? "" : ",").append(a.getHost()).append(':').append(a.getPort());
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "RabbitMqSettings[" + describe() + "]";
    }
}
