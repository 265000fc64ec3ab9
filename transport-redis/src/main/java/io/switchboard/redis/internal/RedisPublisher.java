package io.switchboard.redis.internal;

import io.switchboard.ConnectionException;
import io.switchboard.Message;
import io.switchboard.PublishException;
import io.switchboard.redis.RedisConfigKeys;
import io.switchboard.redis.common.RedisAcl;
import io.switchboard.redis.common.RedisConnector;
import io.switchboard.redis.common.RedisWire;
import io.switchboard.spi.Payloads;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * The auto-flushing pipelined publisher. Thread-safe.
 *
 * <p>When nothing is queued and the write lock is free, the calling thread writes its
 * {@code PUBLISH} into the connection's buffer itself (no thread hand-off): with nothing awaiting
 * a reply, or {@value #DIRECT_FLUSH_GAP_NANOS} ns or more after the previous such write, it
 * flushes at once (for latency); otherwise it leaves the flush to the writer thread,
 * which sends whatever callers wrote meanwhile in one write, so fast publishers share round trips
 * without a hand-off per message. When the lock is taken (the writer is flushing, or another
 * caller writing) the publish is queued, and the writer drains whatever is queued (up to
 * {@value #MAX_BATCH}) into one pipelined write. A reply thread per connection reads the replies
 * in order and completes each future (on that thread). Order per calling thread is kept: a caller
 * writes directly only when nothing is queued.
 *
 * <p>A publish completes normally once Redis replied to its PUBLISH; it fails with
 * {@link ConnectionException} when the connection broke before the reply (it may or may not have
 * been delivered) or Redis is unreachable, and with {@link PublishException} when Redis answered
 * with an error or the in-flight bound refused it.
 *
 * <p>Timeouts. No thread waits for a reply with a timer of its own: the reply thread sets the
 * socket's read timeout before each read to the time left until the oldest publish in flight has
 * waited {@code command-timeout} since it was written (with only PINGs in flight, the oldest
 * PING), and then declares the connection dead, failing everything in flight on it. So a publish
 * fails exactly {@code command-timeout} after it was written when Redis stays silent, however the
 * reads fall; one written later on the same dead connection fails with it, sooner. Publishes
 * queued while Redis is unreachable are failed by a reaper task on the provider's scheduler, so
 * the writer thread may block in a reconnection attempt without holding them past
 * {@code outage-wait}.
 */
final class RedisPublisher {
    static final int MAX_BATCH = 512;
    /**
     * A caller that writes its publish itself less than this long after the previous caller did
     * leaves the flush to the writer thread (which sends both in one write); after a longer gap it
     * flushes at once. About a thread wake-up's cost: batching only pays when publishes come closer.
     */
    static final long DIRECT_FLUSH_GAP_NANOS = 20_000;
    private static final Logger LOG = LoggerFactory.getLogger(RedisPublisher.class);
    private static final int CHANNEL_CACHE_LIMIT = 10_000;

    /** A publish (or, with a null channel, a PING); it is its own future, to spare an allocation per message. */
    private static final class Pending extends CompletableFuture<Void> {
        final byte[] channel;
        final byte[] payload;
        final String channelName;
        final String messageId;
        final long enqueuedNanos;
        volatile long writtenNanos;
        /** Replies still to read for it: two when it is both SPUBLISHed and PUBLISHed; reply thread only. */
        int repliesLeft;

        Pending(byte[] channel, byte[] payload, String channelName, String messageId, long enqueuedNanos) {
            this.channel = channel;
            this.payload = payload;
            this.channelName = channelName;
            this.messageId = messageId;
            this.enqueuedNanos = enqueuedNanos;
        }

        boolean isPing() {
            return channel == null;
        }
    }

    private final RedisSettings settings;
    private final RedisConnector connector;
    private final Supplier<RedisWire> opener;
    private final boolean sharded;
    private final boolean broadcast;
    private final Runnable onLoss;
    private final String instanceName;
    private final Semaphore permits;
    /**
     * Publishes waiting for the writer thread. Lock-free: a publish only wakes the writer when it
     * parked on an empty queue ({@link #writerParked}), not on every call.
     */
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    /** Whether the writer thread is parked (or about to park) waiting for a publish; see {@link #awaitQueued}. */
    private volatile boolean writerParked;
    /** Whether a caller wrote a publish into the connection's buffer and left the flush to the writer. */
    private volatile boolean unflushed;
    /** Publishes queued or taken by the writer but not yet written; a caller writes directly only at zero. */
    private final AtomicInteger unwritten = new AtomicInteger();
    private final ReentrantLock writeLock = new ReentrantLock();
    /** When a caller last wrote its publish itself (after its flush, if it flushed); guarded by {@link #writeLock}. */
    private long lastDirectNanos;
    private final Map<String, byte[]> channelBytes = new ConcurrentHashMap<>();
    private final Thread writer;
    private final String serverVersion;
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong refusedFull = new AtomicLong();
    private volatile Link link;
    private volatile boolean connected;
    private volatile boolean suspect;
    private volatile boolean closing;
    private volatile String lastError;
    /** Set by {@link #close} before {@link #closing}: until when the writer may wait for replies. */
    private volatile long closeDeadline;
    /**
     * A publish taken from the queue while its connection died, written on the next one; taken
     * by the writer or, once it has waited {@code outage-wait}, by the reaper (each takes it
     * atomically, so a failed publish is never written afterwards).
     */
    private final AtomicReference<Pending> carry = new AtomicReference<>();
    private final ScheduledFuture<?> reaper;

    /** Connects (throwing if Redis is unusable) and starts the writer thread and the reaper. */
    RedisPublisher(RedisSettings settings, RedisConnector connector, String instanceName, ScheduledExecutorService scheduler) {
        this(settings, connector, connector::open, false, false, () -> { }, instanceName, scheduler);
    }

    /**
     * A publisher whose connections {@code opener} opens (the master of one Redis Cluster shard,
     * say), connecting at once.
     *
     * @param sharded publish with {@code SPUBLISH} (the channel's shard only) instead of {@code PUBLISH}
     * @param broadcast with {@code sharded}, also {@code PUBLISH} every message (for pattern subscribers
     *     anywhere in the cluster); a publish completes when both were answered
     * @param onLoss run when the connection breaks or Redis answers that the slot moved (a cluster
     *     renews its slot map then)
     */
    RedisPublisher(RedisSettings settings, RedisConnector connector, Supplier<RedisWire> opener, boolean sharded, boolean broadcast,
            Runnable onLoss, String instanceName, ScheduledExecutorService scheduler) {
        this.settings = settings;
        this.connector = connector;
        this.opener = opener;
        this.sharded = sharded;
        this.broadcast = sharded && broadcast;
        this.onLoss = onLoss;
        this.instanceName = instanceName;
        this.permits = new Semaphore(settings.maxInFlight);
        RedisWire w = opener.get();
        try {
            this.serverVersion = connector.serverVersion(w);
        } catch (RuntimeException e) {
            RedisConnector.closeQuietly(w);
            throw e;
        }
        Link l = new Link(w);
        this.link = l;
        this.connected = true;
        l.reader.start();
        this.writer = new Thread(this::run, instanceName + "-redis-publisher");
        writer.setDaemon(true);
        writer.start();
        long period = reapPeriodMillis(settings);
        this.reaper = scheduler.scheduleWithFixedDelay(this::reap, period, period, TimeUnit.MILLISECONDS);
    }

    /** A twentieth of the shortest bound the reaper enforces, so it holds within 5%; 5 to 50 ms. */
    static long reapPeriodMillis(RedisSettings settings) {
        long bound = settings.outageWait.isZero() ? settings.commandTimeout.toMillis()
                : Math.min(settings.commandTimeout.toMillis(), settings.outageWait.toMillis());
        return Math.max(5, Math.min(50, bound / 20));
    }

    CompletionStage<Void> publish(String channel, Message message) {
        if (closing) {
            return CompletableFuture.failedFuture(new ConnectionException("the Redis transport is closed", null));
        }
        if (!connected && settings.outageWait.isZero()) {
            failed.incrementAndGet();
            return CompletableFuture.failedFuture(new ConnectionException("publish of message " + message.id()
                    + " to channel '" + channel + "' failed: Redis at " + settings.describe()
                    + " is unreachable and the transport is reconnecting (" + RedisConfigKeys.PUBLISH_OUTAGE_WAIT.name()
                    + "=0 fails publishes at once; set it to wait)", null));
        }
        byte[] payload = settings.envelope ? RedisEnvelope.encode(message) : Payloads.view(message);
        if (!permits.tryAcquire() && !acquireWhenFull()) {
            refusedFull.incrementAndGet();
            failed.incrementAndGet();
            return CompletableFuture.failedFuture(new PublishException(channel, message.id(), settings.maxInFlight
                    + " publishes are already in flight (" + RedisConfigKeys.PUBLISH_MAX_IN_FLIGHT.name() + ", "
                    + RedisConfigKeys.PUBLISH_WHEN_FULL.name() + "=" + (settings.blockWhenFull ? "block, waited "
                    + settings.commandTimeout.toMillis() + "ms" : "fail") + ")", null, true));
        }
        Pending p = new Pending(channelBytes(channel), payload, channel, message.id(), System.nanoTime());
        Link l = link;
        if (l != null && !l.dead && !suspect && unwritten.get() == 0 && writeLock.tryLock()) {
            try {
                boolean idle = l.inFlight.isEmpty();
                long now = p.enqueuedNanos;
                // Slow publishes flush at once even with replies pending (the previous one's reply
                // may simply not be read yet): the writer would only send this one, a wake-up later.
                boolean sparse = now - lastDirectNanos >= DIRECT_FLUSH_GAP_NANOS;
                lastDirectNanos = now;
                if (link == l && unwritten.get() == 0 && l.write(p)) {
                    if (idle || sparse) {
                        unflushed = false;
                        l.pipe.flush();
                        // Measured from the end of this write, so that a slow write never makes the next one look sparse.
                        lastDirectNanos = System.nanoTime();
                    } else {
                        // Replies are due anyway: the writer flushes this with whatever follows it.
                        unflushed = true;
                        if (writerParked) {
                            LockSupport.unpark(writer);
                        }
                    }
                    return p;
                }
            } catch (RuntimeException e) {
                l.kill(e);
                return p;
            } finally {
                writeLock.unlock();
            }
        }
        unwritten.incrementAndGet();
        queue.add(p);
        if (writerParked) {
            LockSupport.unpark(writer);
        }
        if (closing) {
            failUnwritten(new ConnectionException("the Redis transport is closed", null));
        }
        return p;
    }

    private boolean acquireWhenFull() {
        if (!settings.blockWhenFull) {
            return false;
        }
        try {
            return permits.tryAcquire(settings.commandTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** A channel's name and its bytes on the wire (with the prefix). */
    private static final class ChannelName {
        final String name;
        final byte[] bytes;

        ChannelName(String name, byte[] bytes) {
            this.name = name;
            this.bytes = bytes;
        }
    }

    /** The channel published to last: publishers mostly repeat one, and this spares the map lookup. */
    private volatile ChannelName lastChannel = new ChannelName("", new byte[0]);

    private byte[] channelBytes(String channel) {
        ChannelName last = lastChannel;
        if (last.name.equals(channel) && !channel.isEmpty()) {
            return last.bytes;
        }
        byte[] b = channelBytes.get(channel);
        if (b == null) {
            b = (settings.channelPrefix + channel).getBytes(StandardCharsets.UTF_8);
            if (channelBytes.size() < CHANNEL_CACHE_LIMIT) {
                channelBytes.put(channel, b);
            }
        }
        lastChannel = new ChannelName(channel, b);
        return b;
    }

    /** Another connection saw Redis go away: check this one with a PING before writing more. */
    void suspect() {
        suspect = true;
    }

    private void run() {
        long backoffMillis = settings.minBackoff.toMillis();
        while (true) {
            Link l = link;
            if (l == null || l.dead) {
                connected = false;
                if (closing) {
                    // Closing during an outage: close() fails what is queued; no reconnection for it.
                    break;
                }
                try {
                    RedisWire w = opener.get();
                    if (closing) {
                        RedisConnector.closeQuietly(w);
                        break;
                    }
                    Link fresh = new Link(w);
                    fresh.reader.start();
                    link = fresh;
                    suspect = false;
                    connected = true;
                    backoffMillis = settings.minBackoff.toMillis();
                    LOG.info("Redis publisher connection to {} re-established", settings.describe());
                } catch (RuntimeException e) {
                    lastError = e.getMessage();
                    pause(backoffMillis);
                    backoffMillis = Math.min(settings.maxBackoff.toMillis(), backoffMillis * 2);
                }
                continue;
            }
            if (suspect) {
                suspect = false;
                ping(l);
                continue;
            }
            Pending first = carry.getAndSet(null);
            if (first == null) {
                first = awaitQueued(settings.pingInterval.toNanos());
            }
            if (unflushed) {
                flushWritten(l);
            }
            if (first == null) {
                if (closing && queue.isEmpty()) {
                    awaitReplies(l);
                    break;
                }
                if (l.inFlight.isEmpty()) {
                    ping(l);
                }
                continue;
            }
            writeBatch(l, first);
        }
        Link l = link;
        if (l != null) {
            l.kill(new JedisConnectionException("the transport is closing"));
        }
        failUnwritten(new ConnectionException("the Redis transport closed before this publish was sent", null));
    }

    /** Sends what callers wrote into the connection's buffer without flushing. */
    private void flushWritten(Link l) {
        writeLock.lock();
        try {
            unflushed = false;
            l.pipe.flush();
        } catch (RuntimeException e) {
            l.kill(e);
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * The next queued publish, waiting up to {@code nanos} for one; null after that, when a
     * caller left a flush to do ({@link #unflushed}), or when interrupted (by {@link #close}).
     * The parked flag is set before the queue is checked again and a publisher checks it after
     * adding, so one of the two always sees the other.
     */
    private Pending awaitQueued(long nanos) {
        long deadline = System.nanoTime() + nanos;
        while (true) {
            Pending p = queue.poll();
            if (p != null || unflushed) {
                return p;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || closing) {
                return null;
            }
            writerParked = true;
            p = queue.poll();
            if (p == null && !unflushed) {
                LockSupport.parkNanos(this, left);
            }
            writerParked = false;
            if (p != null) {
                return p;
            }
            if (Thread.interrupted()) {
                return null;
            }
        }
    }

    private void writeBatch(Link l, Pending first) {
        writeLock.lock();
        try {
            if (!l.write(first)) {
                carry.set(first);
                return;
            }
            unwritten.decrementAndGet();
            Pending p;
            for (int n = 1; n < MAX_BATCH && (p = queue.poll()) != null; n++) {
                if (!l.write(p)) {
                    carry.set(p);
                    return;
                }
                unwritten.decrementAndGet();
            }
            unflushed = false;
            l.pipe.flush();
        } catch (RuntimeException e) {
            l.kill(e);
        } finally {
            writeLock.unlock();
        }
    }

    /** Writes a PING without waiting for it: the reply thread gives the connection up if it stays unanswered. */
    private void ping(Link l) {
        Pending marker = new Pending(null, null, null, null, System.nanoTime());
        writeLock.lock();
        try {
            if (l.write(marker)) {
                l.pipe.flush();
            }
        } catch (RuntimeException e) {
            l.kill(e);
        } finally {
            writeLock.unlock();
        }
    }

    /** While closing: waits for the replies to what was written, until the close deadline. */
    private void awaitReplies(Link l) {
        while (!l.inFlight.isEmpty() && !l.dead && System.nanoTime() - closeDeadline < 0) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                // close() interrupts to wake a waiting writer; the deadline still decides.
            }
        }
    }

    /** Completes a publish once; the first completion returns its in-flight permit. */
    private void settle(Pending p, Throwable failure) {
        boolean changed = failure == null ? p.complete(null) : p.completeExceptionally(failure);
        if (changed && !p.isPing()) {
            permits.release();
            if (failure == null) {
                published.incrementAndGet();
            } else {
                failed.incrementAndGet();
            }
        }
    }

    /** One publisher connection, the publishes written on it and awaiting replies, and its reply thread. */
    private final class Link {
        final RedisWire wire;
        final RespPipe pipe;
        final Queue<Pending> inFlight = new ConcurrentLinkedQueue<>();
        final Thread reader;
        volatile boolean dead;

        Link(RedisWire wire) {
            this.wire = wire;
            this.pipe = new RespPipe(wire.socket(), this::readTimeoutMillis);
            this.reader = new Thread(this::readReplies, instanceName + "-redis-publisher-replies");
            reader.setDaemon(true);
        }

        /** Writes one command (buffered); false if the connection is dead. Caller holds the write lock. */
        boolean write(Pending p) {
            if (dead) {
                return false;
            }
            p.writtenNanos = System.nanoTime();
            p.repliesLeft = broadcast && !p.isPing() ? 2 : 1;
            inFlight.add(p);
            if (p.isPing()) {
                pipe.ping();
            } else if (sharded) {
                pipe.publish(RespPipe.SPUBLISH_HEAD, p.channel, p.payload);
                if (broadcast) {
                    pipe.publish(RespPipe.PUBLISH_HEAD, p.channel, p.payload);
                }
            } else {
                pipe.publish(p.channel, p.payload);
            }
            return true;
        }

        private void readReplies() {
            try {
                while (!dead) {
                    Object reply;
                    try {
                        reply = pipe.read();
                    } catch (JedisConnectionException e) {
                        if (e.getCause() instanceof SocketTimeoutException && !pipe.inReply()) {
                            Pending decisive = decisive();
                            if (decisive == null || System.nanoTime() - decisive.writtenNanos < settings.commandTimeout.toNanos()) {
                                continue;
                            }
                            throw new JedisConnectionException("no reply from Redis", new SocketTimeoutException(
                                    "no reply within " + settings.commandTimeout.toMillis() + "ms"));
                        }
                        throw e;
                    }
                    Pending p = inFlight.peek();
                    if (p == null) {
                        throw new JedisConnectionException("Redis sent a reply nobody asked for");
                    }
                    if (--p.repliesLeft > 0) {
                        // The SPUBLISH's reply of a publish also PUBLISHed: its outcome waits for the second one, unless it failed.
                        if (!(reply instanceof Long)) {
                            settle(p, failure(p, reply));
                        }
                        continue;
                    }
                    inFlight.poll();
                    if (p.isPing()) {
                        settle(p, "PONG".equals(reply) ? null : new JedisConnectionException("unexpected reply to PING: " + reply));
                    } else if (reply instanceof Long) {
                        settle(p, null);
                    } else {
                        settle(p, failure(p, reply));
                    }
                }
            } catch (RuntimeException e) {
                kill(e);
            }
        }

        /** The failure for an error reply to a publish. */
        private RuntimeException failure(Pending p, Object reply) {
            String why = reply instanceof RespPipe.ErrorReply ? ((RespPipe.ErrorReply) reply).message : String.valueOf(reply);
            if (RedisCacheDriver.isUnavailable(why)) {
                // MOVED, CLUSTERDOWN and the like: not applied, and a retry once the slot map settles will do.
                onLoss.run();
                return new ConnectionException("publish of message " + p.messageId + " to channel '" + p.channelName
                        + "' failed: the Redis Cluster cannot take it on this node now (" + why + "); it was not published, retry", null);
            }
            String command = sharded ? "SPUBLISH" : "PUBLISH";
            if (RedisAcl.isRefusal(why)) {
                String redisChannel = settings.channelPrefix + p.channelName;
                why = RedisAcl.explain(settings.endpoint, command + " to Redis channel '" + redisChannel + "'", why, "&" + redisChannel,
                        (sharded ? "+spublish" + (broadcast ? " +publish" : "") : "+publish") + " &" + redisChannel);
            } else {
                why = "Redis refused it: " + why;
            }
            return new PublishException(p.channelName, p.messageId, why, null, false);
        }

        /**
         * The command whose deadline decides when this connection is given up: the oldest
         * publish in flight; with only PINGs in flight, the oldest PING (a PING written before a
         * publish must not cut the publish's own time short). {@code null} when nothing is in flight.
         */
        private Pending decisive() {
            Pending head = inFlight.peek();
            if (head == null || !head.isPing()) {
                return head;
            }
            for (Pending p : inFlight) {
                if (!p.isPing()) {
                    return p;
                }
            }
            return head;
        }

        /**
         * The read timeout for the next blocking read: the time left to the decisive command's
         * deadline, or a whole command timeout with nothing in flight (a command written during
         * that read is due no earlier than the read ends).
         */
        private int readTimeoutMillis() {
            Pending d = decisive();
            if (d == null) {
                return RedisSettings.millis(settings.commandTimeout);
            }
            long left = d.writtenNanos + settings.commandTimeout.toNanos() - System.nanoTime();
            // Rounded up: the read must not end before the deadline, or it would only be read again.
            return left <= 0 ? 1 : (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(left) + 1);
        }

        /** Marks the connection dead, closes it and fails what awaited a reply on it. Idempotent. */
        void kill(RuntimeException e) {
            boolean first;
            synchronized (this) {
                first = !dead;
                dead = true;
            }
            RuntimeException cause = connector.translate(e);
            if (first) {
                connected = false;
                RedisConnector.closeQuietly(wire);
                onLoss.run();
                if (!closing) {
                    lastError = cause.getMessage();
                    LOG.warn("Redis publisher connection to {} lost, reconnecting: {}", settings.describe(), lastError);
                }
            }
            writeLock.lock();
            try {
                Pending p;
                while ((p = inFlight.poll()) != null) {
                    settle(p, p.isPing() ? cause : new ConnectionException("publish of message " + p.messageId + " to channel '"
                            + p.channelName + "' failed: the connection to Redis broke before Redis confirmed it"
                            + " (it may or may not have been delivered): " + cause.getMessage(), cause));
                }
            } finally {
                writeLock.unlock();
            }
        }
    }

    /** Waits one reconnection backoff step (with jitter), ending early when closing. */
    private void pause(long backoffMillis) {
        long half = Math.max(1, backoffMillis / 2);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(half + ThreadLocalRandom.current().nextLong(half + 1));
        long left;
        while (!closing && (left = deadline - System.nanoTime()) > 0) {
            try {
                Thread.sleep(TimeUnit.NANOSECONDS.toMillis(left) + 1);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * While Redis is unreachable, fails the publishes that have waited {@code outage-wait} for it
     * (all of them at once when it is 0): those queued, and the one the writer carries over.
     * Runs on the provider's scheduler, independent of the writer, which may be blocked in a
     * connection attempt for {@code connect-timeout} plus {@code command-timeout}.
     */
    private void reap() {
        if (connected || closing) {
            return;
        }
        long limit = settings.outageWait.toNanos();
        long now = System.nanoTime();
        Pending c = carry.get();
        if (c != null && now - c.enqueuedNanos >= limit && carry.compareAndSet(c, null)) {
            unwritten.decrementAndGet();
            settle(c, outageFailure(c));
        }
        Pending p;
        while ((p = queue.peek()) != null && now - p.enqueuedNanos >= limit) {
            if (queue.remove(p)) {
                unwritten.decrementAndGet();
                settle(p, outageFailure(p));
            }
        }
    }

    private ConnectionException outageFailure(Pending p) {
        String why = settings.outageWait.isZero()
                ? " is unreachable and the transport is reconnecting (" + RedisConfigKeys.PUBLISH_OUTAGE_WAIT.name()
                        + "=0 fails publishes at once; set it to wait)"
                : " stayed unreachable for " + RedisConfigKeys.PUBLISH_OUTAGE_WAIT.name() + "=" + settings.outageWait.toMillis() + "ms";
        String last = lastError;
        return new ConnectionException("publish of message " + p.messageId + " to channel '" + p.channelName + "' failed: Redis at "
                + settings.describe() + why + (last != null ? "; last error: " + last : ""), null);
    }

    /** Fails every publish not yet written: the carried one and the queued ones. */
    private void failUnwritten(RuntimeException cause) {
        Pending c = carry.getAndSet(null);
        if (c != null) {
            unwritten.decrementAndGet();
            settle(c, cause);
        }
        Pending p;
        while ((p = queue.poll()) != null) {
            unwritten.decrementAndGet();
            settle(p, cause);
        }
    }

    String serverVersion() {
        return serverVersion;
    }

    boolean isConnected() {
        return connected;
    }

    void addHealth(Map<String, Object> details) {
        details.put("publisherConnected", connected);
        details.put("published", published.get());
        details.put("publishFailures", failed.get());
        details.put("publishRefusedFull", refusedFull.get());
        details.put("publishInFlight", settings.maxInFlight - permits.availablePermits());
        String e = lastError;
        if (e != null) {
            details.put("publisherLastError", e);
        }
    }

    /**
     * Lets queued and unconfirmed publishes finish until {@code deadlineNanos} (a
     * {@link System#nanoTime()} value), then fails the rest and disconnects; returns by then.
     */
    void close(long deadlineNanos) {
        closeDeadline = deadlineNanos;
        closing = true;
        reaper.cancel(false);
        writer.interrupt();
        try {
            long left = deadlineNanos - System.nanoTime();
            if (left > 0) {
                TimeUnit.NANOSECONDS.timedJoin(writer, left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Link l = link;
        if (l != null) {
            l.kill(new JedisConnectionException("the transport closed before Redis confirmed this publish"));
        }
        failUnwritten(new ConnectionException("the Redis transport closed before this publish was sent", null));
    }
}
