package io.switchboard.memcached;

import io.switchboard.tck.CacheContract;
import java.util.Map;

/** The contract kit's cache rules over the text protocol. */
class MemcachedTextCacheContractIT extends CacheContract {
    @Override
    protected Map<String, Object> properties() {
        return Map.of("switchboard.transport", "memory", "switchboard.cache", "memcached",
                "switchboard.memcached.servers", "127.0.0.1:11211", "switchboard.memcached.protocol", "text");
    }
}
