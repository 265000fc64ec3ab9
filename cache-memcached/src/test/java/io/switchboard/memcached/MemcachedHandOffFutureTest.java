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
    void callbacksRegisteredBeforeCompletionRunOnTheCallbackThreadInOrder() throws Exception {
        ExecutorService callbacks = Executors.newSingleThreadExecutor(r -> new Thread(r, "callback"));
        try {
            HandOffFuture<String> first = new HandOffFuture<>(callbacks);
            HandOffFuture<String> second = new HandOffFuture<>(callbacks);
            List<String> seen = new CopyOnWriteArrayList<>();
            CompletableFuture<String> derived = first.thenApply(v -> v + "!");
            CompletableFuture<String> a = derived.whenComplete((v, e) -> seen.add(v + "@" + Thread.currentThread().getName()));
            CompletableFuture<Void> b = second.thenAccept(v -> seen.add(v + "@" + Thread.currentThread().getName()));
            Thread io = new Thread(() -> {
                first.complete("one");
                second.complete("two");
            }, "io");
            io.start();
            io.join();
            a.get(5, TimeUnit.SECONDS);
            b.get(5, TimeUnit.SECONDS);
            assertEquals(List.of("one!@callback", "two@callback"), seen);
            assertEquals("one", first.get(), "waiters read the value directly");
            String[] ranOn = new String[1];
            first.thenAccept(v -> ranOn[0] = Thread.currentThread().getName());
            assertEquals(Thread.currentThread().getName(), ranOn[0], "after completion a callback runs in the registering thread");
            assertTrue(derived instanceof HandOffFuture, "derived stages hand off too");
        } finally {
            callbacks.shutdownNow();
        }
    }
}
