package io.switchboard.memcached;

import io.switchboard.tck.CacheContract;
import io.switchboard.tck.Faults;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The contract kit's cache rules against two private memcached servers (binary protocol, the default;
 * keys spread by the ketama locator), the fault rules included, C23 with one of the two held down.
 */
class MemcachedCacheContractIT extends CacheContract {
    @RegisterExtension
    static final MemcachedKitServer MEMCACHED = new MemcachedKitServer(2);

    @Override
    protected Map<String, Object> properties() {
        return MEMCACHED.properties("binary");
    }

    @Override
    protected Faults faults() {
        return MEMCACHED.faults();
    }
}
