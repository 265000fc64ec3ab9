package io.switchboard.redis.streams.internal;

import io.switchboard.ConnectionException;
import io.switchboard.PublishException;
import io.switchboard.redis.common.RedisConnector;
import io.switchboard.redis.common.RedisEndpoint;
import io.switchboard.redis.common.RedisWire;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The transport's one writing connection and its thread: publishes ({@code XADD}) and the
 * subscriptions' acknowledgements, hand-backs and dead letters, pipelined in batches of what is
 * queued. Callers never wait for a reply on their own thread: {@link #submit} queues and returns.
 * No lock is held across a round trip; every read of a reply is bounded by the command timeout
 * (the socket timeout). Thread-safe.
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
        /** An acknowledgement: stream, group and entry id, sent merged with the batch's others of that group; else null. */
        final String[] ack;

        Op(CommandArguments args, Reply reply, boolean publish, boolean append) {
            this.args = args;
            this.reply = reply;
            this.publish = publish;
            this.append = append;
            this.ack = null;
        }

        Op(String stream, String group, String id) {
            this.args = null;
            this.reply = null;
            this.publish = false;
            this.append = false;
            this.ack = new String[] {stream, group, id};
        }
    }

    private final StreamsSettings settings;
    private final RedisConnector connector;
    private final StreamsConnectivity connectivity;
    private final LinkedBlockingQueue<Op> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger publishesInFlight = new AtomicInteger();
    private final AtomicLong published = new AtomicLong();
    private final Thread thread;
    private volatile RedisWire wire;
    private volatile boolean stopping;
    private volatile long hardStopNanos = Long.MAX_VALUE;
    private volatile String lastError;

    StreamsWriter(StreamsSettings settings, RedisConnector connector, StreamsConnectivity connectivity, RedisWire first, String instanceName) {
        this.settings = settings;
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
        CommandArguments args = new CommandArguments(Protocol.Command.XADD).key(StreamEntries.bytes(stream));
        if (settings.maxAge.isZero()) {
            args.add(Protocol.Keyword.MAXLEN).add("~").add(settings.maxLength);
        } else {
            args.add(Protocol.Keyword.MINID).add("~").add((System.currentTimeMillis() - settings.maxAge.toMillis()) + "-0");
        }
        args.add("*");
        for (byte[] b : fields) {
            args.add(b);
        }
        queue.add(new Op(args, (reply, failure) -> {
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
        }, true, true));
        return f;
    }

    /** Queues a control command (acknowledgement, hand-back, dead letter); {@code reply} may be null. */
    void submit(CommandArguments args, Reply reply) {
        queue.add(new Op(args, reply, false, false));
    }

    /** Queues an {@code XACK}; those of one group in one batch go as one command. */
    void ack(String stream, String group, String id) {
        queue.add(new Op(stream, group, id));
    }

    /** Queues a command and returns its reply as a stage, for the few blocking callers (who bound their wait). */
    CompletableFuture<Object> call(CommandArguments args) {
        CompletableFuture<Object> f = new CompletableFuture<>();
        if (stopping) {
            f.completeExceptionally(new IllegalStateException("the Redis Streams transport is closed"));
            return f;
        }
        queue.add(new Op(args, (reply, failure) -> {
            if (failure == null) {
                f.complete(reply);
            } else {
                f.completeExceptionally(failure);
            }
        }, true, false));
        return f;
    }

    private void run() {
        List<Op> batch = new ArrayList<>(BATCH);
        ArrayDeque<Op> parked = new ArrayDeque<>();
        long backoff = settings.minBackoff.toNanos();
        while (true) {
            if (stopping && (queue.isEmpty() && parked.isEmpty() || System.nanoTime() > hardStopNanos)) {
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
            batch.clear();
            while (!parked.isEmpty() && batch.size() < BATCH) {
                batch.add(parked.poll());
            }
            if (batch.isEmpty()) {
                Op first;
                try {
                    first = queue.poll(100, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                if (first == null) {
                    continue;
                }
                batch.add(first);
            }
            queue.drainTo(batch, BATCH - batch.size());
            send(w, batch, parked);
        }
        RedisWire w = wire;
        wire = null;
        if (w != null) {
            RedisConnector.closeQuietly(w);
        }
        ConnectionException closed = new ConnectionException("the Redis Streams transport closed before Redis answered", null);
        List<Op> left = new ArrayList<>(parked);
        queue.drainTo(left);
        for (Op op : left) {
            complete(op, null, closed);
        }
    }

    private void send(RedisWire w, List<Op> batch, ArrayDeque<Op> parked) {
        boolean anyPublish = false;
        // Acknowledgements of one group merge into the first XACK of that group in the batch;
        // the others count no reply of their own (slot -1).
        java.util.Map<String, CommandArguments> acks = new java.util.HashMap<>();
        List<CommandArguments> commands = new ArrayList<>(batch.size());
        int[] slot = new int[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            Op op = batch.get(i);
            if (op.ack != null) {
                String key = op.ack[0] + "\n" + op.ack[1];
                CommandArguments merged = acks.get(key);
                if (merged != null) {
                    merged.add(op.ack[2]);
                    slot[i] = -1;
                    continue;
                }
                merged = new CommandArguments(Protocol.Command.XACK).key(StreamEntries.bytes(op.ack[0])).add(op.ack[1]).add(op.ack[2]);
                acks.put(key, merged);
                slot[i] = commands.size();
                commands.add(merged);
            } else {
                slot[i] = commands.size();
                commands.add(op.args);
            }
        }
        try {
            for (CommandArguments c : commands) {
                w.sendCommand(c);
            }
            for (Op op : batch) {
                anyPublish |= op.append;
            }
            boolean waiting = anyPublish && settings.waitReplicas > 0;
            long waitMillis = Math.max(1, settings.endpoint.commandTimeout().toMillis() / 2);
            if (waiting) {
                w.sendCommand(new CommandArguments(Protocol.Command.WAIT).add(settings.waitReplicas).add(waitMillis));
            }
            List<Object> replies = w.getMany(commands.size() + (waiting ? 1 : 0));
            RuntimeException replicas = null;
            if (waiting) {
                Object acked = replies.get(commands.size());
                long n = acked instanceof Long ? (Long) acked : -1;
                if (n < settings.waitReplicas) {
                    replicas = new ConnectionException("Redis at " + settings.endpoint.describe() + " appended the entry but only "
                            + Math.max(n, 0) + " of " + settings.waitReplicas + " replicas (switchboard.redis-streams.publish.wait-replicas)"
                            + " acknowledged it within " + waitMillis + "ms; publishing again may add a duplicate", null);
                }
            }
            for (int i = 0; i < batch.size(); i++) {
                Op op = batch.get(i);
                if (slot[i] < 0) {
                    continue;
                }
                Object r = replies.get(slot[i]);
                if (r instanceof JedisDataException) {
                    complete(op, null, (JedisDataException) r);
                } else if (op.append && replicas != null) {
                    complete(op, null, replicas);
                } else {
                    complete(op, r, null);
                }
            }
        } catch (RuntimeException e) {
            RuntimeException failure = connector.translate(e);
            lastError = failure.getMessage();
            wire = null;
            RedisConnector.closeQuietly(w);
            LOG.warn("Redis Streams writer connection to {} lost, reconnecting: {}", settings.endpoint.describe(), failure.getMessage());
            connectivity.down(this, failure);
            ConnectionException unknown = new ConnectionException("the connection to Redis at " + settings.endpoint.describe()
                    + " failed before it answered (the entry may or may not have been appended): " + failure.getMessage(), failure);
            for (Op op : batch) {
                if (op.publish) {
                    complete(op, null, unknown);
                } else if (parked.size() < MAX_PARKED) {
                    parked.add(op);
                }
            }
        }
    }

    private void failPublishes(LinkedBlockingQueue<Op> q, ArrayDeque<Op> parked) {
        List<Op> all = new ArrayList<>();
        q.drainTo(all);
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
