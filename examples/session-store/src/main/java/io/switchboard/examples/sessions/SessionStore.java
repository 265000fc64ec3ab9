package io.switchboard.examples.sessions;

import io.switchboard.SharedCache;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;

/**
 * A session store in the shape of Express's ({@code express-session}): {@code get}, {@code set},
 * {@code touch} and {@code destroy}, on any {@link SharedCache}. Sessions expire {@code maxAge}
 * after their last use: {@link #touch} slides the expiry without rewriting the session, so a
 * request that only reads its session costs one small command (Redis {@code PEXPIRE}, memcached
 * {@code touch}) instead of a write of the whole session.
 *
 * <p>Not offered, because no Switchboard cache can list keys (memcached cannot): Express's
 * optional {@code all}, {@code length} and {@code clear}. Keep an index elsewhere if you need them.
 *
 * <p>Thread-safe; every method blocks for at most the cache's operation timeout and throws what
 * {@link SharedCache}'s blocking methods throw.
 */
public final class SessionStore {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SharedCache cache;
    private final Duration maxAge;

    /**
     * A store on {@code cache} (for example {@code switchboard.cache("sessions")}, whose keys are
     * prefixed {@code sessions:}) whose sessions live {@code maxAge} after their last use.
     */
    public SessionStore(SharedCache cache, Duration maxAge) {
        this.cache = Objects.requireNonNull(cache, "cache");
        this.maxAge = Objects.requireNonNull(maxAge, "maxAge");
        if (maxAge.isZero() || maxAge.isNegative()) {
            throw new IllegalArgumentException("maxAge must be positive, not " + maxAge);
        }
    }

    /** A new session id: 32 random bytes, URL-safe Base64 (43 characters). */
    public static String newId() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** The session, or {@code null} if it never existed, expired or was destroyed. */
    public Session get(String sid) {
        return cache.get(sid, Session.class);
    }

    /** Stores the session, which then lives {@code maxAge}. */
    public void set(String sid, Session session) {
        cache.put(sid, session, maxAge);
    }

    /** Gives the session another {@code maxAge} from now; {@code false} if it is gone (then log the user out). */
    public boolean touch(String sid) {
        return cache.touch(sid, maxAge);
    }

    /** Ends the session; {@code false} if it was gone already. */
    public boolean destroy(String sid) {
        return cache.delete(sid);
    }
}
