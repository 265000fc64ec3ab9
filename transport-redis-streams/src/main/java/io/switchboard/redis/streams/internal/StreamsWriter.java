package io.switchboard.redis.streams.internal;

import io.switchboard.ConnectionException;
import io.switchboard.PublishException;
import io.switchboard.redis.common.RedisConnector;
import io.switchboard.redis.common.RedisEndpoint;
import io.switchboard.redis.common.RedisWire;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The transport's one writing connection and its thread: publishes ({@code XADD}) and the
 * subscriptions' acknowledgements, hand-backs and dead letters. When the connection is nearly
 * idle (at most one reply awaited, or the writer thread waiting for work) a command is written on
 * the caller's thread, sparing a thread hand-off; otherwise it is queued, and the writer thread
 * pipelines what queued up in one write.
 * The writer thread reads every reply, in order; when idle it waits for the next one in the
 * socket read itself (bounded by the housekeeping tick), so a direct write needs no wake-up. Callers never wait for a reply on their own
 * thread. No lock is held across a round trip (the send lock only while writing to the socket);
 * every read of a reply is bounded by the command timeout (the socket timeout). Thread-safe.
 *
 * <p>While the connection is down, publishes fail at once with a retryable
 * {@link ConnectionException}, and queued acknowledgements and hand-backs wait for the
 * reconnection (they are idempotent, so one sent again after a lost reply does no harm).
 */
final class StreamsWriter {
    private static final Logger LOG = LoggerFactory.getLogger(StreamsWriter.class);
    private static final int BATCH = 512;
    /** Control operations kept while disconnected; beyond it they are dropped (their entries are reclaimed after claim-idle). */
    private static final int MAX_PARKED = 200_000;
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** What to do with a reply: exactly one of the two arguments is non-null. */
    interface Reply {
        void done(Object reply, RuntimeException failure);
    }

    private static final class Op {
        final CommandArguments args;
        final Reply reply;
        /** Fails while disconnected (a publish or a caller's call) instead of waiting for the reconnection. */
        final boolean publish;
        /** An XADD whose completion waits for replicas when wait-replicas is set. */
        final boolean append;
        /** An acknowledgement: stream, group, entry id and the merge key (stream and group), sent merged with the batch's others of that group; else null. */
        final String[] ack;
        /** Set once settled; only the writer thread (or the closing thread after it) settles. */
        boolean done;
        /** With wait-replicas: the XADD's reply, kept until the WAIT's. */
        Object result;
        JedisDataException failure;
        /** An XADD: the stream key, whether {@link #threshold} is a MINID (else a MAXLEN), and the entry's fields; else null. */
        final StreamEntries.Raw key;
        final boolean minId;
        final byte[] threshold;
        final List<byte[]> fields;

        Op(CommandArguments args, Reply reply, boolean publish, boolean append) {
            this.args = args;
            this.reply = reply;
            this.publish = publish;
            this.append = append;
            this.ack = null;
            this.key = null;
            this.minId = false;
            this.threshold = null;
            this.fields = null;
        }

        /** An XADD, encoded from its fields as it is written (see {@link RespOut#xadd}). */
        Op(StreamEntries.Raw key, boolean minId, byte[] threshold, List<byte[]> fields, Reply reply) {
            this.args = null;
            this.reply = reply;
            this.publish = true;
            this.append = true;
            this.ack = null;
            this.key = key;
            this.minId = minId;
            this.threshold = threshold;
            this.fields = fields;
        }

        Op(String stream, String group, String id, String key) {
            this.args = null;
            this.reply = null;
            this.publish = false;
            this.append = false;
            this.ack = new String[] {stream, group, id, key};
            this.key = null;
            this.minId = false;
            this.threshold = null;
            this.fields = null;
        }
    }

    /** One command written: what its reply settles (one operation, merged acknowledgements, or the appends a WAIT decides). */
    private static final class Sent {
        final List<Op> ops;
        /** A WAIT: its reply settles the appends' stages. */
        final boolean replicas;

