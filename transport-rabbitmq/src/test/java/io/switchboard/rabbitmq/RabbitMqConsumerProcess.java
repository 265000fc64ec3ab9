package io.switchboard.rabbitmq;

import io.switchboard.SubscriptionOptions;
import io.switchboard.Switchboard;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A consumer process for {@link RabbitMqFaultIT}: subscribes to a durable subscription and logs
 * "got ID" when its handler starts and "done ID" before it returns (the ack follows), then waits
 * until killed or its stdin closes.
 * Arguments: uri prefix channel subscriptionName logFile.
 */
public final class RabbitMqConsumerProcess {
    private RabbitMqConsumerProcess() {
    }

    public static void main(String[] args) throws Exception {
        Path log = Path.of(args[4]);
        try (PrintStream out = new PrintStream(Files.newOutputStream(log), true, StandardCharsets.UTF_8);
                Switchboard sb = RabbitMqTests.open(args[0], args[1], Map.of("switchboard.subscriber.prefetch", "20"))) {
            sb.subscriber().subscribe(args[2], SubscriptionOptions.defaults().durable(args[3]), d -> {
                synchronized (out) {
                    out.println("got " + d.message().id());
                }
                Thread.sleep(30);
                synchronized (out) {
                    out.println("done " + d.message().id());
                }
            });
            System.out.println("READY");
            System.out.flush();
            while (System.in.read() >= 0) {
                Thread.onSpinWait();
            }
        }
    }
}
