package io.switchboard.memcached.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class DeadlinesTest {
    @Test
    void keepsPendingOperationsUntilTheirDeadlineAndExpiresOnlyTheUnfinishedInOrder() throws Exception {
        List<String> expired = new ArrayList<>();
        Deadlines d = new Deadlines(3_000_000_000L, (key, sk, op, result) -> {
            expired.add(key);
            result.completeExceptionally(new IllegalStateException("timed out"));
        });
        List<CompletableFuture<Void>> results = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            CompletableFuture<Void> r = new CompletableFuture<>();
            results.add(r);
            d.track("k" + i, "sk" + i, r, r);
            if (i % 3 != 0) {
                r.complete(null);
            }
            if (i == 700) {
                d.sweep(); // a sweep in the middle drops the completed head and keeps the rest
            }
        }
        d.sweep();
        assertEquals(List.of(), expired, "nothing is overdue yet");
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (d.size() > 0 && System.nanoTime() < deadline) {
            d.sweep();
            Thread.onSpinWait();
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 5000; i += 3) {
            expected.add("k" + i);
        }
        assertEquals(expected, expired);
        assertEquals(0, d.size());
    }

    @Test
    void expireAllFailsWhatIsStillPendingAtClose() {
        List<String> expired = new ArrayList<>();
        Deadlines d = new Deadlines(60_000_000_000L, (key, sk, op, result) -> expired.add(key + "@" + sk));
        CompletableFuture<Void> done = CompletableFuture.completedFuture(null);
        CompletableFuture<Void> pending = new CompletableFuture<>();
        d.track("a", "ns:a", done, done);
        d.track("b", "ns:b", pending, pending);
        d.expireAll();
        assertEquals(List.of("b@ns:b"), expired);
        assertEquals(0, d.size());
    }
}
