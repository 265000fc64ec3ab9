package io.switchboard.redis.common;

import java.net.Socket;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisSocketFactory;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisSocketFactory;

/**
 * A Jedis connection whose buffered output can be flushed without reading a reply, so that one
 * thread can write commands while another reads, and whose socket is available for the
 * publisher's own RESP pipeline once Jedis has done the handshake (AUTH, SELECT, SETNAME, TLS).
 * Not thread-safe: callers serialize writes and reads themselves. Shared by the Redis providers.
 */
public final class RedisWire extends Connection {
    private final CapturingFactory factory;

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
