package io.switchboard.tck;

/**
 * Fault hooks a {@link TransportContract} subclass may offer, so that the kit can check recovery
 * from a server restart and from dropped connections. A hook that is not offered makes its rules
 * an announced skip naming the missing hook; nothing else is ever skipped.
 *
 * <p>Hooks act on the server the subclass's {@link TransportContract#properties()} point at, so
 * that server must be a private one (a process the test started on a free port, or a TCP proxy in
 * front of one), never a server shared with other tests. Hooks are called from the test thread,
 * one at a time; they may block until done.
 */
public interface TransportFaults {
    /** No hooks: every fault rule is an announced skip. */
    static TransportFaults none() {
        return new TransportFaults() {
            @Override
            public String toString() {
                return "TransportFaults.none()";
            }
        };
    }

    /**
     * Restarts the server the properties point at (data may be lost, unless the server persists
     * it) and returns once it accepts connections again, on the same address.
     *
     * @throws UnsupportedOperationException unless overridden (then {@link #canRestartServer()} must return true)
     * @throws Exception if the restart failed; the rule then fails
     */
    default void restartServer() throws Exception {
        throw new UnsupportedOperationException("restartServer() is not implemented; override it and canRestartServer()");
    }

    /** Whether {@link #restartServer()} is implemented. */
    default boolean canRestartServer() {
        return false;
    }

    /**
     * Cuts every client connection at the server (for example Redis {@code CLIENT KILL TYPE normal},
     * RabbitMQ {@code close_connection}, or closing every socket of a TCP proxy) without restarting
     * it, and returns once done. Clients must be able to connect again at once.
     *
     * @throws UnsupportedOperationException unless overridden (then {@link #canCutConnections()} must return true)
     * @throws Exception if cutting failed; the rule then fails
     */
    default void cutConnections() throws Exception {
        throw new UnsupportedOperationException("cutConnections() is not implemented; override it and canCutConnections()");
    }

    /** Whether {@link #cutConnections()} is implemented. */
    default boolean canCutConnections() {
        return false;
    }
}
