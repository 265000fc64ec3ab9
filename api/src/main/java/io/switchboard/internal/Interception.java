package io.switchboard.internal;

import io.switchboard.ConnectionEvent;
import io.switchboard.ConnectionListener;
import io.switchboard.Delivery;
import io.switchboard.DropEvent;
import io.switchboard.DropListener;
import io.switchboard.Interceptor;
import io.switchboard.Message;
import io.switchboard.MessageHandler;
import io.switchboard.NearCache;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The interceptors of one Switchboard, fixed at open, and the chains that run them. Callers test
 * {@link #none()} first, so that without interceptors nothing here is allocated or called.
 */
final class Interception {
    private static final Logger LOG = LoggerFactory.getLogger(Interception.class);

    private final Interceptor[] chain;

    Interception(List<Interceptor> interceptors) {
        this.chain = interceptors.toArray(new Interceptor[0]);
    }

    boolean none() {
        return chain.length == 0;
    }

    Interceptor[] all() {
        return chain;
    }

    /**
     * Runs the publish chain (not {@link #none()}); {@code send} is the transport's publish of the
     * final message, its channel set.
     */
    CompletionStage<Void> publish(String channel, Message message, Function<Message, CompletionStage<Void>> send) {
        return chain[0].aroundPublish(new PublishStep(1, channel, message, send));
    }

    /** Runs the handler chain (not {@link #none()}) around {@code handler}. */
    void handle(Delivery delivery, MessageHandler handler) throws Exception {
        chain[0].aroundHandler(new HandlerStep(1, delivery, handler));
    }

    void retry(Delivery delivery, Throwable failure) {
        for (Interceptor i : chain) {
            try {
                i.onRetry(delivery, failure);
            } catch (RuntimeException e) {
                ignored(i, "onRetry", e);
            }
        }
    }

    void deadLetter(Delivery delivery, Throwable failure) {
        for (Interceptor i : chain) {
            try {
                i.onDeadLetter(delivery, failure);
            } catch (RuntimeException e) {
                ignored(i, "onDeadLetter", e);
            }
        }
    }

    void cacheOperation(Interceptor.CacheOperation op) {
        for (Interceptor i : chain) {
            try {
                i.onCacheOperation(op);
            } catch (RuntimeException e) {
                ignored(i, "onCacheOperation", e);
            }
        }
    }

    void nearCacheOpened(NearCache<?> near) {
        for (Interceptor i : chain) {
            try {
                i.onNearCacheOpened(near);
            } catch (RuntimeException e) {
                ignored(i, "onNearCacheOpened", e);
            }
        }
    }

    private static void ignored(Interceptor i, String method, RuntimeException e) {
        LOG.warn("interceptor {} threw in {}; ignored", i, method, e);
    }

    /** The interceptor as a connection listener (the event bus logs and ignores what it throws). */
    static ConnectionListener connectionListener(Interceptor i) {
        return new ConnectionListener() {
            @Override
            public void onEvent(ConnectionEvent event) {
                i.onConnectionEvent(event);
            }

            @Override
            public String toString() {
                return i.toString();
            }
        };
    }

    /** The interceptor as a drop listener (the drop bus logs and ignores what it throws). */
    static DropListener dropListener(Interceptor i) {
        return new DropListener() {
            @Override
            public void onDrop(DropEvent event) {
                i.onDrop(event);
            }

            @Override
            public String toString() {
                return i.toString();
            }
        };
    }

    /** One level of the publish chain: {@code index} is the interceptor it hands on to. */
    private final class PublishStep implements Interceptor.PublishCall {
        private final int index;
        private final String channel;
        private final Message message;
        private final Function<Message, CompletionStage<Void>> send;
        private boolean proceeded;

        PublishStep(int index, String channel, Message message, Function<Message, CompletionStage<Void>> send) {
            this.index = index;
            this.channel = channel;
            this.message = message;
            this.send = send;
        }

        @Override
        public String channel() {
            return channel;
        }

        @Override
        public Message message() {
            return message;
        }

        @Override
        public CompletionStage<Void> proceed(Message next) {
            java.util.Objects.requireNonNull(next, "message");
            if (proceeded) {
                throw new IllegalStateException("proceed() called twice for one publish to '" + channel + "'");
            }
            proceeded = true;
            Message m = next.withChannel(channel);
            if (index == chain.length) {
                return send.apply(m);
            }
            return chain[index].aroundPublish(new PublishStep(index + 1, channel, m, send));
        }

        @Override
        public String toString() {
            return "PublishCall[" + message + "]";
        }
    }

    /** One level of the handler chain. */
    private final class HandlerStep implements Interceptor.HandlerCall {
        private final int index;
        private final Delivery delivery;
        private final MessageHandler handler;
        private boolean proceeded;

        HandlerStep(int index, Delivery delivery, MessageHandler handler) {
            this.index = index;
            this.delivery = delivery;
            this.handler = handler;
        }

        @Override
        public Delivery delivery() {
            return delivery;
        }

        @Override
        public void proceed() throws Exception {
            if (proceeded) {
                throw new IllegalStateException("proceed() called twice for one delivery of message " + delivery.message().id());
            }
            proceeded = true;
            if (index == chain.length) {
                handler.handle(delivery);
            } else {
                chain[index].aroundHandler(new HandlerStep(index + 1, delivery, handler));
            }
        }

        @Override
        public String toString() {
            return "HandlerCall[" + delivery + "]";
        }
    }
}
