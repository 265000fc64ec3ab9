package io.switchboard.it.sync;

import io.switchboard.tck.sync.CacheSyncContract;
import io.switchboard.tck.sync.SyncFaults;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The cache-sync contract on RabbitMQ (the shared broker) with the shared memcached. The gap rule
 * closes, in one broker-side step ({@code rabbitmqctl eval}), only the two connections carrying
 * this class's own connection name ({@code NAME-pub} and {@code NAME-sub}), so other users of the
 * broker are untouched.
 */
class RabbitMqMemcachedCacheSyncIT extends CacheSyncContract {
    private static final String CONNECTION_NAME = "sync-it-" + UUID.randomUUID().toString().substring(0, 8);

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
                String names = "[<<\"" + CONNECTION_NAME + "-pub\">>, <<\"" + CONNECTION_NAME + "-sub\">>]";
                int closed = Integer.parseInt(run("rabbitmqctl", "-q", "eval", "Names = " + names + ", length(["
                        + "rabbit_networking:close_connection(proplists:get_value(pid, I), \"sync contract: connection cut\") || I <- "
                        + "rabbit_networking:connection_info_all([pid, client_properties]), case lists:keyfind(<<\"connection_name\">>, 1, "
                        + "proplists:get_value(client_properties, I)) of {_, _, V} -> lists:member(V, Names); false -> false end]).").trim());
                if (closed == 0) {
                    throw new IllegalStateException("no connection named " + CONNECTION_NAME + " to close");
                }
            }

            @Override
            public String toString() {
                return "closing the connections named " + CONNECTION_NAME + "-pub and -sub";
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
