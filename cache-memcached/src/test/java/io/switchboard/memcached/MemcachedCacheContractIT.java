package io.switchboard.memcached;

import io.switchboard.tck.CacheContract;
import io.switchboard.tck.Faults;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The contract kit's cache rules against a private memcached (binary protocol, the default), the fault rules included. */
class MemcachedCacheContractIT extends CacheContract {
    @RegisterExtension
    static final MemcachedKitServer MEMCACHED = new MemcachedKitServer();

    @Override
    protected Map<String, Object> properties() {
        return MEMCACHED.properties("binary");
    }

    @Override
    protected Faults faults() {
        return MEMCACHED.faults();
    }
}
