package io.switchboard.internal;

import io.switchboard.Health;
import io.switchboard.Message;
import io.switchboard.Publisher;
import io.switchboard.RequestTimeoutException;
import io.switchboard.SubscriptionOptions;
import io.switchboard.SwitchboardException;
import io.switchboard.spi.DeliveryListener;
import io.switchboard.spi.InboundDelivery;
import io.switchboard.spi.SubscriptionRequest;
import io.switchboard.spi.TransportSubscription;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Request/reply of one Switchboard, on top of the SPI: the reply inbox (subscribed at the first
 * request), the requests waiting for a reply by correlation id, their timeouts, and the replies
 * handlers send. Thread-safe; no lock is held across a round trip.
 */
final class Requests implements DeliveryListener {
    private static final Logger LOG = LoggerFactory.getLogger(Requests.class);
    /** Correlation ids of finished requests remembered, to tell a late or second reply from a stray one. */
    private static final int RECENT = 4096;

    private final Runtime runtime;
    private final String inbox;
    private final AtomicReference<CompletableFuture<String>> address = new AtomicReference<>();
    private volatile TransportSubscription inboxSubscription;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final Map<String, Boolean> recent = new LinkedHashMap<>(64, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > RECENT;
        }
    };
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong replied = new AtomicLong();
    private final AtomicLong timedOut = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong lateReplies = new AtomicLong();
    private final AtomicLong unknownReplies = new AtomicLong();
    private final AtomicLong repliesSent = new AtomicLong();
    private volatile boolean closed;

    Requests(Runtime runtime) {
        this.runtime = runtime;
        byte[] random = new byte[16];
        new SecureRandom().nextBytes(random);
        StringBuilder hex = new StringBuilder("switchboard.reply.");
        for (byte b : random) {
            hex.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        this.inbox = hex.toString();
    }

    CompletionStage<Message> request(DefaultPublisher publisher, String channel, Message message, Duration timeout) {
        return send(publisher, channel, message, timeout).future;
    }

    private Pending send(DefaultPublisher publisher, String channel, Message message, Duration timeout) {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("request timeout must be positive, got " + timeout + " (request to channel '" + channel + "')");
        }
        io.switchboard.spi.Channels.requireChannel(channel);
        runtime.ensureOpen();
        String replyTo = inboxAddress();
        String correlation = MessageIds.next();
        Message request = message.toBuilder().header(Publisher.REPLY_TO_HEADER, replyTo)
                .header(Publisher.CORRELATION_ID_HEADER, correlation).build();
        Pending p = new Pending(correlation, channel, message.id(), timeout);
        pending.put(correlation, p);
        p.future.whenComplete((r, e) -> finished(correlation, p));
        try {
            p.timer = runtime.scheduler().schedule(() -> expire(correlation), timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            abandon(correlation);
            return p;
        }
        CompletionStage<Void> published;
        try {
            published = publisher.publish(channel, request);
        } catch (RuntimeException e) {
            pending.remove(correlation, p);
            p.future.cancel(false);
            throw e;
        }
        sent.incrementAndGet();
        published.whenComplete((v, e) -> {
            if (e != null && claim(correlation) == p) {
                failed.incrementAndGet();
                settle(p, () -> p.future.completeExceptionally(unwrap(e)));
            }
        });
        if (closed) {
            abandon(correlation);
        }
        return p;
    }

    Message requestAndWait(DefaultPublisher publisher, String channel, Message message, Duration timeout) {
        Pending p = send(publisher, channel, message, timeout);
        try {
            return p.future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            // Its timer is due at this very moment: end it here rather than wait for that thread.
            expire(p.correlation);
            try {
                return p.future.join();
            } catch (CompletionException ended) {
                Throwable cause = unwrap(ended);
                throw cause instanceof RuntimeException ? (RuntimeException) cause : ended;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.future.cancel(false);
            throw new SwitchboardException("interrupted while waiting for the reply to request " + message.id() + " to channel '"
                    + channel + "'", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            throw new SwitchboardException("request " + message.id() + " to channel '" + channel + "' failed: " + cause, cause);
        }
    }

    /** The inbox's reply address, subscribing the inbox first if no request has yet. */
    private String inboxAddress() {
        CompletableFuture<String> f = address.get();
        if (f == null) {
            CompletableFuture<String> mine = new CompletableFuture<>();
            if (address.compareAndSet(null, mine)) {
                subscribeInbox(mine);
            }
            f = address.get();
        }
        try {
            // Bounded by the transport's subscribe, which the thread that won runs.
            return f.join();
        } catch (CompletionException e) {
            throw (RuntimeException) unwrap(e);
        }
    }

    private void subscribeInbox(CompletableFuture<String> mine) {
        try {
            int prefetch = runtime.config().get(CoreKeys.SUBSCRIBER_PREFETCH);
            SubscriptionRequest request = new SubscriptionRequest(inbox, SubscriptionOptions.defaults(), prefetch);
            String replyTo = runtime.transport().replyAddress(inbox);
            inboxSubscription = runtime.transport().subscribeReplies(request, this);
            if (closed) {
                closeInbox();
            }
            LOG.debug("Switchboard {}: reply inbox subscribed, replies to '{}'", runtime.instanceName(), replyTo);
            mine.complete(replyTo);
        } catch (RuntimeException e) {
            // The next request tries again: a transport that was down may be back.
            address.set(null);
            mine.completeExceptionally(e);
        }
    }

    /** The transport delivers a reply to the inbox: complete its request, or count it. */
    @Override
    public void onDelivery(InboundDelivery d) {
        try {
            Message m = d.message();
            String correlation = m.header(Publisher.CORRELATION_ID_HEADER);
            Pending p = correlation == null ? null : claim(correlation);
            if (p != null) {
                replied.incrementAndGet();
                CompletableFuture<String> a = address.get();
                Message reply = a != null && a.isDone() && !a.isCompletedExceptionally() ? m.withChannel(a.join()) : m;
                settle(p, () -> p.future.complete(reply));
            } else if (correlation != null && wasRecent(correlation)) {
                lateReplies.incrementAndGet();
                LOG.debug("Switchboard {}: reply {} to a request that already ended (timed out or answered); dropped",
                        runtime.instanceName(), m.id());
            } else {
                unknownReplies.incrementAndGet();
                LOG.debug("Switchboard {}: reply {} with correlation id '{}' matches no request of this instance; ignored",
                        runtime.instanceName(), m.id(), correlation);
            }
        } finally {
            d.ack();
        }
    }

    /**
     * Publishes a handler's reply to a request: the correlation id copied on, the reply address
     * taken out (a reply is not a request).
     */
    CompletionStage<Void> reply(DefaultPublisher publisher, Message request, Message reply) {
        Objects.requireNonNull(reply, "reply");
        String to = request.header(Publisher.REPLY_TO_HEADER);
        if (to == null) {
            throw new IllegalStateException("message " + request.id() + " on channel '" + request.channel() + "' has no "
                    + Publisher.REPLY_TO_HEADER + " header, so there is nowhere to reply: it was published, not sent with "
                    + "Publisher.request(); check Delivery.replyTo() first");
        }
        Message.Builder b = reply.toBuilder().removeHeader(Publisher.REPLY_TO_HEADER);
        String correlation = request.header(Publisher.CORRELATION_ID_HEADER);
        if (correlation != null) {
            b.header(Publisher.CORRELATION_ID_HEADER, correlation);
        } else {
            b.removeHeader(Publisher.CORRELATION_ID_HEADER);
        }
        // Counted before it goes: the requester may have the reply (and read this count) before publishReply returns.
        repliesSent.incrementAndGet();
        return publisher.publishReply(to, b.build().withChannel(to), request);
    }

    /**
     * Ends a waiting request: the one caller that gets it completes it. The id is remembered
     * first, so that a reply racing this one is counted late, not unknown.
     */
    private Pending claim(String correlation) {
        Pending p = pending.get(correlation);
        if (p == null) {
            return null;
        }
        synchronized (recent) {
            recent.put(correlation, Boolean.TRUE);
        }
        return pending.remove(correlation, p) ? p : null;
    }

    private void expire(String correlation) {
        Pending p = claim(correlation);
        if (p != null) {
            timedOut.incrementAndGet();
            settle(p, () -> p.future.completeExceptionally(new RequestTimeoutException(p.channel, p.messageId, p.timeout)));
        }
    }

    private void abandon(String correlation) {
        Pending p = claim(correlation);
        if (p != null) {
            failed.incrementAndGet();
            SwitchboardException closing = new SwitchboardException("request " + p.messageId + " to channel '" + p.channel
                    + "' abandoned: this Switchboard (" + runtime.instanceName() + ") closed before the reply came");
            settle(p, () -> p.future.completeExceptionally(closing));
        }
    }

    private void finished(String correlation, Pending p) {
        pending.remove(correlation, p);
        Future<?> t = p.timer;
        if (t != null) {
            t.cancel(false);
        }
        synchronized (recent) {
            recent.put(correlation, Boolean.TRUE);
        }
    }

    private boolean wasRecent(String correlation) {
        synchronized (recent) {
            return recent.containsKey(correlation);
        }
    }

    /** Completes off the transport's and the timer's threads, where a caller's continuation would hold them up. */
    private void settle(Pending p, Runnable completion) {
        try {
            runtime.handlerPool().execute(completion);
        } catch (RejectedExecutionException e) {
            completion.run();
        }
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /** Fails every waiting request at once, then closes the inbox. */
    void close() {
        closed = true;
        for (String correlation : new ArrayList<>(pending.keySet())) {
            abandon(correlation);
        }
        closeInbox();
    }

    private void closeInbox() {
        TransportSubscription s = inboxSubscription;
        inboxSubscription = null;
        if (s != null) {
            try {
                s.close();
            } catch (RuntimeException e) {
                LOG.warn("could not close the reply inbox of Switchboard {}: {}", runtime.instanceName(), e.toString());
            }
        }
    }

    /** {@code null} until the first request or reply: nothing to report. */
    Health health() {
        if (address.get() == null && sent.get() == 0 && repliesSent.get() == 0) {
            return null;
        }
        Map<String, Object> d = new LinkedHashMap<>();
        CompletableFuture<String> a = address.get();
        d.put("inbox", a != null && a.isDone() && !a.isCompletedExceptionally() ? a.join() : "not subscribed");
        d.put("sent", sent.get());
        d.put("pending", pending.size());
        d.put("replied", replied.get());
        d.put("timedOut", timedOut.get());
        d.put("failed", failed.get());
        d.put("lateReplies", lateReplies.get());
        d.put("unknownReplies", unknownReplies.get());
        d.put("repliesSent", repliesSent.get());
        return Health.of(Health.Status.UP, d);
    }

    /** One request waiting for its reply. */
    private static final class Pending {
        final String correlation;
        final String channel;
        final String messageId;
        final Duration timeout;
        final CompletableFuture<Message> future = new CompletableFuture<>();
        volatile Future<?> timer;

        Pending(String correlation, String channel, String messageId, Duration timeout) {
            this.correlation = correlation;
            this.channel = channel;
            this.messageId = messageId;
            this.timeout = timeout;
        }
    }
}
