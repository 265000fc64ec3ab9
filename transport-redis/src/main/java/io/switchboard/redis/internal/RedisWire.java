package io.switchboard.redis.internal;

import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;

/**
 * A Jedis connection whose buffered output can be flushed without reading a reply, so that one
 * thread can write pipelined commands while replies are read elsewhere or later. Not thread-safe:
 * callers serialize writes and reads themselves.
 */
final class RedisWire extends Connection {
    RedisWire(HostAndPort hostAndPort, JedisClientConfig config) {
        super(hostAndPort, config);
    }

    void flushOut() {
        flush();
    }
}
