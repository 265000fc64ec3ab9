package io.switchboard.memcached;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.ConfigurationException;
import io.switchboard.memcached.internal.Expiry;
import io.switchboard.memcached.internal.Keys;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Settings parsing, TTL conversion and key rules, without a server. */
class MemcachedSettingsTest {
    private static final long NOW = 1_700_000_000L;

    @Test
    void reportsEveryConfigurationProblemAtOnceNamingKeyAndValue() {
        try (TestContext ctx = TestContext.servers("good:11211,bad:port,:5",
                MemcachedCacheProvider.PROTOCOL.name(), "text",
                MemcachedCacheProvider.USERNAME.name(), "app",
                MemcachedCacheProvider.TIMEOUT.name(), Duration.ZERO,
                MemcachedCacheProvider.CONNECTIONS.name(), 0)) {
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> MemcachedCacheProvider.settings(ctx.config()));
            List<String> p = e.problems();
            assertEquals(6, p.size(), p.toString());
            assertTrue(p.get(0).contains("'bad:port'") && p.get(0).contains("switchboard.memcached.servers"), p.get(0));
            assertTrue(e.getMessage().contains("SASL needs the binary protocol"), e.getMessage());
            assertTrue(e.getMessage().contains("switchboard.memcached.password"), e.getMessage());
            assertTrue(e.getMessage().contains("switchboard.memcached.connections"), e.getMessage());
        }
    }

    @Test
    void neverShowsThePassword() {
        try (TestContext ctx = TestContext.servers("127.0.0.1:11211", MemcachedCacheProvider.USERNAME.name(), "app",
                MemcachedCacheProvider.PASSWORD.name(), "s3cr3t-pa55")) {
            MemcachedCacheProvider.Settings s = MemcachedCacheProvider.settings(ctx.config());
            assertFalse(s.toString().contains("s3cr3t-pa55"), s.toString());
            assertTrue(s.toString().contains("****"), s.toString());
            assertTrue(MemcachedCacheProvider.PASSWORD.isSecret());
            assertTrue(s.binary, "binary is the default protocol and what SASL needs");
        }
    }

    @Test
    void refusesUserInfoInServersWithoutShowingIt() {
        String secret = "s3cr3t-pa55";
        for (String entry : List.of("app:" + secret + "@10.0.0.5:11211", "memcached://app:" + secret + "@10.0.0.5:11211",
                "app:" + secret + "@10.0.0.5", "app:p@ss:" + secret + "@10.0.0.5:11211")) {
            try (TestContext ctx = TestContext.servers("127.0.0.1:11211," + entry)) {
                ConfigurationException e = assertThrows(ConfigurationException.class, () -> MemcachedCacheProvider.settings(ctx.config()),
                        entry);
                assertEquals(1, e.problems().size(), e.getMessage());
                String m = e.getMessage();
                assertFalse(m.contains(secret) || m.contains("app:"), "the user info must be masked: " + m);
                assertTrue(m.contains("****@10.0.0.5") && m.contains(MemcachedCacheProvider.SERVERS.name())
                        && m.contains(MemcachedCacheProvider.USERNAME.name()) && m.contains(MemcachedCacheProvider.PASSWORD.name()), m);
            }
        }
        try (TestContext ctx = TestContext.servers("app@10.0.0.5:11211")) {
            String m = assertThrows(ConfigurationException.class, () -> MemcachedCacheProvider.settings(ctx.config())).getMessage();
            assertTrue(m.contains("****@10.0.0.5:11211") && !m.contains("app@"), m);
        }
    }

    @Test
    void refusesASaslMechanismWithoutAUsername() {
        try (TestContext ctx = TestContext.servers("127.0.0.1:11211", MemcachedCacheProvider.SASL_MECHANISM.name(), "cram-md5")) {
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> MemcachedCacheProvider.settings(ctx.config()));
            assertTrue(e.getMessage().contains(MemcachedCacheProvider.SASL_MECHANISM.name())
                    && e.getMessage().contains(MemcachedCacheProvider.USERNAME.name()), e.getMessage());
        }
    }

    @Test
    void convertsTtlsToMemcachedExpirations() {
        assertEquals(0, Expiry.of(Duration.ZERO, NOW));
        assertEquals(2, Expiry.of(Duration.ofMillis(1), NOW), "rounded up, plus the tick of memcached's clock");
        assertEquals(2, Expiry.of(Duration.ofSeconds(1), NOW));
        assertEquals(3, Expiry.of(Duration.ofMillis(1001), NOW));
        assertEquals(2_592_000, Expiry.of(Duration.ofDays(30).minusSeconds(1), NOW));
        assertEquals(NOW + 2_592_001, Expiry.of(Duration.ofDays(30), NOW), "past 30 days relative, it is absolute");
        assertThrows(IllegalArgumentException.class, () -> Expiry.of(Duration.ofDays(365 * 20), NOW));
        assertThrows(IllegalArgumentException.class, () -> Expiry.of(Duration.ofSeconds(-1), NOW));
    }

    @Test
    void hashModeReplacesOnlyOverlongKeysWithTheirSha256() {
        Keys hash = new Keys(true);
        assertEquals("short", hash.toServerKey("short"));
        String longKey = "x".repeat(300);
        String stored = hash.toServerKey(longKey);
        assertEquals(71, stored.length());
        assertTrue(stored.startsWith("sha256:"), stored);
        assertEquals(stored, hash.toServerKey(longKey));
        assertEquals("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Keys.hashedName("abc"));
        assertThrows(IllegalArgumentException.class, () -> hash.toServerKey("has space"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Keys(false).toServerKey(longKey));
        assertTrue(e.getMessage().contains("300 bytes") && e.getMessage().contains("key-mode=hash"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Keys(false).toServerKey("tab\there"));
        assertThrows(IllegalArgumentException.class, () -> new Keys(false).toServerKey("del\u007f"));
        assertThrows(IllegalArgumentException.class, () -> new Keys(false).toServerKey("nbsp\u00a0"));
    }
}
