package io.switchboard;

/** How often a published message reaches each subscription, at best. */
public enum DeliveryGuarantee {
    /** Fire and forget: a message may be lost (for example while a subscriber is disconnected), never duplicated by the transport. */
    AT_MOST_ONCE,
    /** A message accepted by the broker is delivered until a handler acknowledges it; duplicates are possible. */
    AT_LEAST_ONCE;

    /** The configuration spelling: {@code at-most-once} or {@code at-least-once}. */
    public String key() {
        return this == AT_MOST_ONCE ? "at-most-once" : "at-least-once";
    }

    @Override
    public String toString() {
        return key();
    }
}
