package io.switchboard.redis.common;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisSocketFactory;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisSocketFactory;
import redis.clients.jedis.PushConsumerChain;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.util.RedisInputStream;

/**
 * A Jedis connection whose buffered output can be flushed without reading a reply, so that one
 * thread can write commands while another reads, and whose socket is available for the
 * publisher's own RESP pipeline once Jedis has done the handshake (AUTH, SELECT, SETNAME, TLS).
 * Not thread-safe: callers serialize writes and reads themselves. Shared by the Redis providers.
 */
public final class RedisWire extends Connection {
    private final CapturingFactory factory;
    /** Jedis's buffered reply stream, remembered at the first reply read (every open reads one: the PING). */
    private volatile RedisInputStream in;

    private RedisWire(CapturingFactory factory, JedisClientConfig config) {
        super(factory, config);
        this.factory = factory;
    }

    /** Connects and runs the Jedis handshake; throws Jedis exceptions. */
    public static RedisWire open(HostAndPort hostAndPort, JedisClientConfig config) {
        return new RedisWire(new CapturingFactory(new DefaultJedisSocketFactory(hostAndPort, config)), config);
    }

    /** Sends what is buffered without waiting for a reply. */
    public void flushOut() {
        flush();
    }

    /** The connected socket (plain or TLS). Only valid while no Jedis command is in progress. */
    public Socket socket() {
        return factory.socket;
    }

    /** Remembers the reply stream, for {@link #awaitReply(int)}. */
    @Override
    protected Object protocolRead(RedisInputStream is, PushConsumerChain pushConsumers) {
        if (in != is) {
            in = is;
        }
        return super.protocolRead(is, pushConsumers);
    }

    /**
     * Waits up to {@code millis} (at least 1) for the next reply's first bytes, without consuming
     * them, so that a thread can wait for replies in the socket read itself rather than be woken
     * to read them. True when reply bytes are buffered; false when none came in time, leaving the
     * connection usable: Jedis's buffer is only filled by a read that returned bytes (a timed-out
     * read changes nothing). Restores the socket timeout afterwards. Only for the thread that reads
     * this connection's replies.
     *
     * @throws JedisConnectionException if the connection failed or the server closed it (the
     * connection is then marked broken)
     */
    public boolean awaitReply(int millis) {
        RedisInputStream is = in;
        if (is == null) {
            // No reply read yet (cannot happen after RedisConnector.open's PING): say "ready", so
            // that the caller's ordinary read, bounded by the command timeout, decides.
            return true;
        }
        try {
            if (is.available() > 0) {
                return true;
            }
        } catch (IOException e) {
            setBroken();
            throw new JedisConnectionException(e);
        }
        Socket s = factory.socket;
        int restore = getSoTimeout();
        try {
            s.setSoTimeout(Math.max(1, millis));
            is.peek((byte) 0);
            return true;
        } catch (JedisConnectionException e) {
            if (e.getCause() instanceof SocketTimeoutException) {
                return false;
            }
            setBroken();
            throw e;
        } catch (IOException e) {
            setBroken();
            throw new JedisConnectionException(e);
        } finally {
            try {
                s.setSoTimeout(restore);
            } catch (IOException e) {
                setBroken();
            }
        }
    }

    /** Remembers the socket Jedis creates. */
    private static final class CapturingFactory implements JedisSocketFactory {
        private final JedisSocketFactory delegate;
        private volatile Socket socket;

        CapturingFactory(JedisSocketFactory delegate) {
            this.delegate = delegate;
        }

        @Override
        public Socket createSocket() {
            Socket s = delegate.createSocket();
            socket = s;
            return s;
        }
    }
}
