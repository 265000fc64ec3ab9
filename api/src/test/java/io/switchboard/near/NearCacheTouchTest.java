package io.switchboard.near;

import static io.switchboard.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.NearCache;
import io.switchboard.NearCacheOptions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link NearCache#touch}: the shared TTL changes, and no instance keeps a copy past it. */
class NearCacheTouchTest {
    private final NearFixture fx = NearFixture.lossy();

    @AfterEach
    void closeAll() {
        fx.close();
    }

    @Test
    void touchWithAShorterTtlMakesNoInstanceServeTheKeyPastIt() {
        List<NearCache<String>> fleet = fx.instances(2, String.class, NearCacheOptions.defaults());
        NearCache<String> a = fleet.get(0);
        NearCache<String> b = fleet.get(1);
        a.put("session", "ada", Duration.ZERO);
        await(() -> b.stats().invalidationsReceived() >= 1, "b heard of the write");
        assertEquals("ada", b.get("session"), "b reads and keeps the value");
        assertEquals("ada", b.peek("session"));
        long before = b.stats().invalidationsReceived();
        assertTrue(a.touch("session", Duration.ofMillis(300)), "touch of a held key");
        await(() -> b.stats().invalidationsReceived() > before, "b heard of the touch");
        assertNull(b.peek("session"), "b dropped its copy, kept without expiry, on hearing of the touch");
        assertEquals("ada", b.get("session"), "the value is unchanged");
        await(Duration.ofSeconds(5), () -> a.get("session") == null && b.get("session") == null,
                "neither instance serves the key after the touched TTL");
        assertNull(a.peek("session"), "a's local copy expired with the touched TTL");
    }

    @Test
    void touchOfAMissingKeyReturnsFalseAndDropsTheLocalCopy() {
        NearCache<String> a = fx.near(fx.open(), String.class, NearCacheOptions.defaults());
        a.put("gone", "v", Duration.ofMinutes(5));
        assertTrue(fx.open().cache(fx.cacheName()).delete("gone"), "deleted behind the near cache's back");
        assertEquals("v", a.peek("gone"), "the local copy did not hear of it");
        assertFalse(a.touch("gone", Duration.ofMinutes(5)), "touch of a key the shared cache lost");
        assertNull(a.peek("gone"), "the stale local copy is dropped");
    }

    @Test
    void touchKeepsTheLocalCopyNoLongerThanBefore() {
        NearCache<String> a = fx.near(fx.open(), String.class, NearCacheOptions.defaults());
        a.put("k", "v", Duration.ofMillis(400));
        assertTrue(a.touch("k", Duration.ofMinutes(5)), "touch with a longer TTL");
        assertEquals("v", a.get("k"), "the shared entry lives on");
        await(Duration.ofSeconds(5), () -> a.peek("k") == null, "the local copy keeps its earlier deadline");
        assertEquals("v", a.get("k"), "read again from the shared cache, which the touch kept");
    }
}
