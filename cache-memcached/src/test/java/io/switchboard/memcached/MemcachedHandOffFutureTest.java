package io.switchboard.memcached;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.memcached.internal.HandOffFuture;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Results completed on the I/O thread never run callbacks there. */
class MemcachedHandOffFutureTest {
    @Test
    void readsRunTheirOwnDependentsInlineButHandOffDerivedStages() throws Exception {
        ExecutorService callbacks = Executors.newSingleThreadExecutor(r -> new Thread(r, "callback"));
        try {
            HandOffFuture.Inline<String> read = new HandOffFuture.Inline<>(callbacks);
            String[] decodedOn = new String[1];
            String[] userOn = new String[1];
            CompletableFuture<String> decoded = read.thenApply(v -> {
                decodedOn[0] = Thread.currentThread().getName();
                return v.toUpperCase(java.util.Locale.ROOT);
            });
            CompletableFuture<String> user = decoded.whenComplete((v, e) -> userOn[0] = Thread.currentThread().getName());
            Thread io = new Thread(() -> read.complete("value"), "io");
            io.start();
            io.join();
            assertEquals("VALUE", decoded.get(5, TimeUnit.SECONDS));
            user.get(5, TimeUnit.SECONDS);
            assertEquals("io", decodedOn[0]);
            assertEquals("callback", userOn[0]);
        } finally {
            callbacks.shutdownNow();
        }
    }

    @Test
    void callbacksRegisteredBeforeCompletionRunOnTheCallbackThreadInOrder() throws Exception {
        ExecutorService callbacks = Executors.newSingleThreadExecutor(r -> new Thread(r, "callback"));
        try {
            HandOffFuture<String> first = new HandOffFuture<>(callbacks);
            HandOffFuture<String> second = new HandOffFuture<>(callbacks);
            List<String> seen = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> a = first.thenAccept(v -> seen.add(v + "@" + Thread.currentThread().getName()));
            CompletableFuture<Void> b = second.thenAccept(v -> seen.add(v + "@" + Thread.currentThread().getName()));
            CompletableFuture<String> derived = first.thenApply(v -> v + "!");
            String[] derivedOn = new String[1];
            CompletableFuture<String> c = derived.whenComplete((v, e) -> derivedOn[0] = Thread.currentThread().getName());
            Thread io = new Thread(() -> {
                first.complete("one");
                second.complete("two");
            }, "io");
            io.start();
            io.join();
            a.get(5, TimeUnit.SECONDS);
            b.get(5, TimeUnit.SECONDS);
            c.get(5, TimeUnit.SECONDS);
            assertEquals(List.of("one@callback", "two@callback"), seen, "callbacks in completion order, on the callback thread");
            assertEquals("callback", derivedOn[0], "callbacks on derived stages hand off too");
            assertEquals("one", first.get(), "waiters read the value directly");
            String[] ranOn = new String[1];
            first.thenAccept(v -> ranOn[0] = Thread.currentThread().getName());
            assertEquals(Thread.currentThread().getName(), ranOn[0], "after completion a callback runs in the registering thread");
            assertTrue(derived instanceof HandOffFuture);
        } finally {
            callbacks.shutdownNow();
        }
    }
}
