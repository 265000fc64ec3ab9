package io.switchboard.memcached;

import io.switchboard.tck.CacheContract;
import io.switchboard.tck.Faults;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The contract kit's cache rules over the text protocol, against a private memcached, the fault rules included. */
class MemcachedTextCacheContractIT extends CacheContract {
    @RegisterExtension
    static final MemcachedKitServer MEMCACHED = new MemcachedKitServer();

    @Override
    protected Map<String, Object> properties() {
        return MEMCACHED.properties("text");
    }

    @Override
    protected Faults faults() {
        return MEMCACHED.faults();
    }
}