        Sent(List<Op> ops, boolean replicas) {
            this.ops = ops;
            this.replicas = replicas;
        }
    }

    /** Stream keys already encoded, for the few streams a process publishes to; bounded. */
    private static final int KEY_CACHE = 1024;

    private final StreamsSettings settings;
    private final byte[] maxLength;
    /** The encoder of {@link #outWire}'s commands; both only under the send lock. */
    private RespOut out;
    private RedisWire outWire;
    private final java.util.concurrent.ConcurrentHashMap<String, StreamEntries.Raw> keys = new java.util.concurrent.ConcurrentHashMap<>();
    private final RedisConnector connector;
    private final StreamsConnectivity connectivity;
    private final ConcurrentLinkedQueue<Op> queue = new ConcurrentLinkedQueue<>();
    /** Commands written and not yet answered, in wire order: added under the send lock, taken by the writer thread. */
    private final ConcurrentLinkedQueue<Sent> awaiting = new ConcurrentLinkedQueue<>();
    /** About how many entries {@link #awaiting} holds (its size, without walking it). */
    private final AtomicInteger awaitedReplies = new AtomicInteger();
    /** Held only while writing commands to the socket (never across a round trip). */
    private final ReentrantLock sendLock = new ReentrantLock();
    /** The writer thread waits for work (in the socket read, for a reply or the next tick). */
    private volatile boolean idle;
    /** The writer thread has stopped: nothing more is sent or answered. */
    private volatile boolean finished;
    private final AtomicInteger publishesInFlight = new AtomicInteger();
    private final AtomicLong published = new AtomicLong();
    private final Thread thread;
    /** Run on this thread about every {@link #TICK_NANOS} while connected. */
    private final Runnable tick;
    private long nextTick;
    private volatile RedisWire wire;
    private volatile boolean stopping;
    private volatile long hardStopNanos = Long.MAX_VALUE;
    private volatile String lastError;

    StreamsWriter(StreamsSettings settings, RedisConnector connector, StreamsConnectivity connectivity, RedisWire first, String instanceName,
            Runnable tick) {
        this.tick = tick;
        this.settings = settings;
        this.maxLength = StreamEntries.bytes(Long.toString(settings.maxLength));
        this.connector = connector;
        this.connectivity = connectivity;
        this.wire = first;
        this.thread = new Thread(this::run, "switchboard-redis-streams-writer-" + instanceName);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    boolean isConnected() {
        return wire != null;
    }

    int publishesInFlight() {
        return publishesInFlight.get();
    }

    long published() {
        return published.get();
    }

    /**
     * Appends {@code fields} to {@code stream}; the stage completes when Redis has answered the
     * {@code XADD} (and, with wait-replicas, the {@code WAIT}). Returns at once.
     */
    CompletableFuture<Void> publish(String stream, List<byte[]> fields, String channel, String messageId) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (stopping) {
            f.completeExceptionally(new IllegalStateException("the Redis Streams transport is closed"));
            return f;
        }
        if (wire == null) {
            f.completeExceptionally(new PublishException(channel, messageId, "not connected to Redis at " + settings.endpoint.describe()
                    + (lastError != null ? " (" + lastError + ")" : "") + "; reconnecting", null, true));
            return f;
        }
        if (publishesInFlight.incrementAndGet() > settings.maxInFlight) {
            publishesInFlight.decrementAndGet();
            f.completeExceptionally(new PublishException(channel, messageId, settings.maxInFlight
                    + " publishes are already waiting for Redis (switchboard.redis-streams.publish.max-in-flight)", null, true));
            return f;
        }
        boolean minId = !settings.maxAge.isZero();
        byte[] threshold = minId ? StreamEntries.bytes((System.currentTimeMillis() - settings.maxAge.toMillis()) + "-0") : maxLength;
        enqueue(new Op(streamKey(stream), minId, threshold, fields, (reply, failure) -> {
            publishesInFlight.decrementAndGet();
            if (failure == null) {
                published.incrementAndGet();
                f.complete(null);
            } else if (failure instanceof JedisDataException) {
                f.completeExceptionally(new PublishException(channel, messageId, "Redis at " + settings.endpoint.describe()
                        + " refused the XADD to stream '" + stream + "': " + failure.getMessage(), null, false));
            } else {
                f.completeExceptionally(failure instanceof PublishException || failure instanceof ConnectionException ? failure
                        : new PublishException(channel, messageId, String.valueOf(failure.getMessage()), failure, true));
            }
        }));
        return f;
    }

