package io.switchboard.redis.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.ConfigurationException;
import io.switchboard.redis.RedisConfigKeys;
import io.switchboard.spi.Config;
import io.switchboard.spi.ConfigKey;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RedisSettingsTest {
    /** A configuration where only the URI is set. */
    private static RedisSettings settings(String uri) {
        return settings(Map.of(RedisConfigKeys.URI.name(), uri));
    }

    /** A configuration where only {@code values} (key name to value) are set. */
    private static RedisSettings settings(Map<String, String> values) {
        Config config = new Config() {
            @Override
            @SuppressWarnings("unchecked")
            public <T> T get(ConfigKey<T> key) {
                return values.containsKey(key.name()) ? (T) values.get(key.name()) : key.defaultValue();
            }

            @Override
            public boolean isSet(ConfigKey<?> key) {
                return values.containsKey(key.name());
            }

            @Override
            public Set<String> keysSet() {
                return Set.of(RedisConfigKeys.URI.name());
            }

            @Override
            public String sourceOf(ConfigKey<?> key) {
                return "test";
            }

            @Override
            public String toString() {
                return "test config";
            }
        };
        return RedisSettings.from(config, "t", 4L << 20);
    }

    @Test
    void aPasswordWithUnencodedAtSlashHashOrQuestionMarkIsAllPassword() {
        for (String pw : new String[] {"a@b/c", "a#b", "a?b/c", "a@b@c", "p@ss:w/rd"}) {
            RedisSettings s = settings("redis://app:" + pw + "@db.example:6380/2");
            assertEquals("app", s.endpoint.user(), pw);
            assertEquals(pw, s.clientConfig().getPassword(), pw);
            assertEquals("db.example", s.endpoint.host(), pw);
            assertEquals(6380, s.endpoint.port(), pw);
            assertEquals(2, s.endpoint.database(), pw);
            assertEquals("redis://app@db.example:6380/2", s.describe());
        }
    }

    @Test
    void percentEscapesAreDecodedAndCharactersOutsideTheBmpKept() {
        RedisSettings s = settings("redis://%61pp:%40%2F%25%F0%9F%9A%80x\uD83D\uDE80@h");
        assertEquals("app", s.endpoint.user());
        assertEquals("@/%\uD83D\uDE80x\uD83D\uDE80", s.clientConfig().getPassword());
        assertEquals(6379, s.endpoint.port());
        RedisSettings none = settings("redis://h:1");
        assertNull(none.endpoint.user());
        assertFalse(none.endpoint.hasPassword());
    }

    @Test
    void problemsWithTheUriNeverEchoThePassword() {
        for (String uri : new String[] {"redis://u:Sec9Ret@/3", "redis://u:Sec9Ret@h:1/x", "redis://u:Sec%9Ret@h", "redis://u:Sec9Ret@h?x=1",
            "redis:/u:Sec9Ret@h", "http://u:Sec9Ret@h"}) {
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> settings(uri), uri);
            assertFalse(e.getMessage().contains("Sec9Ret") || e.getMessage().contains("Sec%9Ret"), e.getMessage());
        }
    }

    @Test
    void readsASentinelUriWithSentinelsMasterNameAndDatabase() {
        RedisSettings s = settings("redis-sentinel://app:s3cr@t@10.0.0.1:26380,sentinel-b,[::1]:26390/orders/2");
        assertEquals(io.switchboard.redis.common.RedisEndpoint.Topology.SENTINEL, s.endpoint.topology());
        assertEquals(java.util.List.of(new redis.clients.jedis.HostAndPort("10.0.0.1", 26380),
                new redis.clients.jedis.HostAndPort("sentinel-b", 26379), new redis.clients.jedis.HostAndPort("::1", 26390)),
                s.endpoint.addresses());
        assertEquals("orders", s.endpoint.masterName());
        assertEquals(2, s.endpoint.database());
        assertEquals("s3cr@t", s.clientConfig().getPassword());
        assertNull(s.endpoint.sentinelClientConfig().getPassword(), "sentinels are asked without the master's password");
        assertEquals("redis-sentinel://app@10.0.0.1:26380,sentinel-b:26379,::1:26390/orders/2", s.describe());
        assertFalse(s.toString().contains("s3cr"), s.toString());
    }

    @Test
    void readsAClusterUriWithSeedNodes() {
        RedisSettings s = settings("rediss-cluster://:pw@node-1:7000,node-2");
        assertEquals(io.switchboard.redis.common.RedisEndpoint.Topology.CLUSTER, s.endpoint.topology());
        assertEquals(java.util.List.of(new redis.clients.jedis.HostAndPort("node-1", 7000),
                new redis.clients.jedis.HostAndPort("node-2", 6379)), s.endpoint.addresses());
        assertEquals(true, s.endpoint.tls());
        assertEquals("rediss-cluster://node-1:7000,node-2:6379", s.describe());
    }

    @Test
    void refusesASentinelUriWithoutMasterNameAndAClusterUriWithADatabaseNamingTheKey() {
        ConfigurationException noMaster = assertThrows(ConfigurationException.class, () -> settings("redis-sentinel://s1:26379,s2:26379"));
        assertTrue(noMaster.getMessage().contains("switchboard.redis.uri is redis-sentinel:// but names no master"), noMaster.getMessage());
        ConfigurationException db = assertThrows(ConfigurationException.class, () -> settings("redis-cluster://n1:7000/3"));
        assertTrue(db.getMessage().contains("switchboard.redis.uri has path '/3', but a Redis Cluster has only database 0"), db.getMessage());
        ConfigurationException empty = assertThrows(ConfigurationException.class, () -> settings("redis-cluster://n1:7000,,n2:7001"));
        assertTrue(empty.getMessage().contains("switchboard.redis.uri has an empty cluster seed node address"), empty.getMessage());
        ConfigurationException scheme = assertThrows(ConfigurationException.class, () -> settings("redis-shard://n1:7000"));
        assertTrue(scheme.getMessage().contains("got scheme 'redis-shard'"), scheme.getMessage());
    }

    @Test
    void theSentinelsCredentialsAreTheirOwnKeysAndNeverTheMasters() {
        RedisSettings s = settings(Map.of(RedisConfigKeys.URI.name(), "redis-sentinel://app:m4st@s1/orders",
                RedisConfigKeys.SENTINEL_USER.name(), "watcher", RedisConfigKeys.SENTINEL_PASSWORD.name(), "s3nt"));
        assertEquals("watcher", s.endpoint.sentinelClientConfig().getUser());
        assertEquals("s3nt", s.endpoint.sentinelClientConfig().getPassword());
        assertEquals("m4st", s.clientConfig().getPassword(), "the master is asked with the URI's password");
        assertEquals("app", s.clientConfig().getUser());
        assertTrue(s.endpoint.hasSentinelPassword());
        assertFalse(s.toString().contains("s3nt") || s.describe().contains("s3nt"), s.toString());
        assertTrue(RedisConfigKeys.SENTINEL_PASSWORD.isSecret(), "the sentinel password is masked in every listing");
    }

    @Test
    void sentinelCredentialsWithoutSentinelsOrAUserWithoutPasswordAreRefusedNamingTheKey() {
        ConfigurationException server = assertThrows(ConfigurationException.class, () -> settings(Map.of(RedisConfigKeys.URI.name(),
                "redis://h:1", RedisConfigKeys.SENTINEL_PASSWORD.name(), "s3nt")));
        assertTrue(server.getMessage().contains("switchboard.redis.sentinel.password is set, but switchboard.redis.uri is not redis-sentinel://"),
                server.getMessage());
        assertFalse(server.getMessage().contains("s3nt"), server.getMessage());
        ConfigurationException user = assertThrows(ConfigurationException.class, () -> settings(Map.of(RedisConfigKeys.URI.name(),
                "redis-sentinel://s1/orders", RedisConfigKeys.SENTINEL_USER.name(), "watcher")));
        assertTrue(user.getMessage().contains("switchboard.redis.sentinel.user is set without switchboard.redis.sentinel.password"),
                user.getMessage());
    }
}
