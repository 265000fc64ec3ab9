package io.switchboard;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How to subscribe: durable name, concurrency, retry policy and dead-letter channel. Immutable;
 * derive variants with the {@code with...} methods, starting from {@link #defaults()}.
 *
 * <p>Defaults: not durable (the subscription lives while it is open), concurrency 1 (one message
 * at a time, in order), {@link RetryPolicy#defaults()}, no dead-letter channel (a message that
 * exhausts its retries is dropped, logged and counted in {@link Switchboard#health()}).
 */
public final class SubscriptionOptions {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,99}");
    private static final SubscriptionOptions DEFAULTS = new SubscriptionOptions(null, 1, RetryPolicy.defaults(), null);

    private final String durableName;
    private final int concurrency;
    private final RetryPolicy retryPolicy;
    private final String deadLetterChannel;

    private SubscriptionOptions(String durableName, int concurrency, RetryPolicy retryPolicy, String deadLetterChannel) {
        this.durableName = durableName;
        this.concurrency = concurrency;
        this.retryPolicy = retryPolicy;
        this.deadLetterChannel = deadLetterChannel;
    }

    /** The defaults described above. */
    public static SubscriptionOptions defaults() {
        return DEFAULTS;
    }

    /**
     * A durable, named subscription: the broker keeps its messages while no subscriber is
     * connected, and every subscriber using the same name (in any process) shares its messages,
     * each going to one of them (competing consumers). Needs
     * {@link Capability#DURABLE_SUBSCRIPTIONS}; checked at subscribe.
     *
     * @param name 1 to 100 characters: letters, digits, {@code _}, {@code .}, {@code -}, starting with a letter or digit
     * @throws IllegalArgumentException if the name is not of that form
     */
    public SubscriptionOptions durable(String name) {
        Objects.requireNonNull(name, "durable subscription name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("durable subscription name '" + name
                    + "' must be 1 to 100 characters of letters, digits, '_', '.', '-', starting with a letter or digit");
        }
        return new SubscriptionOptions(name, concurrency, retryPolicy, deadLetterChannel);
    }

    /**
     * How many messages this subscription handles at once in this process. 1 keeps per-channel
     * order; more trades order for throughput.
     *
     * @throws IllegalArgumentException if not between 1 and 1024
     */
    public SubscriptionOptions concurrency(int concurrency) {
        if (concurrency < 1 || concurrency > 1024) {
            throw new IllegalArgumentException("concurrency must be between 1 and 1024, got " + concurrency);
        }
        return new SubscriptionOptions(durableName, concurrency, retryPolicy, deadLetterChannel);
    }

    /** How failed deliveries are retried. */
    public SubscriptionOptions retry(RetryPolicy policy) {
        return new SubscriptionOptions(durableName, concurrency, Objects.requireNonNull(policy, "retry policy"), deadLetterChannel);
    }

    /**
     * Where a message goes after its last failed attempt: it is published to this channel with
     * its id, payload and headers, plus headers {@code sb-dead-letter-reason},
     * {@code sb-original-channel} and {@code sb-attempts}. Subscribe to that channel (durably) to
     * inspect or replay dead letters. Needs {@link Capability#DEAD_LETTERS}; checked at subscribe.
     *
     * @throws IllegalArgumentException if the channel name is invalid (checked at subscribe)
     */
    public SubscriptionOptions deadLetterChannel(String channel) {
        return new SubscriptionOptions(durableName, concurrency, retryPolicy, Objects.requireNonNull(channel, "dead-letter channel"));
    }

    /** The durable subscription name, or {@code null} for a transient subscription. */
    public String durableName() {
        return durableName;
    }

    /** Whether the subscription is durable. */
    public boolean isDurable() {
        return durableName != null;
    }

    /** Handler calls allowed at once. */
    public int concurrency() {
        return concurrency;
    }

    /** The retry policy. */
    public RetryPolicy retryPolicy() {
        return retryPolicy;
    }

    /** The dead-letter channel, or {@code null} for none. */
    public String deadLetterChannel() {
        return deadLetterChannel;
    }

    @Override
    public String toString() {
        return "SubscriptionOptions[durable=" + durableName + ", concurrency=" + concurrency + ", retry=" + retryPolicy
                + ", deadLetterChannel=" + deadLetterChannel + "]";
    }
}
