package io.switchboard.rabbitmq.internal;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import io.switchboard.ConfigurationException;
import io.switchboard.rabbitmq.RabbitMqTransportProvider;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The channels of one consuming connection, shared out among subscriptions. Thread-safe; no
 * method holds the pool's lock across a round trip to the broker (channels are opened outside it,
 * after a slot was reserved under it).
 *
 * <p>The first {@code dedicated} subscriptions each get a channel of their own, as before pooling:
 * their handlers may run on the channel's delivery thread, and a channel error (such as the
 * broker's {@code consumer_timeout}) touches no one else. Later subscriptions share channels, up
 * to {@code perChannel} consumers each, all of one prefetch: RabbitMQ applies a
 * {@code basic.qos} with {@code global=false} to each consumer started after it on the channel,
 * so one qos at the channel's opening gives every consumer on it that prefetch for itself.
 * Channels never exceed what the connection negotiated ({@code channel_max}); past that a
 * subscription fails with an error naming the limit and the keys that move it.
 *
 * <p>Queue and binding declarations go on short-lived admin channels borrowed from here, never on
 * a consumer channel, so that a declaration the broker refuses (which closes its channel) does not
 * cancel the consumers sharing a channel.
 */
final class RabbitMqConsumerChannels {
    private static final Logger LOG = LoggerFactory.getLogger(RabbitMqConsumerChannels.class);
    /** Idle admin channels kept for the next declaration. */
    private static final int IDLE_ADMIN = 4;

    private final RabbitMqTransport transport;
    private final Connection conn;
    private final int dedicatedBudget;
    private final int perChannel;
    /** Channel numbers this connection may use, as negotiated with the broker. */
    private final int channelMax;
    private final Queue<Channel> idleAdmin = new ConcurrentLinkedQueue<>();
    private final Object lock = new Object();
    /** Shared channels with room for another consumer, by prefetch. Guarded by {@link #lock}. */
    private final Map<Integer, List<ConsumerChannel>> shared = new HashMap<>();
    /** Channels open or being opened, admin ones included. Guarded by {@link #lock}. */
    private int channels;
    /** Dedicated channels open or being opened. Guarded by {@link #lock}. */
    private int dedicated;
    /** Consumers on shared channels. Guarded by {@link #lock}. */
    private int sharedConsumers;

    RabbitMqConsumerChannels(RabbitMqTransport transport, Connection conn, int dedicatedBudget, int perChannel) {
        this.transport = transport;
        this.conn = conn;
        this.dedicatedBudget = dedicatedBudget;
        this.perChannel = perChannel;
        int negotiated = conn.getChannelMax();
        this.channelMax = negotiated <= 0 ? 65535 : negotiated;
    }

    Connection connection() {
        return conn;
    }

    /**
     * A consumer channel of that prefetch with a slot reserved for one consumer; opens one (two
     * round trips, each bounded by the RPC timeout) when none has room.
     *
     * @throws ConfigurationException when the connection has no channel left for it (naming the
     *     limit and the keys that move it)
     * @throws IOException when opening the channel failed
     */
    ConsumerChannel reserve(int prefetch, String forWhom) throws IOException {
        boolean asDedicated;
        synchronized (lock) {
            if (dedicated < dedicatedBudget) {
                asDedicated = true;
            } else {
                List<ConsumerChannel> room = shared.get(prefetch);
                if (room != null) {
                    for (ConsumerChannel c : room) {
                        if (!c.retired && c.consumers < perChannel && c.channel.isOpen()) {
                            take(c);
                            return c;
                        }
                    }
                }
                asDedicated = false;
            }
            if (channels >= channelMax) {
                throw exhausted(forWhom);
            }
            channels++;
            if (asDedicated) {
                dedicated++;
            }
        }
        ConsumerChannel opened = null;
        try {
            Channel ch = conn.createChannel();
            if (ch == null) {
                throw exhausted(forWhom);
            }
            opened = new ConsumerChannel(ch, prefetch, asDedicated);
            ch.basicQos(prefetch);
            ConsumerChannel c = opened;
            ch.addShutdownListener(sig -> shutdown(c, sig));
            synchronized (lock) {
                take(c);
                if (!asDedicated) {
                    shared.computeIfAbsent(prefetch, p -> new ArrayList<>()).add(c);
                }
            }
            return c;
        } catch (IOException | RuntimeException e) {
            if (opened != null && opened.channel.isOpen()) {
                abort(opened.channel);
            }
            synchronized (lock) {
                channels--;
                if (asDedicated) {
                    dedicated--;
                }
            }
            throw e;
        }
    }

    /** Takes a consumer slot. Holds the lock. */
    private void take(ConsumerChannel c) {
        c.consumers++;
        c.users++;
        if (!c.dedicated) {
            sharedConsumers++;
        }
    }

