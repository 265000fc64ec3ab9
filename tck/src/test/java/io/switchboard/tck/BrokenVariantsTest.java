package io.switchboard.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.switchboard.tck.BrokenProviders.Bug;
import io.switchboard.tck.BrokenProviders.Layout;
import io.switchboard.tck.sync.CacheSyncContract;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;

/**
 * The kit tests itself: against each deliberately broken provider of {@link BrokenProviders} it
 * runs the rules that bug must break (selected by their tags) and asserts that each of them
 * fails. A bug that every rule lets through fails this test, so CI fails. The honest providers
 * pass the whole kit in the other tests of this package.
 */
class BrokenVariantsTest {
    /** Short, since the memory provider delivers in microseconds and every broken rule waits this long. */
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    /** The bug the contracts below run against; set before each run, read by their {@code properties()}. */
    private static volatile Bug current;

    /** The settings for a broken provider with {@code bug}, wrapped in {@code connection} when the bug needs fault hooks. */
    static Map<String, Object> brokenSettings(Bug bug, SimulatedConnection connection, String broker) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("switchboard.memory.broker", broker);
        p.put(BrokenProviders.BUG_KEY, bug.name());
        boolean brokenTransport = bug.kind == BrokenProviders.Kind.TRANSPORT || bug.kind == BrokenProviders.Kind.SYNC;
        boolean brokenCache = bug.kind != BrokenProviders.Kind.TRANSPORT;
        boolean cache = brokenCache;
        if (bug.layout == Layout.OVER) {
            p.put("switchboard.transport", "memory");
            if (cache) {
                p.put("switchboard.cache", "memory");
            }
            p = connection.around(p);
            if (brokenTransport) {
                p.put("switchboard.transport", "broken");
            }
            if (brokenCache) {
                p.put("switchboard.cache", "broken");
            }
            p.put(BrokenProviders.INNER_KEY, SimulatedConnection.NAME);
            return p;
        }
        p.put("switchboard.transport", brokenTransport ? "broken" : "memory");
        if (cache) {
            p.put("switchboard.cache", "broken");
        }
        p.put(BrokenProviders.INNER_KEY, bug.inner());
        return bug.layout == Layout.UNDER ? connection.around(p) : p;
    }

    static final class BrokenTransport extends TransportContract {
        private final SimulatedConnection connection = new SimulatedConnection();
        private final String broker = "broken-" + UUID.randomUUID();

        @Override
        protected Map<String, Object> properties() {
            return brokenSettings(current, connection, broker);
        }

        @Override
        protected Faults faults() {
            return current.layout == Layout.PLAIN ? Faults.none() : connection.faults();
        }

        @Override
        protected Duration timeout() {
            return TIMEOUT;
        }
    }

    static final class BrokenCache extends CacheContract {
        private final SimulatedConnection connection = new SimulatedConnection();
        private final String broker = "broken-" + UUID.randomUUID();

        @Override
        protected Map<String, Object> properties() {
            return brokenSettings(current, connection, broker);
        }

        @Override
        protected Faults faults() {
            return current.layout == Layout.PLAIN ? Faults.none() : connection.faults();
        }

        @Override
        protected Duration timeout() {
            return TIMEOUT;
        }
    }

    static final class BrokenSession extends SessionCacheContract {
        private final SimulatedConnection connection = new SimulatedConnection();
        private final String broker = "broken-" + UUID.randomUUID();

        @Override
        protected Map<String, Object> properties() {
            return brokenSettings(current, connection, broker);
        }

        @Override
        protected Duration timeout() {
            return TIMEOUT;
        }
    }

    static final class BrokenSync extends CacheSyncContract {
        private final SimulatedConnection connection = new SimulatedConnection();
        private final String broker = "broken-" + UUID.randomUUID();

        @Override
        protected Map<String, Object> properties() {
            return brokenSettings(current, connection, broker);
        }

        @Override
        protected Faults faults() {
            return current.layout == Layout.PLAIN ? Faults.none() : connection.faults();
        }

        @Override
        protected Duration timeout() {
            return TIMEOUT;
        }
    }

    @TestFactory
    @DisplayName("every deliberately broken provider fails the rules meant to catch it")
    Stream<DynamicTest> everyBugIsCaught() {
        return Arrays.stream(Bug.values()).map(bug -> DynamicTest.dynamicTest(bug.name() + " (" + bug.description + ") is caught by "
                + String.join(", ", bug.rules), () -> assertCaught(bug)));
    }

    @Test
    @DisplayName("tck/README.md lists every broken provider, its group and the rules that catch it, and no other")
    void readmeListsEveryBug() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("README.md"));
        int header = lines.indexOf("| Broken provider | Group | The author's mistake | Caught by |");
        assertTrue(header >= 0, "tck/README.md has the table of broken providers");
        List<String> rows = lines.subList(header + 2, lines.size()).stream().takeWhile(l -> l.startsWith("| `")).collect(Collectors.toList());
        for (Bug bug : Bug.values()) {
            String start = "| `" + bug.name() + "` | " + bug.group() + " | ";
            String end = " | " + String.join(", ", bug.rules) + " |";
            assertTrue(rows.stream().anyMatch(r -> r.startsWith(start) && r.endsWith(end)), () -> "tck/README.md has no row '" + start
                    + "..." + end + "'");
        }
        assertEquals(Bug.values().length, rows.size(), "rows of broken providers in tck/README.md");
        assertTrue(Bug.values().length >= 40, "at least 40 broken providers");
    }

    private static Class<?> contractFor(Bug bug) {
        switch (bug.kind) {
            case TRANSPORT:
                return BrokenTransport.class;
            case CACHE:
                return BrokenCache.class;
            case SESSION:
                return BrokenSession.class;
            default:
                return BrokenSync.class;
        }
    }

    private static synchronized void assertCaught(Bug bug) throws Exception {
        current = bug;
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        URL root = BrokenVariantsTest.class.getClassLoader().getResource("broken-providers/");
        Events tests;
        try (URLClassLoader withBroken = new URLClassLoader(new URL[] {root}, BrokenVariantsTest.class.getClassLoader())) {
            // The broken providers are visible only here, so that no other test's Switchboard ever picks one.
            thread.setContextClassLoader(withBroken);
            tests = EngineTestKit.engine("junit-jupiter").selectors(selectClass(contractFor(bug)))
                    .filters(TagFilter.includeTags(bug.rules)).execute().testEvents();
        } finally {
            thread.setContextClassLoader(previous);
            current = null;
        }
        List<String> started = tests.started().stream().map(e -> e.getTestDescriptor().getDisplayName()).collect(Collectors.toList());
        List<String> failed = tests.failed().stream().map(BrokenVariantsTest::describe).collect(Collectors.toList());
        List<String> aborted = tests.aborted().stream().map(BrokenVariantsTest::describe).collect(Collectors.toList());
        System.out.println(bug + ": ran " + started.size() + ", failed " + failed.size() + ": "
                + failed.stream().map(f -> f.substring(0, Math.min(f.length(), 240))).collect(Collectors.joining("\n  ", "\n  ", "")));
        for (String rule : bug.rules) {
            assertTrue(started.stream().anyMatch(n -> n.startsWith(rule + " ")), () -> bug + ": no rule tagged " + rule + " ran; ran " + started
                    + ", aborted " + aborted);
            assertTrue(failed.stream().anyMatch(f -> f.startsWith(rule + " ")), () -> bug + " (" + bug.description + ") escaped rule " + rule
                    + ": ran " + started + ", failed " + failed + ", aborted " + aborted);
        }
    }

    private static String describe(Event e) {
        String reason = e.getPayload(TestExecutionResult.class).flatMap(TestExecutionResult::getThrowable).map(Throwable::getMessage).orElse("");
        return e.getTestDescriptor().getDisplayName() + " -- " + reason;
    }
}
