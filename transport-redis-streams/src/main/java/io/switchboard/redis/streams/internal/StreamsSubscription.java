package io.switchboard.redis.streams.internal;

import io.switchboard.ConfigurationException;
import io.switchboard.ConnectionException;
import io.switchboard.Message;
import io.switchboard.redis.common.RedisAcl;
import io.switchboard.redis.common.RedisConnector;
import io.switchboard.redis.common.RedisEndpoint;
import io.switchboard.redis.common.RedisWire;
import io.switchboard.spi.DeliveryListener;
import io.switchboard.spi.SubscriptionRequest;
import io.switchboard.spi.TransportSubscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * One subscription to one stream, with its own connection and reading thread. A durable
 * subscription is a consumer (named after the instance, unique per subscription) in the consumer
 * group of its durable name, reading with {@code XREADGROUP}; a transient one reads with plain
 * {@code XREAD} from the stream's last entry at subscribe time and leaves nothing at the server.
 *
 * <p>Every read is bounded: it blocks at most the poll interval on the server, and the socket
 * timeout is that plus the command timeout. The reader never has more deliveries outstanding
 * than {@link SubscriptionRequest#maxUnacknowledged()}. Acknowledgements, hand-backs and dead
 * letters go through the writer, so the facade's calls never wait for Redis. No lock is held
 * across a round trip. Thread-safe.
 */
final class StreamsSubscription implements TransportSubscription {
    private static final Logger LOG = LoggerFactory.getLogger(StreamsSubscription.class);
    /** An idle time that makes a handed-back entry claimable at once by any member's XAUTOCLAIM. */
    private static final long HAND_BACK_IDLE = 1_000_000_000_000L;
    /**
     * How long a read may have been in flight for an acknowledgement made meanwhile to wait for the
     * next read (and go ahead of it in its pipeline) rather than through the writer.
     */
    private static final long ACK_HOLD_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    /**
     * The stream's first entry id, length and entries ever added, the group's last delivered id
     * and entries read (-1 when Redis cannot tell), and the stream's last id; from one atomic
     * look, so that trimming is judged against a consistent picture. Used once, where a transient
     * subscription starts; before every read the same look is a MULTI/EXEC of the two XINFOs
     * ({@link #gapLook}), which costs Redis a fraction of a script call.
     */
    private static final String GAP_SCRIPT = "local ok, info = pcall(redis.call, 'XINFO', 'STREAM', KEYS[1]) "
            + "if not ok then return {'0-0', 0, -1, '', -1, '0-0'} end "
            + "local first, len, added, gen = nil, 0, -1, '0-0' "
            + "for i = 1, #info, 2 do local k = info[i] "
            + "if k == 'recorded-first-entry-id' then first = info[i + 1] "
            + "elseif k == 'first-entry' and not first and type(info[i + 1]) == 'table' then first = info[i + 1][1] "
            + "elseif k == 'length' then len = info[i + 1] elseif k == 'entries-added' then added = info[i + 1] "
            + "elseif k == 'last-generated-id' then gen = info[i + 1] end end "
            + "local last, read = '', -1 "
            + "if ARGV[1] ~= '' then local gok, groups = pcall(redis.call, 'XINFO', 'GROUPS', KEYS[1]) "
            + "if gok then for _, g in ipairs(groups) do local name, id, n = nil, nil, -1 "
            + "for i = 1, #g, 2 do if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then id = g[i + 1] "
            + "elseif g[i] == 'entries-read' and type(g[i + 1]) == 'number' then n = g[i + 1] end end "
            + "if name == ARGV[1] and id then last = id read = n end end end end "
            + "return {first or '0-0', len, added, last, read, gen}";
    /** Deletes a consumer from its group, only if it has nothing pending. */
    static final String CLEANUP_SCRIPT = "local ok, p = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) "
            + "if ok and #p == 0 then return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) end return -1";

    private final RedisStreamsTransport transport;
    private final StreamsSettings settings;
    private final SubscriptionRequest request;
    private final DeliveryListener listener;
    final String channel;
    final String stream;
    /** The consumer group (the durable name), or null for a transient subscription. */
    final String group;
    private final String consumer;
    /** The writer's key for merging this group's acknowledgements. */
    private final String ackKey;
    private final int maxOutstanding;
    private final AtomicInteger outstanding = new AtomicInteger();
    /** Durable: entries this consumer holds (delivered and not settled, or waiting for their retry), by entry id. */
    private final Map<String, StreamsDelivery> held = new ConcurrentHashMap<>();
    private final PriorityQueue<Retry> retries = new PriorityQueue<>();
    /** Durable: acknowledged entry ids not yet sent; the reader sends them ahead of its next read. */
    private final java.util.concurrent.ConcurrentLinkedQueue<String> pendingAcks = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Durable: deliveries acknowledged while the reader ran a handler, not yet trusted (see takeLent). */
    private final java.util.concurrent.ConcurrentLinkedQueue<StreamsDelivery> lentAcked = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final Object signal = new Object();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicBoolean cleanedUp = new AtomicBoolean();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong unreadable = new AtomicLong();
    private final AtomicLong reclaimed = new AtomicLong();
    private final Thread thread;
    private volatile boolean closed;
    /** Counts lost reading connections; deliveries of an earlier one are given back rather than acknowledged. */
    private volatile int epoch;
    private volatile boolean deleted;
    private volatile boolean reading;
    /** When the current read was sent (System.nanoTime); meaningful while {@link #reading}. */
    private volatile long readStartNanos;
    /**
     * The reader waits for room: a settlement that leaves at most this many outstanding wakes it;
     * -1 when it does not wait (then settlements notify nobody: no monitor and no wake-up per message).
     */
    private volatile int wakeAt = -1;
    /** The reader is delivering the last entry of a read (it may lend its thread to the handler). */
    private volatile boolean lendable;
    /** When the reader thread started running a handler (System.nanoTime), or 0. */
    private volatile long lentSince;
    /** Written only by the writer's tick. */
    private volatile long nextLentTouch;
    private volatile long readUntilNanos;
    private volatile long clientId = -1;
    private volatile RedisWire wire;
    /** Transient: the last entry id read. Only the reader thread writes it after open. */
    private volatile String lastId = StreamIds.ZERO;
    private String lastGapReported = StreamIds.ZERO;
    /** Transient: entries-added of the stream when this subscription started reading, and entries read since. */
    private long addedAtStart = -1;
    private long readSinceStart;
    private String claimCursor = StreamIds.ZERO;
    private long nextClaimCheck;
    private long nextTouch;
    private long nextReap;

    private static final class Retry implements Comparable<Retry> {
        final long dueNanos;
        final StreamsDelivery delivery;
        final int next;

        Retry(long dueNanos, StreamsDelivery delivery, int next) {
            this.dueNanos = dueNanos;
            this.delivery = delivery;
            this.next = next;
        }

        @Override
        public int compareTo(Retry o) {
            return Long.compare(dueNanos, o.dueNanos);
        }
    }

    StreamsSubscription(RedisStreamsTransport transport, StreamsSettings settings, SubscriptionRequest request, DeliveryListener listener,
            String instanceName) {
        this.transport = transport;
        this.settings = settings;
        this.request = request;
        this.listener = listener;
        this.channel = request.channelOrPattern();
        this.stream = settings.streamKey(channel);
        this.group = request.durableName();
        this.ackKey = stream + "\n" + group;
        this.consumer = instanceName + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
        this.maxOutstanding = request.maxUnacknowledged();
        this.thread = new Thread(this::run, "switchboard-redis-streams-" + channel + (group != null ? "#" + group : ""));
        thread.setDaemon(true);
    }

    /**
     * Connects and sets up, on the caller's thread: creates the group (at the stream's end, if
     * new) or takes the stream's last entry id, so that what is published after this returns is
     * delivered. Then starts the reader.
     *
     * @throws ConnectionException if Redis cannot be reached
     * @throws ConfigurationException if Redis refuses a command for want of a permission
     */
    void open() {
        RedisWire w = transport.connector.open();
        try {
            setUp(w);
        } catch (RuntimeException e) {
            RedisConnector.closeQuietly(w);
            throw translate(e, "set up the subscription");
        }
        wire = w;
        thread.start();
    }

    private void setUp(RedisWire w) {
        Object id = w.executeCommand(new CommandArguments(Protocol.Command.CLIENT).add("ID"));
        clientId = id instanceof Long ? (Long) id : -1;
        if (group != null) {
            createGroup(w);
            w.executeCommand(new CommandArguments(Protocol.Command.SADD).key(transport.durableKey(group)).add(stream));
            nextClaimCheck = 0;
        } else if (addedAtStart < 0) {
            // Where this subscription starts, and how many entries the stream had by then, in one look.
            List<?> r = (List<?>) w.executeCommand(new CommandArguments(Protocol.Command.EVAL).add(GAP_SCRIPT).add(1)
                    .key(StreamEntries.bytes(stream)).add(""));
            lastId = StreamEntries.text(r.get(5));
            addedAtStart = r.get(2) instanceof Long ? Math.max(0, (Long) r.get(2)) : 0;
        }
    }

    private void createGroup(RedisWire w) {
        try {
            w.executeCommand(new CommandArguments(Protocol.Command.XGROUP).add(Protocol.Keyword.CREATE).key(StreamEntries.bytes(stream))
                    .add(group).add("$").add(Protocol.Keyword.MKSTREAM));
        } catch (JedisDataException e) {
            if (!String.valueOf(e.getMessage()).startsWith("BUSYGROUP")) {
                throw e;
            }
        }
    }

    private RuntimeException translate(RuntimeException e, String what) {
        if (e instanceof JedisDataException && RedisAcl.isRefusal(e.getMessage())) {
            return new ConfigurationException(RedisAcl.explain(settings.endpoint, what + " on stream '" + stream + "'", e.getMessage(),
                    "~" + stream, "+xreadgroup +xread +xgroup +xack +xclaim +xautoclaim +xpending +xinfo +sadd +eval +multi +exec +client|id ~"
                            + stream), null);
        }
        return transport.connector.translate(e);
    }

    private void run() {
        long backoff = settings.minBackoff.toNanos();
        try {
            while (!closed) {
                RedisWire w = wire;
                if (w == null) {
                    try {
                        w = transport.connector.open();
                        setUp(w);
                        if (group != null) {
                            // Acknowledgements made while disconnected go first, so they are not handed back.
                            List<String> acks = takeAcks();
                            try {
                                if (acks != null) {
                                    w.executeCommand(xack(acks));
                                }
                            } catch (RuntimeException e) {
                                untake(acks);
                                throw e;
                            }
                            handBackLostReads(w);
                        }
                        wire = w;
                        backoff = settings.minBackoff.toNanos();
                        LOG.info("Redis Streams subscription to '{}' re-established", stream);
                        transport.connectivity.up(this);
                    } catch (RuntimeException e) {
                        if (w != null) {
                            RedisConnector.closeQuietly(w);
                        }
                        pause(backoff);
                        backoff = Math.min(settings.maxBackoff.toNanos(), backoff * 2);
                    }
                    continue;
                }
                try {
                    step(w);
                } catch (JedisDataException e) {
                    String m = String.valueOf(e.getMessage());
                    if (m.startsWith("NOGROUP")) {
                        if (deleted || transport.isDeleted(group)) {
                            closed = true;
                            break;
                        }
                        LOG.warn("consumer group '{}' of stream '{}' is gone (deleted elsewhere, or the server lost it); creating it again at the "
                                + "stream's end", group, stream);
                        createGroup(w);
                    } else if (m.startsWith("UNBLOCKED")) {
                        continue;
                    } else {
                        LOG.warn("Redis refused a read of subscription '{}': {}", describe(), m);
                        pause(settings.maxBackoff.toNanos());
                    }
                } catch (RuntimeException e) {
                    reading = false;
                    if (closed) {
                        break;
                    }
                    RuntimeException failure = transport.connector.translate(e);
                    LOG.warn("Redis Streams subscription connection for '{}' lost, reconnecting: {}", describe(), failure.getMessage());
                    wire = null;
                    epoch++;
                    RedisConnector.closeQuietly(w);
                    transport.connectivity.down(this, failure);
                }
            }
        } finally {
            reading = false;
            finish();
        }
    }

    /** One round: housekeeping when due, due retries, then one bounded read. */
    private void step(RedisWire w) {
        long now = System.nanoTime();
        if (group != null) {
            housekeeping(w, now);
        }
        redeliverDue(w);
        int room = maxOutstanding - outstanding.get();
        if (room <= 0) {
            synchronized (signal) {
                // Set before the look at outstanding; a settlement decrements before it reads wakeAt.
                wakeAt = maxOutstanding - 1;
                try {
                    if (!closed && maxOutstanding - outstanding.get() <= 0 && !retryDue()) {
                        signal.wait(Math.max(1, Math.min(settings.pollInterval.toMillis(), millisToNextRetry())));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    closed = true;
                } finally {
                    wakeAt = -1;
                }
            }
            return;
        }
        int batch = Math.max(1, Math.min(64, maxOutstanding / 4));
        if (room < batch) {
            // With most of the prefetch outstanding the handlers have work; waiting briefly for a
            // batch's worth of room saves a round trip per message. Reading anyway after the wait
            // keeps the prefetch reachable when handlers hold their deliveries.
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2);
            synchronized (signal) {
                // Woken only once a batch's worth of room is free, not by every settlement.
                wakeAt = maxOutstanding - batch;
                try {
                    while (!closed && maxOutstanding - outstanding.get() < batch && System.nanoTime() < until) {
                        signal.wait(1);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    closed = true;
                } finally {
                    wakeAt = -1;
                }
            }
            room = maxOutstanding - outstanding.get();
            if (room <= 0) {
                return;
            }
        }
        long block = Math.max(1, Math.min(settings.pollInterval.toMillis(), millisToNextRetry()));
        if (group != null) {
            block = Math.max(1, Math.min(block, TimeUnit.NANOSECONDS.toMillis(Math.max(0, nextClaimCheck - now))));
        }
        String from = lastId;
        CommandArguments read;
        if (group != null) {
            read = new CommandArguments(Protocol.Command.XREADGROUP).add(Protocol.Keyword.GROUP).add(group).add(consumer)
                    .add(Protocol.Keyword.COUNT).add(room).add(Protocol.Keyword.BLOCK).add(block).add(Protocol.Keyword.STREAMS)
                    .key(StreamEntries.bytes(stream)).add(">");
        } else {
            read = new CommandArguments(Protocol.Command.XREAD).add(Protocol.Keyword.COUNT).add(room).add(Protocol.Keyword.BLOCK).add(block)
                    .add(Protocol.Keyword.STREAMS).key(StreamEntries.bytes(stream)).add(from);
        }
        if (closed) {
            return;
        }
        w.setSoTimeout(RedisEndpoint.millis(settings.endpoint.commandTimeout().plusMillis(block)));
        long sent = System.nanoTime();
        readUntilNanos = sent + TimeUnit.MILLISECONDS.toNanos(block);
        readStartNanos = sent;
        reading = true;
        List<Object> replies;
        Object readReply;
        RuntimeException gapFailure = null;
        byte[] key = StreamEntries.bytes(stream);
        // Taken after reading is set: an acknowledgement made from here on goes through the writer.
        List<String> acks = group != null ? takeAcks() : null;
        List<StreamsDelivery> lent = group != null ? takeLent() : null;
        if (lent != null) {
            if (acks == null) {
                acks = new ArrayList<>();
            }
            for (StreamsDelivery d : lent) {
                acks.add(d.entryId);
            }
        }
        try {
            if (acks != null) {
                w.sendCommand(xack(acks));
            }
            // The gap check's atomic look: XINFO STREAM (and GROUPS) in one transaction, ahead of the
            // read in the same pipeline. Much cheaper at the server than a Lua script per read.
            w.sendCommand(new CommandArguments(Protocol.Command.MULTI));
            w.sendCommand(new CommandArguments(Protocol.Command.XINFO).add(Protocol.Keyword.STREAM).key(key));
            if (group != null) {
                w.sendCommand(new CommandArguments(Protocol.Command.XINFO).add(Protocol.Keyword.GROUPS).key(key));
            }
            w.sendCommand(new CommandArguments(Protocol.Command.EXEC));
            w.sendCommand(read);
            // The replies ahead of the read's come at once; the gap check is judged while the read
            // blocks at the server, so that its parsing is not between an entry's arrival and its handler.
            replies = w.getMany((group != null ? 4 : 3) + (acks != null ? 1 : 0));
            try {
                checkGap(gapLook(replies.get(replies.size() - 1)));
            } catch (RuntimeException e) {
                gapFailure = e;
            }
            readReply = w.getMany(1).get(0);
        } catch (RuntimeException e) {
            if (lent != null) {
                for (StreamsDelivery d : lent) {
                    acks.remove(d.entryId);
                }
            }
            untake(acks);
            handBackAll(lent);
            throw e;
        } finally {
            reading = false;
        }
        if (gapFailure != null) {
            throw gapFailure;
        }
        Object r = readReply;
        if (r instanceof JedisDataException) {
            throw (JedisDataException) r;
        }
        if (r instanceof List) {
            try {
                for (Object s : (List<?>) r) {
                    List<?> streamReply = (List<?>) s;
                    List<?> entries = (List<?>) streamReply.get(1);
                    for (int i = 0; i < entries.size(); i++) {
                        List<?> entry = (List<?>) entries.get(i);
                        String id = StreamEntries.text(entry.get(0));
                        if (group == null) {
                            lastId = id;
                            readSinceStart++;
                        }
                        lendable = i == entries.size() - 1;
                        try {
                            deliver(id, (List<?>) entry.get(1), 1, false);
                        } finally {
                            lendable = false;
                        }
                    }
                }
            } finally {
                // Set while the reader runs a lent handler: the writer's tick then touches the held entries.
                lentSince = 0;
            }
        }
    }

    /**
     * The reply of the gap check's transaction in the shape {@link #GAP_SCRIPT} returns: first
     * entry id, length, entries added, the group's last delivered id and entries read, last id.
     */
    private List<Object> gapLook(Object exec) {
        if (exec instanceof JedisDataException) {
            throw (JedisDataException) exec;
        }
        List<Object> out = new ArrayList<>(List.of("0-0", 0L, -1L, "", -1L, "0-0"));
        if (!(exec instanceof List) || ((List<?>) exec).isEmpty() || !(((List<?>) exec).get(0) instanceof List)) {
            // No stream yet (XINFO refused with "no such key"): nothing to judge.
            return out;
        }
        List<?> info = (List<?>) ((List<?>) exec).get(0);
        String first = null;
        for (int i = 0; i + 1 < info.size(); i += 2) {
            String k = StreamEntries.text(info.get(i));
            Object v = info.get(i + 1);
            if (k.equals("recorded-first-entry-id")) {
                first = StreamEntries.text(v);
            } else if (k.equals("first-entry") && first == null && v instanceof List && !((List<?>) v).isEmpty()) {
                first = StreamEntries.text(((List<?>) v).get(0));
            } else if (k.equals("length") && v instanceof Long) {
                out.set(1, v);
            } else if (k.equals("entries-added") && v instanceof Long) {
                out.set(2, v);
            } else if (k.equals("last-generated-id")) {
                out.set(5, StreamEntries.text(v));
            }
        }
        if (first != null) {
            out.set(0, first);
        }
        if (group != null && ((List<?>) exec).size() > 1 && ((List<?>) exec).get(1) instanceof List) {
            for (Object o : (List<?>) ((List<?>) exec).get(1)) {
                if (!(o instanceof List)) {
                    continue;
                }
                List<?> g = (List<?>) o;
                String name = null;
                String id = null;
                long n = -1;
                for (int i = 0; i + 1 < g.size(); i += 2) {
                    String k = StreamEntries.text(g.get(i));
                    Object v = g.get(i + 1);
                    if (k.equals("name")) {
                        name = StreamEntries.text(v);
                    } else if (k.equals("last-delivered-id")) {
                        id = StreamEntries.text(v);
                    } else if (k.equals("entries-read") && v instanceof Long) {
                        n = (Long) v;
                    }
                }
                if (group.equals(name) && id != null) {
                    out.set(3, id);
                    out.set(4, n);
                }
            }
        }
        return out;
    }

    /**
     * Trimming removes entries from the head of a stream. Entries this subscription has not read
     * were trimmed exactly when its position is before the first entry left and more entries were
     * added after its position than the stream still holds.
     */
    private void checkGap(Object reply) {
        if (!(reply instanceof List) || ((List<?>) reply).size() < 5) {
            return;
        }
        List<?> r = (List<?>) reply;
        String first = StreamEntries.text(r.get(0));
        long length = r.get(1) instanceof Long ? (Long) r.get(1) : 0;
        long added = r.get(2) instanceof Long ? (Long) r.get(2) : -1;
        String position;
        long unread;
        if (group != null) {
            position = StreamEntries.text(r.get(3));
            // A group that has delivered nothing has read none of what was ever added, even where Redis has no count.
            long read = r.get(4) instanceof Long ? (Long) r.get(4) : -1;
            if (read < 0 && StreamIds.ZERO.equals(position)) {
                read = 0;
            }
            unread = added < 0 || read < 0 ? -1 : added - read;
        } else {
            position = lastId;
            unread = added < 0 || addedAtStart < 0 ? -1 : added - addedAtStart - readSinceStart;
        }
        if (unread > length && !position.isEmpty() && StreamIds.compare(position, first) < 0 && StreamIds.compare(first, lastGapReported) > 0) {
            lastGapReported = first;
            transport.connectivity.gap("subscription '" + describe() + "' fell behind the trimmed part of stream '" + stream + "': "
                    + (unread - length) + " entries after " + position + " were trimmed (switchboard.redis-streams.max-length / max-age) before "
                    + "it read them; it goes on from " + first);
        }
    }

    /** Hands a read entry to the listener, or back to the group if this subscription is closing. */
    private void deliver(String id, List<?> fields, int attempt, boolean redelivered) {
        if (fields == null) {
            // A pending entry that was trimmed away: nothing to deliver; acknowledging drops it from the PEL.
            if (group != null) {
                transport.writer.ack(stream, group, id);
            }
            return;
        }
        Message m;
        try {
            m = StreamEntries.decode(id, fields, channel, settings.maxMessageSize);
        } catch (StreamEntries.Unreadable e) {
            unreadable.incrementAndGet();
            LOG.warn("entry {} of stream '{}' cannot be delivered as a message and is skipped ({} so far): {}", id, stream,
                    unreadable.get(), e.getMessage());
            if (group != null) {
                transport.writer.ack(stream, group, id);
            }
            return;
        }
        StreamsDelivery d = new StreamsDelivery(this, id, m, attempt, redelivered || attempt > 1, StreamEntries.rawSize(fields));
        dispatch(d);
    }

    private void dispatch(StreamsDelivery d) {
        outstanding.incrementAndGet();
        if (group != null) {
            held.put(d.entryId, d);
        }
        if (closed) {
            d.release();
            return;
        }
        delivered.incrementAndGet();
        listener.onDelivery(d);
    }

    private void housekeeping(RedisWire w, long now) {
        if (now >= nextTouch) {
            nextTouch = now + settings.claimIdle.toNanos() / 3;
            if (!held.isEmpty()) {
                CommandArguments touch = new CommandArguments(Protocol.Command.XCLAIM).key(StreamEntries.bytes(stream)).add(group).add(consumer)
                        .add(0);
                for (String id : held.keySet()) {
                    touch.add(id);
                }
                touch.add(Protocol.Keyword.JUSTID);
                w.executeCommand(touch);
            }
        }
        if (now >= nextClaimCheck) {
            nextClaimCheck = now + Math.min(TimeUnit.SECONDS.toNanos(1), settings.claimIdle.toNanos() / 3);
            int room = maxOutstanding - outstanding.get();
            if (room > 0) {
                claimAbandoned(w, room);
            }
        }
        if (now >= nextReap) {
            nextReap = now + Math.max(TimeUnit.SECONDS.toNanos(1), Math.min(TimeUnit.MINUTES.toNanos(1), settings.reapAfter.toNanos() / 4));
            reapDeadConsumers(w);
        }
    }

    /**
     * After a lost connection: entries Redis delivered to this consumer whose reply never arrived
     * (the read was cut off) are pending here but held by nobody. They are handed back at once, so
     * the next claim check (within a second) delivers them instead of claim-idle later.
     */
    private void handBackLostReads(RedisWire w) {
        Object p = w.executeCommand(new CommandArguments(Protocol.Command.XPENDING).key(StreamEntries.bytes(stream)).add(group).add("-")
                .add("+").add(10_000).add(consumer));
        if (p instanceof List) {
            for (Object o : (List<?>) p) {
                List<?> row = (List<?>) o;
                String id = StreamEntries.text(row.get(0));
                if (!held.containsKey(id)) {
                    handBack(id, ((Long) row.get(3)).intValue());
                }
            }
        }
        nextClaimCheck = 0;
    }

    /** XAUTOCLAIM of entries idle for claim-idle (their consumer died) or handed back, with their delivery counts. */
    private void claimAbandoned(RedisWire w, int room) {
        Object r = w.executeCommand(new CommandArguments(Protocol.Command.XAUTOCLAIM).key(StreamEntries.bytes(stream)).add(group).add(consumer)
                .add(settings.claimIdle.toMillis()).add(claimCursor).add(Protocol.Keyword.COUNT).add(room));
        if (!(r instanceof List) || ((List<?>) r).size() < 2) {
            return;
        }
        List<?> reply = (List<?>) r;
        claimCursor = StreamEntries.text(reply.get(0));
        List<?> entries = (List<?>) reply.get(1);
        List<List<?>> live = new ArrayList<>();
        String min = null;
        String max = null;
        for (Object e : entries) {
            if (e instanceof List && ((List<?>) e).size() >= 2 && ((List<?>) e).get(1) != null) {
                List<?> entry = (List<?>) e;
                live.add(entry);
                String id = StreamEntries.text(entry.get(0));
                if (min == null || StreamIds.compare(id, min) < 0) {
                    min = id;
                }
                if (max == null || StreamIds.compare(id, max) > 0) {
                    max = id;
                }
            }
        }
        if (live.isEmpty()) {
            return;
        }
        Map<String, Integer> counts = new HashMap<>();
        Object p = w.executeCommand(new CommandArguments(Protocol.Command.XPENDING).key(StreamEntries.bytes(stream)).add(group).add(min)
                .add(max).add(live.size() * 2).add(consumer));
        if (p instanceof List) {
            for (Object o : (List<?>) p) {
                List<?> row = (List<?>) o;
                counts.put(StreamEntries.text(row.get(0)), ((Long) row.get(3)).intValue());
            }
        }
        for (List<?> entry : live) {
            String id = StreamEntries.text(entry.get(0));
            reclaimed.incrementAndGet();
            deliver(id, (List<?>) entry.get(1), Math.max(1, counts.getOrDefault(id, 1)), true);
        }
    }

    /** Deletes consumers that have nothing pending and have not read for reap-after: their processes died. */
    private void reapDeadConsumers(RedisWire w) {
        Object r = w.executeCommand(new CommandArguments(Protocol.Command.XINFO).add(Protocol.Keyword.CONSUMERS).key(StreamEntries.bytes(stream))
                .add(group));
        if (!(r instanceof List)) {
            return;
        }
        for (Object o : (List<?>) r) {
            List<?> c = (List<?>) o;
            String name = null;
            long pending = -1;
            long idle = -1;
            for (int i = 0; i + 1 < c.size(); i += 2) {
                String k = StreamEntries.text(c.get(i));
                Object v = c.get(i + 1);
                if (k.equals("name")) {
                    name = StreamEntries.text(v);
                } else if (k.equals("pending") && v instanceof Long) {
                    pending = (Long) v;
                } else if (k.equals("idle") && v instanceof Long) {
                    idle = (Long) v;
                }
            }
            if (name != null && !name.equals(consumer) && pending == 0 && idle > settings.reapAfter.toMillis()) {
                w.executeCommand(new CommandArguments(Protocol.Command.EVAL).add(CLEANUP_SCRIPT).add(1).key(StreamEntries.bytes(stream))
                        .add(group).add(name));
                LOG.info("deleted consumer '{}' of group '{}' on stream '{}': nothing pending, idle {} ms (its process is gone)", name, group,
                        stream, idle);
            }
        }
    }

    private boolean retryDue() {
        synchronized (retries) {
            Retry r = retries.peek();
            return r != null && r.dueNanos <= System.nanoTime();
        }
    }

    private long millisToNextRetry() {
        synchronized (retries) {
            Retry r = retries.peek();
            return r == null ? Long.MAX_VALUE : Math.max(1, TimeUnit.NANOSECONDS.toMillis(r.dueNanos - System.nanoTime()) + 1);
        }
    }

    /** Delivers the retries whose time has come; a durable one only if this consumer still owns the entry. */
    private void redeliverDue(RedisWire w) {
        List<Retry> due = new ArrayList<>();
        synchronized (retries) {
            long now = System.nanoTime();
            while (!retries.isEmpty() && retries.peek().dueNanos <= now) {
                due.add(retries.poll());
            }
        }
        if (due.isEmpty()) {
            return;
        }
        if (group == null) {
            for (Retry r : due) {
                dispatch(r.delivery.again(r.next));
            }
            return;
        }
        for (Retry r : due) {
            w.sendCommand(new CommandArguments(Protocol.Command.XCLAIM).key(StreamEntries.bytes(stream)).add(group).add(consumer).add(0)
                    .add(r.delivery.entryId).add(Protocol.Keyword.RETRYCOUNT).add(r.next).add(Protocol.Keyword.JUSTID));
        }
        List<Object> replies = w.getMany(due.size());
        for (int i = 0; i < due.size(); i++) {
            Retry r = due.get(i);
            Object reply = replies.get(i);
            held.remove(r.delivery.entryId);
            if (reply instanceof List && !((List<?>) reply).isEmpty()) {
                dispatch(r.delivery.again(r.next));
            } else {
                LOG.warn("entry {} of stream '{}' is gone before its attempt {} (trimmed or deleted); not retried", r.delivery.entryId, stream,
                        r.next);
            }
        }
    }

    int epoch() {
        return epoch;
    }

    /**
     * Whether the facade may run a delivery's handler on this reader thread: only for the last
     * entry of a read (so at high rates, when reads return many entries, handlers stay on the
     * facade's threads and reading goes on meanwhile) and only on the reader thread. While a
     * handler runs here, the writer's tick touches the entries this consumer holds
     * ({@link #touchIfLent}), so a slow handler does not lose its entry to another member.
     */
    boolean lend() {
        if (Thread.currentThread() != thread || !lendable || closed) {
            return false;
        }
        if (lentSince == 0) {
            lentSince = System.nanoTime();
        }
        return true;
    }

    /**
     * On the writer thread, about every 100 ms: acknowledgements held for the next read go through
     * the writer when that read has been blocking longer than {@link #ACK_HOLD_NANOS}.
     */
    void flushHeldAcks(long now) {
        if (group != null && reading && now - readStartNanos > ACK_HOLD_NANOS && !pendingAcks.isEmpty()) {
            acksToWriter();
        }
    }

    /** On the writer thread: while the reader runs a handler, touches the held entries every third of claim-idle. */
    void touchIfLent(long now) {
        long since = lentSince;
        long third = settings.claimIdle.toNanos() / 3;
        if (group == null || since == 0 || now - since < third || now - nextLentTouch < 0 || held.isEmpty() || deleted) {
            return;
        }
        nextLentTouch = now + third;
        CommandArguments touch = new CommandArguments(Protocol.Command.XCLAIM).key(StreamEntries.bytes(stream)).add(group).add(consumer).add(0);
        for (String id : held.keySet()) {
            touch.add(id);
        }
        touch.add(Protocol.Keyword.JUSTID);
        transport.writer.submit(touch, null);
    }


    void acked(StreamsDelivery d) {
        if (group != null) {
            if (d.epoch == epoch && lentSince != 0) {
                // The reader is running a handler and cannot notice a lost connection meanwhile:
                // it acknowledges these on its own connection with its next read (takeLent).
                lentAcked.add(d);
            } else if (d.epoch == epoch) {
                // Sent with the reader's next read (one XACK per read, pipelined with it); through
                // the writer when the reader is gone, or blocked in a read that did not come back at
                // once (an idle stream), so an acknowledgement waits at most ACK_HOLD for its XACK
                // (the writer's tick sweeps up those made just before a read started to block).
                pendingAcks.add(d.entryId);
                if (closed || stopped.getCount() == 0 || reading && System.nanoTime() - readStartNanos > ACK_HOLD_NANOS) {
                    acksToWriter();
                }
            } else {
                // As with AMQP, an acknowledgement across a lost connection does not count: the
                // entry is delivered again, so a restart can never make a handled-looking message vanish unhandled.
                handBack(d.entryId, d.attempt);
            }
            held.remove(d.entryId, d);
        }
        settled();
    }

    /**
     * The deliveries acknowledged while the reader ran a handler, to acknowledge ahead of the next
     * read on the reader's own connection: only those delivered on the current connection. If the
     * connection was lost meanwhile (a server restart) the acknowledgements do not count, as for
     * any acknowledgement across a lost connection: those entries are handed back and delivered
     * again; so are these if the pipeline carrying them fails. Null if there are none.
     */
    private List<StreamsDelivery> takeLent() {
        if (lentAcked.isEmpty()) {
            return null;
        }
        List<StreamsDelivery> ds = new ArrayList<>();
        StreamsDelivery d;
        while ((d = lentAcked.poll()) != null) {
            if (d.epoch == epoch) {
                ds.add(d);
            } else {
                handBack(d.entryId, d.attempt);
            }
        }
        return ds.isEmpty() ? null : ds;
    }

    private void handBackAll(List<StreamsDelivery> ds) {
        if (ds != null) {
            for (StreamsDelivery d : ds) {
                handBack(d.entryId, d.attempt);
            }
        }
    }

    /** Hands the acknowledgements not yet sent to the writer. */
    private void acksToWriter() {
        String id;
        while ((id = pendingAcks.poll()) != null) {
            transport.writer.ack(stream, group, id, ackKey);
        }
    }

    /** The acknowledgements not yet sent, taken to go in one XACK ahead of a read; null if there are none. */
    private List<String> takeAcks() {
        String id = pendingAcks.poll();
        if (id == null) {
            return null;
        }
        List<String> ids = new ArrayList<>();
        ids.add(id);
        while ((id = pendingAcks.poll()) != null) {
            ids.add(id);
        }
        return ids;
    }

    private CommandArguments xack(List<String> ids) {
        CommandArguments ack = new CommandArguments(Protocol.Command.XACK).key(StreamEntries.bytes(stream)).add(group);
        for (String id : ids) {
            ack.add(id);
        }
        return ack;
    }

    /** The connection broke before Redis surely had them: they go again (XACK is idempotent). */
    private void untake(List<String> ids) {
        if (ids != null) {
            pendingAcks.addAll(ids);
            if (closed || stopped.getCount() == 0) {
                acksToWriter();
            }
        }
    }

    void released(StreamsDelivery d) {
        if (group != null) {
            handBack(d.entryId, d.attempt - 1);
            held.remove(d.entryId, d);
        }
        settled();
    }

    void retry(StreamsDelivery d, Duration delay) {
        if (closed) {
            if (group != null) {
                handBack(d.entryId, d.attempt);
                held.remove(d.entryId, d);
            }
            settled();
            return;
        }
        long due = System.nanoTime() + Math.max(0, delay.toNanos());
        synchronized (retries) {
            retries.add(new Retry(due, d, d.attempt + 1));
        }
        settled();
        if (reading && due < readUntilNanos - TimeUnit.MILLISECONDS.toNanos(5)) {
            transport.unblock(clientId);
        }
    }

    void deadLetter(StreamsDelivery d, String reason, int attempts) {
        String target = request.deadLetterChannel();
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("sb-dead-letter-reason", reason);
        extra.put("sb-original-channel", d.message.channel());
        extra.put("sb-attempts", Integer.toString(attempts));
        transport.writer.publish(settings.streamKey(target), StreamEntries.encode(d.message, extra), target, d.message.id())
                .whenComplete((ok, failure) -> {
                    if (failure == null) {
                        if (group != null) {
                            transport.writer.ack(stream, group, d.entryId);
                            held.remove(d.entryId, d);
                        }
                    } else {
                        LOG.warn("message {} (attempt {}) could not be dead-lettered to '{}': {}; {}", d.message.id(), attempts, target,
                                failure.toString(), group != null ? "it stays pending and will be delivered again" : "dropped");
                        if (group != null) {
                            handBack(d.entryId, d.attempt);
                            held.remove(d.entryId, d);
                        }
                    }
                    settledLate();
                });
        settled();
    }

    private void settled() {
        int left = outstanding.decrementAndGet();
        if (left <= wakeAt) {
            synchronized (signal) {
                signal.notifyAll();
            }
        }
        settledLate();
    }

    private void settledLate() {
        if (closed && group != null && !deleted && stopped.getCount() == 0 && held.isEmpty() && outstanding.get() <= 0
                && cleanedUp.compareAndSet(false, true)) {
            transport.writer.submit(new CommandArguments(Protocol.Command.EVAL).add(CLEANUP_SCRIPT).add(1).key(StreamEntries.bytes(stream))
                    .add(group).add(consumer), null);
        }
    }

    /** Makes a held entry claimable at once by any member, with its delivery count set to {@code count} (attempts made). */
    private void handBack(String id, int count) {
        if (deleted) {
            return;
        }
        transport.writer.submit(new CommandArguments(Protocol.Command.XCLAIM).key(StreamEntries.bytes(stream)).add(group).add(consumer).add(0)
                .add(id).add(Protocol.Keyword.IDLE).add(HAND_BACK_IDLE).add(Protocol.Keyword.RETRYCOUNT).add(Math.max(0, count))
                .add(Protocol.Keyword.JUSTID), null);
    }

    private void finish() {
        List<Retry> left = new ArrayList<>();
        synchronized (retries) {
            left.addAll(retries);
            retries.clear();
        }
        for (Retry r : left) {
            if (group != null) {
                handBack(r.delivery.entryId, r.next - 1);
                held.remove(r.delivery.entryId);
            }
        }
        RedisWire w = wire;
        wire = null;
        if (w != null) {
            RedisConnector.closeQuietly(w);
        }
        transport.connectivity.forget(this);
        stopped.countDown();
        if (group != null) {
            // After the count-down: an acknowledgement made from now on goes to the writer itself.
            StreamsDelivery d;
            while ((d = lentAcked.poll()) != null) {
                if (d.epoch == epoch) {
                    pendingAcks.add(d.entryId);
                } else {
                    handBack(d.entryId, d.attempt);
                }
            }
            acksToWriter();
        }
        settledLate();
    }

    private void pause(long nanos) {
        long jittered = nanos / 2 + ThreadLocalRandom.current().nextLong(Math.max(1, nanos / 2));
        synchronized (signal) {
            if (!closed) {
                try {
                    signal.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(jittered)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    closed = true;
                }
            }
        }
    }

    /**
     * Stops reading: returns once the reader has stopped (its blocked read is cut short with
     * {@code CLIENT UNBLOCK}), at most about the poll interval plus the command timeout later.
     * Deliveries already handed out may still be settled.
     */
    @Override
    public void close() {
        if (closed && stopped.getCount() == 0) {
            return;
        }
        closed = true;
        synchronized (signal) {
            signal.notifyAll();
        }
        transport.closed(this);
        if (Thread.currentThread() == thread) {
            return;
        }
        long deadline = System.nanoTime() + settings.pollInterval.toNanos() + settings.endpoint.commandTimeout().toNanos();
        try {
            while (!stopped.await(reading ? 20 : 5, TimeUnit.MILLISECONDS) && System.nanoTime() < deadline) {
                if (reading) {
                    transport.unblock(clientId);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** deleteDurable: the group is gone; stop without handing anything back. */
    void deleted() {
        deleted = true;
        close();
    }

    boolean isConnected() {
        return wire != null || closed;
    }

    Map<String, Object> details() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("stream", stream);
        if (group != null) {
            m.put("group", group);
            m.put("consumer", consumer);
            m.put("reclaimed", reclaimed.get());
        }
        m.put("delivered", delivered.get());
        m.put("outstanding", outstanding.get());
        m.put("unreadable", unreadable.get());
        return m;
    }

    String describe() {
        return channel + (group != null ? " (durable '" + group + "')" : "");
    }

    @Override
    public String toString() {
        return "StreamsSubscription[" + describe() + "]";
    }
}
