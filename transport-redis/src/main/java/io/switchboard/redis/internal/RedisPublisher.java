package io.switchboard.redis.internal;

import io.switchboard.ConnectionException;
import io.switchboard.Message;
import io.switchboard.PublishException;
import io.switchboard.redis.RedisConfigKeys;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Protocol;

/**
 * The auto-flushing pipelined publisher: callers queue publishes; one writer thread takes
 * whatever is queued (up to {@value #MAX_BATCH}), writes it as one pipelined batch on its own
 * connection, reads the replies and completes each future. Thread-safe.
 *
 * <p>Futures complete on the writer thread. A publish completes normally once Redis replied to
 * its PUBLISH (the reply is the number of receivers, possibly zero); it fails with
 * {@link ConnectionException} when the connection broke before the reply (the message may or may
 * not have been delivered) or Redis is unreachable, and with {@link PublishException} when Redis
 * answered with an error or the in-flight bound refused it.
 */
final class RedisPublisher {
    static final int MAX_BATCH = 512;
    private static final Logger LOG = LoggerFactory.getLogger(RedisPublisher.class);
    private static final int CHANNEL_CACHE_LIMIT = 10_000;

    /** A queued publish; it is its own future, to spare an allocation per message. */
    private static final class Pending extends CompletableFuture<Void> {
        final byte[] channel;
        final byte[] payload;
        final String channelName;
        final String messageId;
        final long enqueuedNanos;

        Pending(byte[] channel, byte[] payload, String channelName, String messageId, long enqueuedNanos) {
            this.channel = channel;
            this.payload = payload;
            this.channelName = channelName;
            this.messageId = messageId;
            this.enqueuedNanos = enqueuedNanos;
        }
    }

    private final RedisSettings settings;
    private final RedisConnector connector;
    private final ArrayBlockingQueue<Pending> queue;
    private final Map<String, byte[]> channelBytes = new ConcurrentHashMap<>();
    private final Thread writer;
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong refusedFull = new AtomicLong();
    private final String serverVersion;
    /** A publish taken from the queue before its connection turned out dead; writer thread only. */
    private Pending carry;
    private volatile RedisWire wire;
    private volatile boolean connected;
    private volatile boolean suspect;
    private volatile boolean closing;
    private volatile boolean closed;
    private volatile String lastError;

    /** Connects (throwing if Redis is unusable) and starts the writer thread. */
    RedisPublisher(RedisSettings settings, RedisConnector connector, String instanceName) {
        this.settings = settings;
        this.connector = connector;
        this.queue = new ArrayBlockingQueue<>(settings.maxInFlight);
        RedisWire w = connector.open();
        try {
            this.serverVersion = connector.serverVersion(w);
        } catch (RuntimeException e) {
            RedisConnector.closeQuietly(w);
            throw e;
        }
        this.wire = w;
        this.connected = true;
        this.writer = new Thread(this::run, instanceName + "-redis-publisher");
        writer.setDaemon(true);
        writer.start();
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
        byte[] payload = settings.envelope ? RedisEnvelope.encode(message) : message.payload();
        Pending p = new Pending(channelBytes(channel), payload, channel, message.id(), System.nanoTime());
        if (!queue.offer(p) && !offerWhenFull(p)) {
            refusedFull.incrementAndGet();
            failed.incrementAndGet();
            p.completeExceptionally(new PublishException(channel, message.id(), settings.maxInFlight
                    + " publishes are already in flight (" + RedisConfigKeys.PUBLISH_MAX_IN_FLIGHT.name() + ", "
                    + RedisConfigKeys.PUBLISH_WHEN_FULL.name() + "=" + (settings.blockWhenFull ? "block, waited "
                    + settings.commandTimeout.toMillis() + "ms" : "fail") + ")", null, true));
            return p;
        }
        if (closed) {
            failQueued(new ConnectionException("the Redis transport is closed", null));
        }
        return p;
    }