    private ConfigurationException exhausted(String forWhom) {
        int limit = dedicatedBudget + Math.max(0, channelMax - dedicatedBudget) * perChannel;
        return new ConfigurationException(forWhom + " needs a channel, but connection '"
                + conn.getClientProvidedName() + "' already uses all " + channelMax + " channels it negotiated with the broker "
                + "(channel_max), " + dedicated + " dedicated and " + (channels - dedicated) + " shared or declaring, carrying "
                + sharedConsumers + " shared consumers; about " + limit + " subscriptions fit one instance with "
                + RabbitMqTransportProvider.DEDICATED_CHANNELS.name() + "=" + dedicatedBudget + " and "
                + RabbitMqTransportProvider.CONSUMERS_PER_CHANNEL.name() + "=" + perChannel + ": raise " + RabbitMqTransportProvider.CONSUMERS_PER_CHANNEL.name() + " (or the broker's channel_max), "
                + "or spread the subscriptions over more instances", null);
    }

    /**
     * The consumer of one subscription no longer takes a slot (it was cancelled), though its
     * deliveries may still be settling: the slot is free for another subscription.
     */
    void consumerCancelled(ConsumerChannel c) {
        synchronized (lock) {
            if (!c.retired && c.consumers > 0) {
                c.consumers--;
                if (!c.dedicated) {
                    sharedConsumers--;
                }
            }
        }
    }

    /**
     * A subscription is done with the channel (cancelled and every delivery settled); closes it,
     * after its held-back acks, once no one else uses it. May block for the close round trip:
     * call it off the connection's I/O thread.
     */
    void released(ConsumerChannel c) {
        boolean close;
        synchronized (lock) {
            c.users--;
            close = c.users <= 0 && c.consumers <= 0 && !c.retired;
            if (close) {
                retire(c);
            }
        }
        c.flushFinalAcks();
        if (close && c.channel.isOpen()) {
            try {
                c.channel.close();
            } catch (IOException | TimeoutException | ShutdownSignalException e) {
                LOG.debug("closing a consumer channel: {}", e.toString());
            }
        }
    }

    /** Removes the channel from the pool and gives back its number. Holds the lock. */
    private void retire(ConsumerChannel c) {
        c.retired = true;
        channels--;
        if (c.dedicated) {
            dedicated--;
        } else {
            List<ConsumerChannel> room = shared.get(c.prefetch);
            if (room != null) {
                room.remove(c);
                if (room.isEmpty()) {
                    shared.remove(c.prefetch);
                }
            }
            sharedConsumers -= c.consumers;
        }
    }

    private void shutdown(ConsumerChannel c, ShutdownSignalException sig) {
        synchronized (lock) {
            if (!c.retired) {
                retire(c);
            }
        }
        for (RabbitMqSubscription.Link l : c.links) {
            l.channelShutdown(sig);
        }
    }

    /** An open channel for declarations, to give back with {@link #giveBack}; opening one is a round trip. */
    Channel borrowAdmin(String forWhom) throws IOException {
        Channel ch;
        while ((ch = idleAdmin.poll()) != null) {
            if (ch.isOpen()) {
                return ch;
            }
            synchronized (lock) {
                channels--;
            }
        }
        synchronized (lock) {
            if (channels >= channelMax) {
                throw exhausted(forWhom);
            }
            channels++;
        }
        try {
            ch = conn.createChannel();
        } catch (IOException | RuntimeException e) {
            synchronized (lock) {
                channels--;
            }
            throw e;
        }
        if (ch == null) {
            synchronized (lock) {
                channels--;
            }
            throw exhausted(forWhom);
        }
        return ch;
    }

    /** Returns a borrowed admin channel: kept if open and few are idle, else closed (a round trip). */
    void giveBack(Channel ch) {
        if (ch.isOpen() && idleAdmin.size() < IDLE_ADMIN) {
            idleAdmin.add(ch);
            return;
        }
        synchronized (lock) {
            channels--;
        }
        if (ch.isOpen()) {
            try {
                ch.close();
            } catch (IOException | TimeoutException | ShutdownSignalException e) {
                LOG.debug("closing an admin channel: {}", e.toString());
            }
        }
    }

    private static void abort(Channel ch) {
        try {
            ch.abort();
        } catch (IOException | RuntimeException e) {
            LOG.debug("aborting channel: {}", e.toString());
        }
    }

    /** Channels in use, admin ones included, and shared consumers, for health. */
    Map<String, Object> describe() {
        synchronized (lock) {
            Map<String, Object> d = new java.util.LinkedHashMap<>();
            d.put("consumerChannels", channels - idleAdmin.size());
            d.put("dedicatedChannels", dedicated);
            d.put("sharedConsumers", sharedConsumers);
            d.put("channelMax", channelMax);
            return d;
        }
    }

