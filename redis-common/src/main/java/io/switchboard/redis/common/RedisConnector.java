package io.switchboard.redis.common;

import io.switchboard.ConfigurationException;
import io.switchboard.ConnectionException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Opens verified connections (handshake plus a PING) and turns Jedis failures into Switchboard
 * exceptions that name the server and the setting to fix, never the password. Thread-safe.
 */
public final class RedisConnector {
    private final RedisEndpoint endpoint;
    private final RedisConnectionKeys keys;
    /** Who to ask for the master of a Sentinel set-up; null for the other topologies. */
    private final RedisSentinels sentinels;
    /** The master the sentinels named for the last connection opened; null before. */
    private volatile HostAndPort lastMaster;

    /** A connector for {@code endpoint}; does not connect. */
    public RedisConnector(RedisEndpoint endpoint) {
        this.endpoint = endpoint;
        this.keys = endpoint.keys();
        this.sentinels = endpoint.topology() == RedisEndpoint.Topology.SENTINEL
                ? new RedisSentinels(endpoint.addresses(), endpoint.masterName(), endpoint.sentinelClientConfig()) : null;
    }

    /**
     * Opens a connection and checks that a Redis server answers on it.
     *
     * @throws ConfigurationException if the server refused the credentials or the database
     * @throws ConnectionException if it cannot be reached or does not answer as Redis in time
     */
    public RedisWire open() {
        switch (endpoint.topology()) {
            case SENTINEL: {
                HostAndPort master;
                try {
                    master = sentinels.master();
                } catch (RedisSentinels.UnknownMaster e) {
                    throw new ConfigurationException("the sentinels of " + endpoint.describe() + " answered, but " + e.getMessage()
                            + "; check the master name in " + keys.uri().name() + " (SENTINEL MASTERS lists them)", null);
                } catch (RedisSentinels.CredentialsRefused e) {
                    throw new ConfigurationException("the sentinels of " + endpoint.describe() + " refused "
                            + (endpoint.hasSentinelPassword() ? "the credentials of " + keys.sentinelUser().name() + " and "
                                    + keys.sentinelPassword().name() : "to answer without a password; set " + keys.sentinelPassword().name()
                                    + " (and " + keys.sentinelUser().name() + " for an ACL user): the URI's credentials are the master's")
                            + " (" + e.getMessage() + ")", null);
                } catch (RuntimeException e) {
                    throw translate(e);
                }
                RedisWire wire = open(master);
                boolean isMaster;
                try {
                    isMaster = RedisSentinels.isMaster(wire);
                } catch (RuntimeException e) {
                    closeQuietly(wire);
                    throw translate(e);
                }
                if (!isMaster) {
                    closeQuietly(wire);
                    throw new ConnectionException("the sentinels of " + endpoint.describe() + " name " + master + " as master, but it"
                            + " answers as a replica (a failover is in progress); connect again", null);
                }
                lastMaster = master;
                return wire;
            }
            case CLUSTER: {
                RuntimeException last = null;
                for (HostAndPort seed : endpoint.addresses()) {
                    try {
                        return open(seed);
                    } catch (ConfigurationException e) {
                        throw e;
                    } catch (RuntimeException e) {
                        last = e;
                    }
                }
                throw last;
            }
            default:
                return open(endpoint.hostAndPort());
        }
    }

    /**
     * Opens a connection to one node of the endpoint (a cluster node, the master the sentinels
     * named) and checks that a Redis server answers on it.
     *
     * @throws ConfigurationException if the server refused the credentials or the database
     * @throws ConnectionException if it cannot be reached or does not answer as Redis in time
     */
    public RedisWire open(HostAndPort node) {
        RedisWire wire = null;
        try {
            wire = RedisWire.open(node, endpoint.clientConfig());
            if (!wire.ping()) {
                throw new JedisConnectionException("unexpected reply to PING");
            }
            return wire;
        } catch (RuntimeException e) {
            if (wire != null) {
                closeQuietly(wire);
            }
            throw endpoint.topology() == RedisEndpoint.Topology.SERVER ? translate(e) : translate(e, node);
        }
    }

    /**
     * For a Sentinel set-up, the master that the last connection opened went to (for health
     * details); null before the first one, and for the other topologies.
     */
    public HostAndPort lastMaster() {
        return lastMaster;
    }

    /** Turns a failure of connecting or of a command into a Switchboard exception. */
    public RuntimeException translate(Throwable e) {
        return translate(e, null);
    }

