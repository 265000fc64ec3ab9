package io.switchboard.examples.sessions;

import io.switchboard.Switchboard;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * Simulates a user's visits: a login creates a session, each request touches it, and the session
 * survives well past its two-second age as long as requests keep coming, then expires once they
 * stop. The cache comes from configuration ({@code -Dswitchboard.cache=redis} or
 * {@code memcached}); unset, the in-memory cache. Run: {@code mvn -pl examples/session-store exec:java}.
 */
public final class SessionStoreApp {
    private SessionStoreApp() {
    }

    /** Runs the simulation and prints each step. */
    public static void main(String[] args) throws InterruptedException {
        Map<String, String> settings = Map.of("switchboard.transport", "memory",
                "switchboard.cache", System.getProperty("switchboard.cache", "memory"));
        try (Switchboard sb = Switchboard.open(settings)) {
            SessionStore store = new SessionStore(sb.cache("sessions"), Duration.ofSeconds(2));
            String sid = SessionStore.newId();
            store.set(sid, new Session("ada", Map.of("theme", "dark"), Instant.now()));
            System.out.println("login: session " + sid + " for " + store.get(sid).user());
            for (int request = 1; request <= 8; request++) {
                Thread.sleep(500);
                System.out.println("request " + request + " at " + request * 500 + " ms: touch -> " + store.touch(sid));
            }
            System.out.println("still logged in after 4 s: " + (store.get(sid) != null));
            Thread.sleep(4000);
            System.out.println("after 4 s without requests: " + (store.get(sid) == null ? "expired" : "still there"));
            System.out.println("destroy of the expired session -> " + store.destroy(sid));
        }
    }
}
