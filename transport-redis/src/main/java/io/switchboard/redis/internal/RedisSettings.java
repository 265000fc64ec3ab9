package io.switchboard.redis.internal;

import io.switchboard.ConfigurationException;
import io.switchboard.redis.RedisConfigKeys;
import io.switchboard.spi.Config;
import io.switchboard.spi.ProviderContext;
import io.switchboard.spi.ConfigKey;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.SslOptions;

/**
 * The parsed, validated Redis settings. Immutable. {@link #toString()} and {@link #describe()}
 * never show the password.
 */
public final class RedisSettings {
    private static final int DEFAULT_PORT = 6379;

    final String host;
    final int port;
    final String user;
    final String password;
    final int database;
    final boolean tls;
    final Duration connectTimeout;
    final Duration commandTimeout;
    final String channelPrefix;
    final String clientName;
    final int maxInFlight;
    final boolean blockWhenFull;
    final Duration outageWait;
    final Duration minBackoff;
    final Duration maxBackoff;
    final Duration pingInterval;
    final Duration deadAfter;
    final boolean envelope;
    final int cachePoolSize;
    /** The largest message an envelope may carry, as the publishing side checks it. */
    final long maxMessageSize;

    private RedisSettings(Config config, String instanceName, long maxMessageSize, List<String> problems) {
        String uri = config.get(RedisConfigKeys.URI);
        String h = null;
        int p = DEFAULT_PORT;
        String u = null;
        String pw = null;
        int db = 0;
        boolean t = false;
        try {
            // The user info runs to the last '@', as the core's masking reads it: passwords are
            // often not percent-encoded, and a URI parser that stops at the first '@', '/', '#'
            // or '?' would take the rest of the password for host or path, and echo it.
            int schemeEnd = uri.indexOf("://");
            String scheme = schemeEnd < 0 ? null : uri.substring(0, schemeEnd);
            if (!"redis".equals(scheme) && !"rediss".equals(scheme)) {
                problems.add(key(RedisConfigKeys.URI) + " must start with redis:// or rediss:// (TLS)"
                        + (scheme != null && scheme.matches("[A-Za-z][A-Za-z0-9+.-]*") ? ", got scheme '" + scheme + "'" : ""));
            }
            t = "rediss".equals(scheme);
            String rest = schemeEnd < 0 ? uri : uri.substring(schemeEnd + 3);
            int at = rest.lastIndexOf('@');
            String info = at < 0 ? null : rest.substring(0, at);
            URI parsed = new URI("redis://" + rest.substring(at + 1));
            h = parsed.getHost();
            if (h == null || h.isEmpty()) {
                problems.add(key(RedisConfigKeys.URI) + " has no host; expected redis://[user:password@]host:port[/db]");
            }
            if (parsed.getPort() != -1) {
                p = parsed.getPort();
            }
            if (info != null) {
                int colon = info.indexOf(':');
                String rawUser = colon < 0 ? "" : info.substring(0, colon);
                String rawPassword = colon < 0 ? info : info.substring(colon + 1);
                u = rawUser.isEmpty() ? null : percentDecode(rawUser);
                pw = rawPassword.isEmpty() ? null : percentDecode(rawPassword);
            }
            String path = parsed.getPath();
            if (path != null && !path.isEmpty() && !path.equals("/")) {
                try {
                    db = Integer.parseInt(path.substring(1));
                    if (db < 0) {
                        throw new NumberFormatException();
                    }
                } catch (NumberFormatException e) {
                    problems.add(key(RedisConfigKeys.URI) + " has database path '" + path
                            + "'; expected a database number such as /0 or /3");
                }
            }
            if (parsed.getRawQuery() != null || parsed.getRawFragment() != null) {
                problems.add(key(RedisConfigKeys.URI) + " has a query or fragment after the host; expected redis://[user:password@]host:port[/db]");
            }
        } catch (URISyntaxException | IllegalArgumentException e) {
            problems.add(key(RedisConfigKeys.URI) + " is not a valid URI (expected redis://[user:password@]host:port[/db];"
                    + " percent-encode special characters in the password)");
        }
        this.host = h;
        this.port = p;
        this.user = u;
        this.password = pw;
        this.database = db;
        this.tls = t;
        this.connectTimeout = positive(config.get(RedisConfigKeys.CONNECT_TIMEOUT), RedisConfigKeys.CONNECT_TIMEOUT.name(), problems);
        this.commandTimeout = positive(config.get(RedisConfigKeys.COMMAND_TIMEOUT), RedisConfigKeys.COMMAND_TIMEOUT.name(), problems);
        this.channelPrefix = config.get(RedisConfigKeys.CHANNEL_PREFIX);
        if (channelPrefix.chars().anyMatch(c -> c <= ' ' || c == 127)) {
            problems.add(key(RedisConfigKeys.CHANNEL_PREFIX) + " must not contain spaces or control characters");
        }
        String name = config.get(RedisConfigKeys.CLIENT_NAME);
        this.clientName = name != null ? name : "switchboard-" + instanceName;
        if (!clientName.matches("[A-Za-z0-9_.:\\-]{1,64}")) {
            problems.add(key(RedisConfigKeys.CLIENT_NAME) + " is '" + clientName
                    + "'; use 1 to 64 letters, digits, '-', '_', '.' or ':'");
        }
        this.maxInFlight = config.get(RedisConfigKeys.PUBLISH_MAX_IN_FLIGHT);
        if (maxInFlight < 1) {
            problems.add(key(RedisConfigKeys.PUBLISH_MAX_IN_FLIGHT) + " is " + maxInFlight + "; it must be at least 1");
        }
        this.blockWhenFull = "block".equals(config.get(RedisConfigKeys.PUBLISH_WHEN_FULL));
        this.outageWait = config.get(RedisConfigKeys.PUBLISH_OUTAGE_WAIT);
        if (outageWait.isNegative()) {
            problems.add(key(RedisConfigKeys.PUBLISH_OUTAGE_WAIT) + " must not be negative");
        }
        this.minBackoff = positive(config.get(RedisConfigKeys.RECONNECT_MIN_BACKOFF), RedisConfigKeys.RECONNECT_MIN_BACKOFF.name(), problems);
        this.maxBackoff = positive(config.get(RedisConfigKeys.RECONNECT_MAX_BACKOFF), RedisConfigKeys.RECONNECT_MAX_BACKOFF.name(), problems);
        if (minBackoff.compareTo(maxBackoff) > 0) {
            problems.add(key(RedisConfigKeys.RECONNECT_MIN_BACKOFF) + " (" + minBackoff.toMillis() + "ms) is larger than "
                    + key(RedisConfigKeys.RECONNECT_MAX_BACKOFF) + " (" + maxBackoff.toMillis() + "ms)");
        }
        this.pingInterval = positive(config.get(RedisConfigKeys.PING_INTERVAL), RedisConfigKeys.PING_INTERVAL.name(), problems);
        this.deadAfter = positive(config.get(RedisConfigKeys.DEAD_AFTER), RedisConfigKeys.DEAD_AFTER.name(), problems);
        if (deadAfter.compareTo(pingInterval) <= 0) {
            problems.add(key(RedisConfigKeys.DEAD_AFTER) + " (" + deadAfter.toMillis() + "ms) must be longer than "
                    + key(RedisConfigKeys.PING_INTERVAL) + " (" + pingInterval.toMillis() + "ms); twice or three times is typical");
        }
        this.envelope = config.get(RedisConfigKeys.ENVELOPE);
        this.maxMessageSize = maxMessageSize;
        this.cachePoolSize = config.get(RedisConfigKeys.CACHE_POOL_SIZE);
        if (cachePoolSize < 1) {
            problems.add(key(RedisConfigKeys.CACHE_POOL_SIZE) + " is " + cachePoolSize + "; it must be at least 1");
        }
    }