    /**
     * Turns a failure of connecting to, or of a command on, one node of a Sentinel set-up or
     * cluster into a Switchboard exception naming that node as well as the endpoint.
     *
     * @param node the node, or null for the endpoint's one server
     */
    public RuntimeException translate(Throwable e, HostAndPort node) {
        if (e instanceof ConfigurationException || e instanceof ConnectionException) {
            return (RuntimeException) e;
        }
        String server = node == null ? endpoint.describe() : node + " (of " + endpoint.describe() + ")";
        String text = safeMessage(e);
        String upper = text.toUpperCase(Locale.ROOT);
        if (upper.startsWith("NOAUTH") && endpoint.password == null) {
            return new ConfigurationException("Redis at " + server + " requires a password but "
                    + keys.uri().name() + " has none; use redis://[user:]password@host:port", null);
        }
        if (upper.startsWith("NOPERM")) {
            // A permission refusal, not a bad password: Jedis reports both as access control errors.
            return new ConfigurationException(RedisAcl.explain(endpoint, "a command of the connection setup", text, null,
                    "+ping" + (endpoint.database() != 0 ? " +select" : "")) + "; every Switchboard connection needs +ping"
                    + (endpoint.database() != 0 ? ", and +select for database " + endpoint.database() : "")
                    + " (the user is set in " + keys.uri().name() + ")", null);
        }
        if (e instanceof JedisAccessControlException || upper.startsWith("WRONGPASS") || upper.contains("INVALID PASSWORD")
                || upper.contains("INVALID USERNAME-PASSWORD")) {
            return new ConfigurationException("Redis at " + server + " refused the credentials"
                    + (endpoint.user() != null ? " of user '" + endpoint.user() + "'" : "")
                    + " (" + keys.uri().name() + "): " + firstLine(text)
                    + ". Check the user and password in the URI.", null);
        }
        if (upper.contains("DB INDEX IS OUT OF RANGE")) {
            return new ConfigurationException("Redis at " + server + " has no database " + endpoint.database()
                    + " (" + keys.uri().name() + " path)", null);
        }
        Throwable root = rootCause(e);
        if (root instanceof UnknownHostException) {
            return new ConfigurationException("cannot resolve the Redis host '" + endpoint.host() + "' of "
                    + keys.uri().name() + " (" + server + ")", null);
        }
        if (root instanceof ConnectException) {
            return new ConnectionException("cannot connect to Redis at " + server + ": " + root.getMessage()
                    + " (nothing listening? check " + keys.uri().name() + ")", sanitized(e));
        }
        if (root instanceof SocketTimeoutException) {
            String which = String.valueOf(root.getMessage()).toLowerCase(Locale.ROOT).contains("connect")
                    ? "no TCP connection within " + keys.connectTimeout().name() + "=" + endpoint.connectTimeout().toMillis() + "ms"
                    : "no Redis reply within " + keys.commandTimeout().name() + "=" + endpoint.commandTimeout().toMillis()
                            + "ms (is it a Redis server, and reachable?)";
            return new ConnectionException("Redis at " + server + " did not answer: " + which, sanitized(e));
        }
        if (e instanceof JedisConnectionException) {
            if (upper.contains("UNKNOWN REPLY") || upper.contains("PROTOCOL")) {
                return new ConnectionException("the server at " + server + " does not speak the Redis protocol ("
                        + firstLine(text) + "); check the port in " + keys.uri().name(), sanitized(e));
            }
            return new ConnectionException("connection to Redis at " + server + " failed: " + firstLine(text), sanitized(e));
        }
        if (e instanceof JedisDataException) {
            return new ConnectionException("Redis at " + server + " refused the connection setup: " + firstLine(text), null);
        }
        if (e instanceof JedisException) {
            return new ConnectionException("Redis at " + server + " failed: " + firstLine(text), sanitized(e));
        }
        return new ConnectionException("Redis at " + server + " failed: " + e, e);
    }

    /**
     * The root cause, kept as it is (so callers can test its type, say {@code ConnectException})
     * when it is a JDK socket exception, whose message cannot hold the password; otherwise a copy
     * built from its message with the password masked, so nothing else (such as a Jedis config
     * object) leaks through the chain.
     */
    private Throwable sanitized(Throwable e) {
        Throwable root = rootCause(e);
        if (root instanceof java.io.IOException && root.getClass().getName().startsWith("java.")
                && root.getMessage() != null && safeMessage(root).equals(root.getMessage())) {
            return root;
        }
        Exception copy = new Exception(root.getClass().getSimpleName() + ": " + safeMessage(root));
        copy.setStackTrace(root.getStackTrace());
        return copy;
    }

    private String safeMessage(Throwable e) {
        String m = String.valueOf(e.getMessage());
        if (endpoint.password != null && !endpoint.password.isEmpty()) {
            m = m.replace(endpoint.password, "****");
        }
        return m;
    }

    /**
     * The innermost cause; where the chain ends in an exception that only carries suppressed ones
     * (Jedis's "Failed to connect to host:port" holds each address's failure that way), the
     * innermost cause of the first of those, so a connect timeout is told from a refused port.
     */
    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        for (int hops = 0; hops < 32; hops++) {
            if (t.getCause() != null && t.getCause() != t) {
                t = t.getCause();
            } else if (t.getSuppressed().length > 0) {
                t = t.getSuppressed()[0];
            } else {
                break;
            }
        }
        return t;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /**
     * The server's version, from {@code HELLO 2}: unlike {@code INFO}, Redis lets every
     * authenticated user run it, so a least-privilege ACL user needs no {@code +info}. "unknown"
     * if the reply has none, or Redis refuses the command.
     *
     * @throws RuntimeException translated, if the connection fails
     */
    public String serverVersion(RedisWire wire) {
        try {
            Object reply = wire.executeCommand(new CommandArguments(Protocol.Command.HELLO).add("2"));
            if (reply instanceof List) {
                List<?> fields = (List<?>) reply;
                for (int i = 0; i + 1 < fields.size(); i += 2) {
                    Object name = fields.get(i);
                    Object value = fields.get(i + 1);
                    if (name instanceof byte[] && "version".equals(new String((byte[]) name, StandardCharsets.UTF_8))
                            && value instanceof byte[]) {
                        return new String((byte[]) value, StandardCharsets.UTF_8);
                    }
                }
            }
            return "unknown";
        } catch (JedisDataException e) {
            return "unknown";
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    /** Closes {@code wire}, ignoring a failure: it is being discarded after one. */
    public static void closeQuietly(RedisWire wire) {
        try {
            wire.close();
        } catch (RuntimeException ignored) {
            // The connection is being discarded after a failure; nothing more to report.
        }
    }
}
