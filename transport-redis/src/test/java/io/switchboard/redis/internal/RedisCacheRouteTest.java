package io.switchboard.redis.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.CacheException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.util.JedisClusterCRC16;

class RedisCacheRouteTest {
    private static String token(String key) {
        return new String(RedisCacheRoute.Cluster.clusterTokenKey(key), StandardCharsets.UTF_8);
    }

    @Test
    void aKeyWithoutHashTagKeepsItsTokenUnderATagOfTheWholeKey() {
        for (String key : new String[] {"orders:42", "a", "a{b", "{", "x{}y{z}".replace("}", "")}) {
            assertEquals("{" + key + "} sbv", token(key), key);
            assertEquals(JedisClusterCRC16.getSlot(key), JedisClusterCRC16.getSlot(token(key)), key);
        }
    }

    @Test
    void aKeyWithAHashTagKeepsTheUsualSuffixWhichHasTheSameTag() {
        for (String key : new String[] {"{user-7}:profile", "p{tag}q", "{a}{b}", "x{y}}"}) {
            assertTrue(RedisCacheRoute.Cluster.hasHashTag(key), key);
            assertEquals(key + " sbv", token(key), key);
            assertEquals(JedisClusterCRC16.getSlot(key), JedisClusterCRC16.getSlot(token(key)), key);
        }
    }

    @Test
    void aKeyWithAClosingBraceButNoHashTagIsRefusedNamingIt() {
        for (String key : new String[] {"a}b", "{}x", "x{}y"}) {
            assertFalse(RedisCacheRoute.Cluster.hasHashTag(key), key);
            CacheException e = assertThrows(CacheException.class, () -> token(key), key);
            assertTrue(e.getMessage().contains("cache key '" + key + "' contains '}' but no Redis hash tag"), e.getMessage());
            assertFalse(e.isRetryable());
        }
    }
}
