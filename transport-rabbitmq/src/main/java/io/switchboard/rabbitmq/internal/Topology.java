package io.switchboard.rabbitmq.internal;

/**
 * The names of every exchange and queue the transport uses, all under one prefix. Immutable.
 * Documented in {@code docs/wire-format-rabbitmq.md}; other AMQP clients rely on them.
 */
final class Topology {
    private final String prefix;
    private final String channelExchangePrefix;

    Topology(String prefix) {
        this.prefix = prefix;
        this.channelExchangePrefix = prefix + ".ch.";
    }

    /** The topic exchange every channel exchange feeds, for pattern subscriptions. */
    String topicExchange() {
        return prefix + ".topic";
    }

    /** The durable fanout exchange of one channel. */
    String channelExchange(String channel) {
        return channelExchangePrefix + channel;
    }

    /** The channel of a channel exchange name, or {@code null} if it is not one. */
    String channelOf(String exchange) {
        return exchange.startsWith(channelExchangePrefix) ? exchange.substring(channelExchangePrefix.length()) : null;
    }

    /** The durable queue of a named subscription, shared by every subscriber using the name. */
    String subscriptionQueue(String durableName) {
        return prefix + ".sub." + durableName;
    }

    /** The queue that keeps everything dead-lettered to a channel, so that it is inspectable before anyone subscribes. */
    String deadLetterQueue(String deadLetterChannel) {
        return prefix + ".dlq." + deadLetterChannel;
    }

    /** A delay queue holding retries of one subscription queue for {@code delayMillis}, then dead-lettering them back. */
    String retryQueue(String subscriptionQueue, long delayMillis) {
        String base = subscriptionQueue.startsWith(prefix + ".sub.") ? subscriptionQueue.substring(prefix.length() + 5) : subscriptionQueue;
        return prefix + ".retry." + base + "." + delayMillis + "ms";
    }
}
