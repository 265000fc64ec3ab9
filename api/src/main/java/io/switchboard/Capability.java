package io.switchboard;

import java.util.Locale;

/**
 * Something a transport may or may not offer. Each transport declares its set once, in
 * {@link Capabilities}; the facade refuses calls that need an undeclared capability, and the
 * contract kit tests every declared one and the refusal of every undeclared one.
 */
public enum Capability {
    /** Every message is delivered at least once: handlers acknowledge, failures are redelivered. */
    AT_LEAST_ONCE,
    /** A named subscription keeps messages while none of its subscribers is connected. */
    DURABLE_SUBSCRIPTIONS,
    /** Several subscribers with the same subscription name share its messages, each message going to one. */
    COMPETING_CONSUMERS,
    /** Subscriptions may use the portable {@code *} and {@code #} wildcards. */
    PATTERN_SUBSCRIPTIONS,
    /** A message that exhausts its retries is moved to a dead-letter channel instead of dropped. */
    DEAD_LETTERS,
    /** Messages from one publisher to one channel reach a subscription (concurrency 1) in publish order. */
    PER_CHANNEL_ORDERING,
    /** Accepted messages and durable subscriptions survive a restart of the broker. */
    SURVIVES_RESTART;

    /** The configuration spelling: lower case with dashes, for example {@code durable-subscriptions}. */
    public String key() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * Parses the configuration spelling ({@code durable-subscriptions}) or the constant name.
     *
     * @throws IllegalArgumentException if no capability has that name; the message lists them all
     */
    public static Capability fromKey(String key) {
        String normalized = key.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (Capability c : values()) {
            if (c.name().equals(normalized)) {
                return c;
            }
        }
        StringBuilder known = new StringBuilder();
        for (Capability c : values()) {
            known.append(known.length() == 0 ? "" : ", ").append(c.key());
        }
        throw new IllegalArgumentException("unknown capability '" + key + "'; known: " + known);
    }

    @Override
    public String toString() {
        return key();
    }
}
