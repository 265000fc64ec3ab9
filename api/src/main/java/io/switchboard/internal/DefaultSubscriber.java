package io.switchboard.internal;

import io.switchboard.Capabilities;
import io.switchboard.Capability;
import io.switchboard.Health;
import io.switchboard.MessageHandler;
import io.switchboard.Subscriber;
import io.switchboard.Subscription;
import io.switchboard.SubscriptionOptions;
import io.switchboard.spi.Channels;
import io.switchboard.spi.SubscriptionRequest;
import io.switchboard.spi.TransportSubscription;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Validates subscriptions against the capabilities and tracks them for health and close. */
final class DefaultSubscriber implements Subscriber {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultSubscriber.class);

    private final Runtime runtime;
    private final Set<SubscriptionImpl> open = ConcurrentHashMap.newKeySet();

    private final long bufferBytes;
    /** Messages at-most-once subscriptions dropped because they closed (they leave the health report then). */
    private final java.util.concurrent.atomic.AtomicLong droppedAtClose = new java.util.concurrent.atomic.AtomicLong();

    DefaultSubscriber(Runtime runtime) {
        this.runtime = runtime;
        this.bufferBytes = CoreKeys.subscriberBufferBytes(runtime.config());
    }

    @Override
    public Subscription subscribe(String channelOrPattern, MessageHandler handler) {
        return subscribe(channelOrPattern, SubscriptionOptions.defaults(), handler);
    }

    @Override
    public Subscription subscribe(String channelOrPattern, SubscriptionOptions options, MessageHandler handler) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(handler, "handler");
        Channels.requireChannelOrPattern(channelOrPattern);
        runtime.ensureOpen();
        Capabilities caps = runtime.capabilities();
        if (Channels.isPattern(channelOrPattern)) {
            caps.require(Capability.PATTERN_SUBSCRIPTIONS, "pattern subscription '" + channelOrPattern + "'");
        }
        if (options.isDurable()) {
            caps.require(Capability.DURABLE_SUBSCRIPTIONS, "durable subscription '" + options.durableName() + "'");
        }
        if (options.deadLetterChannel() != null) {
            try {
                Channels.requireChannel(options.deadLetterChannel());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("dead-letter " + e.getMessage(), e);
            }
            caps.require(Capability.DEAD_LETTERS, "dead-letter channel '" + options.deadLetterChannel() + "'");
        }
        int prefetch = Math.max(runtime.config().get(CoreKeys.SUBSCRIBER_PREFETCH), options.concurrency());
        SubscriptionRequest request = new SubscriptionRequest(channelOrPattern, options, prefetch);
        SubscriptionImpl sub = new SubscriptionImpl(this, request, handler, caps.has(Capability.AT_LEAST_ONCE),
                runtime.config().get(CoreKeys.SUBSCRIBER_BUFFER), bufferBytes);
        open.add(sub);
        try {
            TransportSubscription ts = runtime.transport().subscribe(request, sub);
            sub.attach(ts);
        } catch (RuntimeException e) {
            open.remove(sub);
            sub.abandon();
            throw e;
        }
        return sub;
    }

    @Override
    public boolean deleteDurable(String name) {
        SubscriptionOptions.defaults().durable(name);
        runtime.ensureOpen();
        runtime.capabilities().require(Capability.DURABLE_SUBSCRIPTIONS, "deleting durable subscription '" + name + "'");
        boolean existed = runtime.transport().deleteDurable(name);
        // Then this instance's subscriptions of the name end as closed ones: left open, they would
        // re-create what was deleted on their next (re)subscription. A refusal (thrown above)
        // leaves them as they were.
        for (SubscriptionImpl s : new ArrayList<>(open)) {
            if (name.equals(s.options().durableName())) {
                s.close();
            }
        }
        return existed;
    }

    Runtime runtime() {
        return runtime;
    }

    void closed(SubscriptionImpl sub) {
        open.remove(sub);
    }

    void droppedAtClose() {
        droppedAtClose.incrementAndGet();
    }

    void closeAll(long deadlineNanos) {
        List<SubscriptionImpl> subs = new ArrayList<>(open);
        // Every subscription's stop is started before any is waited for: one broker round trip
        // for all of them, not one each (10,000 RabbitMQ cancels took 33 s one after another).
        CompletableFuture<?>[] stopped = new CompletableFuture<?>[subs.size()];
        for (int i = 0; i < stopped.length; i++) {
            stopped[i] = subs.get(i).stopIntakeAsync();
        }
        try {
            CompletableFuture.allOf(stopped).get(Runtime.remaining(deadlineNanos).toNanos(),
                    TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            LOG.warn("closing: {} subscription(s) not yet stopped at the transport when the close timeout ran out",
                    Arrays.stream(stopped).filter(f -> !f.isDone()).count());
        } catch (ExecutionException e) {
            LOG.debug("closing: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (SubscriptionImpl s : subs) {
            s.close(Runtime.remaining(deadlineNanos));
        }
    }

    Health health() {
        Map<String, Object> details = new LinkedHashMap<>();
        Health.Status status = Health.Status.UP;
        int i = 0;
        for (SubscriptionImpl s : open) {
            Health h = s.health();
            details.put((s.options().isDurable() ? s.options().durableName() : s.channelOrPattern()) + "#" + (++i), h.details());
            if (h.status().ordinal() > status.ordinal()) {
                status = h.status();
            }
        }
        details.put("open", open.size());
        details.put("droppedAtClose", droppedAtClose.get());
        details.put("dropEventsMissed", runtime.drops().missed());
        return Health.of(status, details);
    }
}
