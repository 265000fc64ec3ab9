package io.switchboard.memcached;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.ConfigurationException;
import io.switchboard.Switchboard;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A password written into {@code switchboard.memcached.servers} never reaches a message or a log
 * line: the facade's open() with such a server list is refused, and neither the exception nor
 * anything logged meanwhile shows the secret.
 */
class MemcachedSecretsIT {
    @Test
    void aPasswordInTheServerListAppearsInNoMessageAndNoLog() {
        String secret = "Pw-" + UUID.randomUUID().toString().substring(0, 8);
        try (CapturedOutput logs = new CapturedOutput()) {
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> {
                try (Switchboard sb = Switchboard.open(Map.of("switchboard.transport", "memory", "switchboard.cache", "memcached",
                        MemcachedCacheProvider.SERVERS.name(), "127.0.0.1:11211,app:" + secret + "@127.0.0.1:11211"))) {
                    sb.cache();
                }
            });
            String all = e.getMessage() + "\n" + java.util.Arrays.toString(e.getStackTrace()) + "\n" + logs.text();
            for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
                all += "\n" + t;
            }
            assertFalse(all.contains(secret), "the password must appear nowhere:\n" + all);
            assertTrue(e.getMessage().contains(MemcachedCacheProvider.USERNAME.name()), e.getMessage());
            System.out.println("Secrets: a password in switchboard.memcached.servers is refused, masked: " + e.getMessage());
        }
    }
}
