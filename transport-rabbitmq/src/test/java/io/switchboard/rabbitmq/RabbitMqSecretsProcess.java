package io.switchboard.rabbitmq;

import io.switchboard.Switchboard;
import java.util.Map;

/**
 * A process for {@link RabbitMqFaultIT}: opens with a login written into
 * {@code switchboard.rabbitmq.addresses}, once with a closed port only and once with the closed
 * port before a node that accepts it, and prints every exception, health and toString(), so that
 * the test can search everything it printed and logged (at debug) for the password.
 * Arguments: user password nodePort.
 */
public final class RabbitMqSecretsProcess {
    private RabbitMqSecretsProcess() {
    }

    public static void main(String[] args) {
        String login = args[0] + ":" + args[1] + "@";
        String closed = login + "127.0.0.1:1";
        try {
            Switchboard.open(properties(closed)).close();
            System.out.println("UNEXPECTED: opened with a closed port only");
        } catch (RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                System.out.println("EXCEPTION: " + t);
            }
        }
        try (Switchboard sb = Switchboard.open(properties(closed + "," + login + "127.0.0.1:" + args[2]))) {
            System.out.println("HEALTH: " + sb.health());
            System.out.println("SWITCHBOARD: " + sb);
            System.out.println("CONNECTIONS: " + sb.unwrap(RabbitMqConnections.class) + " " + sb.unwrap(RabbitMqConnections.class).publishing());
        } catch (RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                System.out.println("UNEXPECTED: " + t);
            }
        }
        System.out.println("DONE");
    }

    private static Map<String, Object> properties(String addresses) {
        Map<String, Object> p = RabbitMqTests.properties("amqp://127.0.0.1/%2F", "secrets");
        p.put("switchboard.rabbitmq.addresses", addresses);
        p.put("switchboard.rabbitmq.connection-timeout", "1s");
        return p;
    }
}