    private StreamEntries.Raw streamKey(String stream) {
        StreamEntries.Raw k = keys.get(stream);
        if (k == null) {
            k = new StreamEntries.Raw(StreamEntries.bytes(stream));
            if (keys.size() < KEY_CACHE) {
                keys.put(stream, k);
            }
        }
        return k;
    }

    /** Queues a control command (acknowledgement, hand-back, dead letter); {@code reply} may be null. */
    void submit(CommandArguments args, Reply reply) {
        enqueue(new Op(args, reply, false, false));
    }

    /** Queues an {@code XACK}; those of one group in one batch go as one command. */
    void ack(String stream, String group, String id) {
        ack(stream, group, id, stream + "\n" + group);
    }

    /** As {@link #ack(String, String, String)}, with {@code key} = stream, newline, group, computed once by the caller. */
    void ack(String stream, String group, String id, String key) {
        enqueue(new Op(stream, group, id, key));
    }

    /** Queues a command and returns its reply as a stage, for the few blocking callers (who bound their wait). */
    CompletableFuture<Object> call(CommandArguments args) {
        CompletableFuture<Object> f = new CompletableFuture<>();
        if (stopping) {
            f.completeExceptionally(new IllegalStateException("the Redis Streams transport is closed"));
            return f;
        }
        enqueue(new Op(args, (reply, failure) -> {
            if (failure == null) {
                f.complete(reply);
            } else {
                f.completeExceptionally(failure);
            }
        }, true, false));
        return f;
    }

    /**
     * Queues {@code op} and, when the connection is nearly idle (at most one reply awaited) or the
     * writer thread is waiting for work, writes what is queued on the caller's thread: that spares
     * a thread hand-off per message at low rates, and the idle writer thread, which waits for
     * replies in the socket read itself, needs no wake-up (one fewer context switch per message:
     * measured in docs/redis-streams.md, Performance notes). Under load replies pile up and the
     * writer thread batches what queued (one write per batch, not per command). Whoever holds the
     * send lock drains the queue in order, so per-thread order is kept, and looks again after
     * unlocking, so nothing queued is stranded. The lock is held only while writing to the
     * socket, never across a round trip: the writer thread reads every reply.
     */
    private void enqueue(Op op) {
        queue.add(op);
        // Read after the add: the writer thread sets idle before its last look at the queue, so
        // either it sees this op or this thread sees it idle and writes the op itself.
        drain();
        if (finished) {
            failLeft(new ConnectionException("the Redis Streams transport closed before Redis answered", null));
        }
    }

    /** Writes what is queued while the connection is nearly idle or the writer thread waits for work, and no other thread writes. */
    private void drain() {
        while (!queue.isEmpty() && (idle || awaitedReplies.get() <= 1) && sendLock.tryLock()) {
            try {
                RedisWire w = wire;
                if (w == null || finished) {
                    return; // the writer thread sends (or fails) it after reconnecting
                }
                List<Op> batch = new ArrayList<>();
                Op next;
                while (batch.size() < BATCH && (next = queue.poll()) != null) {
                    batch.add(next);
                }
                if (!batch.isEmpty()) {
                    write(w, batch);
                }
            } finally {
                sendLock.unlock();
            }
        }
    }

