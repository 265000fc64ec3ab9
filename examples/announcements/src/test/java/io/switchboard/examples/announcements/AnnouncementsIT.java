package io.switchboard.examples.announcements;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.Switchboard;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Instances announcing start and shutdown, on the Redis and RabbitMQ servers of bin/services (and
 * in one JVM on the in-memory transport): two in this JVM, and one in a separate JVM that is sent
 * SIGTERM.
 */
class AnnouncementsIT {
    private final List<AutoCloseable> opened = new ArrayList<>();
    private Process child;

    static Stream<Arguments> transports() {
        return Stream.of(Arguments.of("redis", Map.of("switchboard.transport", "redis", "switchboard.redis.uri", "redis://127.0.0.1:6379")),
                Arguments.of("rabbitmq", Map.of("switchboard.transport", "rabbitmq", "switchboard.rabbitmq.uri",
                        "amqp://guest:guest@127.0.0.1:5672/")));
    }

    static Stream<Arguments> inProcess() {
        return Stream.concat(Stream.of(Arguments.of("memory", Map.of("switchboard.transport", "memory", "switchboard.memory.broker",
                "announce-" + UUID.randomUUID()))), transports());
    }

    @AfterEach
    void closeAll() throws Exception {
        if (child != null && child.isAlive()) {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
    }

    private Announcer announcer(Map<String, Object> settings, String id, List<Announcement> heard) {
        Switchboard sb = Switchboard.open(settings);
        opened.add(sb);
        Announcer a = new Announcer(sb, id, heard::add);
        opened.add(a);
        return a;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inProcess")
    void instancesLearnOfEachOthersStartAndStop(String name, Map<String, Object> settings) {
        String run = UUID.randomUUID().toString().substring(0, 8);
        List<Announcement> heardByA = new CopyOnWriteArrayList<>();
        List<Announcement> heardByB = new CopyOnWriteArrayList<>();
        Announcer a = announcer(settings, "a-" + run, heardByA);
        Announcer b = announcer(settings, "b-" + run, heardByB);
        a.start();
        b.start();
        await(() -> a.others().contains(b.instance()), () -> "A heard of B's start: " + heardByA);
        await(() -> b.others().contains(a.instance()), () -> "B, the newcomer, learned of A from its answer: " + heardByB);
        assertTrue(heardByB.stream().anyMatch(x -> x.instance().equals(a.instance()) && x.event().equals(Announcement.PRESENT)),
                () -> "A answered B's start with 'present': " + heardByB);
        b.stop(Duration.ofSeconds(5));
        await(() -> !a.others().contains(b.instance()), () -> "A heard of B's stop: " + heardByA);
        Announcement last = heardByA.stream().filter(x -> x.instance().equals(b.instance())).reduce((x, y) -> y).orElseThrow();
        assertEquals(Announcement.STOPPING, last.event(), "B's last announcement");
        assertEquals(ProcessHandle.current().pid(), last.pid(), "the announcement carries the sender's pid");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void aProcessSentSigtermAnnouncesItsShutdown(String name, Map<String, Object> settings) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        List<Announcement> heard = new CopyOnWriteArrayList<>();
        Announcer observer = announcer(settings, "observer-" + run, heard);
        observer.start();
        String childId = "child-" + run;
        Path out = Files.createTempFile("announcements-child", ".log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path")));
        settings.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.add(AnnouncementsApp.class.getName());
        command.add(childId);
        child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        await(Duration.ofSeconds(60), () -> observer.others().contains(childId) || !child.isAlive(),
                () -> "the child's start was heard; its output: " + read(out.toFile()));
        assertTrue(child.isAlive(), () -> "the child runs; its output: " + read(out.toFile()));
        await(() -> read(out.toFile()).contains(childId + " heard: " + observer.instance() + " present"),
                () -> "the child learned of the observer; its output: " + read(out.toFile()));
        Announcement start = heard.stream().filter(a -> a.instance().equals(childId)).findFirst().orElseThrow();
        assertEquals(child.pid(), start.pid(), "the start carries the child's pid");

        child.destroy(); // SIGTERM: the JVM runs its shutdown hooks
        await(() -> !observer.others().contains(childId), () -> "the child's shutdown was heard; its output: " + read(out.toFile()));
        assertTrue(heard.stream().anyMatch(a -> a.instance().equals(childId) && a.event().equals(Announcement.STOPPING)), heard::toString);
        assertTrue(child.waitFor(15, TimeUnit.SECONDS), "the child exits after announcing");
        assertEquals(143, child.exitValue(), "exit status of a JVM ended by SIGTERM (128 + 15)");
        Files.deleteIfExists(out);
    }

    private static String read(File f) {
        try {
            return Files.readString(f.toPath());
        } catch (java.io.IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static void await(BooleanSupplier condition, java.util.function.Supplier<String> what) {
        await(Duration.ofSeconds(10), condition, what);
    }

    private static void await(Duration timeout, BooleanSupplier condition, java.util.function.Supplier<String> what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout.toSeconds() + " s: " + what.get());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }
}
