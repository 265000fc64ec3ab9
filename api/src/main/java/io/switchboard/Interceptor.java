package io.switchboard;

import java.util.concurrent.CompletionStage;

/**
 * Takes part in what a {@link Switchboard} does, for metrics, tracing and logging context: it runs
 * around each publish and each handler call, and hears of retries, dead letters, drops, connection
 * events, cache operations and near caches. Register it with {@link Switchboard.Builder#interceptor};
 * the first one registered is the outermost. The set is fixed when the Switchboard opens: with none
 * registered, publishes, deliveries and cache operations take the same path as without this
 * interface and allocate nothing for it.
 *
 * <p>Every method has a default that does nothing (or only proceeds), so an implementation
 * overrides what it needs. Implementations must be thread-safe: methods are called on publishing
 * threads, handler threads, the Switchboard's event and drop threads and the cache provider's
 * completion threads, concurrently. They must not block for long, since they run on those threads.
 *
 * <p><b>Errors.</b> An exception thrown by {@link #aroundPublish} reaches the publisher's caller;
 * one thrown by {@link #aroundHandler} counts as the handler's failure (retried, then dead-lettered
 * or dropped); one thrown by {@link #onOpen} fails {@link Switchboard.Builder#open()}. An exception
 * thrown by any other method is logged and ignored: it never changes what happens to a message or
 * a cache operation, nor stops the other interceptors from hearing of it.
 *
 * <p>Interceptors are not discovered through {@link java.util.ServiceLoader}: they usually need an
 * object of the application (a meter registry, an OpenTelemetry instance), and registering them by
 * hand keeps their order the application's choice, never the classpath's.
 *
 * <p>{@link MdcInterceptor} is one, built in: it puts the channel, message id and subscription in
 * SLF4J's MDC while a handler runs.
 */
public interface Interceptor {
    /**
     * Called once, when a {@link Switchboard} this interceptor is registered with opens: after its
     * configuration is validated and its providers chosen, before it connects, so before any other
     * call for that Switchboard. Its {@link Switchboard#transportName()},
     * {@link Switchboard#cacheName()}, {@link Switchboard#capabilities()} and
     * {@link Switchboard#codec()} are known; the interceptor must not publish, subscribe or use a
     * cache from here. An interceptor that keeps per-Switchboard state (tags, a tracer) may refuse
     * a second Switchboard by throwing {@link IllegalStateException}, which fails that open.
     */
    default void onOpen(Switchboard switchboard) {
    }

    /**
     * Runs around one publish, on the publishing thread, after the facade has validated the
     * arguments and the size of the caller's message. An implementation must call
     * {@link PublishCall#proceed} at most once, before returning, and should return the stage it
     * got back, so that the caller sees the transport's outcome as it is; to observe the outcome
     * and latency, attach to that stage ({@code stage.whenComplete(...)}) and return the stage
     * itself, and count an exception {@code proceed} throws as a failure too. It may pass on a message with headers added or changed ({@code
     * call.message().toBuilder().header(...).build()}); the channel stays the call's. Not calling
     * {@code proceed} means the message is not published: the returned stage is the caller's outcome.
     *
     * @return the stage the caller receives
     */
    default CompletionStage<Void> aroundPublish(PublishCall call) {
        return call.proceed(call.message());
    }

    /**
     * Runs around one handler call, on the handler's thread, once per attempt: an implementation
     * must call {@link HandlerCall#proceed} exactly once and should let its exception through,
     * since that exception is what retries and dead-letters the message. Code it runs before
     * {@code proceed} runs on the handler's thread before the handler (a tracing span made current,
     * an MDC entry set), and is seen by everything the handler calls.
     *
     * @throws Exception what the handler (or an inner interceptor) threw
     */
    default void aroundHandler(HandlerCall call) throws Exception {
        call.proceed();
    }

    /**
     * The handler failed on this delivery and the retry policy allows another attempt: the message
     * comes again (on an at-least-once transport through the broker, possibly to another instance;
     * otherwise in this process) with {@link Delivery#attempt()} one higher. Called on the
     * handler's thread, after {@link #aroundHandler} returned.
     *
     * @param delivery the failed attempt
     * @param failure what the handler threw
     */
    default void onRetry(Delivery delivery, Throwable failure) {
    }

