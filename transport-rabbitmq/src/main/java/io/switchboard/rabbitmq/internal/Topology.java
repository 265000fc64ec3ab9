package io.switchboard.rabbitmq.internal;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The names of every exchange and queue the transport uses, all under one prefix. Thread-safe.
 * Documented in {@code docs/wire-format-rabbitmq.md}; other AMQP clients rely on them.
 *
 * <p>Every name is {@code PREFIX.KIND.rest}: the prefix has no dot (checked at open), each kind
 * of thing has a kind of its own ({@code ch}, {@code topic}, {@code sub}, {@code dlq},
 * {@code retry}, {@code retry-transient}, {@code reply}), and the rest is the channel or durable name as it
 * is, with a delay queue's {@code .<digits>ms} after a last dot. So two things never share a name.
 *
 * <p>Channel exchange names, asked for on every publish, and the channels of exchange names,
 * asked for on every delivery, are kept once built (up to {@value #CHANNEL_NAMES_KEPT} each), so
 * neither a publish nor a delivery builds a string.
 */
final class Topology {
    private static final int CHANNEL_NAMES_KEPT = 4096;
    private final String prefix;
    private final ConcurrentHashMap<String, String> channelExchanges = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, String> exchangeChannels = new ConcurrentHashMap<>();
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
        String name = channelExchanges.get(channel);
        if (name == null) {
            name = channelExchangePrefix + channel;
            if (channelExchanges.size() < CHANNEL_NAMES_KEPT) {
                channelExchanges.put(channel, name);
            }
        }
        return name;
    }

    /**
     * The channel of a channel exchange name, or {@code null} if it is not one; kept like
     * {@link #channelExchange}'s names, so that a delivery does not cut a substring.
     */
    String channelOf(String exchange) {
        String channel = exchangeChannels.get(exchange);
        if (channel == null && exchange.startsWith(channelExchangePrefix)) {
            channel = exchange.substring(channelExchangePrefix.length());
            if (exchangeChannels.size() < CHANNEL_NAMES_KEPT) {
                exchangeChannels.put(exchange, channel);
            }
        }
        return channel;
    }

    /** The durable queue of a named subscription, shared by every subscriber using the name. */
    String subscriptionQueue(String durableName) {
        return prefix + ".sub." + durableName;
    }

    /** The queue that keeps everything dead-lettered to a channel, so that it is inspectable before anyone subscribes. */
    String deadLetterQueue(String deadLetterChannel) {
        return prefix + ".dlq." + deadLetterChannel;
    }

    /**
     * A delay queue holding retries of one subscription queue for {@code delayMillis}, then
     * dead-lettering them back. A transient subscription's server-named queue ({@code amq.gen-…})
     * gets a kind of its own: a durable subscription may be named {@code amq.gen-…} too.
     */
    String retryQueue(String subscriptionQueue, long delayMillis) {
        String durable = prefix + ".sub.";
        return subscriptionQueue.startsWith(durable)
                ? prefix + ".retry." + subscriptionQueue.substring(durable.length()) + "." + delayMillis + "ms"
                : prefix + ".retry-transient." + subscriptionQueue + "." + delayMillis + "ms";
    }

    /**
     * The exclusive, auto-deleted queue of one instance's reply inbox: its last segment (random
     * hex) after {@code PREFIX.reply.}. Replies reach it through the default exchange, so no
     * exchange is declared for it and nothing stays behind when the instance's connection closes.
     */
    String replyQueue(String inboxChannel) {
        return prefix + ".reply." + inboxChannel.substring(inboxChannel.lastIndexOf('.') + 1);
    }

    /** Whether a name is a reply inbox queue of this prefix. */
    boolean isReplyQueue(String name) {
        return name.startsWith(prefix + ".reply.") && name.length() > prefix.length() + 7 && name.indexOf('.', prefix.length() + 7) < 0;
    }
}
