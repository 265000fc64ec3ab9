package io.switchboard.spi;

/**
 * Where a provider reports its connection state. Thread-safe; calls return at once (listeners
 * run on the facade's own thread).
 */
public interface ConnectionEvents {
    /** The first connection is established. */
    void connected();

    /** The connection was lost; the provider is reconnecting. */
    void lost(Throwable cause);

    /**
     * The connection is back and every subscription re-established.
     *
     * @param possibleGap whether messages may have been missed meanwhile; an at-most-once
     *     transport must pass {@code true}
     */
    void recovered(boolean possibleGap);
}
