package io.switchboard.memcached.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A result completed on spymemcached's I/O thread whose callbacks never run there. A thread
 * blocked in {@code get()}/{@code join()} is woken directly by the I/O thread (one thread hop, as
 * with the raw client), while a callback registered before completion through a non-async method
 * ({@code thenApply}, {@code whenComplete}, ...) is handed to the connection's callback thread,
 * so that a callback that blocks cannot stall the connection. A callback registered after
 * completion runs at once in the registering thread, as usual. Derived stages behave the same.
 * The callback thread is one per connection, so callbacks run in the order the server replied.
 * Thread-safe.
 *
 * @param <T> the result type
 */
public final class HandOffFuture<T> extends CompletableFuture<T> {
    private final Executor callbacks;

    /** Creates an incomplete future handing callbacks to {@code callbacks}. */
    public HandOffFuture(Executor callbacks) {
        this.callbacks = callbacks;
    }

    /**
     * A future whose own dependents run where it completes (the I/O thread), while every stage
     * derived from it hands off as above. For reads only, whose results the facade never returns as
     * is but always transforms first (decoding): that cheap, non-blocking step then runs on the I/O
     * thread, so a blocked reader is woken after one thread hop instead of two.
     *
     * @param <T> the result type
     */
    public static final class Inline<T> extends CompletableFuture<T> {
        private final Executor callbacks;

        /** Creates an incomplete future whose derived stages hand callbacks to {@code callbacks}. */
        public Inline(Executor callbacks) {
            this.callbacks = callbacks;
        }

        @Override
        public <U> CompletableFuture<U> newIncompleteFuture() {
            return new HandOffFuture<>(callbacks);
        }

        @Override
        public Executor defaultExecutor() {
            return callbacks;
        }
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new HandOffFuture<>(callbacks);
    }

    @Override
    public Executor defaultExecutor() {
        return callbacks;
    }

    @Override
    public <U> CompletableFuture<U> thenApply(Function<? super T, ? extends U> fn) {
        return isDone() ? super.thenApply(fn) : super.thenApplyAsync(fn, callbacks);
    }

    @Override
    public CompletableFuture<Void> thenAccept(Consumer<? super T> action) {
        return isDone() ? super.thenAccept(action) : super.thenAcceptAsync(action, callbacks);
    }

    @Override
    public CompletableFuture<Void> thenRun(Runnable action) {
        return isDone() ? super.thenRun(action) : super.thenRunAsync(action, callbacks);
    }

    @Override
    public <U, V> CompletableFuture<V> thenCombine(CompletionStage<? extends U> other, BiFunction<? super T, ? super U, ? extends V> fn) {
        return super.thenCombineAsync(other, fn, callbacks);
    }

    @Override
    public <U> CompletableFuture<Void> thenAcceptBoth(CompletionStage<? extends U> other, BiConsumer<? super T, ? super U> action) {
        return super.thenAcceptBothAsync(other, action, callbacks);
    }

    @Override
    public CompletableFuture<Void> runAfterBoth(CompletionStage<?> other, Runnable action) {
        return super.runAfterBothAsync(other, action, callbacks);
    }

    @Override
    public <U> CompletableFuture<U> applyToEither(CompletionStage<? extends T> other, Function<? super T, U> fn) {
        return super.applyToEitherAsync(other, fn, callbacks);
    }

    @Override
    public CompletableFuture<Void> acceptEither(CompletionStage<? extends T> other, Consumer<? super T> action) {
        return super.acceptEitherAsync(other, action, callbacks);
    }

    @Override
    public CompletableFuture<Void> runAfterEither(CompletionStage<?> other, Runnable action) {
        return super.runAfterEitherAsync(other, action, callbacks);
    }

    @Override
    public <U> CompletableFuture<U> thenCompose(Function<? super T, ? extends CompletionStage<U>> fn) {
        return isDone() ? super.thenCompose(fn) : super.thenComposeAsync(fn, callbacks);
    }

    @Override
    public CompletableFuture<T> whenComplete(BiConsumer<? super T, ? super Throwable> action) {
        return isDone() ? super.whenComplete(action) : super.whenCompleteAsync(action, callbacks);
    }

    @Override
    public <U> CompletableFuture<U> handle(BiFunction<? super T, Throwable, ? extends U> fn) {
        return isDone() ? super.handle(fn) : super.handleAsync(fn, callbacks);
    }

    @Override
    public CompletableFuture<T> exceptionally(Function<Throwable, ? extends T> fn) {
        return isDone() ? super.exceptionally(fn) : super.exceptionallyAsync(fn, callbacks);
    }
}
