package io.switchboard.rabbitmq.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.ConfigurationException;
import io.switchboard.rabbitmq.RabbitMqTransportProvider;
import io.switchboard.spi.Config;
import io.switchboard.spi.ConfigKey;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RabbitMqSettingsTest {
    /** A config holding parsed values, defaults for the rest. */
    private static Config config(Map<ConfigKey<?>, Object> values) {
        return new Config() {
            @Override
            @SuppressWarnings("unchecked")
            public <T> T get(ConfigKey<T> key) {
                return values.containsKey(key) ? (T) values.get(key) : key.defaultValue();
            }

            @Override
            public boolean isSet(ConfigKey<?> key) {
                return values.containsKey(key);
            }

            @Override
            public Set<String> keysSet() {
                return Set.of();
            }

            @Override
            public String sourceOf(ConfigKey<?> key) {
                return "test";
            }
        };
    }

    private static RabbitMqSettings settings(Map<ConfigKey<?>, Object> values) {
        return RabbitMqSettings.from(config(values));
    }

    @Test
    void parsesUserPasswordHostPortAndEncodedVhost() {
        RabbitMqSettings s = settings(Map.of(RabbitMqTransportProvider.URI, "amqp://app%40x:p%3Ass@rabbit-1:5673/billing%2Fprod"));
        assertEquals("app@x", s.username);
        assertEquals("p:ss", s.password);
        assertEquals("billing/prod", s.virtualHost);
        assertEquals("rabbit-1:5673", s.addressList());
        assertFalse(s.tls);
    }

    @Test
    void emptyPathMeansTheDefaultVhostAndAmqpsDefaultsToPort5671() {
        RabbitMqSettings s = settings(Map.of(RabbitMqTransportProvider.URI, "amqps://u:p@h/"));
        assertEquals("/", s.virtualHost);
        assertEquals("h:5671", s.addressList());
        assertTrue(s.tls);
        assertEquals("/", settings(Map.of(RabbitMqTransportProvider.URI, "amqp://u:p@h:5672/%2F")).virtualHost);
    }

    @Test
    void addressesReplaceTheUriHostAndSeparateKeysOverrideItsParts() {
        Map<ConfigKey<?>, Object> v = new HashMap<>();
        v.put(RabbitMqTransportProvider.URI, "amqp://u:p@ignored:1/v");
        v.put(RabbitMqTransportProvider.ADDRESSES, List.of("a:5672", "b:5673", "c"));
        v.put(RabbitMqTransportProvider.PASSWORD, "other");
        RabbitMqSettings s = settings(v);
        assertEquals("a:5672,b:5673,c:5672", s.addressList());
        assertEquals("other", s.password);
        assertEquals("u", s.username);
    }

    @Test
    void neverShowsThePassword() {
        RabbitMqSettings s = settings(Map.of(RabbitMqTransportProvider.URI, "amqp://u:hunter2@h:5672/v"));
        assertFalse(s.toString().contains("hunter2"), s.toString());
        assertFalse(s.describe().contains("hunter2"));
    }

    @Test
    void aLoginWrittenIntoAddressesIsUsedAndNeverShown() {
        Map<ConfigKey<?>, Object> v = new HashMap<>();
        v.put(RabbitMqTransportProvider.URI, "amqp://u:p@ignored:1/v");
        v.put(RabbitMqTransportProvider.ADDRESSES, List.of("app:s3cr@t-pw@rabbit-1:5673", "app:s3cr@t-pw@rabbit-2"));
        RabbitMqSettings s = settings(v);
        assertEquals("rabbit-1:5673,rabbit-2:5672", s.addressList());
        assertEquals("app", s.username);
        assertEquals("s3cr@t-pw", s.password);
        assertFalse(s.toString().contains("s3cr"), s.toString());
        assertFalse(s.describe().contains("s3cr"), s.describe());
    }

    @Test
    void aMalformedOrConflictingAddressIsReportedWithItsPasswordMasked() {
        ConfigurationException bad = assertThrows(ConfigurationException.class,
                () -> settings(Map.of(RabbitMqTransportProvider.ADDRESSES, List.of("app:hunter2@rabbit-1:notaport"))));
        assertTrue(bad.getMessage().contains("'app:****@rabbit-1:notaport'"), bad.getMessage());
        assertFalse(bad.getMessage().contains("hunter2"), bad.getMessage());
        ConfigurationException conflicting = assertThrows(ConfigurationException.class,
                () -> settings(Map.of(RabbitMqTransportProvider.ADDRESSES, List.of("a:hunter2@h1", "b:other-pw@h2"))));
        assertTrue(conflicting.getMessage().contains("different logins"), conflicting.getMessage());
        assertFalse(conflicting.getMessage().contains("hunter2") || conflicting.getMessage().contains("other-pw"), conflicting.getMessage());
        assertEquals("user:****@host:5672", RabbitMqSettings.maskUserInfo("user:p@ss:w@host:5672"));
        assertEquals("app@host", RabbitMqSettings.maskUserInfo("app@host"), "a user name alone is not secret");
        assertEquals("host:5672", RabbitMqSettings.maskUserInfo("host:5672"));
    }

    @Test
    void reportsEveryProblemTogetherNamingTheKeys() {
        Map<ConfigKey<?>, Object> v = new HashMap<>();
        v.put(RabbitMqTransportProvider.URI, "http://u:secret@h/");
        v.put(RabbitMqTransportProvider.ADDRESSES, List.of("h:notaport"));
        v.put(RabbitMqTransportProvider.CONFIRM_WINDOW, 0);
        v.put(RabbitMqTransportProvider.PREFIX, "amq.x");
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> settings(v));
        assertEquals(4, e.problems().size(), e.getMessage());
        assertTrue(e.getMessage().contains("switchboard.rabbitmq.uri"));
        assertTrue(e.getMessage().contains("switchboard.rabbitmq.addresses"));
        assertTrue(e.getMessage().contains("switchboard.rabbitmq.confirm-window"));
        assertTrue(e.getMessage().contains("switchboard.rabbitmq.prefix"));
        assertFalse(e.getMessage().contains("secret"));
    }

    @Test
    void aPrefixWithADotIsRefusedNamingTheKey() {
        for (String bad : List.of("a.b", "app.", ".app", "amq", "a b")) {
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> settings(Map.of(RabbitMqTransportProvider.PREFIX, bad)),
                    "prefix '" + bad + "'");
            assertTrue(e.getMessage().contains("switchboard.rabbitmq.prefix") && e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
        assertTrue(assertThrows(ConfigurationException.class, () -> settings(Map.of(RabbitMqTransportProvider.PREFIX, "a.sub")))
                .getMessage().contains("'.'"));
        assertEquals("billing-prod_2", settings(Map.of(RabbitMqTransportProvider.PREFIX, "billing-prod_2")).topology.topicExchange()
                .replace(".topic", ""));
    }

    @Test
    void noTwoThingsGetOneName() {
        // Every name is PREFIX '.' KIND '.' rest, the prefix has no dot and the kind is fixed per
        // thing, so names differ unless prefix, kind and rest all agree; the rest of a delay
        // queue ends in ".<digits>ms" after a last dot, which the part before it cannot hide.
        Map<String, String> queues = new HashMap<>();
        Map<String, String> exchanges = new HashMap<>();
        for (String prefix : List.of("a", "a-sub", "a_b", "sub")) {
            Topology t = new Topology(prefix);
            exchanges.merge(t.topicExchange(), prefix + " topic", RabbitMqSettingsTest::collision);
            for (String name : List.of("x", "sub.x", "x.y", "amq.gen-abc", "dlq.x", "x.10ms", "retry.x", "topic")) {
                exchanges.merge(t.channelExchange(name), prefix + " channel " + name, RabbitMqSettingsTest::collision);
                queues.merge(t.subscriptionQueue(name), prefix + " durable " + name, RabbitMqSettingsTest::collision);
                queues.merge(t.deadLetterQueue(name), prefix + " dead letters " + name, RabbitMqSettingsTest::collision);
                for (long delay : List.of(10L, 12L, 100L)) {
                    queues.merge(t.retryQueue(t.subscriptionQueue(name), delay), prefix + " retry " + name + " " + delay,
                            RabbitMqSettingsTest::collision);
                }
            }
            for (long delay : List.of(10L, 12L)) {
                queues.merge(t.retryQueue("amq.gen-abc", delay), prefix + " transient retry " + delay, RabbitMqSettingsTest::collision);
            }
        }
        assertEquals(4 * 8 * 5 + 4 * 2, queues.size());
    }

    private static String collision(String first, String second) {
        throw new AssertionError("one name for two things: " + first + " and " + second);
    }

    @Test
    void retryDelaysRoundUpToFewSteps() {
        assertEquals(0, RabbitMqDelivery.bucket(0));
        long previous = 0;
        int steps = 0;
        for (long ms = 1; ms <= 600_000; ms++) {
            long b = RabbitMqDelivery.bucket(ms);
            assertTrue(b >= ms && b <= Math.max(10, ms * 5 / 4 + 1), ms + " -> " + b);
            if (b != previous) {
                steps++;
                previous = b;
            }
        }
        assertTrue(steps < 60, steps + " steps");
    }

    @Test
    void namesTheTopologyUnderThePrefix() {
        Topology t = new Topology("sb");
        assertEquals("sb.ch.orders.created", t.channelExchange("orders.created"));
        assertEquals("orders.created", t.channelOf("sb.ch.orders.created"));
        assertEquals("sb.topic", t.topicExchange());
        assertEquals("sb.sub.billing", t.subscriptionQueue("billing"));
        assertEquals("sb.dlq.orders.dead", t.deadLetterQueue("orders.dead"));
        assertEquals("sb.retry.billing.100ms", t.retryQueue("sb.sub.billing", 100));
        assertEquals("sb.retry-transient.amq.gen-abc.100ms", t.retryQueue("amq.gen-abc", 100));
    }

    @Test
    void aDeliveryLimitNeedsQuorumQueuesAndIsNotNegative() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> settings(Map.of(RabbitMqTransportProvider.DELIVERY_LIMIT, 3)));
        assertTrue(e.getMessage().contains("switchboard.rabbitmq.delivery-limit is set but switchboard.rabbitmq.queue-type is not 'quorum'"),
                e.getMessage());
        ConfigurationException negative = assertThrows(ConfigurationException.class, () -> settings(
                Map.of(RabbitMqTransportProvider.DELIVERY_LIMIT, -1, RabbitMqTransportProvider.QUEUE_TYPE, "quorum")));
        assertTrue(negative.getMessage().contains("switchboard.rabbitmq.delivery-limit must be 0 or more, got -1"), negative.getMessage());
        RabbitMqSettings ok = settings(Map.of(RabbitMqTransportProvider.DELIVERY_LIMIT, 3, RabbitMqTransportProvider.QUEUE_TYPE, "quorum"));
        assertEquals(3, (int) ok.deliveryLimit);
    }

    @Test
    void addressesAreShuffledUnlessOrdered() {
        assertTrue(settings(Map.of()).shuffleAddresses);
        assertFalse(settings(Map.of(RabbitMqTransportProvider.ADDRESS_ORDER, "ordered")).shuffleAddresses);
    }

    @Test
    void channelPoolSettingsHaveDefaultsAndBounds() {
        RabbitMqSettings d = settings(Map.of());
        assertEquals(100, d.dedicatedChannels);
        assertEquals(50, d.consumersPerChannel);
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> settings(
                Map.of(RabbitMqTransportProvider.DEDICATED_CHANNELS, 70_000, RabbitMqTransportProvider.CONSUMERS_PER_CHANNEL, 10_001)));
        assertTrue(e.getMessage().contains("dedicated-channels must be from 0 to 65535, got 70000")
                && e.getMessage().contains("consumers-per-channel must be from 1 to 10000, got 10001"), e.getMessage());
    }
}
