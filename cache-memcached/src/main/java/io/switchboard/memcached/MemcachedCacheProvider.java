package io.switchboard.memcached;

import io.switchboard.ConfigurationException;
import io.switchboard.spi.CacheDriver;
import io.switchboard.spi.CacheProvider;
import io.switchboard.spi.Config;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.ProviderContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code memcached} cache provider, on spymemcached. Selected with
 * {@code switchboard.cache=memcached}; its settings are the {@code switchboard.memcached.*} keys
 * listed in {@link #configKeys()} and in {@code docs/memcached.md}.
 *
 * <p>Thread-safe and stateless; {@link #create} connects and may block up to
 * {@code switchboard.memcached.connect-timeout}.
 */
public final class MemcachedCacheProvider implements CacheProvider {
    static final String PREFIX = "switchboard.memcached.";

    /** Servers to spread keys over with Ketama consistent hashing. */
    public static final ConfigKey<List<String>> SERVERS = ConfigKey.list(PREFIX + "servers", List.of("127.0.0.1:11211"),
            "Memcached servers as host:port, comma-separated; keys are spread over them with Ketama consistent hashing. "
                    + "No user info: credentials go in username and password.");
    /** Operation timeout. */
    public static final ConfigKey<Duration> TIMEOUT = ConfigKey.duration(PREFIX + "timeout", Duration.ofSeconds(1),
            "Longest wait for a reply; an operation not answered in time fails with ConnectionException.");
    /** Wait for the first connection. */
    public static final ConfigKey<Duration> CONNECT_TIMEOUT = ConfigKey.duration(PREFIX + "connect-timeout", Duration.ofSeconds(5),
            "How long open() waits for the servers; each must answer a memcached version request (and accept the SASL "
                    + "credentials, if set); it fails if none answers in time, and starts DEGRADED if some do.");
    /** Protocol. */
    public static final ConfigKey<String> PROTOCOL = ConfigKey.oneOf(PREFIX + "protocol", "binary", List.of("binary", "text"),
            "Wire protocol: binary (default: atomic increment with initial value, SASL, and an error reply never costs the "
                    + "connection) or text (an error reply such as incrementing a non-number makes spymemcached reconnect, "
                    + "failing the other operations in flight on that server; no SASL).");
    /** SASL user. */
    public static final ConfigKey<String> USERNAME = ConfigKey.string(PREFIX + "username", null,
            "SASL username (binary protocol; the mechanism is sasl-mechanism); unset for no authentication.");
    /** SASL password. */
    public static final ConfigKey<String> PASSWORD = ConfigKey.secret(PREFIX + "password", null,
            "SASL password; masked in every message.");
    /** SASL mechanism. */
    public static final ConfigKey<String> SASL_MECHANISM = ConfigKey.oneOf(PREFIX + "sasl-mechanism", "plain", List.of("plain", "cram-md5"),
            "SASL mechanism used with username and password: plain (default; the password crosses the network in clear, so "
                    + "keep memcached on a trusted network) or cram-md5 (the server's SASL database must hold the password).");
    /** The server's item size limit. */
    public static final ConfigKey<Long> ITEM_SIZE_MAX = ConfigKey.size(PREFIX + "item-size-max", 1024L * 1024,
            "The servers' item size limit (memcached -I, 1MiB by default); values over it minus 1KiB of item overhead "
                    + "are refused before sending.");
    /** What to do with keys memcached cannot hold. */
    public static final ConfigKey<String> KEY_MODE = ConfigKey.oneOf(PREFIX + "key-mode", "reject", List.of("reject", "hash"),
            "Keys over 250 bytes: reject (default, IllegalArgumentException naming the key) or hash (stored under "
                    + "'sha256:' + hex SHA-256 of the key). Spaces and control characters are refused either way.");
    /** What happens to operations for a server that is down. */
    public static final ConfigKey<String> FAILURE_MODE = ConfigKey.oneOf(PREFIX + "failure-mode", "cancel",
            List.of("cancel", "redistribute", "retry"),
            "Operations for a server that is down: cancel (default: fail at once with ConnectionException), redistribute "
                    + "(send to the next server; stale values may reappear when it returns) or retry (queue until it returns or "
                    + "the timeout passes).");
    /** Reconnect backoff cap. */
    public static final ConfigKey<Duration> RECONNECT_MAX_DELAY = ConfigKey.duration(PREFIX + "reconnect-max-delay",
            Duration.ofSeconds(1), "Longest wait between reconnection attempts to a lost server (whole seconds, at least 1s).");
    /** Timeouts before a connection is dropped. */
    public static final ConfigKey<Integer> TIMEOUT_THRESHOLD = ConfigKey.integer(PREFIX + "timeout-threshold", 10,
            "Consecutive timeouts on one server after which its connection is dropped and re-established "
                    + "(spymemcached's default is about 1000).");
    /** Bound of each server's operation queue. */
    public static final ConfigKey<Integer> QUEUE_SIZE = ConfigKey.integer(PREFIX + "queue-size", 16384,
            "Operations waiting to be written per server and connection; when full, new operations fail at once with ConnectionException.");
    /** Connections per server. */
    public static final ConfigKey<Integer> CONNECTIONS = ConfigKey.integer(PREFIX + "connections", 1,
            "Connections (spymemcached clients, one I/O thread each) per server; keys are spread over them by hash, "
                    + "so operations on one key stay in order.");
    /** Get merging. */
    public static final ConfigKey<Boolean> OPTIMIZE_GETS = ConfigKey.bool(PREFIX + "optimize-gets", true,
            "Let spymemcached merge consecutive gets to one server into one multi-get (text protocol).");
    /** Where results complete. */
    public static final ConfigKey<Boolean> COMPLETE_ON_IO_THREAD = ConfigKey.bool(PREFIX + "complete-on-io-thread", false,
            "Also run callbacks of asynchronous results on spymemcached's I/O thread instead of handing them to the "
                    + "connection's callback thread: saves a thread hop, but a callback that blocks then stalls its connection.");
    /** Socket read buffer. */
    public static final ConfigKey<Long> READ_BUFFER = ConfigKey.size(PREFIX + "read-buffer", 16L * 1024,
            "Read buffer per connection.");

    private static final List<ConfigKey<?>> KEYS = List.of(SERVERS, TIMEOUT, CONNECT_TIMEOUT, PROTOCOL, USERNAME, PASSWORD, SASL_MECHANISM,
            ITEM_SIZE_MAX, KEY_MODE, FAILURE_MODE, RECONNECT_MAX_DELAY, TIMEOUT_THRESHOLD, QUEUE_SIZE, CONNECTIONS,
            OPTIMIZE_GETS, COMPLETE_ON_IO_THREAD, READ_BUFFER);

    /** Creates the provider; it does not connect until {@link #create}. */
    public MemcachedCacheProvider() {
    }

    @Override
    public String name() {
        return "memcached";
    }

    @Override
    public List<ConfigKey<?>> configKeys() {
        return KEYS;
    }

    /**
     * Connects to the configured servers, checking on a connection of its own that each one
     * answers as memcached.
     *
     * @throws ConfigurationException listing every malformed setting, and every server that answers but is not memcached
     * @throws io.switchboard.ConnectionException if no server answers within {@code switchboard.memcached.connect-timeout}
     */
    @Override
    public CacheDriver create(ProviderContext context) {
        return MemcachedCacheDriver.connect(settings(context.config()), context);
    }

    static Settings settings(Config config) {
        List<String> problems = new ArrayList<>();
        List<InetSocketAddress> servers = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (String s : config.get(SERVERS)) {
            if (s.indexOf('@') >= 0) {
                problems.add("'" + SERVERS.name() + "' has '" + maskUserInfo(s) + "', which holds user info; it takes host:port only: "
                        + "put the user in '" + USERNAME.name() + "' and the password in '" + PASSWORD.name() + "' (SASL).");
                continue;
            }
            int colon = s.lastIndexOf(':');
            String host = colon >= 0 ? s.substring(0, colon) : s;
            int port = 11211;
            boolean ok = !host.isEmpty();
            if (colon >= 0) {
                try {
                    port = Integer.parseInt(s.substring(colon + 1));
                    ok &= port > 0 && port < 65536;
                } catch (NumberFormatException e) {
                    ok = false;
                }
            }
            if (!ok) {
                problems.add("'" + SERVERS.name() + "' has '" + maskUserInfo(s) + "', which is not host:port with a port from 1 to 65535.");
            } else if (labels.contains(host + ":" + port)) {
                problems.add("'" + SERVERS.name() + "' lists " + host + ":" + port + " twice; list each server once.");
            } else {
                labels.add(host + ":" + port);
                servers.add(InetSocketAddress.createUnresolved(host, port));
            }
        }
        if (config.get(SERVERS).isEmpty()) {
            problems.add("'" + SERVERS.name() + "' is empty; give at least one host:port.");
        }
        positive(config, TIMEOUT, problems);
        positive(config, CONNECT_TIMEOUT, problems);
        if (config.get(RECONNECT_MAX_DELAY).compareTo(Duration.ofSeconds(1)) < 0) {
            problems.add("'" + RECONNECT_MAX_DELAY.name() + "' is " + config.get(RECONNECT_MAX_DELAY) + " but must be at least 1s.");
        }
        String user = config.get(USERNAME);
        String password = config.get(PASSWORD);
        boolean sasl = user != null && !user.isEmpty();
        boolean binary = "binary".equals(config.get(PROTOCOL));
        if (sasl && !binary) {
            problems.add("'" + USERNAME.name() + "' is set but '" + PROTOCOL.name() + "' is 'text'; SASL needs the binary "
                    + "protocol: set " + PROTOCOL.name() + "=binary (the default).");
        }
        if (sasl && password == null) {
            problems.add("'" + USERNAME.name() + "' is set but '" + PASSWORD.name() + "' is not; set both or neither.");
        }
        if (!sasl && password != null) {
            problems.add("'" + PASSWORD.name() + "' is set but '" + USERNAME.name() + "' is not; set both or neither.");
        }
        if (!sasl && config.isSet(SASL_MECHANISM)) {
            problems.add("'" + SASL_MECHANISM.name() + "' is set but '" + USERNAME.name() + "' is not; it applies only with SASL "
                    + "authentication: set username and password, or unset it.");
        }
        long item = config.get(ITEM_SIZE_MAX);
        if (item < 2048 || item > 1024L * 1024 * 1024) {
            problems.add("'" + ITEM_SIZE_MAX.name() + "' is " + item + " bytes but must be between 2KiB and 1GiB (memcached -I).");
        }
        range(config, TIMEOUT_THRESHOLD, 2, 1_000_000, problems);
        range(config, QUEUE_SIZE, 1, 10_000_000, problems);
        range(config, CONNECTIONS, 1, 16, problems);
        long readBuffer = config.get(READ_BUFFER);
        if (readBuffer < 1024 || readBuffer > 16L * 1024 * 1024) {
            problems.add("'" + READ_BUFFER.name() + "' is " + readBuffer + " bytes but must be between 1KiB and 16MiB.");
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems, null);
        }
        return new Settings(servers, labels, config.get(TIMEOUT), config.get(CONNECT_TIMEOUT), binary, sasl ? user : null,
                sasl ? password : null, config.get(SASL_MECHANISM).toUpperCase(java.util.Locale.ROOT), (int) item, "hash".equals(config.get(KEY_MODE)), config.get(FAILURE_MODE),
                config.get(RECONNECT_MAX_DELAY), config.get(TIMEOUT_THRESHOLD), config.get(QUEUE_SIZE), config.get(CONNECTIONS),
                config.get(OPTIMIZE_GETS), config.get(COMPLETE_ON_IO_THREAD), (int) readBuffer);
    }

    /**
     * An address-like value with any user info ({@code user:password@}, after an optional
     * {@code scheme://}) replaced by {@code ****}, so that a password put in the wrong key is not
     * echoed. Stricter than {@code Masking.maskUserInfo}, which leaves {@code name@host} alone
     * (it cannot tell a password from an e-mail address in free text): a server entry has no
     * reason to hold an {@code @} at all, so everything before it is masked.
     */
    static String maskUserInfo(String value) {
        int at = value.lastIndexOf('@');
        if (at < 0) {
            return value;
        }
        int scheme = value.indexOf("://");
        int start = scheme >= 0 && scheme < at ? scheme + 3 : 0;
        return value.substring(0, start) + "****" + value.substring(at);
    }

    private static void positive(Config config, ConfigKey<Duration> key, List<String> problems) {
        Duration d = config.get(key);
        if (d.isNegative() || d.isZero()) {
            problems.add("'" + key.name() + "' is " + d + " but must be positive.");
        }
    }

    private static void range(Config config, ConfigKey<Integer> key, int min, int max, List<String> problems) {
        int v = config.get(key);
        if (v < min || v > max) {
            problems.add("'" + key.name() + "' is " + v + " but must be between " + min + " and " + max + ".");
        }
    }

    /** Parsed settings; the password never appears in {@link #toString()}. */
    static final class Settings {
        final List<InetSocketAddress> servers;
        final List<String> labels;
        final Duration timeout;
        final Duration connectTimeout;
        final boolean binary;
        final String username;
        final String password;
        /** The SASL mechanism's name as SASL spells it: PLAIN or CRAM-MD5. */
        final String mechanism;
        final int itemSizeMax;
        final boolean hashKeys;
        final String failureMode;
        final Duration reconnectMaxDelay;
        final int timeoutThreshold;
        final int queueSize;
        final int connections;
        final boolean optimizeGets;
        final boolean completeOnIoThread;
        final int readBuffer;

        Settings(List<InetSocketAddress> servers, List<String> labels, Duration timeout, Duration connectTimeout, boolean binary,
                String username, String password, String mechanism, int itemSizeMax, boolean hashKeys, String failureMode, Duration reconnectMaxDelay,
                int timeoutThreshold, int queueSize, int connections, boolean optimizeGets, boolean completeOnIoThread, int readBuffer) {
            this.servers = List.copyOf(servers);
            this.labels = List.copyOf(labels);
            this.timeout = timeout;
            this.connectTimeout = connectTimeout;
            this.binary = binary;
            this.username = username;
            this.password = password;
            this.mechanism = mechanism;
            this.itemSizeMax = itemSizeMax;
            this.hashKeys = hashKeys;
            this.failureMode = failureMode;
            this.reconnectMaxDelay = reconnectMaxDelay;
            this.timeoutThreshold = timeoutThreshold;
            this.queueSize = queueSize;
            this.connections = connections;
            this.optimizeGets = optimizeGets;
            this.completeOnIoThread = completeOnIoThread;
            this.readBuffer = readBuffer;
        }

        @Override
        public String toString() {
            return "memcached " + labels + " (" + (binary ? "binary" : "text") + (username != null ? ", user " + username
                    + ", password ****, " + mechanism : "") + ", timeout " + timeout + ", failure-mode " + failureMode + ")";
        }
    }
}