    /**
     * Reads and validates the settings of a provider context.
     *
     * @throws ConfigurationException listing every problem found
     */
    public static RedisSettings from(ProviderContext context) {
        return from(context.config(), context.instanceName(), context.maxMessageSize());
    }

    /**
     * Reads and validates the settings.
     *
     * @param maxMessageSize the core's {@code switchboard.message.max-size}, which foreign envelopes are held to
     * @throws ConfigurationException listing every problem found
     */
    static RedisSettings from(Config config, String instanceName, long maxMessageSize) {
        List<String> problems = new ArrayList<>();
        RedisSettings s = new RedisSettings(config, instanceName, maxMessageSize, problems);
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems, null);
        }
        return s;
    }

    HostAndPort hostAndPort() {
        return new HostAndPort(host, port);
    }

    /** The Jedis client configuration; the socket timeout is the command timeout. */
    JedisClientConfig clientConfig() {
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(millis(connectTimeout))
                .socketTimeoutMillis(millis(commandTimeout))
                .protocol(RedisProtocol.RESP2)
                .database(database)
                .clientName(clientName)
                .clientSetInfoConfig(ClientSetInfoConfig.DISABLED);
        if (tls) {
            b.sslOptions(SslOptions.defaults());
        }
        if (password != null) {
            b.user(user).password(password);
        }
        return b.build();
    }

    /** The server as shown in messages: scheme, user, host, port, database; never the password. */
    public String describe() {
        return (tls ? "rediss://" : "redis://") + (user != null ? user + "@" : "") + host + ":" + port
                + (database != 0 ? "/" + database : "");
    }

    static int millis(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, d.toMillis()));
    }

    private static Duration positive(Duration d, String key, List<String> problems) {
        if (d.isNegative() || d.isZero()) {
            problems.add(key + " must be positive");
            return Duration.ofSeconds(1);
        }
        return d;
    }

    private static String key(ConfigKey<?> k) {
        return k.name();
    }

    private static String percentDecode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < s.length()) {
            int percent = s.indexOf('%', i);
            int end = percent < 0 ? s.length() : percent;
            // Whole runs between escapes, so that a character outside the BMP keeps both halves.
            byte[] run = s.substring(i, end).getBytes(StandardCharsets.UTF_8);
            out.write(run, 0, run.length);
            if (percent < 0) {
                break;
            }
            int high = percent + 2 < s.length() ? Character.digit(s.charAt(percent + 1), 16) : -1;
            int low = high < 0 ? -1 : Character.digit(s.charAt(percent + 2), 16);
            if (low < 0) {
                throw new IllegalArgumentException("a '%' not followed by two hex digits");
            }
            out.write(high * 16 + low);
            i = percent + 3;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "RedisSettings[" + describe() + (password != null ? " (password set)" : "") + ", prefix='" + channelPrefix
                + "', envelope=" + envelope + "]";
    }
}
