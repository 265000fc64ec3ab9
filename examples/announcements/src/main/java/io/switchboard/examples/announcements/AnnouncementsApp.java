package io.switchboard.examples.announcements;

import io.switchboard.Switchboard;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;

/**
 * A service instance that announces its start, prints what it hears of the others, and announces
 * its shutdown when stopped (SIGTERM, Ctrl-C). Start two or more, each in its own terminal, on a
 * real broker: {@code mvn -pl examples/announcements exec:java -Dswitchboard.transport=redis}
 * (or {@code rabbitmq}). The first argument, if any, is the instance id.
 */
public final class AnnouncementsApp {
    private AnnouncementsApp() {
    }

    /** Runs until the JVM is told to stop. */
    public static void main(String[] args) throws InterruptedException {
        String id = args.length > 0 ? args[0] : "instance-" + UUID.randomUUID().toString().substring(0, 8);
        Switchboard sb = Switchboard.open(Map.of("switchboard.transport", System.getProperty("switchboard.transport", "memory")));
        Announcer announcer = new Announcer(sb, id, a -> System.out.println(id + " heard: " + a.instance() + " " + a.event()
                + " (pid " + a.pid() + " on " + a.host() + ")"));
        announcer.closeOnShutdown(Duration.ofSeconds(5));
        announcer.start();
        System.out.println("started " + id + "; stop with SIGTERM or Ctrl-C");
        new CountDownLatch(1).await();
    }
}
