package io.switchboard.memcached;

import static io.switchboard.memcached.MemcachedDriverIT.join;
import static io.switchboard.memcached.MemcachedDriverIT.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.ConfigurationException;
import io.switchboard.Health;
import io.switchboard.spi.ValueFormat;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * SASL against private memcached processes started with {@code -S} and a private SASL database
 * (MemcachedProcess installs sasl2-bin when it is missing). PLAIN is the documented default;
 * refused credentials fail {@code open()} with {@link ConfigurationException} naming the server,
 * never the password.
 */
class MemcachedSaslIT {
    private static final String USER = "sbapp";
    private static final String PASSWORD = "Pa55-" + UUID.randomUUID().toString().substring(0, 8);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);

    private static TestContext context(MemcachedProcess server, Object... more) {
        Object[] all = new Object[more.length + 2];
        all[0] = MemcachedCacheProvider.CONNECT_TIMEOUT.name();
        all[1] = CONNECT_TIMEOUT;
        System.arraycopy(more, 0, all, 2, more.length);
        return TestContext.servers(server.address(), all);
    }

    private static void roundTrip(MemcachedCacheDriver driver) {
        String k = "sasl-" + UUID.randomUUID().toString().substring(0, 8);
        join(driver.put(k, utf8("authenticated"), ValueFormat.TEXT, Duration.ZERO));
        assertArrayEquals(utf8("authenticated"), join(driver.get(k)).value());
        assertEquals(Health.Status.UP, driver.health().status(), driver.health().toString());
    }

    @Test
    void authenticatesWithPlainByDefaultAgainstAServerOfferingOnlyPlain() throws Exception {
        try (MemcachedProcess server = MemcachedProcess.startWithSasl(USER, PASSWORD, "plain");
                TestContext ctx = context(server, MemcachedCacheProvider.USERNAME.name(), USER,
                        MemcachedCacheProvider.PASSWORD.name(), PASSWORD, MemcachedCacheProvider.TIMEOUT.name(), Duration.ofSeconds(2))) {
            MemcachedCacheDriver driver = ctx.connect();
            try {
                roundTrip(driver);
            } finally {
                driver.close(Duration.ofSeconds(2));
            }
        }
    }

    @Test
    void authenticatesAgainAfterTheServerRestarts() throws Exception {
        try (MemcachedProcess server = MemcachedProcess.startWithSasl(USER, PASSWORD, "plain");
                TestContext ctx = context(server, MemcachedCacheProvider.USERNAME.name(), USER,
                        MemcachedCacheProvider.PASSWORD.name(), PASSWORD, MemcachedCacheProvider.TIMEOUT.name(), Duration.ofMillis(500))) {
            MemcachedCacheDriver driver = ctx.connect();
            try {
                roundTrip(driver);
                server.kill();
                Await.await(Duration.ofSeconds(5), () -> driver.health().status() == Health.Status.DOWN, () -> "never DOWN: " + driver.health());
                server.restart();
                long restarted = System.nanoTime();
                Await.await(Duration.ofSeconds(10), () -> driver.health().status() == Health.Status.UP, () -> "never UP: " + driver.health());
                Await.await(Duration.ofSeconds(5), () -> ctx.events.contains("recovered"), () -> "no recovered event: " + ctx.events);
                long up = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted);
                roundTrip(driver);
                System.out.printf("SASL: server killed and restarted; authenticated again and UP %d ms after the restart%n", up);
            } finally {
                driver.close(Duration.ofSeconds(2));
            }
        }
    }

    @Test
    void authenticatesWithCramMd5WhenThatMechanismIsConfigured() throws Exception {
        try (MemcachedProcess server = MemcachedProcess.startWithSasl(USER, PASSWORD, "plain cram-md5");
                TestContext ctx = context(server, MemcachedCacheProvider.USERNAME.name(), USER,
                        MemcachedCacheProvider.PASSWORD.name(), PASSWORD, MemcachedCacheProvider.SASL_MECHANISM.name(), "cram-md5")) {
            MemcachedCacheDriver driver = ctx.connect();
            try {
                roundTrip(driver);
            } finally {
                driver.close(Duration.ofSeconds(2));
            }
        }
    }

    @Test
    void wrongPasswordFailsOpenWithConfigurationExceptionNamingTheServerButNeverThePassword() throws Exception {
        String wrong = "Wr0ng-" + UUID.randomUUID().toString().substring(0, 8);
        try (MemcachedProcess server = MemcachedProcess.startWithSasl(USER, PASSWORD, "plain");
                TestContext ctx = context(server, MemcachedCacheProvider.USERNAME.name(), USER,
                        MemcachedCacheProvider.PASSWORD.name(), wrong);
                CapturedOutput logs = new CapturedOutput()) {
            long t0 = System.nanoTime();
            ConfigurationException e = assertThrows(ConfigurationException.class, ctx::connect);
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(e.getMessage().contains(server.address()) && e.getMessage().contains("refused")
                    && e.getMessage().contains(USER) && e.getMessage().contains(MemcachedCacheProvider.PASSWORD.name()), e.getMessage());
            assertFalse(e.getMessage().contains(wrong), e.getMessage());
            assertTrue(took < CONNECT_TIMEOUT.toMillis(), "refused credentials are known at once, not after the connect timeout: " + took + " ms");
            assertFalse(logs.text().contains(wrong), "the password must never be logged:\n" + logs.text());
            System.out.printf("SASL: wrong password refused at open() after %d ms: %s%n", took, e.getMessage());
        }
    }

    @Test
    void aMechanismTheServerDoesNotOfferFailsOpenListingTheOffered() throws Exception {
        try (MemcachedProcess server = MemcachedProcess.startWithSasl(USER, PASSWORD, "plain");
                TestContext ctx = context(server, MemcachedCacheProvider.USERNAME.name(), USER,
                        MemcachedCacheProvider.PASSWORD.name(), PASSWORD, MemcachedCacheProvider.SASL_MECHANISM.name(), "cram-md5")) {
            ConfigurationException e = assertThrows(ConfigurationException.class, ctx::connect);
            assertTrue(e.getMessage().contains(server.address()) && e.getMessage().contains("PLAIN")
                    && e.getMessage().contains(MemcachedCacheProvider.SASL_MECHANISM.name()), e.getMessage());
            assertFalse(e.getMessage().contains(PASSWORD), e.getMessage());
        }
    }

    @Test
    void aServerRequiringSaslFailsOpenWhenNoCredentialsAreSet() throws Exception {
        try (MemcachedProcess server = MemcachedProcess.startWithSasl(USER, PASSWORD, "plain"); TestContext ctx = context(server)) {
            ConfigurationException e = assertThrows(ConfigurationException.class, ctx::connect);
            assertTrue(e.getMessage().contains(server.address()) && e.getMessage().contains(MemcachedCacheProvider.USERNAME.name()),
                    e.getMessage());
        }
    }

    @Test
    void credentialsForAServerWithoutSaslFailOpen() throws Exception {
        try (MemcachedProcess server = MemcachedProcess.start();
                TestContext ctx = context(server, MemcachedCacheProvider.USERNAME.name(), USER,
                        MemcachedCacheProvider.PASSWORD.name(), PASSWORD)) {
            ConfigurationException e = assertThrows(ConfigurationException.class, ctx::connect);
            assertTrue(e.getMessage().contains(server.address()) && e.getMessage().contains("SASL"), e.getMessage());
            assertFalse(e.getMessage().contains(PASSWORD), e.getMessage());
        }
    }
}
