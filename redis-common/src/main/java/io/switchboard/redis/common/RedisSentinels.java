package io.switchboard.redis.common;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Asks Redis Sentinels where the master of a set-up is now ({@code SENTINEL
 * get-master-addr-by-name}), one sentinel after the other, starting with the one that answered
 * last. Each question is one short connection bounded by the connect and command timeouts, so a
 * lookup takes at most that per sentinel. Thread-safe.
 */
final class RedisSentinels {
    private final List<HostAndPort> sentinels;
    private final String masterName;
    private final JedisClientConfig config;
    private final AtomicInteger preferred = new AtomicInteger();

    RedisSentinels(List<HostAndPort> sentinels, String masterName, JedisClientConfig config) {
        this.sentinels = List.copyOf(sentinels);
        this.masterName = masterName;
        this.config = config;
    }

    /**
     * The master's address as the first sentinel that knows it says.
     *
     * @throws JedisConnectionException if no sentinel answered with an address; the message names
     *     each sentinel's failure (a sentinel that does not know the master name says so)
     */
    HostAndPort master() {
        List<String> failures = new ArrayList<>();
        int unknown = 0;
        int denied = 0;
        int start = preferred.get();
        for (int i = 0; i < sentinels.size(); i++) {
            int index = (start + i) % sentinels.size();
            HostAndPort s = sentinels.get(index);
            try (Connection c = new Connection(s, config)) {
                Object reply = c.executeCommand(new CommandArguments(Protocol.Command.SENTINEL).add("get-master-addr-by-name").add(masterName));
                if (reply instanceof List && ((List<?>) reply).size() == 2) {
                    List<?> addr = (List<?>) reply;
                    preferred.set(index);
                    return new HostAndPort(text(addr.get(0)), Integer.parseInt(text(addr.get(1))));
                }
                unknown++;
                failures.add(s + ": does not monitor a master named '" + masterName + "'");
            } catch (JedisDataException e) {
                if (deniesCredentials(e.getMessage())) {
                    denied++;
                }
                failures.add(s + ": " + e.getMessage());
            } catch (RuntimeException e) {
                failures.add(s + ": " + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
            }
        }
        if (unknown == sentinels.size()) {
            throw new UnknownMaster("none of the sentinels monitors a master named '" + masterName + "'");
        }
        if (denied > 0 && denied + unknown == sentinels.size()) {
            throw new CredentialsRefused(String.join("; ", failures));
        }
        throw new JedisConnectionException("no sentinel named the master '" + masterName + "': " + String.join("; ", failures));
    }

    /** Every sentinel answered, and none knows the master name: a configuration mistake, not an outage. */
    static final class UnknownMaster extends redis.clients.jedis.exceptions.JedisException {
        private static final long serialVersionUID = 1L;

        UnknownMaster(String message) {
            super(message);
        }
    }

    /**
     * Every sentinel that answered refused the credentials Switchboard sent it (or sent none
     * where one is required, or sent one where none is configured): a configuration mistake.
     */
    static final class CredentialsRefused extends redis.clients.jedis.exceptions.JedisException {
        private static final long serialVersionUID = 1L;

        CredentialsRefused(String message) {
            super(message);
        }
    }

    /**
     * Whether a sentinel's error refuses the handshake's credentials: NOAUTH, WRONGPASS, or an
     * AUTH sent to a sentinel without a password. Redis's replies never hold the password.
     */
    private static boolean deniesCredentials(String message) {
        String m = message == null ? "" : message;
        return m.startsWith("NOAUTH") || m.startsWith("WRONGPASS") || m.contains("without any password configured")
                || m.contains("invalid password") || m.contains("invalid username-password");
    }

    /**
     * Whether the server on {@code c} is a master now ({@code ROLE}); true too if the user may not
     * run ROLE (the sentinels' word is taken then). A freshly demoted master answers "slave" here
     * until the sentinels have moved on, so a caller connects again instead of publishing to it.
     */
    static boolean isMaster(Connection c) {
        try {
            Object reply = c.executeCommand(new CommandArguments(Protocol.Command.ROLE));
            return reply instanceof List && !((List<?>) reply).isEmpty() && "master".equals(text(((List<?>) reply).get(0)));
        } catch (JedisDataException e) {
            return true;
        }
    }

    List<HostAndPort> sentinels() {
        return sentinels;
    }

    String masterName() {
        return masterName;
    }

    private static String text(Object o) {
        return o instanceof byte[] ? new String((byte[]) o, StandardCharsets.UTF_8) : String.valueOf(o);
    }
}
