package io.switchboard.tck;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * The fault hooks a contract subclass offers, one set for {@link TransportContract},
 * {@link CacheContract} and {@link io.switchboard.tck.sync.CacheSyncContract}: they break the
 * server the subclass's {@code properties()} point at, so that the fault rules can check what the
 * provider does about it. A rule whose hook is not offered is an announced skip naming the hook;
 * nothing else is ever skipped.
 *
 * <pre>{@code
 * protected Faults faults() {
 *     return Faults.builder()
 *             .cutConnections(server::killClients)        // every client connection dropped, server stays up
 *             .outage(server::stop, server::start)         // held down: refuses connections until start
 *             .build();                                    // restartServer() is then stop + start
 * }
 * }</pre>
 *
 * <p>Hooks act on a <b>private</b> server (a process the test started on a free port, or a
 * {@link SimulatedConnection}), never on one shared with other tests. The kit calls them from the
 * test thread, one at a time; each may block until done and must return only when the server is
 * in the state it names ({@code startServer()} and {@code restartServer()}: accepting
 * connections again on the same address). Immutable and thread-safe.
 */
public final class Faults {
    /** What a hook does to the server. */
    public enum Hook {
        /** Drop every client connection; the server keeps running and accepts new connections at once. */
        CUT_CONNECTIONS("cutConnections()"),
        /** Restart the server; data may be lost unless the server persists it. */
        RESTART_SERVER("restartServer()"),
        /** Hold the server down for a window: {@code stopServer()}, then later {@code startServer()}. */
        OUTAGE("stopServer()/startServer()"),
        /**
         * For a provider spread over several servers: hold one of them down ({@code stopOneServer()})
         * while the others keep running, then later {@code startOneServer()}. Offering
         * {@link #OUTAGE} alone offers this too, as the outage of the one server.
         */
        ONE_SERVER_OUTAGE("stopOneServer()/startOneServer()");

        private final String method;

        Hook(String method) {
            this.method = method;
        }

        /** The hook's method name(s), for skip reasons and failure messages. */
        public String method() {
            return method;
        }
    }

    /** A hook's action; may throw, and the rule then fails with that exception. */
    @FunctionalInterface
    public interface Action {
        /**
         * Does it, blocking until done.
         *
         * @throws Exception if the fault could not be applied
         */
        void run() throws Exception;
    }

    private static final Faults NONE = new Faults(new EnumMap<>(Hook.class), null, null, "Faults.none()");

    private final Map<Hook, Action> actions;
    private final Action start;
    private final Action startOne;
    private final String description;

    private Faults(Map<Hook, Action> actions, Action start, Action startOne, String description) {
        this.actions = actions;
        this.start = start;
        this.startOne = startOne;
        this.description = description;
    }

    /** No hooks: every fault rule is an announced skip. */
    public static Faults none() {
        return NONE;
    }

    /** Starts a set of hooks. */
    public static Builder builder() {
        return new Builder();
    }

    /** Whether the hook is offered. */
    public boolean offers(Hook hook) {
        return actions.containsKey(Objects.requireNonNull(hook, "hook"));
    }

    /**
     * Drops every client connection of the server; returns once done.
     *
     * @throws UnsupportedOperationException if the hook is not offered
     * @throws Exception if the hook failed
     */
    public void cutConnections() throws Exception {
        action(Hook.CUT_CONNECTIONS).run();
    }

    /**
     * Restarts the server; returns once it accepts connections again.
     *
     * @throws UnsupportedOperationException if the hook is not offered
     * @throws Exception if the hook failed
     */
    public void restartServer() throws Exception {
        action(Hook.RESTART_SERVER).run();
    }

    /**
     * Stops the server: connections are dropped and new ones refused until {@link #startServer()}.
     *
     * @throws UnsupportedOperationException if the outage hook is not offered
     * @throws Exception if the hook failed
     */
    public void stopServer() throws Exception {
        action(Hook.OUTAGE).run();
    }

