package io.switchboard.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;

/**
 * Proves the kit's wiring: JUnit runs the {@code @Nested} rules declared in the abstract bases for
 * a concrete subclass, every numbered rule runs, and a missing hook is an announced skip that
 * names the hook.
 */
class KitDiscoveryTest {
    static class PlainMemory extends MemoryTransportContractTest {
    }

    static class PlainMemoryCache extends MemoryCacheContractTest {
    }

    private static Events transportRun;

    /** One run of the transport contract, shared by the checks below. */
    private static synchronized Events transportRun() {
        if (transportRun == null) {
            transportRun = EngineTestKit.engine("junit-jupiter").selectors(selectClass(PlainMemory.class)).execute().testEvents();
        }
        return transportRun;
    }

    @Test
    @DisplayName("every transport rule T1-T21 runs for a subclass, through the abstract base's @Nested classes")
    void runsEveryTransportRule() {
        Events tests = transportRun();
        assertEquals(0, tests.failed().count(), () -> "failures: " + names(tests.failed().stream().collect(Collectors.toList())));
        Set<String> ran = ruleNumbers(tests.started().stream().collect(Collectors.toList()));
        Set<String> expected = IntStream.rangeClosed(1, 21).mapToObj(i -> "T" + i).collect(Collectors.toCollection(TreeSet::new));
        assertTrue(ran.containsAll(expected), () -> "rules run: " + ran);
    }

    @Test
    @DisplayName("a rule whose hook is missing is an announced skip naming the hook, and nothing else is skipped")
    void missingHookIsAnAnnouncedSkip() {
        Events tests = transportRun();
        List<Event> aborted = tests.aborted().stream().collect(Collectors.toList());
        assertEquals(Set.of("T20", "T21"), ruleNumbers(aborted), "skipped rules");
        for (Event e : aborted) {
            String reason = e.getPayload(TestExecutionResult.class).flatMap(TestExecutionResult::getThrowable).map(Throwable::getMessage)
                    .orElse("");
            assertTrue(reason.matches("rule T2[01] needs the (cutConnections|restartServer)\\(\\) hook, which PlainMemory\\.faults\\(\\) .*"),
                    reason);
        }
        assertEquals(0, tests.skipped().count(), "no rule is disabled");
    }

    @Test
    @DisplayName("every cache rule C1-C14 runs for a subclass")
    void runsEveryCacheRule() {
        Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectClass(PlainMemoryCache.class)).execute().testEvents();
        assertEquals(0, tests.failed().count(), () -> "failures: " + names(tests.failed().stream().collect(Collectors.toList())));
        Set<String> ran = ruleNumbers(tests.started().stream().collect(Collectors.toList()));
        Set<String> expected = IntStream.rangeClosed(1, 14).mapToObj(i -> "C" + i).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(expected, ran, "rules run");
    }

    private static Set<String> ruleNumbers(List<Event> events) {
        return events.stream().map(e -> e.getTestDescriptor().getDisplayName().split(" ")[0]).collect(Collectors.toCollection(TreeSet::new));
    }

    private static List<String> names(List<Event> events) {
        return events.stream().map(e -> e.getTestDescriptor().getDisplayName()).collect(Collectors.toList());
    }
}
