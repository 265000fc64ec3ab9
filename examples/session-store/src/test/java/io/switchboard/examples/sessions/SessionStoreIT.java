package io.switchboard.examples.sessions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.Switchboard;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The session store on the in-memory cache and on the Redis and memcached servers of bin/services, seen from two instances. */
class SessionStoreIT {
    private final List<Switchboard> opened = new ArrayList<>();

    static Stream<Arguments> caches() {
        return Stream.of(
                Arguments.of("memory", Map.of("switchboard.cache", "memory", "switchboard.memory.broker", "sessions-" + UUID.randomUUID())),
                Arguments.of("redis", Map.of("switchboard.cache", "redis", "switchboard.redis.uri", "redis://127.0.0.1:6379")),
                Arguments.of("memcached", Map.of("switchboard.cache", "memcached", "switchboard.memcached.servers", "127.0.0.1:11211")));
    }

    @AfterEach
    void closeAll() {
        opened.forEach(Switchboard::close);
    }

    private SessionStore store(Map<String, Object> cache, Duration maxAge) {
        Map<String, Object> settings = new java.util.HashMap<>(cache);
        settings.put("switchboard.transport", "memory");
        Switchboard sb = Switchboard.open(settings);
        opened.add(sb);
        return new SessionStore(sb.cache("sessions"), maxAge);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("caches")
    void touchedSessionsOutliveTheirMaxAgeAndExpireOnceIdle(String name, Map<String, Object> cache) throws Exception {
        Duration maxAge = Duration.ofSeconds(2);
        SessionStore web1 = store(cache, maxAge);
        SessionStore web2 = store(cache, maxAge);
        String sid = SessionStore.newId();
        Session session = new Session("ada", Map.of("cart", "3 items"), Instant.parse("2026-12-02T10:15:30Z"));
        web1.set(sid, session);
        assertEquals(session, web2.get(sid), "another instance reads the session");
        long start = System.nanoTime();
        // Requests alternate between the instances, every 500 ms for twice the max age.
        for (int i = 0; System.nanoTime() - start < Duration.ofSeconds(4).toNanos(); i++) {
            assertTrue((i % 2 == 0 ? web1 : web2).touch(sid), () -> "touch at " + (System.nanoTime() - start) / 1_000_000 + " ms");
            Thread.sleep(500);
        }
        assertEquals(session, web1.get(sid), "a touched session is unchanged after twice its max age");
        long idle = System.nanoTime();
        while (web2.get(sid) != null) {
            assertTrue(System.nanoTime() - idle < Duration.ofSeconds(6).toNanos(), "an idle session expires within a few seconds of its max age");
            Thread.sleep(100);
        }
        assertFalse(web1.touch(sid), "touch of an expired session");
        assertNull(web1.get(sid), "touch did not revive it");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("caches")
    void destroyEndsTheSessionEverywhere(String name, Map<String, Object> cache) {
        SessionStore web1 = store(cache, Duration.ofMinutes(30));
        SessionStore web2 = store(cache, Duration.ofMinutes(30));
        String sid = SessionStore.newId();
        web1.set(sid, new Session(null, Map.of(), Instant.now()));
        web1.set(sid, web1.get(sid).with("user-agent", "curl/8"));
        assertEquals("curl/8", web2.get(sid).data().get("user-agent"));
        assertTrue(web2.destroy(sid), "logout on another instance");
        assertNull(web1.get(sid));
        assertFalse(web1.touch(sid), "touch after logout");
        assertFalse(web1.destroy(sid), "second logout");
        assertNotNull(SessionStore.newId());
        assertNotEquals(SessionStore.newId(), SessionStore.newId(), "ids are random");
        assertEquals(43, SessionStore.newId().length(), "32 bytes, Base64url without padding");
    }
}
