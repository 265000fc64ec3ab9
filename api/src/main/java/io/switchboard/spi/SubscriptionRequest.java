package io.switchboard.spi;

import io.switchboard.SubscriptionOptions;
import java.util.Objects;

/** A validated subscription request, as the facade passes it to {@link Transport#subscribe}. Immutable. */
public final class SubscriptionRequest {
    private final String channelOrPattern;
    private final boolean pattern;
    private final SubscriptionOptions options;
    private final int maxUnacknowledged;

    /**
     * Creates a request.
     *
     * @param channelOrPattern a valid channel or pattern
     * @param options the user's options, already checked against the capabilities
     * @param maxUnacknowledged the most deliveries an at-least-once transport may have outstanding (its prefetch)
     */
    public SubscriptionRequest(String channelOrPattern, SubscriptionOptions options, int maxUnacknowledged) {
        this.channelOrPattern = Objects.requireNonNull(channelOrPattern, "channelOrPattern");
        this.pattern = Channels.isPattern(channelOrPattern);
        this.options = Objects.requireNonNull(options, "options");
        if (maxUnacknowledged < 1) {
            throw new IllegalArgumentException("maxUnacknowledged must be positive, got " + maxUnacknowledged);
        }
        this.maxUnacknowledged = maxUnacknowledged;
    }

    /** The channel or pattern in portable syntax. */
    public String channelOrPattern() {
        return channelOrPattern;
    }

    /** Whether it is a pattern (contains {@code *} or {@code #} segments). */
    public boolean isPattern() {
        return pattern;
    }

    /** The durable name, or {@code null} for a transient subscription. */
    public String durableName() {
        return options.durableName();
    }

    /** The dead-letter channel, or {@code null}. */
    public String deadLetterChannel() {
        return options.deadLetterChannel();
    }

    /** The user's options (concurrency and retry policy are applied by the facade). */
    public SubscriptionOptions options() {
        return options;
    }

    /** The most deliveries an at-least-once transport may have outstanding at once. */
    public int maxUnacknowledged() {
        return maxUnacknowledged;
    }

    @Override
    public String toString() {
        return "SubscriptionRequest[" + channelOrPattern + ", " + options + ", maxUnacknowledged=" + maxUnacknowledged + "]";
    }
}
