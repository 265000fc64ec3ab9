package io.switchboard.it.sync;

import io.switchboard.tck.sync.CacheSyncContract;
import io.switchboard.tck.sync.SyncFaults;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cache-sync contract on RabbitMQ (the shared broker) with the shared memcached. The gap rule
 * closes, with {@code rabbitmqctl close_connection}, only the connections carrying this class's
 * own connection name, so other users of the broker are untouched.
 */
class RabbitMqMemcachedCacheSyncIT extends CacheSyncContract {
    private static final String CONNECTION_NAME = "sync-it-" + UUID.randomUUID().toString().substring(0, 8);
    private static final Pattern PID = Pattern.compile("^(<[^>]+>)\\s");

    @Override
    protected Map<String, Object> properties() {
        return Map.of("switchboard.transport", "rabbitmq", "switchboard.rabbitmq.connection-name", CONNECTION_NAME,
                "switchboard.cache", "memcached", "switchboard.memcached.servers", "127.0.0.1:11211");
    }

    @Override
    protected SyncFaults faults() {
        return new SyncFaults() {
            @Override
            public boolean canInterrupt() {
                return true;
            }

            @Override
            public void interrupt() throws Exception {
                int closed = 0;
                for (String line : run("rabbitmqctl", "-q", "list_connections", "pid", "client_properties").split("\n")) {
                    Matcher m = PID.matcher(line);
                    if (line.contains("\"" + CONNECTION_NAME + "\"") && m.find()) {
                        run("rabbitmqctl", "-q", "close_connection", m.group(1), "sync contract: connection cut");
                        closed++;
                    }
                }
                if (closed == 0) {
                    throw new IllegalStateException("no connection named " + CONNECTION_NAME + " to close");
                }
            }

            @Override
            public String toString() {
                return "rabbitmqctl close_connection of connections named " + CONNECTION_NAME;
            }
        };
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }
}
