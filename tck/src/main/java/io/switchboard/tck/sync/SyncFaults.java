package io.switchboard.tck.sync;

/**
 * The gap hook a {@link CacheSyncContract} subclass may offer. Without it the gap rule is an
 * announced skip naming the missing hook.
 *
 * <p>The hook acts on the server(s) the subclass's properties point at, so they must be private
 * (a process the test started on a free port), never shared with other tests. Called from the
 * test thread; may block until done.
 */
public interface SyncFaults {
    /** No hook. */
    static SyncFaults none() {
        return new SyncFaults() {
            @Override
            public String toString() {
                return "SyncFaults.none()";
            }
        };
    }

    /**
     * Drops every client connection of the transport's server (for example Redis
     * {@code CLIENT KILL TYPE pubsub}, RabbitMQ {@code close_connection}, or a restart) and
     * returns once the server accepts connections again. The transport must then report
     * {@code LOST}/{@code RECOVERED} (or {@code RECOVERED} with a possible gap).
     *
     * @throws UnsupportedOperationException unless overridden (then {@link #canInterrupt()} must return true)
     * @throws Exception if the interruption failed; the rule then fails
     */
    default void interrupt() throws Exception {
        throw new UnsupportedOperationException("interrupt() is not implemented; override it and canInterrupt()");
    }

    /** Whether {@link #interrupt()} is implemented. */
    default boolean canInterrupt() {
        return false;
    }
}
