package io.switchboard.rabbitmq;

import static io.switchboard.rabbitmq.RabbitMqTests.await;
import static io.switchboard.rabbitmq.RabbitMqTests.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Connection;
import io.switchboard.ConnectionEvent;
import io.switchboard.Delivery;
import io.switchboard.Message;
import io.switchboard.SubscriptionOptions;
import io.switchboard.Switchboard;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real faults on a private RabbitMQ node: kill -9 of the broker and of a consumer process, cut connections. */
class RabbitMqFaultIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static PrivateRabbitMqNode node;
    private final List<Switchboard> opened = new ArrayList<>();
    private final List<ConnectionEvent> events = new CopyOnWriteArrayList<>();
    private String prefix;

    @BeforeAll
    static void startNode() throws Exception {
        node = PrivateRabbitMqNode.start();
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        node.ensureRunning();
        prefix = unique("fault");
    }

    @AfterEach
    void tearDown() {
        for (Switchboard sb : opened) {
            sb.close(Duration.ofSeconds(5));
        }
    }

    private Switchboard open(Map<String, Object> extra) {
        Map<String, Object> p = RabbitMqTests.properties(node.uri(), prefix);
        p.putAll(extra);
        Switchboard sb = Switchboard.builder().properties(p).connectionListener(events::add).open();
        opened.add(sb);
        return sb;
    }

    private Switchboard open() {
        return open(Map.of());
    }

    private static long count(List<ConnectionEvent> events, ConnectionEvent.Type type) {
        return events.stream().filter(e -> e.type() == type).count();
    }

    @Test
    void everyConfirmedMessageIsDeliveredAfterKill9OfTheBrokerMidStream() throws Exception {
        Switchboard sub = open();
        Switchboard pub = open();
        String channel = unique("stream");
        int total = 10_000;
        Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
        sub.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(unique("durable")),
                d -> received.computeIfAbsent(d.message().id(), k -> new AtomicInteger()).incrementAndGet());
        Set<String> confirmed = ConcurrentHashMap.newKeySet();
        Set<String> failed = ConcurrentHashMap.newKeySet();
        AtomicReference<Throwable> unexpected = new AtomicReference<>();
        Thread producer = new Thread(() -> {
            try {
                for (int i = 0; i < total; i++) {
                    String id = "m-" + i;
                    pub.publisher().publish(channel, Message.builder().id(id).payload(new byte[256]).build())
                            .whenComplete((ok, e) -> (e == null ? confirmed : failed).add(id));
                    if (i % 100 == 0) {
                        Thread.sleep(5);
                    }
                }
            } catch (Throwable t) {
                unexpected.set(t);
            }
        });
        producer.start();
        await(WAIT, () -> confirmed.size() >= 3000, "3000 confirms before the kill");
        node.kill9();
        Thread.sleep(500);
        node.restart();
        producer.join(TimeUnit.SECONDS.toMillis(120));
        assertFalse(producer.isAlive(), "producer finished");
        assertEquals(null, unexpected.get());
        await(WAIT, () -> confirmed.size() + failed.size() == total, "every publish completed");
        int failedFirstTime = failed.size();
        for (int round = 0; !failed.isEmpty() && round < 100; round++) {
            List<CompletableFuture<Void>> again = new ArrayList<>();
            for (String id : new ArrayList<>(failed)) {
                again.add(pub.publisher().publish(channel, Message.builder().id(id).payload(new byte[256]).build()).toCompletableFuture()
                        .whenComplete((ok, e) -> {
                            if (e == null) {
                                failed.remove(id);
                                confirmed.add(id);
                            }
                        }));
            }
            for (CompletableFuture<Void> f : again) {
                f.handle((ok, e) -> null).get(60, TimeUnit.SECONDS);
            }
            if (!failed.isEmpty()) {
                Thread.sleep(300);
            }
        }
        assertEquals(total, confirmed.size(), "every message confirmed in the end");
        await(WAIT, () -> received.keySet().containsAll(confirmed), "every confirmed message delivered; missing "
                + missing(confirmed, received.keySet()));
        long duplicates = received.values().stream().mapToInt(AtomicInteger::get).filter(n -> n > 1).mapToLong(n -> n - 1).sum();
        int lost = missing(confirmed, received.keySet()).size();
        System.out.printf("kill -9 of the broker mid-stream: %d messages, %d publishes failed and were republished, "
                + "lost %d, duplicates %d%n", total, failedFirstTime, lost, duplicates);
        assertEquals(0, lost);
        assertTrue(count(events, ConnectionEvent.Type.RECOVERED) >= 2, "both instances recovered: " + events);
    }

    private static Set<String> missing(Set<String> expected, Set<String> got) {
        Set<String> m = new HashSet<>(expected);
        m.removeAll(got);
        return m;
    }

    @Test
    void unacknowledgedMessagesOfAKilledConsumerProcessReachTheOtherOne() throws Exception {
        String channel = unique("shared");
        String name = unique("workers");
        Path dir = Files.createTempDirectory("sb-consumers-");
        List<Process> children = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                        System.getProperty("java.class.path"), RabbitMqConsumerProcess.class.getName(), node.uri(), prefix, channel, name,
                        dir.resolve("consumer-" + i + ".log").toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
                children.add(p);
            }
            for (Process p : children) {
                BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                String line = r.readLine();
                assertEquals("READY", line, "consumer process started");
            }
            Switchboard pub = open();
            int total = 400;
            for (int i = 0; i < total; i++) {
                pub.publisher().publish(channel, Message.builder().id("w-" + i).text("work").build());
            }
            Path victimLog = dir.resolve("consumer-0.log");
            Path survivorLog = dir.resolve("consumer-1.log");
            await(WAIT, () -> lines(victimLog, "done ").size() >= 20, "the first consumer handled some");
            children.get(0).destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            Set<String> victimGot = lines(victimLog, "got ");
            Set<String> victimDone = lines(victimLog, "done ");
            Set<String> inFlight = new HashSet<>(victimGot);
            inFlight.removeAll(victimDone);
            await(WAIT, () -> {
                Set<String> all = new HashSet<>(victimDone);
                all.addAll(lines(survivorLog, "done "));
                return all.size() == total;
            }, "every message handled by one of the two");
            Set<String> survivorDone = lines(survivorLog, "done ");
            assertTrue(survivorDone.containsAll(inFlight), "the survivor handled what the killed one had in flight: " + inFlight);
            System.out.printf("consumer process killed with %d message(s) in its handler and up to 20 prefetched; "
                    + "survivor handled %d, all %d handled%n", inFlight.size(), survivorDone.size(), total);
        } finally {
            for (Process p : children) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            try (var files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private static Set<String> lines(Path file, String kind) {
        try {
            Set<String> s = new HashSet<>();
            if (!Files.exists(file)) {
                return s;
            }
            for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (l.startsWith(kind)) {
                    s.add(l.substring(kind.length()));
                }
            }
            return s;
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void acksOfDeliveriesFromBeforeARecoveryAreHarmlessAndConsumersRestart() throws Exception {
        Switchboard sb = open();
        String channel = unique("stale");
        CountDownLatch release = new CountDownLatch(1);
        Map<String, List<Delivery>> got = new ConcurrentHashMap<>();
        sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(unique("d")).concurrency(5), d -> {
            got.computeIfAbsent(d.message().text(), k -> new CopyOnWriteArrayList<>()).add(d);
            if (d.message().text().startsWith("before")) {
                release.await(30, TimeUnit.SECONDS);
            }
        });
        for (int i = 0; i < 5; i++) {
            sb.publisher().publishText(channel, "before-" + i).toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        await(WAIT, () -> got.size() == 5, "5 handlers blocked on deliveries from the first connection");
        Connection first = sb.unwrap(Connection.class);
        node.closeAllConnections();
        await(WAIT, () -> count(events, ConnectionEvent.Type.RECOVERED) == 1, "recovered: " + events);
        Connection second = sb.unwrap(Connection.class);
        assertNotSame(first, second);
        release.countDown();
        for (int i = 0; i < 20; i++) {
            sb.publisher().publishText(channel, "after-" + i).toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        await(WAIT, () -> got.keySet().stream().filter(k -> k.startsWith("after")).count() == 20, "consumer restarted on the new connection");
        await(WAIT, () -> got.keySet().stream().filter(k -> k.startsWith("before")).allMatch(k -> got.get(k).size() >= 2),
                "deliveries whose acks went stale are redelivered");
        assertTrue(second.isOpen(), "stale acks did not close the new connection");
        assertEquals(1, count(events, ConnectionEvent.Type.RECOVERED), "no further recovery: " + events);
        assertTrue(events.stream().filter(e -> e.type() == ConnectionEvent.Type.RECOVERED).noneMatch(ConnectionEvent::possibleGap),
                "durable only: no gap");
        assertEquals(1, got.get("before-0").get(1).attempt(), "a broker redelivery keeps the attempt number");
        assertTrue(got.get("before-0").get(1).redelivered(), "flagged as redelivered");
    }

    @Test
    void subscriptionsMadeWhileTheBrokerIsDownStartWhenItReturnsAndTransientOnesReportAGap() throws Exception {
        Switchboard sb = open();
        String channel = unique("later");
        Set<String> transientGot = ConcurrentHashMap.newKeySet();
        sb.subscriber().subscribe(channel, d -> transientGot.add(d.message().text()));
        node.kill9();
        await(WAIT, () -> count(events, ConnectionEvent.Type.LOST) == 1, "lost");
        Set<String> laterGot = ConcurrentHashMap.newKeySet();
        sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(unique("made-while-down")), d -> laterGot.add(d.message().text()));
        node.restart();
        await(WAIT, () -> count(events, ConnectionEvent.Type.RECOVERED) == 1, "recovered: " + events);
        assertTrue(events.stream().filter(e -> e.type() == ConnectionEvent.Type.RECOVERED).allMatch(ConnectionEvent::possibleGap),
                "a transient subscription lost its queue: possible gap");
        sb.publisher().publishText(channel, "after").toCompletableFuture().get(10, TimeUnit.SECONDS);
        await(WAIT, () -> laterGot.contains("after") && transientGot.contains("after"), "both subscriptions receive");
    }

    @Test
    void publishesFailFastWithBrokerBlockedDuringAMemoryAlarmAndResumeAfterwards() throws Exception {
        Switchboard sb = open();
        String channel = unique("alarm");
        Set<String> got = ConcurrentHashMap.newKeySet();
        sb.subscriber().subscribe(channel, d -> got.add(d.message().text()));
        sb.publisher().publishText(channel, "before").toCompletableFuture().get(10, TimeUnit.SECONDS);
        try {
            node.raiseMemoryAlarm();
            // The broker blocks a connection when it next publishes: the first publish is the one
            // that finds out, and must not wait out the confirm timeout (30 s) for that.
            long start = System.nanoTime();
            CompletableFuture<Void> first = sb.publisher().publishText(channel, "first").toCompletableFuture();
            long firstCall = millisSince(start);
            java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                    java.util.concurrent.ExecutionException.class, () -> first.get(5, TimeUnit.SECONDS));
            long firstFailed = millisSince(start);
            assertBrokerBlocked(e.getCause());
            assertEquals("DEGRADED", sb.health().components().get("transport").status().name(), "health shows the block");
            start = System.nanoTime();
            CompletableFuture<Void> second = sb.publisher().publishText(channel, "second").toCompletableFuture();
            long secondCall = millisSince(start);
            assertTrue(second.isCompletedExceptionally(), "a publish while blocked fails at once");
            assertBrokerBlocked(org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class, second::get).getCause());
            start = System.nanoTime();
            CompletableFuture<Void> fresh = sb.publisher().publishText(unique("fresh"), "x").toCompletableFuture();
            long freshCall = millisSince(start);
            assertTrue(fresh.isCompletedExceptionally(), "a publish to a new channel while blocked fails at once");
            System.out.printf("memory alarm: first publish returned in %d ms and failed after %d ms; later publishes returned in "
                    + "%d ms (known channel) and %d ms (new channel), already failed%n", firstCall, firstFailed, secondCall, freshCall);
            assertTrue(firstCall < 200 && secondCall < 200 && freshCall < 200, "publish() returned in " + firstCall + ", "
                    + secondCall + ", " + freshCall + " ms");
            assertTrue(firstFailed < 2000, "the first publish failed after " + firstFailed + " ms");
        } finally {
            node.clearMemoryAlarm();
        }
        await(WAIT, () -> "UP".equals(sb.health().components().get("transport").status().name()), "unblocked");
        sb.publisher().publishText(channel, "after").toCompletableFuture().get(10, TimeUnit.SECONDS);
        await(WAIT, () -> got.contains("after"), "publishing resumed");
    }

    @Test
    void consumersGoOnConsumingAndAcknowledgingWhileTheBrokerBlocksTheSameInstancesPublishing() throws Exception {
        // A memory alarm blocks connections that publish: before the split, the one connection
        // that also carried this instance's consumers and their acks.
        Switchboard sb = open(Map.of("switchboard.subscriber.prefetch", "20"));
        String channel = unique("drain");
        String name = unique("drain-sub");
        CountDownLatch gate = new CountDownLatch(1);
        Set<String> handled = ConcurrentHashMap.newKeySet();
        sb.subscriber().subscribe(channel, SubscriptionOptions.defaults().durable(name), d -> {
            gate.await(60, TimeUnit.SECONDS);
            handled.add(d.message().text());
        });
        int total = 500;
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            sent.add(sb.publisher().publishText(channel, "m" + i).toCompletableFuture());
        }
        CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
        String queue = prefix + ".sub." + name;
        long drained;
        try {
            node.raiseMemoryAlarm();
            Throwable blocked = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> sb.publisher().publishText(channel, "while-blocked").toCompletableFuture().get(10, TimeUnit.SECONDS)).getCause();
            assertBrokerBlocked(blocked);
            long start = System.nanoTime();
            gate.countDown();
            try {
                await(WAIT, () -> handled.size() == total, "every kept message handled while the alarm lasts");
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; handled " + handled.size() + " of " + total, e);
            }
            await(WAIT, () -> {
                try {
                    int[] counts = node.queueCounts(queue);
                    return counts != null && counts[0] == 0 && counts[1] == 0;
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
            }, "the broker got every acknowledgement while the alarm lasts");
            drained = millisSince(start);
            assertEquals("DEGRADED", sb.health().components().get("transport").status().name(), "still blocked");
        } finally {
            node.clearMemoryAlarm();
        }
        System.out.printf("memory alarm: one instance's consumer handled and acknowledged %d kept messages in %d ms while its "
                + "publishing connection was blocked%n", total, drained);
    }

    private static void assertBrokerBlocked(Throwable t) {
        assertTrue(t instanceof io.switchboard.PublishException && ((io.switchboard.PublishException) t).isRetryable(), String.valueOf(t));
        assertTrue(t.getMessage().contains("broker blocked: "), t.getMessage());
    }

    @Test
    void publishNeverWaitsForAFrozenBrokerAndFailsWithinTheConfirmTimeout() throws Exception {
        Switchboard sb = open(Map.of("switchboard.rabbitmq.confirm-timeout", "2s"));
        String known = unique("known");
        sb.publisher().publishText(known, "warm-up").toCompletableFuture().get(10, TimeUnit.SECONDS);
        long toNewCall;
        long toKnownCall;
        long toNewFailed;
        long toKnownFailed;
        node.freeze();
        try {
            long start = System.nanoTime();
            CompletableFuture<Void> toNew = sb.publisher().publishText(unique("new"), "x").toCompletableFuture();
            toNewCall = millisSince(start);
            long start2 = System.nanoTime();
            CompletableFuture<Void> toKnown = sb.publisher().publishText(known, "y").toCompletableFuture();
            toKnownCall = millisSince(start2);
            Throwable e1 = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> toNew.get(20, TimeUnit.SECONDS)).getCause();
            toNewFailed = millisSince(start);
            Throwable e2 = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> toKnown.get(20, TimeUnit.SECONDS)).getCause();
            toKnownFailed = millisSince(start2);
            assertTrue(e1 instanceof io.switchboard.PublishException && ((io.switchboard.PublishException) e1).isRetryable(), String.valueOf(e1));
            assertTrue(e2 instanceof io.switchboard.PublishException && ((io.switchboard.PublishException) e2).isRetryable(), String.valueOf(e2));
        } finally {
            node.thaw();
        }
        System.out.printf("frozen broker, confirm-timeout 2s: publish() to a new channel returned in %d ms and failed after %d ms; "
                + "to a known channel returned in %d ms and failed after %d ms%n", toNewCall, toNewFailed, toKnownCall, toKnownFailed);
        assertTrue(toNewCall < 200 && toKnownCall < 200, "publish() returned in " + toNewCall + " and " + toKnownCall + " ms");
        assertTrue(toNewFailed < 2500 && toKnownFailed < 2500, "failed after " + toNewFailed + " and " + toKnownFailed
                + " ms; the bound is confirm-timeout plus an eighth of it (the sweep period), 25% with slack for a loaded machine");
        String after = unique("after");
        Set<String> got = ConcurrentHashMap.newKeySet();
        sb.subscriber().subscribe(after, d -> got.add(d.message().text()));
        sb.publisher().publishText(after, "thawed").toCompletableFuture().get(10, TimeUnit.SECONDS);
        await(WAIT, () -> got.contains("thawed"), "publishing works again after the thaw");
    }

    @Test
    void closingSubscriptionsAndTheInstanceEndsWithinTheCloseTimeoutWhileTheBrokerIsFrozen() throws Exception {
        Switchboard sb = open(Map.of("switchboard.close.timeout", "2s"));
        List<io.switchboard.Subscription> subs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            subs.add(sb.subscriber().subscribe(unique("frozen"), SubscriptionOptions.defaults().durable(unique("frozen-sub")), d -> { }));
        }
        sb.subscriber().subscribe(unique("frozen-transient"), d -> { });
        long subscriptionClose;
        long instanceClose;
        node.freeze();
        try {
            long start = System.nanoTime();
            subs.get(0).close();
            subscriptionClose = millisSince(start);
            start = System.nanoTime();
            sb.close();
            instanceClose = millisSince(start);
        } finally {
            node.thaw();
        }
        System.out.printf("frozen broker: Subscription.close() took %d ms, Switchboard.close() with close.timeout 2s took %d ms%n",
                subscriptionClose, instanceClose);
        assertTrue(subscriptionClose < 1200, "Subscription.close() took " + subscriptionClose + " ms; it waits 1 s at most for the cancel");
        assertTrue(instanceClose < 2500, "Switchboard.close() took " + instanceClose + " ms");
    }

    private static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    @Test
    void aPasswordWrittenIntoAddressesAppearsInNoExceptionHealthOrLogLine() throws Exception {
        String password = "pw-" + unique("Secret");
        node.addUser("sbuser", password);
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=debug", "-cp", System.getProperty("java.class.path"),
                RabbitMqSecretsProcess.class.getName(), "sbuser", password, Integer.toString(node.port())).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the process ended");
        assertTrue(out.contains("DONE") && !out.contains("UNEXPECTED"), out);
        assertTrue(out.contains("EXCEPTION: io.switchboard.ConnectionException") && out.contains("127.0.0.1:1"), out);
        assertTrue(out.contains("HEALTH: ") && out.contains("connected=true"), out);
        assertTrue(out.contains(" INFO "), "logging below the suite's WARN captured: " + out);
        assertFalse(out.contains(password), "the password appears in what the process printed or logged:\n" + out);
        System.out.printf("a login in switchboard.rabbitmq.addresses: %d lines of output and log (INFO and below), no password%n", out.split("\n").length);
    }

    @Test
    void firstConnectKeepsTryingUntilTheBrokerAnswersWithinTheTimeout() throws Exception {
        node.kill9();
        AtomicReference<Object> result = new AtomicReference<>();
        Thread opener = new Thread(() -> {
            try {
                Map<String, Object> p = new HashMap<>(RabbitMqTests.properties(node.uri(), prefix));
                p.put("switchboard.rabbitmq.connection-timeout", "60s");
                result.set(Switchboard.open(p));
            } catch (RuntimeException e) {
                result.set(e);
            }
        });
        opener.start();
        Thread.sleep(1000);
        assertEquals(null, result.get(), "still trying while the broker is down");
        node.restart();
        opener.join(TimeUnit.SECONDS.toMillis(60));
        assertTrue(result.get() instanceof Switchboard, "opened once the broker answered: " + result.get());
        Switchboard sb = (Switchboard) result.get();
        opened.add(sb);
        assertTrue(sb.unwrap(Connection.class).isOpen());
    }
}