    /**
     * The handler failed on the last attempt and the message went to the subscription's
     * dead-letter channel ({@code delivery.subscription().options().deadLetterChannel()}). Called
     * on the handler's thread.
     *
     * @param delivery the last attempt
     * @param failure what the handler threw
     */
    default void onDeadLetter(Delivery delivery, Throwable failure) {
    }

    /**
     * A subscription dropped a message, as {@link DropListener#onDrop} hears it: on the
     * Switchboard's drop thread, in order, with the same bound on pending events.
     */
    default void onDrop(DropEvent event) {
    }

    /** A connection change, as {@link ConnectionListener#onEvent} hears it: on the Switchboard's event thread, in order. */
    default void onConnectionEvent(ConnectionEvent event) {
    }

    /**
     * One {@link SharedCache} operation completed (or failed). Called on whichever thread completed
     * it, often the cache provider's; must not block. Every call of a {@link SharedCache} method,
     * blocking or asynchronous, reports once (arguments refused at the call, and a getAll of no keys, report nothing); a
     * near cache's reads and writes of the shared cache report too, its local reads do not (they
     * are in {@link NearCache#stats()}).
     */
    default void onCacheOperation(CacheOperation operation) {
    }

    /**
     * A near cache was opened on this Switchboard (on the thread that opened it). Its
     * {@link NearCache#stats()} counts hits, misses, invalidations and gaps without a call per
     * read; read it when needed. It keeps working after the near cache is closed.
     */
    default void onNearCacheOpened(NearCache<?> nearCache) {
    }

    /** One publish, as seen by {@link #aroundPublish}. Used on the publishing thread only. */
    interface PublishCall {
        /** The exact channel published to. */
        String channel();

        /** The message as the caller (or an outer interceptor) passed it on; its channel is set. */
        Message message();

        /**
         * Hands the message on to the next interceptor or, from the innermost, to the transport.
         *
         * @param message the message to publish, usually {@link #message()} or a copy of it with
         *     headers added; its channel is replaced by {@link #channel()}
         * @return the stage that completes as {@link Publisher#publish} documents
         * @throws RuntimeException what the transport throws at the call instead of failing the
         *     stage (the in-memory transport, for example, refuses a message for a full queue so);
         *     an interceptor observing outcomes must count that as a failure too
         * @throws PayloadTooLargeException if the headers added took the message over
         *     {@code switchboard.message.max-size}
         * @throws IllegalStateException if called a second time
         */
        CompletionStage<Void> proceed(Message message);
    }

    /** One handler call, as seen by {@link #aroundHandler}. Used on the handler's thread only. */
    interface HandlerCall {
        /** The delivery: message, attempt, whether redelivered, and the subscription. */
        Delivery delivery();

        /**
         * Calls the next interceptor or, from the innermost, the handler.
         *
         * @throws Exception what the handler threw
         * @throws IllegalStateException if called a second time
         */
        void proceed() throws Exception;
    }

    /**
     * One completed {@link SharedCache} operation. Immutable.
     *
     * @param cache the cache's name ({@code default} for {@link Switchboard#cache()})
     * @param kind which operation
     * @param durationNanos from the call to its completion, in nanoseconds
     * @param hits keys found, for reads ({@code get}, {@code getVersioned}, {@code getAll}, and the
     *     first read of {@code getOrLoad}); 0 for writes
     * @param misses keys not found, for reads; 0 for writes
     * @param failure why the operation failed, or {@code null} if it succeeded
     */
    record CacheOperation(String cache, Kind kind, long durationNanos, int hits, int misses, Throwable failure) {
        /** The operations of {@link SharedCache}; a blocking form reports as its asynchronous one. */
        public enum Kind {
            /** {@code get}. */
            GET,
            /** {@code getAll}. */
            GET_ALL,
            /** {@code getVersioned}. */
            GET_VERSIONED,
            /** {@code put}. */
            PUT,
            /** {@code putIfAbsent}. */
            PUT_IF_ABSENT,
            /** {@code compareAndSet}. */
            COMPARE_AND_SET,
            /** {@code delete}. */
            DELETE,
            /** {@code touch}. */
            TOUCH,
            /** {@code increment}. */
            INCREMENT,
            /** {@code getOrLoad}: the read, and the load and write when the key was absent. */
            GET_OR_LOAD
        }

        /** Whether the operation succeeded. */
        public boolean succeeded() {
            return failure == null;
        }
    }
}
