package io.switchboard.it.sync;

import io.switchboard.tck.Faults;
import io.switchboard.tck.sync.CacheSyncContract;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The cache-sync contract on RabbitMQ (a private node, which the gap rules cut, restart and hold
 * down) with the shared memcached as the cache.
 */
class RabbitMqMemcachedCacheSyncIT extends CacheSyncContract {
    private static PrivateRabbitMqNode node;

    @BeforeAll
    static void start() throws Exception {
        node = PrivateRabbitMqNode.start();
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Override
    protected Map<String, Object> properties() {
        return Map.of("switchboard.transport", "rabbitmq", "switchboard.rabbitmq.uri", node.uri(),
                "switchboard.rabbitmq.recovery-interval", "300ms", "switchboard.cache", "memcached",
                "switchboard.memcached.servers", "127.0.0.1:11211");
    }

    @Override
    protected Faults faults() {
        return node.faults();
    }
}
