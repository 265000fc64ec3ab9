package io.switchboard.it.swap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The same application ({@link SwapApp}, which names no provider) run twice in a child JVM on
 * the shared Redis: once with {@code switchboard-transport-redis} on its classpath, once with
 * {@code switchboard-transport-redis-streams} instead. Both handle every message; only the
 * guarantee printed differs. The jars are taken from this test's own classpath.
 */
class SwappingTheJarIT {
    @Test
    void theSameCodeRunsOnRedisPubSub() throws Exception {
        String out = run(e -> isStreams(e) || isOtherTransport(e), Map.of("SWITCHBOARD_REDIS_URI", "redis://127.0.0.1:6379"));
        assertTrue(out.contains("transport=redis guarantee=at-most-once handled=100"), out);
    }

    @Test
    void theSameCodeRunsOnRedisStreamsWithTheStreamsJarInstead() throws Exception {
        String out = run(e -> isPubSub(e) || isOtherTransport(e), Map.of("SWITCHBOARD_REDIS_STREAMS_URI", "redis://127.0.0.1:6379"));
        assertTrue(out.contains("transport=redis-streams guarantee=at-least-once handled=100"), out);
    }

    private static boolean isStreams(String entry) {
        return entry.contains("transport-redis-streams");
    }

    private static boolean isPubSub(String entry) {
        return entry.contains("transport-redis") && !isStreams(entry);
    }

    private static boolean isOtherTransport(String entry) {
        return entry.contains("transport-rabbitmq") || entry.contains("spring") || entry.contains("micrometer")
                || entry.contains("opentelemetry");
    }

    private static String run(Predicate<String> leaveOut, Map<String, String> env) throws Exception {
        String full = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> entries = List.of(full.split(File.pathSeparator));
        assertTrue(entries.stream().anyMatch(SwappingTheJarIT::isStreams) && entries.stream().anyMatch(SwappingTheJarIT::isPubSub),
                "both Redis transports are on this test's classpath: " + full);
        String cp = entries.stream().filter(leaveOut.negate()).collect(Collectors.joining(File.pathSeparator));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", cp,
                SwapApp.class.getName(), "swap.app-" + UUID.randomUUID().toString().substring(0, 8)));
        Path log = Files.createTempFile("swap-app-", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("SWITCHBOARD_"));
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the application did not finish within 60 s: " + Files.readString(log));
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "the application's exit status; output: " + out);
        return out;
    }
}
