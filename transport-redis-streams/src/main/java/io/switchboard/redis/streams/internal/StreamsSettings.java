package io.switchboard.redis.streams.internal;

import io.switchboard.ConfigurationException;
import io.switchboard.redis.common.RedisEndpoint;
import io.switchboard.redis.streams.RedisStreamsConfigKeys;
import io.switchboard.spi.Config;
import io.switchboard.spi.ProviderContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The parsed, validated Redis Streams settings. Immutable; {@link #toString()} never shows the password. */
final class StreamsSettings {
    final RedisEndpoint endpoint;
    final String channelPrefix;
    final long maxLength;
    final Duration maxAge;
    final int waitReplicas;
    final int maxInFlight;
    final Duration claimIdle;
    final Duration reapAfter;
    final Duration pollInterval;
    final boolean survivesRestart;
    final Duration minBackoff;
    final Duration maxBackoff;
    final long maxMessageSize;

    private StreamsSettings(Config config, String instanceName, long maxMessageSize, List<String> problems) {
        endpoint = RedisEndpoint.parse(config, RedisStreamsConfigKeys.CONNECTION, instanceName, problems);
        channelPrefix = RedisEndpoint.channelPrefix(config, RedisStreamsConfigKeys.CONNECTION, problems);
        maxLength = config.get(RedisStreamsConfigKeys.MAX_LENGTH);
        if (maxLength < 0) {
            problems.add(RedisStreamsConfigKeys.MAX_LENGTH.name() + " is " + maxLength + "; it must be 0 (no length limit) or more");
        }
        maxAge = config.get(RedisStreamsConfigKeys.MAX_AGE);
        if (maxAge.isNegative()) {
            problems.add(RedisStreamsConfigKeys.MAX_AGE.name() + " must not be negative");
        }
        if (maxAge.compareTo(Duration.ZERO) > 0 && maxLength > 0 && config.isSet(RedisStreamsConfigKeys.MAX_LENGTH)) {
            problems.add(RedisStreamsConfigKeys.MAX_AGE.name() + " and " + RedisStreamsConfigKeys.MAX_LENGTH.name()
                    + " are both set; XADD trims by one of them: keep max-age (trim by age) or max-length (trim by length)");
        }
        if (maxLength == 0 && maxAge.isZero()) {
            problems.add(RedisStreamsConfigKeys.MAX_LENGTH.name() + " and " + RedisStreamsConfigKeys.MAX_AGE.name()
                    + " are both 0, so streams would grow without bound; set at least one");
        }
        waitReplicas = config.get(RedisStreamsConfigKeys.WAIT_REPLICAS);
        if (waitReplicas < 0) {
            problems.add(RedisStreamsConfigKeys.WAIT_REPLICAS.name() + " is " + waitReplicas + "; it must be 0 or more");
        }
        maxInFlight = config.get(RedisStreamsConfigKeys.PUBLISH_MAX_IN_FLIGHT);
        if (maxInFlight < 1) {
            problems.add(RedisStreamsConfigKeys.PUBLISH_MAX_IN_FLIGHT.name() + " is " + maxInFlight + "; it must be at least 1");
        }
        claimIdle = RedisEndpoint.positive(config.get(RedisStreamsConfigKeys.CLAIM_IDLE), RedisStreamsConfigKeys.CLAIM_IDLE.name(), problems);
        reapAfter = RedisEndpoint.positive(config.get(RedisStreamsConfigKeys.REAP_AFTER), RedisStreamsConfigKeys.REAP_AFTER.name(), problems);
        if (reapAfter.compareTo(claimIdle) < 0) {
            problems.add(RedisStreamsConfigKeys.REAP_AFTER.name() + " (" + reapAfter.toMillis() + "ms) must not be shorter than "
                    + RedisStreamsConfigKeys.CLAIM_IDLE.name() + " (" + claimIdle.toMillis() + "ms)");
        }
        pollInterval = RedisEndpoint.positive(config.get(RedisStreamsConfigKeys.POLL_INTERVAL), RedisStreamsConfigKeys.POLL_INTERVAL.name(),
                problems);
        survivesRestart = config.get(RedisStreamsConfigKeys.SURVIVES_RESTART);
        minBackoff = RedisEndpoint.positive(config.get(RedisStreamsConfigKeys.RECONNECT_MIN_BACKOFF),
                RedisStreamsConfigKeys.RECONNECT_MIN_BACKOFF.name(), problems);
        maxBackoff = RedisEndpoint.positive(config.get(RedisStreamsConfigKeys.RECONNECT_MAX_BACKOFF),
                RedisStreamsConfigKeys.RECONNECT_MAX_BACKOFF.name(), problems);
        if (minBackoff.compareTo(maxBackoff) > 0) {
            problems.add(RedisStreamsConfigKeys.RECONNECT_MIN_BACKOFF.name() + " (" + minBackoff.toMillis() + "ms) is larger than "
                    + RedisStreamsConfigKeys.RECONNECT_MAX_BACKOFF.name() + " (" + maxBackoff.toMillis() + "ms)");
        }
        this.maxMessageSize = maxMessageSize;
    }

    /**
     * Reads and validates the settings of a provider context.
     *
     * @throws ConfigurationException listing every problem found
     */
    static StreamsSettings from(ProviderContext context) {
        return from(context.config(), context.instanceName(), context.maxMessageSize());
    }

    /**
     * Reads and validates the settings.
     *
     * @throws ConfigurationException listing every problem found
     */
    static StreamsSettings from(Config config, String instanceName, long maxMessageSize) {
        List<String> problems = new ArrayList<>();
        StreamsSettings s = new StreamsSettings(config, instanceName, maxMessageSize, problems);
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems, null);
        }
        return s;
    }

    /** The Redis key of a channel's stream. */
    String streamKey(String channel) {
        // Without a prefix the channel itself: the caller's string, whose hash is already known to the writer's key cache.
        return channelPrefix.isEmpty() ? channel : channelPrefix + channel;
    }

    @Override
    public String toString() {
        return "StreamsSettings[" + endpoint + ", prefix='" + channelPrefix + "', max-length=" + maxLength + ", max-age=" + maxAge + "]";
    }
}
