package io.switchboard.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.switchboard.Capability;
import io.switchboard.spi.CacheDriver;
import io.switchboard.spi.InboundDelivery;
import io.switchboard.spi.Transport;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;

/**
 * Proves the kit's wiring: JUnit runs the {@code @Nested} rules declared in the abstract bases for
 * a concrete subclass, every numbered rule runs and carries its number as a tag, every pair of
 * capabilities has a rule, a missing hook is an announced skip that names the hook, and the
 * forwarding base classes forward every method of their SPI interface.
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
    @DisplayName("every transport rule runs for a subclass, through the abstract base's @Nested classes, and passes on memory")
    void runsEveryTransportRule() {
        Events tests = transportRun();
        assertEquals(0, tests.failed().count(), () -> "failures: " + describe(tests.failed().stream().collect(Collectors.toList())));
        Set<String> ran = ruleNumbers(tests.started().stream().collect(Collectors.toList()));
        Set<String> expected = IntStream.rangeClosed(1, 28).filter(i -> i != 22).mapToObj(i -> "T" + i).collect(Collectors.toCollection(TreeSet::new));
        // Memory declares every capability but survives-restart: every pair without it runs.
        for (String pair : List.of("T30", "T31", "T32", "T33", "T34", "T36", "T37", "T38", "T39", "T41", "T42", "T43", "T45", "T46", "T48")) {
            expected.add(pair);
        }
        IntStream.rangeClosed(1, 11).forEach(i -> expected.add("R" + i));
        assertEquals(expected, ran, "rules run");
    }

    @Test
    @DisplayName("a rule whose hook is missing is an announced skip naming the hook, and nothing else is skipped")
    void missingHookIsAnAnnouncedSkip() {
        Events tests = transportRun();
        List<Event> aborted = tests.aborted().stream().collect(Collectors.toList());
        assertEquals(Set.of("T20", "T21", "T24", "R11"), ruleNumbers(aborted), "skipped rules");
        for (Event e : aborted) {
            String reason = e.getPayload(TestExecutionResult.class).flatMap(TestExecutionResult::getThrowable).map(Throwable::getMessage)
                    .orElse("");
            assertTrue(reason.matches("rule (T2[014]|R11) needs the (cutConnections\\(\\)|restartServer\\(\\)|stopServer\\(\\)/startServer\\(\\)) hook, "
                    + "which PlainMemory\\.faults\\(\\) does not offer .*"), reason);
        }
        assertEquals(0, tests.skipped().count(), "no rule is disabled");
    }

    @Test
    @DisplayName("every rule carries its number as a JUnit tag, so -Dgroups selects it")
    void everyRuleIsTagged() {
        List<Event> all = new ArrayList<>(transportRun().started().stream().collect(Collectors.toList()));
        all.addAll(run(PlainMemoryCache.class).started().stream().collect(Collectors.toList()));
        all.addAll(run(io.switchboard.tck.sync.MemoryCacheSyncContractTest.class).started().stream().collect(Collectors.toList()));
        for (Event e : all) {
            String rule = e.getTestDescriptor().getDisplayName().split(" ")[0];
            // A dynamic rule carries the tags of the @TestFactory that generates it.
            Set<String> tags = new TreeSet<>();
            for (Optional<TestDescriptor> d = Optional.of(e.getTestDescriptor()); d.isPresent(); d = d.get().getParent()) {
                d.get().getTags().forEach(t -> tags.add(t.getName()));
            }
            assertTrue(tags.contains(rule), () -> "'" + e.getTestDescriptor().getDisplayName() + "' has tags " + tags + ", not " + rule);
        }
        Events t4 = EngineTestKit.engine("junit-jupiter").selectors(selectClass(PlainMemory.class)).filters(TagFilter.includeTags("T4", "T15"))
                .execute().testEvents();
        assertEquals(Set.of("T4", "T15"), ruleNumbers(t4.started().stream().collect(Collectors.toList())), "rules run with tags T4 and T15");
    }

    @Test
    @DisplayName("every pair of capabilities has a combination rule, numbered T30 onwards in the enum's order")
    void everyPairOfCapabilitiesHasARule() {
        Set<String> tags = new TreeSet<>();
        collectTags(TransportContract.class, tags);
        Capability[] all = Capability.values();
        int number = 30;
        for (int i = 0; i < all.length; i++) {
            for (int j = i + 1; j < all.length; j++) {
                String id = "T" + number++;
                Capability a = all[i];
                Capability b = all[j];
                assertTrue(tags.contains(id), () -> "no rule " + id + " for " + a.key() + " + " + b.key() + "; add one to TransportContract");
            }
        }
    }

    private static void collectTags(Class<?> type, Set<String> tags) {
        for (Method m : type.getDeclaredMethods()) {
            if (m.isAnnotationPresent(Test.class) || m.isAnnotationPresent(TestFactory.class)) {
                for (Tag t : m.getAnnotationsByType(Tag.class)) {
                    tags.add(t.value());
                }
            }
        }
        for (Class<?> inner : type.getDeclaredClasses()) {
            if (inner.isAnnotationPresent(Nested.class)) {
                collectTags(inner, tags);
            }
        }
    }

    @Test
    @DisplayName("every cache rule C1-C23 runs for a subclass; the fault rules are announced skips without hooks")
    void runsEveryCacheRule() {
        Events tests = run(PlainMemoryCache.class);
        assertEquals(0, tests.failed().count(), () -> "failures: " + describe(tests.failed().stream().collect(Collectors.toList())));
        Set<String> ran = ruleNumbers(tests.started().stream().collect(Collectors.toList()));
        Set<String> expected = IntStream.rangeClosed(1, 23).mapToObj(i -> "C" + i).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(expected, ran, "rules run");
        assertEquals(Set.of("C21", "C22", "C23"), ruleNumbers(tests.aborted().stream().collect(Collectors.toList())), "skipped rules");
    }

    @Test
    @DisplayName("every sync rule S1-S11 runs for a subclass; the gap rules are announced skips without hooks")
    void runsEverySyncRule() {
        Events tests = run(io.switchboard.tck.sync.MemoryCacheSyncContractTest.class);
        assertEquals(0, tests.failed().count(), () -> "failures: " + describe(tests.failed().stream().collect(Collectors.toList())));
        Set<String> expected = IntStream.rangeClosed(1, 11).mapToObj(i -> "S" + i).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(expected, ruleNumbers(tests.started().stream().collect(Collectors.toList())), "rules run");
        assertEquals(Set.of("S6", "S10", "S11"), ruleNumbers(tests.aborted().stream().collect(Collectors.toList())), "skipped rules");
    }

    @Test
    @DisplayName("with the simulated connection's hooks, no rule of any contract is skipped")
    void simulatedConnectionRunsEveryFaultRule() {
        for (Class<?> c : List.of(SimulatedTransportContractTest.class, SimulatedCacheContractTest.class,
                io.switchboard.tck.sync.SimulatedCacheSyncContractTest.class)) {
            Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectClass(c)).filters(TagFilter.includeTags("faults")).execute()
                    .testEvents();
            assertEquals(Set.of(), ruleNumbers(tests.aborted().stream().collect(Collectors.toList())), () -> c.getSimpleName() + " skipped "
                    + describe(tests.aborted().stream().collect(Collectors.toList())));
            assertEquals(0, tests.failed().count(), () -> c.getSimpleName() + " failed " + describe(tests.failed().stream()
                    .collect(Collectors.toList())));
            assertTrue(tests.started().count() >= 2, () -> c.getSimpleName() + " ran " + tests.started().count() + " fault rules");
        }
    }

    @Test
    @DisplayName("the forwarding base classes forward every method of their SPI interface, default methods included")
    void forwardingClassesForwardEverything() {
        for (Map.Entry<Class<?>, Class<?>> e : Map.<Class<?>, Class<?>>of(Transport.class, ForwardingTransport.class,
                InboundDelivery.class, ForwardingInboundDelivery.class, CacheDriver.class, ForwardingCacheDriver.class).entrySet()) {
            for (Method m : e.getKey().getMethods()) {
                if (Modifier.isStatic(m.getModifiers())) {
                    continue;
                }
                try {
                    Method own = e.getValue().getDeclaredMethod(m.getName(), m.getParameterTypes());
                    assertTrue(Modifier.isPublic(own.getModifiers()), () -> own + " is public");
                } catch (NoSuchMethodException missing) {
                    throw new AssertionError(e.getValue().getSimpleName() + " does not forward " + m);
                }
            }
        }
    }

    private static Events run(Class<?> contract) {
        return EngineTestKit.engine("junit-jupiter").selectors(selectClass(contract)).execute().testEvents();
    }

    private static Set<String> ruleNumbers(List<Event> events) {
        return events.stream().map(e -> e.getTestDescriptor().getDisplayName().split(" ")[0]).filter(n -> n.matches("[TCSR]\\d+"))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static List<String> describe(List<Event> events) {
        return events.stream().map(e -> e.getTestDescriptor().getDisplayName() + " -- " + e.getPayload(TestExecutionResult.class)
                .flatMap(TestExecutionResult::getThrowable).map(Throwable::toString).orElse("")).collect(Collectors.toList());
    }
}
