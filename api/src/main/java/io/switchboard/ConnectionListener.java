package io.switchboard;

/**
 * Hears about connection changes of a {@link Switchboard}'s transport and caches. Called on a
 * dedicated Switchboard thread, one event at a time, in order; must not block for long. An
 * exception thrown by a listener is logged and ignored.
 */
@FunctionalInterface
public interface ConnectionListener {
    /** Called for each event. */
    void onEvent(ConnectionEvent event);
}
