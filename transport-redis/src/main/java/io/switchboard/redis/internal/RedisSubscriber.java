package io.switchboard.redis.internal;

import io.switchboard.redis.common.RedisWire;
import io.switchboard.redis.common.RedisConnector;
import io.switchboard.redis.common.RedisAcl;
import io.switchboard.ConfigurationException;
import io.switchboard.ConnectionException;
import io.switchboard.Message;
import io.switchboard.redis.RedisConfigKeys;
import io.switchboard.spi.Channels;
import io.switchboard.spi.ConnectionEvents;
import io.switchboard.spi.DeliveryListener;
import io.switchboard.spi.AtMostOnceDelivery;
import io.switchboard.spi.InboundDelivery;
import io.switchboard.spi.SubscriptionRequest;
import io.switchboard.spi.TransportSubscription;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The one subscriber connection of a transport: every SUBSCRIBE and PSUBSCRIBE is multiplexed
 * on it, a reader thread parses what arrives and hands it to the facade's non-blocking
 * listeners, and it is pinged so that a half-open connection is noticed within
 * {@code dead-after} (the read timeout). On loss it reconnects with backoff and jitter and
 * re-subscribes everything. Thread-safe.
 *
 * <p>Two threads take turns as the reader (leader/follower). When a message arrives after a quiet
 * spell ({@value #QUIET_MICROS} us since the previous message), or is one of the
 * {@value #BURST_CLAIMS} that begin with such a message, and the other thread is waiting, the
 * reader may hand reading over to it and keep the message's handler for itself
 * ({@link InboundDelivery#claimDeliveryThread()}): at low rates a handler then starts without a
 * thread wake-up, while the socket is still read at all times, so a slow handler stalls nothing.
 * At high rates messages follow each other closely and every handler goes through the facade's
 * threads, in batches.
 *
 * <p>Redis answers the commands of a connection in order, pushed messages aside, and refuses one
 * with a single error reply that does not say which command it was. So every command written on
 * the connection is recorded, in order, with the replies it still expects ({@link Sent}); an
 * error reply then belongs to the oldest one. A refused SUBSCRIBE fails its {@code subscribe()}
 * at once with a {@link ConfigurationException} naming the ACL rule that is missing, and leaves
 * nothing behind that a later subscribe to the same name could mistake for its confirmation.
 */
final class RedisSubscriber {
    private static final Logger LOG = LoggerFactory.getLogger(RedisSubscriber.class);
    private static final byte[] RESYNC = "sb-resubscribed".getBytes(StandardCharsets.US_ASCII);
    private static final int NAMES_PER_COMMAND = 500;
    private static final long QUIET_MICROS = 100;
    /** How many messages in a row after a quiet spell may claim the reading thread. */
    private static final int BURST_CLAIMS = 8;
    private static final long TAKE_OVER_MILLIS = 1;
    private static final long ACTIVE_MILLIS = 1000;
    private static final long QUIET_NANOS = TimeUnit.MICROSECONDS.toNanos(QUIET_MICROS);
    private static final long ACTIVE_NANOS = TimeUnit.MILLISECONDS.toNanos(ACTIVE_MILLIS);
    private static final long MALFORMED_LOG_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final RedisSettings settings;
    private final RedisConnector connector;
    private final ConnectionEvents events;
    private final Runnable onLoss;
    private final Supplier<RedisWire> opener;
    private final boolean sharded;
    private final Runnable onMoved;
    private final Thread[] readers;
    /** The reader thread holding the read role, or null while it is free to take. */
    private final AtomicReference<Thread> roleHolder = new AtomicReference<>();
    /** Reader threads waiting to take the read role over (not running a handler). */
    private final AtomicInteger waitingToRead = new AtomicInteger();
    /** A waiting reader thread that sleeps until woken (no recent traffic), or null. */
    private volatile Thread sleeper;
    /**
     * When the previous message arrived (PING replies and confirmations do not count, so an idle
     * connection lets the waiting reader thread sleep); written by the reader, read by the waiting one.
     */
    private volatile long lastMessageNanos = System.nanoTime() - ACTIVE_NANOS;
    /**
     * Whether the message being handled may claim the reading thread: it is one of the first
     * {@value #BURST_CLAIMS} since a quiet spell; reader only.
     */
    private boolean quiet;
    /** Messages since the last quiet spell; reader only. */
    private int sinceQuiet;
    private final ScheduledFuture<?> pinger;
    private final Object lock = new Object();
    private final Map<String, Target> exact = new ConcurrentHashMap<>();
    private final Map<String, Target> patterns = new ConcurrentHashMap<>();
    /** Every command written on the current connection still expecting replies, oldest first; guarded by {@link #lock}. */
    private final ArrayDeque<Sent> sent = new ArrayDeque<>();
    private final AtomicLong refusedSubscriptions = new AtomicLong();
    private volatile boolean warnedUnsubscribeRefused;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    /** When a malformed envelope was last logged: at most one line per {@link #MALFORMED_LOG_NANOS}. */
    private final AtomicLong lastMalformedLog = new AtomicLong(System.nanoTime());
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong halfOpenDetections = new AtomicLong();
    private volatile RedisWire wire;
    private volatile boolean recovering;
    private volatile boolean closing;
    private volatile String lastError;

    /**
     * The text of the last channel (or glob) name received, and for a channel with the prefix its
     * portable name; reused while the same name repeats. Reader thread only.
     */
    private static final class Name {
        final byte[] raw;
        final String text;
        /** The text without the channel prefix; null if it does not start with it. */
        final String portable;

        Name(byte[] raw, String prefix) {
            this.raw = raw;
            this.text = new String(raw, StandardCharsets.UTF_8);
            this.portable = text.startsWith(prefix) ? text.substring(prefix.length()) : null;
        }

        Name of(byte[] bytes, String prefix) {
            // The reader hands back the very array while a name repeats.
            return raw == bytes || Arrays.equals(raw, bytes) ? this : new Name(bytes, prefix);
        }
    }

    private Name lastChannel = new Name(new byte[0], "");
    private Name lastGlob = new Name(new byte[0], "");
    /** The RESP reader of {@link #readerWire}; the reader threads' (one at a time). */
    private RespReader reader;
    private RedisWire readerWire;

    /** One Redis channel or glob and the subscriptions sharing it. */
    private static final class Target {
        final String redisName;
        final String portable;
        final boolean pattern;
        final byte[] redisNameBytes;
        final List<Sub> subs = new CopyOnWriteArrayList<>();
        /**
         * Completes when Redis confirmed this target, exceptionally when it refused it (then the
         * next subscribe to it asks again); guarded by {@link #lock}.
         */
        CompletableFuture<Void> confirmed = new CompletableFuture<>();

        Target(String redisName, String portable, boolean pattern) {
            this.redisName = redisName;
            this.portable = portable;
            this.pattern = pattern;
            this.redisNameBytes = redisName.getBytes(StandardCharsets.UTF_8);
        }

        boolean refused() {
            return confirmed.isCompletedExceptionally();
        }
    }

    /**
     * One command written on the subscriber connection: its reply kind ({@code subscribe},
     * {@code psubscribe}, {@code unsubscribe}, {@code punsubscribe} or {@code pong}), the replies
     * still expected (one per name, one for a PING), and for a SUBSCRIBE or PSUBSCRIBE the targets
     * and the confirmations it completes. Guarded by {@link #lock}.
     */
    private static final class Sent {
        final String kind;
        final List<Target> targets;
        final List<CompletableFuture<Void>> confirmations;
        final boolean resync;
        int replies;

        Sent(String kind, List<Target> targets, int replies, boolean resync) {
            this.kind = kind;
            this.targets = targets;
            this.confirmations = new ArrayList<>(targets.size());
            for (Target t : targets) {
                confirmations.add(t.confirmed);
            }
            this.replies = replies;
            this.resync = resync;
        }
    }

    /** Connects (throwing if Redis is unusable) and starts reading and pinging. */
    RedisSubscriber(RedisSettings settings, RedisConnector connector, ConnectionEvents events, ScheduledExecutorService scheduler,
            String instanceName, Runnable onLoss) {
        this(settings, connector, connector::open, false, events, scheduler, instanceName, onLoss, () -> { });
    }

    /**
     * A subscriber whose connections {@code opener} opens (the master of one Redis Cluster shard,
     * or any cluster node for patterns), connecting at once.
     *
     * @param sharded exact channels with {@code SSUBSCRIBE} (one channel per command, as a shard's
     *     channels may hash to different slots), delivered as {@code smessage}
     * @param onMoved run when Redis drops a sharded subscription by itself ({@code sunsubscribe}
     *     pushed unasked: the channel's slot moved to another shard)
     */
    RedisSubscriber(RedisSettings settings, RedisConnector connector, Supplier<RedisWire> opener, boolean sharded,
            ConnectionEvents events, ScheduledExecutorService scheduler, String instanceName, Runnable onLoss, Runnable onMoved) {
        this.settings = settings;
        this.connector = connector;
        this.opener = opener;
        this.sharded = sharded;
        this.onMoved = onMoved;
        this.events = events;
        this.onLoss = onLoss;
        RedisWire w = opener.get();
        w.setSoTimeout(RedisSettings.millis(settings.deadAfter));
        this.wire = w;
        this.readers = new Thread[] {new Thread(this::run, instanceName + "-redis-subscriber-1"),
                new Thread(this::run, instanceName + "-redis-subscriber-2")};
        for (Thread t : readers) {
            t.setDaemon(true);
            t.start();
        }
        long ping = settings.pingInterval.toMillis();
        this.pinger = scheduler.scheduleAtFixedRate(this::ping, ping, ping, TimeUnit.MILLISECONDS);
    }

    /**
     * See {@link io.switchboard.spi.Transport#subscribe}. Waits up to {@code command-timeout} for
     * Redis to confirm a new channel or pattern (or one whose SUBSCRIBE is still unanswered).
     *
     * @throws ConfigurationException at once if Redis refuses it (an ACL without the channel or
     *     the command), naming the missing rule
     * @throws ConnectionException if Redis does not confirm it in time
     */
    TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
        String portable = request.channelOrPattern();
        boolean pattern = request.isPattern();
        String redisName = pattern ? toGlob(settings.channelPrefix, portable) : settings.channelPrefix + portable;
        Sub sub;
        CompletableFuture<Void> confirmation = null;
        synchronized (lock) {
            if (closing) {
                throw new IllegalStateException("the Redis transport is closed");
            }
            Map<String, Target> map = pattern ? patterns : exact;
            Target t = map.get(redisName);
            if (t == null || t.refused()) {
                if (t == null) {
                    t = new Target(redisName, portable, pattern);
                    map.put(redisName, t);
                } else {
                    t.confirmed = new CompletableFuture<>();
                }
                RedisWire w = wire;
                if (w != null) {
                    try {
                        send(w, pattern ? Protocol.Command.PSUBSCRIBE : exactCommand(), List.of(t));
                        w.flushOut();
                        confirmation = t.confirmed;
                    } catch (RuntimeException e) {
                        // The reader sees the broken connection too and re-subscribes every target on reconnection.
                    }
                }
            } else if (wire != null && !t.confirmed.isDone()) {
                confirmation = t.confirmed;
            }
            sub = new Sub(t, portable, listener);
            t.subs.add(sub);
        }
        if (confirmation != null) {
            try {
                confirmation.get(settings.commandTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                sub.close();
                if (e.getCause() instanceof ConfigurationException) {
                    throw new ConfigurationException(e.getCause().getMessage(), null);
                }
                throw new ConnectionException("Redis at " + settings.describe() + " did not confirm the subscription to '"
                        + portable + "'", e.getCause());
            } catch (TimeoutException e) {
                sub.close();
                throw new ConnectionException("Redis at " + settings.describe() + " did not confirm the subscription to '"
                        + portable + "' within " + settings.commandTimeout.toMillis() + "ms", e);
            } catch (InterruptedException e) {
                sub.close();
                Thread.currentThread().interrupt();
                throw new ConnectionException("interrupted while subscribing to '" + portable + "'", e);
            }
        }
        return sub;
    }

    /** Writes (buffered) a SUBSCRIBE or PSUBSCRIBE of the targets and records it. Caller holds {@link #lock}. */
    private void send(RedisWire w, Protocol.Command command, List<Target> targets) {
        byte[][] names = new byte[targets.size()][];
        for (int i = 0; i < names.length; i++) {
            names[i] = targets.get(i).redisNameBytes;
        }
        w.sendCommand(command, names);
        sent.add(new Sent(command.name().toLowerCase(java.util.Locale.ROOT), targets, targets.size(), false));
    }

    /** SUBSCRIBE, or SSUBSCRIBE on a cluster shard. */
    private Protocol.Command exactCommand() {
        return sharded ? Protocol.Command.SSUBSCRIBE : Protocol.Command.SUBSCRIBE;
    }

    /**
     * Translates a portable pattern to a Redis glob that matches a superset of it ({@code *}
     * crosses dots in Redis, and {@code #} with its dots becomes one {@code *} so that
     * {@code a.#} also matches {@code a}); deliveries are then filtered with
     * {@link Channels#matcher}.
     */
    static String toGlob(String prefix, String pattern) {
        StringBuilder sb = new StringBuilder(escapeGlob(prefix));
        String[] segments = pattern.split("\\.");
        boolean afterHash = false;
        for (int i = 0; i < segments.length; i++) {
            String s = segments[i];
            if (s.equals("#")) {
                if (sb.length() == 0 || sb.charAt(sb.length() - 1) != '*') {
                    sb.append('*');
                }
                afterHash = true;
                continue;
            }
            if (i > 0 && !afterHash) {
                sb.append('.');
            }
            afterHash = false;
            sb.append(s.equals("*") ? "*" : escapeGlob(s));
        }
        return sb.toString();
    }

    private static String escapeGlob(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private void ping() {
        synchronized (lock) {
            RedisWire w = wire;
            if (w == null || closing) {
                return;
            }
            try {
                w.sendCommand(Protocol.Command.PING);
                sent.add(new Sent("pong", List.of(), 1, false));
                w.flushOut();
            } catch (RuntimeException e) {
                // The reader notices the broken connection on its next read.
            }
        }
    }

    /**
     * A reader thread: takes the read role when it is free and reads; otherwise waits. While
     * messages flow it checks every {@value #TAKE_OVER_MILLIS} ms (so a handler that kept the
     * previous reader's thread holds reading up for at most that long, and a quick one never
     * wakes this thread); after {@value #ACTIVE_MILLIS} ms without traffic it sleeps until woken.
     */
    private void run() {
        Thread me = Thread.currentThread();
        while (!closing) {
            if (roleHolder.compareAndSet(null, me)) {
                try {
                    read();
                } finally {
                    roleHolder.compareAndSet(me, null);
                }
                continue;
            }
            waitingToRead.incrementAndGet();
            try {
                if (System.nanoTime() - lastMessageNanos < ACTIVE_NANOS) {
                    LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(TAKE_OVER_MILLIS));
                } else {
                    sleeper = me;
                    if (roleHolder.get() != null && !closing) {
                        LockSupport.park(this);
                    }
                    sleeper = null;
                }
            } finally {
                waitingToRead.decrementAndGet();
            }
        }
    }

    /** Reads and dispatches replies until closing or until this thread handed the read role over. */
    private void read() {
        Thread me = Thread.currentThread();
        while (!closing && roleHolder.get() == me) {
            RedisWire w = wire;
            if (w == null) {
                reconnect();
                continue;
            }
            int kind;
            RespReader in;
            try {
                in = readerFor(w);
                kind = in.read();
            } catch (JedisDataException e) {
                refused(w, e.getMessage());
                continue;
            } catch (RuntimeException e) {
                if (!closing) {
                    lost(w, e);
                }
                continue;
            }
            try {
                if (kind == RespReader.MESSAGE || sharded && kind == RespReader.SMESSAGE) {
                    arrived();
                    lastChannel = lastChannel.of(in.channel, settings.channelPrefix);
                    deliverExact(lastChannel, in.meta, in.payload);
                } else if (kind == RespReader.PMESSAGE) {
                    arrived();
                    lastGlob = lastGlob.of(in.glob, settings.channelPrefix);
                    lastChannel = lastChannel.of(in.channel, settings.channelPrefix);
                    deliverPattern(lastGlob.text, lastChannel, in.meta, in.payload);
                } else if (kind == RespReader.SMESSAGE) {
                    answered("smessage");
                } else {
                    handle(in.reply);
                }
            } catch (RuntimeException e) {
                lastError = "failed to dispatch a Redis message: " + e;
                LOG.error("failed to dispatch a Redis message", e);
            }
        }
    }

    /**
     * The RESP reader of the connection, made on its first read. Jedis is done reading on it by
     * then: the handshake's replies were all read before the connection was handed over.
     */
    private RespReader readerFor(RedisWire w) {
        if (readerWire != w) {
            try {
                reader = new RespReader(w.socket().getInputStream(), settings.envelope);
            } catch (java.io.IOException e) {
                throw new redis.clients.jedis.exceptions.JedisConnectionException(e);
            }
            readerWire = w;
        }
        return reader;
    }

    /** A reply other than a pushed message (the reader parses those itself). */
    private void handle(Object reply) {
        if (reply instanceof List) {
            List<?> parts = (List<?>) reply;
            if (parts.isEmpty() || !(parts.get(0) instanceof byte[])) {
                return;
            }
            answered(new String((byte[]) parts.get(0), StandardCharsets.US_ASCII));
        } else if (reply instanceof byte[]) {
            // PING outside subscribed mode: +PONG, or the resync marker as a bulk string.
            answered("pong");
        }
    }

    /** Notes a message's arrival: whether it came after a quiet spell, and that traffic flows. */
    private void arrived() {
        long now = System.nanoTime();
        if (now - lastMessageNanos >= QUIET_NANOS) {
            sinceQuiet = 0;
        } else if (sinceQuiet < BURST_CLAIMS) {
            sinceQuiet++;
        }
        quiet = sinceQuiet < BURST_CLAIMS;
        lastMessageNanos = now;
    }

    /** One reply to the oldest command written; completes what that command was for once all its replies came. */
    private void answered(String kind) {
        Sent done = null;
        boolean movedAway = false;
        synchronized (lock) {
            Sent oldest = sent.peek();
            if (oldest == null || !oldest.kind.equals(kind)) {
                if (sharded && kind.equals("sunsubscribe")) {
                    // Redis dropped a sharded subscription by itself: its slot now belongs to another shard.
                    movedAway = true;
                }
                LOG.debug("Redis sent a '{}' reply while the subscriber expected {}", kind, oldest == null ? "none" : oldest.kind);
            } else if (--oldest.replies == 0) {
                sent.poll();
                done = oldest;
            }
        }
        if (movedAway) {
            onMoved.run();
            return;
        }
        if (done != null) {
            done.confirmations.forEach(f -> f.complete(null));
            if (done.resync) {
                resubscribed();
            }
        }
    }

    /** Redis refused the oldest command written (its one error reply stands for all of that command's replies). */
    private void refused(RedisWire w, String error) {
        Sent oldest;
        synchronized (lock) {
            oldest = sent.poll();
            if (oldest != null && oldest.targets.size() > 1 && wire == w) {
                // Redis refuses a SUBSCRIBE of many names as a whole; ask one by one to establish
                // the permitted ones and find the refused ones.
                Protocol.Command command = oldest.kind.equals("psubscribe") ? Protocol.Command.PSUBSCRIBE : exactCommand();
                try {
                    for (Target t : oldest.targets) {
                        send(w, command, List.of(t));
                    }
                    w.flushOut();
                } catch (RuntimeException e) {
                    // The reader notices the broken connection on its next read.
                }
                return;
            }
        }
        if (oldest == null) {
            lastError = "Redis refused a subscriber command: " + error;
            LOG.warn("{}", lastError);
        } else if (!oldest.targets.isEmpty()) {
            Target t = oldest.targets.get(0);
            String what = t.pattern ? "PSUBSCRIBE to pattern '" + t.portable + "' (Redis glob '" + t.redisName
                    + "', which Redis checks against the user's channel rules literally)"
                    : "SUBSCRIBE to channel '" + t.portable + "' (Redis channel '" + t.redisName + "')";
            String message = RedisAcl.isRefusal(error)
                    ? RedisAcl.explain(settings.endpoint, what, error, "&" + t.redisName, (t.pattern ? "+psubscribe" : "+subscribe") + " &" + t.redisName)
                    : "Redis at " + settings.describe() + " refused " + what + ": " + error;
            refusedSubscriptions.incrementAndGet();
            lastError = message;
            LOG.warn("{}", message);
            oldest.confirmations.get(0).completeExceptionally(new ConfigurationException(message, null));
        } else if (oldest.kind.equals("pong")) {
            lastError = "Redis refused the subscriber's PING: " + error;
            LOG.warn("{}", lastError);
            if (oldest.resync) {
                resubscribed();
            }
        } else if (!warnedUnsubscribeRefused) {
            warnedUnsubscribeRefused = true;
            lastError = RedisAcl.explain(settings.endpoint, "the " + oldest.kind.toUpperCase(java.util.Locale.ROOT) + " of a closed subscription", error,
                    null, "+unsubscribe +punsubscribe");
            LOG.warn("{}; Redis keeps sending that channel's messages, which are dropped, until the connection is replaced", lastError);
        }
    }

    /** {@code meta}: see {@link RespReader#meta}. */
    private void deliverExact(Name redisChannel, byte[] meta, byte[] payload) {
        Target t = exact.get(redisChannel.text);
        if (t != null && redisChannel.portable != null) {
            fanOut(t, redisChannel.portable, meta, payload, false);
        }
    }

    private void deliverPattern(String glob, Name redisChannel, byte[] meta, byte[] payload) {
        Target t = patterns.get(glob);
        if (t != null && redisChannel.portable != null) {
            fanOut(t, redisChannel.portable, meta, payload, true);
        }
    }

    /**
     * Delivers one message to the target's subscriptions (for a pattern, those whose portable
     * matcher accepts the channel), decoding it at most once. Only the last delivery may claim
     * this thread for its handler: nothing of the reply is left to do by then.
     */
    private void fanOut(Target t, String channel, byte[] meta, byte[] payload, boolean filter) {
        Frame frame = null;
        Sub last = null;
        for (Sub s : t.subs) {
            if (filter && !s.matcher.test(channel)) {
                continue;
            }
            if (frame == null) {
                frame = new Frame(meta, payload, channel);
            }
            if (last != null) {
                frame.shared = true;
                last.deliver(new SharedFrame(frame));
            }
            last = s;
        }
        if (last != null) {
            frame.claimable = quiet;
            last.deliver(frame);
        }
    }

    /** Grants the reading thread to a handler: hands the read role to the waiting reader thread. */
    private boolean handOverReading() {
        if (closing || waitingToRead.get() == 0 || !roleHolder.compareAndSet(Thread.currentThread(), null)) {
            return false;
        }
        Thread s = sleeper;
        if (s != null) {
            LockSupport.unpark(s);
        }
        return true;
    }

    /**
     * One received message as an at-most-once delivery (see {@link InboundDelivery#atMostOnce}),
     * in one object: decoding waits for the facade's handler thread, so this socket-reading thread
     * only frames messages, and subscriptions sharing one message share one decode (through
     * {@link SharedFrame}). The facade's buffer is bounded by the raw frame's size, the decoded
     * message being no larger.
     */
    private final class Frame extends AtMostOnceDelivery {
        /** The magic and metadata line when the reader split the payload off them, else null (see {@link RespReader#meta}). */
        final byte[] meta;
        /** The payload after {@link #meta}, or the whole payload as received when that is null. */
        final byte[] payload;
        final String channel;
        /** Whether the facade may take the reading thread for the handler; set before delivery, read on the delivering thread. */
        boolean claimable;
        /**
         * Whether a {@link SharedFrame} of this frame was made (set before any delivery): only then
         * may two threads decode it, and only then does {@link #message()} take the monitor, which
         * without biased locking costs an atomic per message.
         */
        boolean shared;
        private volatile Message decoded;

        Frame(byte[] meta, byte[] payload, String channel) {
            this.meta = meta;
            this.payload = payload;
            this.channel = channel;
        }

        @Override
        public Message message() {
            Message m = decoded;
            if (m == null && !shared) {
                // One subscription's delivery: only its handler thread reads it (the facade's
                // queue hands it over with a happens-before edge).
                m = decode(meta, payload, channel);
                decoded = m;
            } else if (m == null) {
                synchronized (this) {
                    m = decoded;
                    if (m == null) {
                        m = decode(meta, payload, channel);
                        decoded = m;
                    }
                }
            }
            return m;
        }

        @Override
        public long sizeHint() {
            return meta == null ? payload.length : meta.length + payload.length;
        }

        @Override
        public boolean claimDeliveryThread() {
            return claimable && handOverReading();
        }

        @Override
        public String toString() {
            return "InboundDelivery[at-most-once, Redis channel " + settings.channelPrefix + channel + ", " + sizeHint() + " bytes]";
        }
    }

    /** A delivery of a frame to one more subscription: the frame's decode, never the reading thread. */
    private static final class SharedFrame extends AtMostOnceDelivery {
        private final Frame frame;

        SharedFrame(Frame frame) {
            this.frame = frame;
        }

        @Override
        public Message message() {
            return frame.message();
        }

        @Override
        public long sizeHint() {
            return frame.sizeHint();
        }
    }

    /** {@code meta}: see {@link RespReader#meta}; only ever set with the envelope on. */
    private Message decode(byte[] meta, byte[] payload, String channel) {
        if (meta != null || settings.envelope && RedisEnvelope.hasMagic(payload)) {
            try {
                return meta != null ? RedisEnvelope.decode(meta, payload, channel, settings.maxMessageSize)
                        : RedisEnvelope.decode(payload, channel, settings.maxMessageSize);
            } catch (RedisEnvelope.Malformed e) {
                if (meta != null) {
                    payload = RedisEnvelope.join(meta, payload);
                }
                long n = malformed.incrementAndGet();
                long now = System.nanoTime();
                long last = lastMalformedLog.get();
                if ((n == 1 || now - last >= MALFORMED_LOG_NANOS) && lastMalformedLog.compareAndSet(last, now)) {
                    LOG.warn("a message on Redis channel '{}' starts with SB1 but is not a readable envelope ({}); delivered as its raw"
                            + " bytes with header {}; {} such messages so far (health: malformedEnvelopes)",
                            settings.channelPrefix + channel, e.getMessage(), RedisEnvelope.MALFORMED_HEADER, n);
                }
                return RedisEnvelope.raw(payload, channel, e.getMessage());
            }
        }
        return RedisEnvelope.raw(payload, channel);
    }

    private void lost(RedisWire w, RuntimeException e) {
        RuntimeException cause = connector.translate(e);
        if (e.getCause() instanceof java.net.SocketTimeoutException) {
            halfOpenDetections.incrementAndGet();
            cause = new ConnectionException("the Redis subscriber connection to " + settings.describe()
                    + " received nothing, not even a PING reply, for " + settings.deadAfter.toMillis()
                    + "ms (" + RedisConfigKeys.DEAD_AFTER.name() + "); treating it as dead", cause);
        }
        lastError = cause.getMessage();
        synchronized (lock) {
            if (wire == w) {
                wire = null;
                sent.clear();
            }
        }
        RedisConnector.closeQuietly(w);
        LOG.warn("Redis subscriber connection to {} lost, reconnecting: {}", settings.describe(), lastError);
        onLoss.run();
        events.lost(cause);
    }

    private void reconnect() {
        long backoff = settings.minBackoff.toMillis();
        while (!closing) {
            long half = Math.max(1, backoff / 2);
            try {
                Thread.sleep(half + ThreadLocalRandom.current().nextLong(half + 1));
            } catch (InterruptedException e) {
                return;
            }
            RedisWire w;
            try {
                w = opener.get();
                w.setSoTimeout(RedisSettings.millis(settings.deadAfter));
            } catch (RuntimeException e) {
                lastError = e.getMessage();
                backoff = Math.min(settings.maxBackoff.toMillis(), backoff * 2);
                continue;
            }
            synchronized (lock) {
                if (closing) {
                    RedisConnector.closeQuietly(w);
                    return;
                }
                sent.clear();
                try {
                    subscribeAll(w, exactCommand(), exact);
                    subscribeAll(w, Protocol.Command.PSUBSCRIBE, patterns);
                    w.sendCommand(Protocol.Command.PING, RESYNC);
                    sent.add(new Sent("pong", List.of(), 1, true));
                    w.flushOut();
                } catch (RuntimeException e) {
                    sent.clear();
                    lastError = e.getMessage();
                    RedisConnector.closeQuietly(w);
                    backoff = Math.min(settings.maxBackoff.toMillis(), backoff * 2);
                    continue;
                }
                recovering = true;
                wire = w;
                reconnects.incrementAndGet();
            }
            return;
        }
    }

    /** Re-subscribes every target, {@value #NAMES_PER_COMMAND} names per command; a refused one is asked for again. Caller holds {@link #lock}. */
    private void subscribeAll(RedisWire w, Protocol.Command command, Map<String, Target> targets) {
        List<Target> batch = new ArrayList<>();
        for (Target t : targets.values()) {
            if (t.refused()) {
                t.confirmed = new CompletableFuture<>();
            }
            batch.add(t);
            if (batch.size() == (command == Protocol.Command.SSUBSCRIBE ? 1 : NAMES_PER_COMMAND)) {
                send(w, command, batch);
                batch = new ArrayList<>();
            }
        }
        if (!batch.isEmpty()) {
            send(w, command, batch);
        }
    }

    /** Redis answered the PING sent after the re-subscriptions, so all of them are in place. */
    private void resubscribed() {
        synchronized (lock) {
            if (!recovering) {
                return;
            }
            recovering = false;
        }
        LOG.info("Redis subscriber connection to {} re-established; {} channels and {} patterns re-subscribed",
                settings.describe(), exact.size(), patterns.size());
        events.recovered(true);
    }

    boolean isConnected() {
        return wire != null && !recovering;
    }

    void addHealth(Map<String, Object> details) {
        synchronized (lock) {
            details.put("subscriberConnected", isConnected());
            details.put("redisChannels", exact.size());
            details.put("redisPatterns", patterns.size());
        }
        details.put("delivered", delivered.get());
        details.put("malformedEnvelopes", malformed.get());
        details.put("subscriptionsRefused", refusedSubscriptions.get());
        details.put("reconnects", reconnects.get());
        details.put("halfOpenDetections", halfOpenDetections.get());
        String e = lastError;
        if (e != null) {
            details.put("subscriberLastError", e);
        }
    }

    /** Disconnects and waits for the reader threads until {@code deadlineNanos} (a {@link System#nanoTime()} value), no longer. */
    void close(long deadlineNanos) {
        RedisWire w;
        synchronized (lock) {
            closing = true;
            w = wire;
            wire = null;
        }
        pinger.cancel(false);
        for (Thread t : readers) {
            t.interrupt();
        }
        if (w != null) {
            RedisConnector.closeQuietly(w);
        }
        // A reader blocked in a reconnection handshake with a frozen server is not waited for past
        // the deadline: it sees the closing flag once its attempt ends and discards the connection.
        try {
            for (Thread t : readers) {
                long left = deadlineNanos - System.nanoTime();
                if (t != Thread.currentThread() && left > 0) {
                    TimeUnit.NANOSECONDS.timedJoin(t, left);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One subscription: a listener and, for patterns, the exact portable matcher. */
    private final class Sub implements TransportSubscription {
        final Target target;
        final Predicate<String> matcher;
        final DeliveryListener listener;
        volatile boolean closed;

        Sub(Target target, String portable, DeliveryListener listener) {
            this.target = target;
            this.matcher = Channels.matcher(portable);
            this.listener = listener;
        }

        /** Hands one message to the facade. */
        void deliver(InboundDelivery d) {
            if (!closed) {
                delivered.incrementAndGet();
                listener.onDelivery(d);
            }
        }

        @Override
        public void close() {
            synchronized (lock) {
                if (closed) {
                    return;
                }
                closed = true;
                target.subs.remove(this);
                Map<String, Target> map = target.pattern ? patterns : exact;
                if (target.subs.isEmpty() && map.get(target.redisName) == target) {
                    map.remove(target.redisName);
                    RedisWire w = wire;
                    // A refused target was never subscribed; there is nothing to unsubscribe.
                    if (w != null && !closing && !target.refused()) {
                        try {
                            Protocol.Command command = target.pattern ? Protocol.Command.PUNSUBSCRIBE
                                    : sharded ? Protocol.Command.SUNSUBSCRIBE : Protocol.Command.UNSUBSCRIBE;
                            w.sendCommand(command, target.redisNameBytes);
                            sent.add(new Sent(command.name().toLowerCase(java.util.Locale.ROOT), List.of(), 1, false));
                            w.flushOut();
                        } catch (RuntimeException e) {
                            // A broken connection loses the subscription anyway; reconnection skips removed targets.
                        }
                    }
                }
            }
        }
    }
}