    private void run() {
        List<Op> batch = new ArrayList<>(BATCH);
        ArrayDeque<Op> parked = new ArrayDeque<>();
        long backoff = settings.minBackoff.toNanos();
        while (true) {
            if (stopping && (queue.isEmpty() && parked.isEmpty() && awaiting.isEmpty() || System.nanoTime() > hardStopNanos)) {
                break;
            }
            RedisWire w = wire;
            if (w == null) {
                failPublishes(queue, parked);
                if (stopping) {
                    break;
                }
                try {
                    w = connector.open();
                    wire = w;
                    backoff = settings.minBackoff.toNanos();
                    LOG.info("Redis Streams writer connection to {} re-established", settings.endpoint.describe());
                    connectivity.up(this);
                } catch (RuntimeException e) {
                    lastError = e.getMessage();
                    sleep(backoff);
                    backoff = Math.min(settings.maxBackoff.toNanos(), backoff * 2);
                    continue;
                }
            }
            long now = System.nanoTime();
            if (now - nextTick >= 0) {
                nextTick = now + TICK_NANOS;
                try {
                    tick.run();
                } catch (RuntimeException e) {
                    LOG.warn("Redis Streams housekeeping tick failed; ignored", e);
                }
            }
            if (!awaiting.isEmpty()) {
                readReply(w, parked);
                continue;
            }
            batch.clear();
            // Taken and written under the send lock, so that no caller writes directly between
            // (that would overtake what it queued before).
            sendLock.lock();
            try {
                while (!parked.isEmpty() && batch.size() < BATCH) {
                    batch.add(parked.poll());
                }
                Op next;
                while (batch.size() < BATCH && (next = queue.poll()) != null) {
                    batch.add(next);
                }
                if (!batch.isEmpty()) {
                    write(w, batch);
                }
            } finally {
                sendLock.unlock();
            }
            if (batch.isEmpty()) {
                // Wait for work in the socket read itself, bounded by the next tick: a caller that
                // sees idle writes directly, and this thread wakes only when the reply arrives.
                idle = true;
                try {
                    if (queue.isEmpty() && awaiting.isEmpty() && !stopping) {
                        long wait = Math.min(TICK_NANOS, nextTick - System.nanoTime());
                        if (w.awaitReply((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait))) && awaiting.isEmpty()) {
                            // A reply's bytes always follow its command's record in awaiting.
                            throw new JedisConnectionException("Redis sent bytes with no command awaiting a reply");
                        }
                    }
                } catch (RuntimeException e) {
                    idle = false;
                    if (!stopping) {
                        lost(w, e, parked);
                    }
                } finally {
                    idle = false;
                }
            }
        }
        List<Sent> unanswered = new ArrayList<>();
        RedisWire w;
        sendLock.lock();
        try {
            finished = true;
            w = wire;
            wire = null;
            Sent s;
            while ((s = awaiting.poll()) != null) {
                unanswered.add(s);
                awaitedReplies.decrementAndGet();
            }
        } finally {
            sendLock.unlock();
        }
        if (w != null) {
            RedisConnector.closeQuietly(w);
        }
        ConnectionException closed = new ConnectionException("the Redis Streams transport closed before Redis answered", null);
        for (Sent s : unanswered) {
            for (Op op : s.ops) {
                complete(op, null, closed);
            }
        }
        for (Op op : parked) {
            complete(op, null, closed);
        }
        failLeft(closed);
    }

    private void failLeft(ConnectionException closed) {
        Op op;
        while ((op = queue.poll()) != null) {
            complete(op, null, closed);
        }
    }

    /**
     * Writes a batch, holding the send lock: acknowledgements of one group merge into one
     * {@code XACK}; with wait-replicas a {@code WAIT} follows the appends. Each command is recorded
     * before it is written, in wire order, for the writer thread to match its reply. A failed
     * write marks the connection broken; the writer thread's next read then fails and recovers.
     */
    private void write(RedisWire w, List<Op> batch) {
        Map<String, CommandArguments> acks = null;
        Map<String, List<Op>> ackOps = null;
        // CommandArguments, or an Op that is an XADD (encoded from its fields)
        List<Object> commands = new ArrayList<>(batch.size() + 1);
        List<Op> appends = null;
        for (Op op : batch) {
            if (op.ack != null) {
                if (acks == null) {
                    acks = new HashMap<>();
                    ackOps = new HashMap<>();
                }
                String key = op.ack[3];
                CommandArguments merged = acks.get(key);
                if (merged != null) {
                    merged.add(op.ack[2]);
                    ackOps.get(key).add(op);
                    continue;
                }
                merged = new CommandArguments(Protocol.Command.XACK).key(StreamEntries.bytes(op.ack[0])).add(op.ack[1]).add(op.ack[2]);
                acks.put(key, merged);
                List<Op> ops = new ArrayList<>();
                ops.add(op);
                ackOps.put(key, ops);
                awaiting.add(new Sent(ops, false));
                awaitedReplies.incrementAndGet();
                commands.add(merged);
            } else {
                if (op.append && settings.waitReplicas > 0) {
                    if (appends == null) {
                        appends = new ArrayList<>();
                    }
                    appends.add(op);
                }
                awaiting.add(new Sent(java.util.Collections.singletonList(op), false));
                awaitedReplies.incrementAndGet();
                commands.add(op.fields != null ? op : op.args);
            }
        }
        if (appends != null) {
            long waitMillis = Math.max(1, settings.endpoint.commandTimeout().toMillis() / 2);
            commands.add(new CommandArguments(Protocol.Command.WAIT).add(settings.waitReplicas).add(waitMillis));
            awaiting.add(new Sent(appends, true));
            awaitedReplies.incrementAndGet();
        }
        try {
            if (outWire != w) {
                out = new RespOut(w.socket().getOutputStream());
                outWire = w;
            }
            for (Object c : commands) {
                if (c instanceof Op) {
                    Op x = (Op) c;
                    out.xadd(x.key.getRaw(), x.minId, x.threshold, x.fields);
                } else {
                    out.command((CommandArguments) c);
                }
            }
            out.flush();
        } catch (IOException | RuntimeException e) {
            if (out != null) {
                out.clear();
            }
            lastError = String.valueOf(e.getMessage());
            w.setBroken();
        }
    }

    /** Reads the reply of the oldest command written and settles what it answers; a lost connection is recovered from. */
    private void readReply(RedisWire w, ArrayDeque<Op> parked) {
        Sent s = awaiting.peek();
        Object r;
        try {
            try {
                r = w.getUnflushedObject();
            } catch (JedisDataException e) {
                r = e;
            }
        } catch (RuntimeException e) {
            lost(w, e, parked);
            return;
        }
        awaiting.poll();
        awaitedReplies.decrementAndGet();
        if (s.replicas) {
            long n = r instanceof Long ? (Long) r : -1;
            RuntimeException replicas = null;
            if (n < settings.waitReplicas) {
                long waitMillis = Math.max(1, settings.endpoint.commandTimeout().toMillis() / 2);
                replicas = new ConnectionException("Redis at " + settings.endpoint.describe() + " appended the entry but only "
                        + Math.max(n, 0) + " of " + settings.waitReplicas + " replicas (switchboard.redis-streams.publish.wait-replicas)"
                        + " acknowledged it within " + waitMillis + "ms; publishing again may add a duplicate", null);
            }
            for (Op op : s.ops) {
                if (op.failure != null) {
                    complete(op, null, op.failure);
                } else if (replicas != null) {
                    complete(op, null, replicas);
                } else {
                    complete(op, op.result, null);
                }
            }
            return;
        }
        for (Op op : s.ops) {
            if (op.append && settings.waitReplicas > 0) {
                // Settled by the WAIT's reply that follows.
                if (r instanceof JedisDataException) {
                    op.failure = (JedisDataException) r;
                } else {
                    op.result = r;
                }
            } else if (r instanceof JedisDataException) {
                complete(op, null, (JedisDataException) r);
            } else {
                complete(op, r, null);
            }
        }
    }

    /** The connection broke: publishes awaiting a reply fail (appended or not, unknown), the rest wait for the reconnection. */
    private void lost(RedisWire w, RuntimeException e, ArrayDeque<Op> parked) {
        RuntimeException failure = connector.translate(e);
        lastError = failure.getMessage();
        List<Sent> unanswered = new ArrayList<>();
        if (!sendLock.tryLock()) {
            // A caller is writing (a socket write blocks only when Redis stopped reading): closing cuts it short.
            RedisConnector.closeQuietly(w);
            sendLock.lock();
        }
        try {
            // Closed under the lock, so no caller writes to it after the close.
            RedisConnector.closeQuietly(w);
            wire = null;
            Sent s;
            while ((s = awaiting.poll()) != null) {
                unanswered.add(s);
                awaitedReplies.decrementAndGet();
            }
        } finally {
            sendLock.unlock();
        }
        LOG.warn("Redis Streams writer connection to {} lost, reconnecting: {}", settings.endpoint.describe(), failure.getMessage());
        connectivity.down(this, failure);
        ConnectionException unknown = new ConnectionException("the connection to Redis at " + settings.endpoint.describe()
                + " failed before it answered (the entry may or may not have been appended): " + failure.getMessage(), failure);
        for (Sent s : unanswered) {
            for (Op op : s.ops) {
                if (op.done) {
                    continue;
                }
                if (op.publish) {
                    complete(op, null, unknown);
                } else if (!s.replicas && parked.size() < MAX_PARKED) {
                    parked.add(op);
                }
            }
        }
    }

    private void failPublishes(Queue<Op> q, ArrayDeque<Op> parked) {
        List<Op> all = new ArrayList<>();
        Op next;
        while ((next = q.poll()) != null) {
            all.add(next);
        }
        for (Op op : all) {
            if (op.publish) {
                complete(op, null, new ConnectionException("not connected to Redis at " + settings.endpoint.describe()
                        + (lastError != null ? " (" + lastError + ")" : "") + "; reconnecting", null));
            } else if (parked.size() < MAX_PARKED) {
                parked.add(op);
            }
        }
    }

    private static void complete(Op op, Object reply, RuntimeException failure) {
        if (op.done) {
            return;
        }
        op.done = true;
        if (op.reply == null) {
            if (failure != null) {
                LOG.debug("Redis Streams command failed: {}", failure.toString());
            }
            return;
        }
        try {
            op.reply.done(reply, failure);
        } catch (RuntimeException e) {
            LOG.warn("a Redis Streams reply handler threw; ignored", e);
        }
    }

    private void sleep(long nanos) {
        long jittered = nanos / 2 + ThreadLocalRandom.current().nextLong(Math.max(1, nanos / 2));
        try {
            Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(jittered)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops taking publishes, sends what is queued until {@code deadline} (System.nanoTime), then
     * closes the connection; whatever is left fails. Returns by the deadline plus one command timeout.
     */
    void close(long deadline) {
        stopping = true;
        hardStopNanos = deadline;
        if (idle) {
            // The writer thread waits for work in the socket read (up to a tick): with nothing to
            // send or answer, closing the connection now ends that wait. Under the send lock, so
            // nothing is written meanwhile.
            sendLock.lock();
            try {
                RedisWire w = wire;
                if (idle && w != null && queue.isEmpty() && awaiting.isEmpty()) {
                    RedisConnector.closeQuietly(w);
                }
            } finally {
                sendLock.unlock();
            }
        }
        try {
            long wait = deadline - System.nanoTime();
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait)));
            if (thread.isAlive()) {
                RedisWire w = wire;
                if (w != null) {
                    RedisConnector.closeQuietly(w);
                }
                thread.join(settings.endpoint.commandTimeout().toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    String describe() {
        return settings.endpoint.describe();
    }

    RedisEndpoint endpoint() {
        return settings.endpoint;
    }
}