    /**
     * One channel carrying consumers of one prefetch. Delivery tags are the channel's, so acks
     * are coalesced here, across its consumers: one {@code basic.ack multiple=true} covers every
     * acknowledged tag below the lowest unsettled one on the channel, sent every
     * {@code ackBatch} acks or at most {@link #ACK_FLUSH_MS} ms after the first of them; at that
     * timed flush, acknowledged tags above an unsettled one go out singly, so that a slow
     * handler of one consumer does not hold back the acks (and so the prefetch) of the others.
     * The timer flushes only acks that waited that long: a batch that filled and went out
     * meanwhile re-arms it for the next one instead of cutting that one short, so that a steady
     * stream is acknowledged in full batches. Nacks go out at once. Thread-safe: acks are
     * serialized by the channel's own lock.
     */
    final class ConsumerChannel {
        static final long ACK_FLUSH_MS = 5;
        final Channel channel;
        final int prefetch;
        final boolean dedicated;
        /** The links consuming (or settling) here, told when the channel shuts down. */
        final Set<RabbitMqSubscription.Link> links = ConcurrentHashMap.newKeySet();
        private final int ackBatch;
        private final SortedTags unsettled = new SortedTags();
        private final SortedTags ackedUnsent = new SortedTags();
        private boolean flushScheduled;
        /** When the oldest ack held back was made (System.nanoTime): set when the held-back set stops being empty. */
        private long heldSince;
        /** Consumer slots taken; guarded by the pool's lock. */
        int consumers;
        /** Subscriptions not yet done with the channel; guarded by the pool's lock. */
        int users;
        /** Out of the pool; guarded by the pool's lock. */
        boolean retired;

        ConsumerChannel(Channel channel, int prefetch, boolean dedicated) {
            this.channel = channel;
            this.prefetch = prefetch;
            this.dedicated = dedicated;
            this.ackBatch = Math.max(1, Math.min(50, prefetch / 4));
        }

        RabbitMqConsumerChannels pool() {
            return RabbitMqConsumerChannels.this;
        }

        synchronized void delivered(long tag) {
            unsettled.add(tag);
        }

        /** Acknowledges one delivery (coalesced). */
        void ack(long tag) throws IOException {
            synchronized (this) {
                unsettled.remove(tag);
                if (ackedUnsent.isEmpty()) {
                    heldSince = System.nanoTime();
                }
                ackedUnsent.add(tag);
                flush(false);
            }
        }

        /** Settles one delivery otherwise than by ack, at once; a no-op once the channel is closed. */
        boolean settle(long tag, RabbitMqSubscription.Link.Settlement s) throws IOException {
            synchronized (this) {
                unsettled.remove(tag);
                boolean open = channel.isOpen();
                if (open) {
                    s.run(channel);
                }
                flush(false);
                return open;
            }
        }

        /** Sends what acks are due. Holds the lock. */
        private void flush(boolean now) throws IOException {
            if (ackedUnsent.isEmpty()) {
                return;
            }
            if (!channel.isOpen()) {
                ackedUnsent.clear();
                return;
            }
            // The acknowledged tags below the lowest unsettled one are ready for one multiple ack.
            int ready = unsettled.isEmpty() ? ackedUnsent.size() : ackedUnsent.countBelow(unsettled.first());
            // Not "whenever nothing else is outstanding": a handler that keeps up would then ack
            // every message alone, doubling the broker's work per message.
            if (ready > 0 && (now || ready >= ackBatch)) {
                long top = ackedUnsent.get(ready - 1);
                ackedUnsent.removeFirst(ready);
                channel.basicAck(top, true);
            }
            if (now) {
                for (int i = 0; i < ackedUnsent.size(); i++) {
                    channel.basicAck(ackedUnsent.get(i), false);
                }
                ackedUnsent.clear();
            } else if (!ackedUnsent.isEmpty() && !flushScheduled) {
                flushScheduled = true;
                transport.later(this::timedFlush, ACK_FLUSH_MS);
            }
        }

        private void timedFlush() {
            try {
                synchronized (this) {
                    flushScheduled = false;
                    if (ackedUnsent.isEmpty()) {
                        return;
                    }
                    long waited = System.nanoTime() - heldSince;
                    long due = TimeUnit.MILLISECONDS.toNanos(ACK_FLUSH_MS);
                    if (waited < due) {
                        // What this timer was armed for went out in a full batch; the acks held now are younger.
                        flushScheduled = true;
                        transport.later(this::timedFlush, Math.max(1, TimeUnit.NANOSECONDS.toMillis(due - waited + 999_999)));
                        return;
                    }
                    flush(true);
                }
            } catch (IOException | ShutdownSignalException e) {
                LOG.debug("acks on a consumer channel failed: {}; the broker redelivers those deliveries", e.toString());
            }
        }

        /** Sends the acks still held back, without waiting for anything. */
        void flushFinalAcks() {
            try {
                synchronized (this) {
                    flush(true);
                }
            } catch (IOException | ShutdownSignalException e) {
                LOG.debug("final acks on a consumer channel failed: {}; the broker redelivers those deliveries", e.toString());
            }
        }
    }
}
