package io.switchboard.memcached;

import io.switchboard.tck.SessionCacheContract;
import java.util.Map;

/** The session-store rules (touch, delete) against the shared memcached on 127.0.0.1:11211, binary protocol. */
class MemcachedSessionCacheContractIT extends SessionCacheContract {
    @Override
    protected Map<String, Object> properties() {
        return Map.of("switchboard.transport", "memory", "switchboard.cache", "memcached",
                "switchboard.memcached.servers", "127.0.0.1:11211", "switchboard.memcached.protocol", "binary");
    }
}
