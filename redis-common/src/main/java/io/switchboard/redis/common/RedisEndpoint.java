package io.switchboard.redis.common;

import io.switchboard.spi.Config;
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
 * Where and how to connect to Redis, parsed and validated from a provider's
 * {@link RedisConnectionKeys}: host, port, user, password, database, TLS, the timeouts and the
 * client name. Immutable and thread-safe. {@link #toString()} and {@link #describe()} never show
 * the password, and no method returns it.
 *
 * <p>Three topologies ({@link Topology}): one server ({@code redis://}, {@code rediss://}); a
 * Sentinel set-up, {@code redis-sentinel://[user:password@]host:port[,host:port...]/<master-name>[/db]}
 * (the sentinels' addresses, default port 26379; the user and password are the master's, the
 * sentinels are asked without); a Redis Cluster,
 * {@code redis-cluster://[user:password@]host:port[,host:port...]} (seed nodes, default port 6379,
 * no database). {@code rediss-sentinel://} and {@code rediss-cluster://} use TLS.
 */
public final class RedisEndpoint {
    private static final int DEFAULT_PORT = 6379;
    private static final int DEFAULT_SENTINEL_PORT = 26379;
    private static final String FORMS = "redis://[user:password@]host:port[/db], redis-sentinel://[user:password@]host:port[,host:port...]/<master-name>[/db]"
            + " or redis-cluster://[user:password@]host:port[,host:port...] (rediss, rediss-sentinel, rediss-cluster for TLS)";

    /** What the URI names. */
    public enum Topology {
        /** One server: {@code redis://}. */
        SERVER,
        /** The master of a Sentinel set-up, found by asking the sentinels: {@code redis-sentinel://}. */
        SENTINEL,
        /** A Redis Cluster, its topology discovered from seed nodes: {@code redis-cluster://}. */
        CLUSTER
    }

    private final RedisConnectionKeys keys;
    private final String host;
    private final int port;
    private final String user;
    final String password;
    private final int database;
    private final boolean tls;
    private final Duration connectTimeout;
    private final Duration commandTimeout;
    private final String clientName;
    private final Topology topology;
    /** The sentinels, or the cluster's seed nodes; the one server for {@link Topology#SERVER}. */
    private final List<HostAndPort> addresses;
    private final String masterName;
    /** The sentinels' ACL user and password ({@code sentinel.user}, {@code sentinel.password}); null without. */
    private final String sentinelUser;
    private final String sentinelPassword;

    private RedisEndpoint(Config config, RedisConnectionKeys keys, String instanceName, List<String> problems) {
        this.keys = keys;
        String uri = config.get(keys.uri());
        String uriKey = keys.uri().name();
        String h = null;
        int p = DEFAULT_PORT;
        String u = null;
        String pw = null;
        int db = 0;
        boolean t = false;
        Topology top = Topology.SERVER;
        List<HostAndPort> addrs = new ArrayList<>();
        String master = null;
        try {
            // The user info runs to the last '@', as the core's masking reads it: passwords are
            // often not percent-encoded, and a URI parser that stops at the first '@', '/', '#'
            // or '?' would take the rest of the password for host or path, and echo it.
            int schemeEnd = uri.indexOf("://");
            String scheme = schemeEnd < 0 ? null : uri.substring(0, schemeEnd);
            String base = scheme == null ? "" : scheme.replaceFirst("-(sentinel|cluster)$", "");
            if (!"redis".equals(base) && !"rediss".equals(base)) {
                problems.add(uriKey + " must start with redis://, rediss:// (TLS), redis-sentinel:// or redis-cluster://"
                        + (scheme != null && scheme.matches("[A-Za-z][A-Za-z0-9+.-]*") ? ", got scheme '" + scheme + "'" : "")
                        + "; expected " + FORMS);
            }
            t = "rediss".equals(base);
            top = scheme != null && scheme.endsWith("-sentinel") ? Topology.SENTINEL
                    : scheme != null && scheme.endsWith("-cluster") ? Topology.CLUSTER : Topology.SERVER;
            String rest = schemeEnd < 0 ? uri : uri.substring(schemeEnd + 3);
            int at = rest.lastIndexOf('@');
            String info = at < 0 ? null : rest.substring(0, at);
            String hostsAndPath = rest.substring(at + 1);
            if (top != Topology.SERVER) {
                int slash = hostsAndPath.indexOf('/');
                String hosts = slash < 0 ? hostsAndPath : hostsAndPath.substring(0, slash);
                String path = slash < 0 ? "" : hostsAndPath.substring(slash);
                int defaultPort = top == Topology.SENTINEL ? DEFAULT_SENTINEL_PORT : DEFAULT_PORT;
                String what = top == Topology.SENTINEL ? "sentinel" : "cluster seed node";
                for (String hp : hosts.split(",", -1)) {
                    HostAndPort a = address(hp.trim(), defaultPort, uriKey, what, problems);
                    if (a != null) {
                        addrs.add(a);
                    }
                }
                if (top == Topology.SENTINEL) {
                    String[] parts = path.isEmpty() ? new String[0] : path.substring(1).split("/", -1);
                    if (parts.length == 0 || parts[0].isEmpty()) {
                        problems.add(uriKey + " is redis-sentinel:// but names no master; expected"
                                + " redis-sentinel://[user:password@]host:port[,host:port...]/<master-name>[/db]");
                    } else {
                        master = percentDecode(parts[0]);
                    }
                    if (parts.length > 2) {
                        problems.add(uriKey + " has more path after the master name than a database number;"
                                + " expected redis-sentinel://[user:password@]host:port[,host:port...]/<master-name>[/db]");
                    }
                    path = parts.length == 2 ? "/" + parts[1] : "";
                } else if (!path.isEmpty() && !path.equals("/") && !path.equals("/0")) {
                    problems.add(uriKey + " has path '" + path + "', but a Redis Cluster has only database 0;"
                            + " expected redis-cluster://[user:password@]host:port[,host:port...]");
                    path = "";
                }
                HostAndPort first = addrs.isEmpty() ? new HostAndPort("localhost", defaultPort) : addrs.get(0);
                hostsAndPath = (first.getHost().contains(":") ? "[" + first.getHost() + "]" : first.getHost()) + ":" + first.getPort() + path;
            }
            URI parsed = new URI("redis://" + hostsAndPath);
            h = parsed.getHost();
            if (h == null || h.isEmpty()) {
                problems.add(uriKey + " has no host; expected redis://[user:password@]host:port[/db]");
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
                    problems.add(uriKey + " has database path '" + path
                            + "'; expected a database number such as /0 or /3");
                }
            }
            if (parsed.getRawQuery() != null || parsed.getRawFragment() != null) {
                problems.add(uriKey + " has a query or fragment after the host; expected redis://[user:password@]host:port[/db]");
            }
        } catch (URISyntaxException | IllegalArgumentException e) {
            problems.add(uriKey + " is not a valid URI (expected redis://[user:password@]host:port[/db];"
                    + " percent-encode special characters in the password)");
        }
        this.host = h;
        this.port = p;
        this.topology = top;
        if (top == Topology.SERVER && h != null) {
            addrs.add(new HostAndPort(h, p));
        }
        this.addresses = List.copyOf(addrs);
        this.masterName = master;
        this.user = u;
        this.password = pw;
        this.database = db;
        this.tls = t;
        this.connectTimeout = positive(config.get(keys.connectTimeout()), keys.connectTimeout().name(), problems);
        this.commandTimeout = positive(config.get(keys.commandTimeout()), keys.commandTimeout().name(), problems);
        String name = config.get(keys.clientName());
        this.clientName = name != null ? name : "switchboard-" + instanceName;
        if (!clientName.matches("[A-Za-z0-9_.:\\-]{1,64}")) {
            problems.add(keys.clientName().name() + " is '" + clientName
                    + "'; use 1 to 64 letters, digits, '-', '_', '.' or ':'");
        }
        String su = config.get(keys.sentinelUser());
        String spw = config.get(keys.sentinelPassword());
        this.sentinelUser = su == null || su.isEmpty() ? null : su;
        this.sentinelPassword = spw == null || spw.isEmpty() ? null : spw;
        if (top != Topology.SENTINEL && (sentinelUser != null || sentinelPassword != null)) {
            problems.add((sentinelPassword != null ? keys.sentinelPassword() : keys.sentinelUser()).name()
                    + " is set, but " + uriKey + " is not redis-sentinel:// (there are no sentinels to ask)");
        } else if (sentinelUser != null && sentinelPassword == null) {
            problems.add(keys.sentinelUser().name() + " is set without " + keys.sentinelPassword().name()
                    + "; an ACL user needs its password");
        }
    }

    /**
     * Reads the URI, the timeouts, the client name and the sentinels' credentials, adding each problem found to
     * {@code problems} (so that the caller reports them with its own, all at once).
     *
     * @param instanceName the Switchboard instance, for the default client name
     * @return the endpoint; only usable if no problem was added
     */
    public static RedisEndpoint parse(Config config, RedisConnectionKeys keys, String instanceName, List<String> problems) {
        return new RedisEndpoint(config, keys, instanceName, problems);
    }

    /**
     * Reads the channel prefix of {@code keys}, adding a problem if it holds spaces or control
     * characters.
     */
    public static String channelPrefix(Config config, RedisConnectionKeys keys, List<String> problems) {
        String prefix = config.get(keys.channelPrefix());
        if (prefix.chars().anyMatch(c -> c <= ' ' || c == 127)) {
            problems.add(keys.channelPrefix().name() + " must not contain spaces or control characters");
        }
        return prefix;
    }

    /** One {@code host[:port]} of a sentinel or seed list, or null after adding a problem naming it. */
    private static HostAndPort address(String hp, int defaultPort, String uriKey, String what, List<String> problems) {
        if (hp.isEmpty()) {
            problems.add(uriKey + " has an empty " + what + " address (two commas, or a comma at an end)");
            return null;
        }
        try {
            URI u = new URI("redis://" + hp);
            if (u.getHost() == null || u.getRawPath() != null && !u.getRawPath().isEmpty() || u.getRawQuery() != null) {
                throw new URISyntaxException(hp, "not host:port");
            }
            String host = u.getHost().startsWith("[") ? u.getHost().substring(1, u.getHost().length() - 1) : u.getHost();
            return new HostAndPort(host, u.getPort() == -1 ? defaultPort : u.getPort());
        } catch (URISyntaxException e) {
            problems.add(uriKey + " has " + what + " address '" + hp + "', which is not host:port");
            return null;
        }
    }

    /** What the URI names: one server, a Sentinel set-up or a Redis Cluster. */
    public Topology topology() {
        return topology;
    }

    /** The sentinels ({@link Topology#SENTINEL}), the seed nodes ({@link Topology#CLUSTER}) or the one server. */
    public List<HostAndPort> addresses() {
        return addresses;
    }

    /** The master name of a Sentinel set-up; null for the other topologies. */
    public String masterName() {
        return masterName;
    }

    /**
     * The Jedis configuration for connections to sentinels: the timeouts, the client name and
     * the sentinels' own credentials ({@code sentinel.user}, {@code sentinel.password}; without
     * them, no AUTH), never the master's credentials or database.
     */
    public JedisClientConfig sentinelClientConfig() {
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(millis(connectTimeout))
                .socketTimeoutMillis(millis(commandTimeout))
                .protocol(RedisProtocol.RESP2)
                .clientName(clientName)
                .clientSetInfoConfig(ClientSetInfoConfig.DISABLED);
        if (tls) {
            b.sslOptions(SslOptions.defaults());
        }
        if (sentinelPassword != null) {
            b.user(sentinelUser).password(sentinelPassword);
        }
        return b.build();
    }

    /** Whether the sentinels are asked with a password ({@code sentinel.password}, never returned). */
    public boolean hasSentinelPassword() {
        return sentinelPassword != null;
    }

    /** The keys this endpoint was read from, for messages that name the setting to fix. */
    public RedisConnectionKeys keys() {
        return keys;
    }

    /** The host name or address. */
    public String host() {
        return host;
    }

    /** The TCP port. */
    public int port() {
        return port;
    }

    /** The ACL user of the URI, or {@code null} for Redis's {@code default} user. */
    public String user() {
        return user;
    }

    /** Whether the URI has a password (which is never returned). */
    public boolean hasPassword() {
        return password != null;
    }

    /** The database number of the URI's path; 0 without one. */
    public int database() {
        return database;
    }

    /** Whether the connection uses TLS ({@code rediss://}). */
    public boolean tls() {
        return tls;
    }

    /** The TCP connect timeout. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** The command timeout, which is also the socket read timeout of the connections. */
    public Duration commandTimeout() {
        return commandTimeout;
    }

    /** The CLIENT SETNAME of the connections. */
    public String clientName() {
        return clientName;
    }

    /** The host and port as Jedis takes them. */
    public HostAndPort hostAndPort() {
        return new HostAndPort(host, port);
    }

    /** The Jedis client configuration; the socket timeout is the command timeout. */
    public JedisClientConfig clientConfig() {
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

    /** The server as shown in messages: scheme, user, host(s), port(s), master name, database; never the password. */
    public String describe() {
        if (topology == Topology.SERVER) {
            return (tls ? "rediss://" : "redis://") + (user != null ? user + "@" : "") + host + ":" + port
                    + (database != 0 ? "/" + database : "");
        }
        StringBuilder b = new StringBuilder(tls ? "rediss" : "redis").append(topology == Topology.SENTINEL ? "-sentinel://" : "-cluster://");
        if (user != null) {
            b.append(user).append('@');
        }
        for (int i = 0; i < addresses.size(); i++) {
            b.append(i > 0 ? "," : "").append(addresses.get(i));
        }
        if (topology == Topology.SENTINEL) {
            b.append('/').append(masterName);
        }
        return b.append(database != 0 ? "/" + database : "").toString();
    }

    /** {@code d} in milliseconds as a socket timeout takes it: at least 1, at most {@link Integer#MAX_VALUE}. */
    public static int millis(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, d.toMillis()));
    }

    /**
     * {@code d}, or one second after adding a problem naming {@code key} if {@code d} is zero or
     * negative.
     */
    public static Duration positive(Duration d, String key, List<String> problems) {
        if (d.isNegative() || d.isZero()) {
            problems.add(key + " must be positive");
            return Duration.ofSeconds(1);
        }
        return d;
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
        return "RedisEndpoint[" + describe() + (password != null ? " (password set)" : "") + "]";
    }
}
