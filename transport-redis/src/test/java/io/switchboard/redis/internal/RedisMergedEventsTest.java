package io.switchboard.redis.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.switchboard.spi.ConnectionEvents;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class RedisMergedEventsTest {
    /** Records what reaches the facade. */
    private static final class Recorder implements ConnectionEvents {
        final List<String> seen = new CopyOnWriteArrayList<>();

        @Override
        public void connected() {
            seen.add("connected");
        }

        @Override
        public void lost(Throwable cause) {
            seen.add("lost");
        }

        @Override
        public void recovered(boolean possibleGap) {
            seen.add("recovered gap=" + possibleGap);
        }
    }

    @Test
    void reportsLostOnceAndRecoveredWhenTheLastMemberIsBack() {
        Recorder out = new Recorder();
        RedisMergedEvents merged = new RedisMergedEvents(out);
        ConnectionEvents a = merged.member("a");
        ConnectionEvents b = merged.member("b");
        a.lost(new RuntimeException("a down"));
        b.lost(new RuntimeException("b down"));
        a.recovered(true);
        assertEquals(List.of("lost"), out.seen, "b is still down");
        b.recovered(false);
        assertEquals(List.of("lost", "recovered gap=true"), out.seen, "an at-most-once transport always reports a possible gap");
    }

    @Test
    void aClosedMemberCountsAsRecovered() {
        Recorder out = new Recorder();
        RedisMergedEvents merged = new RedisMergedEvents(out);
        merged.member(1).lost(new RuntimeException("shard gone"));
        merged.removed(1);
        merged.removed(2);
        assertEquals(List.of("lost", "recovered gap=true"), out.seen);
    }
}
