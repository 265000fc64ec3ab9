package io.switchboard;

/**
 * Hears about every message a subscription gave up on: neither handled successfully nor moved to
 * a dead-letter channel (see {@link DropEvent.Reason}). Works whether or not the application has an
 * SLF4J provider, so an application can count, alert on or record drops without reading logs.
 *
 * <p>Called on one dedicated thread per {@link Switchboard}, one event at a time, in the order the
 * drops were recorded; must not block for long. Events wait for the listeners in a queue of at
 * most {@value DropEvent#MAX_PENDING} events; beyond that, new events are not delivered but counted
 * ({@code dropEventsMissed} in {@link Switchboard#health()}, whose drop counters stay complete). An
 * exception thrown by a listener is logged and ignored: it never affects delivery, the other
 * listeners or later events. Register with {@link Switchboard.Builder#dropListener} to hear from
 * the first subscription on, or {@link Switchboard#addDropListener}.
 */
@FunctionalInterface
public interface DropListener {
    /** Called for each dropped message. */
    void onDrop(DropEvent event);
}
