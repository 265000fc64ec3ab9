package io.switchboard.tck;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;

/**
 * The kit tests itself: run against each deliberately broken provider of {@link BrokenProviders},
 * it must fail, and fail the rule meant to catch that defect.
 */
class BrokenVariantsTest {
    /** Short, since the memory provider delivers in microseconds and every broken rule waits this long. */
    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    static class DropsOneMessageContract extends TransportContract {
        @Override
        protected Map<String, Object> properties() {
            return Map.of("switchboard.transport", "broken-drop", "switchboard.memory.broker", "broken-drop");
        }

        @Override
        protected Duration deliveryTimeout() {
            return TIMEOUT;
        }
    }

    static class DeliversOneTwiceContract extends TransportContract {
        @Override
        protected Map<String, Object> properties() {
            return Map.of("switchboard.transport", "broken-duplicate", "switchboard.memory.broker", "broken-duplicate");
        }

        @Override
        protected Duration deliveryTimeout() {
            return TIMEOUT;
        }
    }

    static class IgnoresCloseContract extends TransportContract {
        @Override
        protected Map<String, Object> properties() {
            return Map.of("switchboard.transport", "broken-ignores-close", "switchboard.memory.broker", "broken-ignores-close");
        }

        @Override
        protected Duration deliveryTimeout() {
            return TIMEOUT;
        }
    }

    static class ReordersContract extends TransportContract {
        @Override
        protected Map<String, Object> properties() {
            return Map.of("switchboard.transport", "broken-reorder", "switchboard.memory.broker", "broken-reorder");
        }

        @Override
        protected Duration deliveryTimeout() {
            return TIMEOUT;
        }
    }

    static class NeverResubscribesContract extends TransportContract {
        @Override
        protected Map<String, Object> properties() {
            return Map.of("switchboard.transport", "broken-no-resubscribe", "switchboard.memory.broker", "broken-no-resubscribe");
        }

        @Override
        protected TransportFaults faults() {
            return BrokenProviders.Reconnecting.hooks();
        }

        @Override
        protected Duration deliveryTimeout() {
            return TIMEOUT;
        }
    }

    static class IgnoresTtlContract extends CacheContract {
        @Override
        protected Map<String, Object> properties() {
            return Map.of("switchboard.transport", "memory", "switchboard.cache", "broken-ttl", "switchboard.memory.broker", "broken-ttl");
        }
    }

    @Test
    @DisplayName("a transport that drops one message fails T4 (fan-out, exactly once)")
    void catchesDroppedMessage() {
        assertCaughtBy(DropsOneMessageContract.class, "T4");
    }

    @Test
    @DisplayName("a transport that delivers one message twice fails T4 (fan-out, exactly once)")
    void catchesDuplicateDelivery() {
        assertCaughtBy(DeliversOneTwiceContract.class, "T4");
    }

    @Test
    @DisplayName("a transport that keeps delivering to a closed subscription fails T17 (durable, kept messages arrive as first deliveries)")
    void catchesDeliveryAfterClose() {
        assertCaughtBy(IgnoresCloseContract.class, "T17");
    }

    @Test
    @DisplayName("a transport that reorders messages fails T15 (per-channel ordering)")
    void catchesReordering() {
        assertCaughtBy(ReordersContract.class, "T15");
    }

    @Test
    @DisplayName("a transport that reports RECOVERED without subscribing again fails T20 and T21")
    void catchesLostSubscriptionAfterReconnect() {
        assertCaughtBy(NeverResubscribesContract.class, "T20", "T21");
    }

    @Test
    @DisplayName("a cache that ignores TTLs fails C6 (expiry)")
    void catchesIgnoredTtl() {
        assertCaughtBy(IgnoresTtlContract.class, "C6");
    }

    private static void assertCaughtBy(Class<?> contract, String... rules) {
        Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectClass(contract)).execute().testEvents();
        List<String> failed = tests.failed().stream().map(BrokenVariantsTest::describe).collect(Collectors.toList());
        System.out.println(contract.getSimpleName() + ": " + tests.succeeded().count() + " passed, " + failed.size() + " failed: "
                + failed.stream().map(f -> f.substring(0, Math.min(f.length(), 160))).collect(Collectors.joining("\n  ", "\n  ", "")));
        for (String rule : rules) {
            assertTrue(failed.stream().anyMatch(f -> f.startsWith(rule + " ")),
                    () -> contract.getSimpleName() + " must fail rule " + rule + "; failed: " + failed);
        }
    }

    private static String describe(Event e) {
        String reason = e.getPayload(org.junit.platform.engine.TestExecutionResult.class)
                .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).map(Throwable::getMessage).orElse("");
        return e.getTestDescriptor().getDisplayName() + " -- " + reason;
    }
}
