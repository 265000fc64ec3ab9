package io.switchboard.memcached;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.switchboard.ConnectionException;
import io.switchboard.Health;
import io.switchboard.SwitchboardException;
import io.switchboard.spi.ValueFormat;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link MemcachedDriverIT} over the text protocol. */
class MemcachedTextDriverIT extends MemcachedDriverIT {
    @Override
    String protocol() {
        return "text";
    }

    /**
     * Over the text protocol spymemcached answers a CLIENT_ERROR by reconnecting, which may cancel
     * the increment itself before its error is read (docs/memcached.md); the cache must recover.
     */
    @Override
    @Test
    void incrementOfNonNumericValueFailsWithCacheException() {
        String k = key("not-counter");
        join(driver.put(k, utf8("hello"), ValueFormat.TEXT, Duration.ZERO));
        assertThrows(SwitchboardException.class, () -> join(driver.increment(k, 1, 0, Duration.ZERO)));
        Await.await(Duration.ofSeconds(5), () -> {
            try {
                return join(driver.get(k)) != null;
            } catch (ConnectionException reconnecting) {
                return false;
            }
        }, "the connection must come back after spymemcached dropped it for a CLIENT_ERROR");
        assertEquals(Health.Status.UP, driver.health().status());
    }
}