    private boolean offerWhenFull(Pending p) {
        if (!settings.blockWhenFull) {
            return false;
        }
        try {
            return queue.offer(p, settings.commandTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private byte[] channelBytes(String channel) {
        byte[] b = channelBytes.get(channel);
        if (b == null) {
            b = (settings.channelPrefix + channel).getBytes(StandardCharsets.UTF_8);
            if (channelBytes.size() < CHANNEL_CACHE_LIMIT) {
                channelBytes.put(channel, b);
            }
        }
        return b;
    }

    /** Another connection saw Redis go away: check this one before the next batch. */
    void suspect() {
        suspect = true;
    }

    private void run() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH);
        long backoffMillis = settings.minBackoff.toMillis();
        while (true) {
            RedisWire w = wire;
            if (w == null) {
                if (carry != null && (closing || settings.outageWait.isZero()
                        || System.nanoTime() - carry.enqueuedNanos >= settings.outageWait.toNanos())) {
                    fail(carry, new ConnectionException("Redis at " + settings.describe() + " is unreachable", null));
                    carry = null;
                }
                if (closing && queue.isEmpty() && carry == null) {
                    break;
                }
                try {
                    wire = connector.open();
                    connected = true;
                    backoffMillis = settings.minBackoff.toMillis();
                    LOG.info("Redis publisher connection to {} re-established", settings.describe());
                } catch (RuntimeException e) {
                    lastError = e.getMessage();
                    pauseDuringOutage(backoffMillis, e);
                    backoffMillis = Math.min(settings.maxBackoff.toMillis(), backoffMillis * 2);
                }
                continue;
            }
            Pending first = carry;
            carry = null;
            if (first == null) {
                try {
                    first = queue.poll(settings.pingInterval.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    first = null;
                }
            }
            if (first == null) {
                if (closing && queue.isEmpty()) {
                    break;
                }
                ping(w);
                continue;
            }
            if (suspect) {
                suspect = false;
                if (!ping(w)) {
                    carry = first;
                    continue;
                }
            }
            batch.add(first);
            queue.drainTo(batch, MAX_BATCH - 1);
            send(w, batch);
            batch.clear();
        }
        RedisWire w = wire;
        if (w != null) {
            RedisConnector.closeQuietly(w);
        }
    }

    private boolean ping(RedisWire w) {
        try {
            w.ping();
            return true;
        } catch (RuntimeException e) {
            drop(w, e);
            return false;
        }
    }

    private void send(RedisWire w, List<Pending> batch) {
        int done = 0;
        try {
            for (Pending p : batch) {
                w.sendCommand(Protocol.Command.PUBLISH, p.channel, p.payload);
            }
            List<Object> replies = w.getMany(batch.size());
            for (; done < batch.size(); done++) {
                Pending p = batch.get(done);
                Object reply = replies.get(done);
                if (reply instanceof Exception) {
                    failed.incrementAndGet();
                    p.completeExceptionally(new PublishException(p.channelName, p.messageId, "Redis refused it: "
                            + ((Exception) reply).getMessage(), null, false));
                } else {
                    published.incrementAndGet();
                    p.complete(null);
                }
            }
        } catch (RuntimeException e) {
            RuntimeException cause = connector.translate(e);
            for (int i = done; i < batch.size(); i++) {
                Pending p = batch.get(i);
                failed.incrementAndGet();
                p.completeExceptionally(new ConnectionException("publish of message " + p.messageId + " to channel '"
                        + p.channelName + "' failed: the connection to Redis broke before Redis confirmed it"
                        + " (it may or may not have been delivered): " + cause.getMessage(), cause));
            }
            drop(w, e);
        }
    }

    private void drop(RedisWire w, RuntimeException e) {
        lastError = connector.translate(e).getMessage();
        connected = false;
        wire = null;
        RedisConnector.closeQuietly(w);
        LOG.warn("Redis publisher connection to {} lost, reconnecting: {}", settings.describe(), lastError);
    }

    /** Waits one backoff step, failing queued publishes that have waited longer than the outage setting. */
    private void pauseDuringOutage(long backoffMillis, RuntimeException cause) {
        long half = Math.max(1, backoffMillis / 2);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(half + ThreadLocalRandom.current().nextLong(half + 1));
        while (true) {
            expireQueued(cause);
            long left = deadline - System.nanoTime();
            if (left <= 0 || closing && queue.isEmpty()) {
                return;
            }
            try {
                Thread.sleep(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 50));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void expireQueued(RuntimeException cause) {
        long limit = settings.outageWait.toNanos();
        long now = System.nanoTime();
        Pending p;
        while ((p = queue.peek()) != null && (closing || limit == 0 || now - p.enqueuedNanos >= limit)) {
            if (queue.remove(p)) {
                failed.incrementAndGet();
                p.completeExceptionally(new ConnectionException("publish of message " + p.messageId + " to channel '"
                        + p.channelName + "' failed: Redis at " + settings.describe() + " stayed unreachable for "
                        + RedisConfigKeys.PUBLISH_OUTAGE_WAIT.name() + "=" + settings.outageWait.toMillis() + "ms: "
                        + cause.getMessage(), cause));
            }
        }
    }

    private void fail(Pending p, RuntimeException cause) {
        failed.incrementAndGet();
        p.completeExceptionally(new ConnectionException("publish of message " + p.messageId + " to channel '"
                + p.channelName + "' failed: " + cause.getMessage(), cause));
    }

    private void failQueued(RuntimeException cause) {
        Pending p;
        while ((p = queue.poll()) != null) {
            failed.incrementAndGet();
            p.completeExceptionally(cause);
        }
    }

    boolean isConnected() {
        return connected;
    }

    String serverVersion() {
        return serverVersion;
    }

    int inFlight() {
        return queue.size();
    }

    void addHealth(Map<String, Object> details) {
        details.put("publisherConnected", connected);
        details.put("published", published.get());
        details.put("publishFailures", failed.get());
        details.put("publishRefusedFull", refusedFull.get());
        details.put("publishQueued", queue.size());
        String e = lastError;
        if (e != null) {
            details.put("publisherLastError", e);
        }
    }

    /** Lets queued publishes finish within the timeout, then fails the rest and disconnects. */
    void close(long timeoutNanos) {
        closing = true;
        writer.interrupt();
        try {
            writer.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closed = true;
        if (writer.isAlive()) {
            RedisWire w = wire;
            if (w != null) {
                RedisConnector.closeQuietly(w);
            }
        }
        failQueued(new ConnectionException("the Redis transport closed before this publish was sent", null));
    }
}
