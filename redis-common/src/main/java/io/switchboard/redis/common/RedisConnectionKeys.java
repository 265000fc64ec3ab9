package io.switchboard.redis.common;

import io.switchboard.spi.ConfigKey;
import java.time.Duration;

/**
 * The connection keys every Redis provider has, under its own prefix ({@code switchboard.redis.},
 * {@code switchboard.redis-streams.}): the URI, the timeouts, the client name, the channel
 * prefix and the sentinels' credentials, with the same defaults and rules for each. Immutable and thread-safe.
 */
public final class RedisConnectionKeys {
    private final ConfigKey<String> uri;
    private final ConfigKey<Duration> connectTimeout;
    private final ConfigKey<Duration> commandTimeout;
    private final ConfigKey<String> channelPrefix;
    private final ConfigKey<String> clientName;
    private final ConfigKey<String> sentinelUser;
    private final ConfigKey<String> sentinelPassword;

    private RedisConnectionKeys(String prefix, String timedOutOperation) {
        this.uri = ConfigKey.secret(prefix + ".uri", "redis://127.0.0.1:6379",
                "Redis: redis://[user:password@]host:port[/db] (one server), redis-sentinel://[user:password@]host:port[,host:port...]/<master-name>[/db] (the sentinels), or redis-cluster://[user:password@]host:port[,host:port...] (cluster seed nodes); rediss, rediss-sentinel, rediss-cluster for TLS; percent-encode special characters in the password.");
        this.connectTimeout = ConfigKey.duration(prefix + ".connect-timeout", Duration.ofSeconds(2),
                "How long to wait for a TCP connection to Redis; the TLS handshake and connection setup count against command-timeout.");
        this.commandTimeout = ConfigKey.duration(prefix + ".command-timeout", Duration.ofSeconds(2),
                "How long Redis may take to answer a command, connection setup included; " + timedOutOperation
                        + " without a reply by then fails.");
        this.channelPrefix = ConfigKey.string(prefix + ".channel-prefix", "",
                "Prefix prepended to every Redis channel (for example 'orders-app:'), so several applications can share one Redis.");
        this.clientName = ConfigKey.string(prefix + ".client-name", null,
                "Name shown by CLIENT LIST for this instance's connections (letters, digits, '-', '_', '.', ':'); default switchboard-<instance>.");
        this.sentinelUser = ConfigKey.string(prefix + ".sentinel.user", null,
                "redis-sentinel:// only: the ACL user the sentinels require (with sentinel.password); the URI's user is the master's. Default: the sentinels' default user.");
        this.sentinelPassword = ConfigKey.secret(prefix + ".sentinel.password", null,
                "redis-sentinel:// only: the password the sentinels require (their requirepass, or sentinel.user's); the URI's password is the master's. Default: sentinels asked without AUTH.");
    }

    /**
     * The keys under {@code prefix}.
     *
     * @param prefix the provider's prefix without the trailing dot, such as {@code switchboard.redis}
     * @param timedOutOperation what fails when Redis does not answer within the command timeout,
     *        as the key's description says it ("a publish or cache operation")
     * @throws NullPointerException if an argument is null
     */
    public static RedisConnectionKeys under(String prefix, String timedOutOperation) {
        if (prefix == null || timedOutOperation == null) {
            throw new NullPointerException("prefix and timedOutOperation are required");
        }
        return new RedisConnectionKeys(prefix, timedOutOperation);
    }

    /** Where Redis is; may hold a password, so it is masked everywhere. */
    public ConfigKey<String> uri() {
        return uri;
    }

    /** TCP connect timeout. */
    public ConfigKey<Duration> connectTimeout() {
        return connectTimeout;
    }

    /** How long Redis may take to answer a command, the connection setup included. */
    public ConfigKey<Duration> commandTimeout() {
        return commandTimeout;
    }

    /** Prefix added to every Redis channel (or stream) name and removed on receipt. */
    public ConfigKey<String> channelPrefix() {
        return channelPrefix;
    }

    /** CLIENT SETNAME of the connections. */
    public ConfigKey<String> clientName() {
        return clientName;
    }

    /** The ACL user the sentinels of a {@code redis-sentinel://} URI are asked as. */
    public ConfigKey<String> sentinelUser() {
        return sentinelUser;
    }

    /** The password the sentinels of a {@code redis-sentinel://} URI require; masked everywhere. */
    public ConfigKey<String> sentinelPassword() {
        return sentinelPassword;
    }
}