    /**
     * Starts the server stopped by {@link #stopServer()}; returns once it accepts connections.
     *
     * @throws UnsupportedOperationException if the outage hook is not offered
     * @throws Exception if the hook failed
     */
    public void startServer() throws Exception {
        action(Hook.OUTAGE);
        start.run();
    }

    /**
     * Stops one of the provider's several servers; the others keep running. Connections to it are
     * dropped and new ones refused until {@link #startOneServer()}.
     *
     * @throws UnsupportedOperationException if the one-server outage hook is not offered
     * @throws Exception if the hook failed
     */
    public void stopOneServer() throws Exception {
        action(Hook.ONE_SERVER_OUTAGE).run();
    }

    /**
     * Starts the server stopped by {@link #stopOneServer()}; returns once it accepts connections.
     *
     * @throws UnsupportedOperationException if the one-server outage hook is not offered
     * @throws Exception if the hook failed
     */
    public void startOneServer() throws Exception {
        action(Hook.ONE_SERVER_OUTAGE);
        startOne.run();
    }

    private Action action(Hook hook) {
        Action a = actions.get(hook);
        if (a == null) {
            throw new UnsupportedOperationException(hook.method() + " is not offered by " + this);
        }
        return a;
    }

    /** What the hooks act on, and which are offered. */
    @Override
    public String toString() {
        return description;
    }

    /** Collects hooks. Not thread-safe; {@link #build()} makes an immutable {@link Faults}. */
    public static final class Builder {
        private final Map<Hook, Action> actions = new EnumMap<>(Hook.class);
        private Action start;
        private Action startOne;
        private String name;

        private Builder() {
        }

        /** Offers {@link Hook#CUT_CONNECTIONS}. */
        public Builder cutConnections(Action cut) {
            actions.put(Hook.CUT_CONNECTIONS, Objects.requireNonNull(cut, "cut"));
            return this;
        }

        /** Offers {@link Hook#RESTART_SERVER}; without it, an outage hook also restarts (stop, then start). */
        public Builder restartServer(Action restart) {
            actions.put(Hook.RESTART_SERVER, Objects.requireNonNull(restart, "restart"));
            return this;
        }

        /** Offers {@link Hook#OUTAGE}: {@code stop} takes the server down, {@code start} brings it back. */
        public Builder outage(Action stop, Action start) {
            actions.put(Hook.OUTAGE, Objects.requireNonNull(stop, "stop"));
            this.start = Objects.requireNonNull(start, "start");
            return this;
        }

        /**
         * Offers {@link Hook#ONE_SERVER_OUTAGE}, for a provider configured with several servers:
         * {@code stop} takes one of them down, {@code start} brings it back. Without it, an
         * outage hook stands for it (a single server's outage).
         */
        public Builder oneServerOutage(Action stop, Action start) {
            actions.put(Hook.ONE_SERVER_OUTAGE, Objects.requireNonNull(stop, "stop"));
            this.startOne = Objects.requireNonNull(start, "start");
            return this;
        }

        /** What the hooks act on, for skip reasons and failure messages (for example "private redis-server on port 41234"). */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** The hooks. */
        public Faults build() {
            Map<Hook, Action> copy = new EnumMap<>(Hook.class);
            copy.putAll(actions);
            Action stop = copy.get(Hook.OUTAGE);
            Action up = start;
            if (stop != null && !copy.containsKey(Hook.RESTART_SERVER)) {
                copy.put(Hook.RESTART_SERVER, () -> {
                    stop.run();
                    up.run();
                });
            }
            Action upOne = startOne;
            if (stop != null && !copy.containsKey(Hook.ONE_SERVER_OUTAGE)) {
                copy.put(Hook.ONE_SERVER_OUTAGE, stop); // one server: its outage is the one-server outage
                upOne = up;
            }
            StringBuilder d = new StringBuilder(name == null ? "Faults" : name).append(" offering ");
            d.append(copy.isEmpty() ? "no hook" : String.join(", ", copy.keySet().stream().map(Hook::method).toArray(String[]::new)));
            return new Faults(copy, up, upOne, d.toString());
        }
    }
}
