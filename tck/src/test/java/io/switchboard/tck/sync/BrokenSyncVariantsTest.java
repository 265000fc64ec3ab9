package io.switchboard.tck.sync;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;

/**
 * The cache-sync kit tests itself: against each deliberately broken transport of
 * {@link SyncBrokenProviders} it must fail the rule meant to catch that defect. The broken
 * providers are visible only through the context class loader while these contracts run (their
 * service file lives under {@code sync-broken-providers/}), so no other test sees them.
 */
class BrokenSyncVariantsTest {
    abstract static class BrokenContract extends CacheSyncContract {
        private ClassLoader previous;

        @BeforeEach
        void exposeBrokenProviders() {
            URL root = BrokenSyncVariantsTest.class.getClassLoader().getResource("sync-broken-providers/");
            previous = Thread.currentThread().getContextClassLoader();
            Thread.currentThread().setContextClassLoader(new URLClassLoader(new URL[] {root}, BrokenSyncVariantsTest.class.getClassLoader()));
        }

        @AfterEach
        void restoreLoader() {
            Thread.currentThread().setContextClassLoader(previous);
        }

        @Override
        protected Duration syncTimeout() {
            return Duration.ofSeconds(2);
        }
    }

    static class StripsHeadersContract extends BrokenContract {
        @Override
        protected Map<String, Object> properties() {
            return Map.of("switchboard.transport", "sync-strips-headers", "switchboard.cache", "memory", "switchboard.memory.broker", "sync-strips");
        }
    }

    static class SilentCutContract extends BrokenContract {
        @Override
        protected Map<String, Object> properties() {
            return Map.of("switchboard.transport", "sync-silent-cut", "switchboard.cache", "memory", "switchboard.memory.broker", "sync-silent");
        }

        @Override
        protected SyncFaults faults() {
            return new SyncFaults() {
                @Override
                public boolean canInterrupt() {
                    return true;
                }

                @Override
                public void interrupt() {
                    SyncBrokenProviders.SilentCut.cutAll();
                }
            };
        }
    }

    @Test
    @DisplayName("a transport that loses headers fails S1 (announcements reach every instance)")
    void catchesLostHeaders() {
        assertCaughtBy(StripsHeadersContract.class, "S1");
    }

    @Test
    @DisplayName("a transport that loses messages without reporting a gap fails S6 (no stale read after recovery)")
    void catchesUnreportedGap() {
        assertCaughtBy(SilentCutContract.class, "S6");
    }

    private static void assertCaughtBy(Class<?> contract, String rule) {
        Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectClass(contract)).execute().testEvents();
        List<String> failed = tests.failed().stream().map(BrokenSyncVariantsTest::describe).collect(Collectors.toList());
        assertTrue(failed.stream().anyMatch(f -> f.startsWith(rule + " ")), () -> contract.getSimpleName() + " must fail rule " + rule + "; failed: " + failed);
    }

    private static String describe(Event e) {
        String reason = e.getPayload(TestExecutionResult.class).flatMap(TestExecutionResult::getThrowable).map(Throwable::getMessage).orElse("");
        return e.getTestDescriptor().getDisplayName() + " -- " + reason;
    }
}
