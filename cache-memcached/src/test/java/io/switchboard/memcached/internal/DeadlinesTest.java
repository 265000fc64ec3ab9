package io.switchboard.memcached.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class DeadlinesTest {
    /** A tracked operation whose expiry records its name and fails its result. */
    private static final class Op extends Deadlines.Tracked {
        final String name;
        final CompletableFuture<Void> result = new CompletableFuture<>();
        final List<String> expired;

        Op(String name, List<String> expired) {
            this.name = name;
            this.expired = expired;
        }

        @Override
        protected boolean isDone() {
            return result.isDone();
        }

        @Override
        protected void expire() {
            expired.add(name);
            result.completeExceptionally(new IllegalStateException("timed out"));
        }
    }

    @Test
    void keepsPendingOperationsUntilTheirDeadlineAndExpiresOnlyTheUnfinishedInOrder() throws Exception {
        List<String> expired = new ArrayList<>();
        Deadlines d = new Deadlines(3_000_000_000L);
        for (int i = 0; i < 5000; i++) {
            Op op = new Op("k" + i, expired);
            d.track(op);
            if (i % 3 != 0) {
                op.result.complete(null);
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
        Deadlines d = new Deadlines(60_000_000_000L);
        Op done = new Op("a", expired);
        done.result.complete(null);
        d.track(done);
        d.track(new Op("b", expired));
        d.expireAll();
        assertEquals(List.of("b"), expired);
        assertEquals(0, d.size());
    }
}
