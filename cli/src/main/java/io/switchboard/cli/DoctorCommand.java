package io.switchboard.cli;

import io.switchboard.ConfigurationException;
import io.switchboard.ConnectionException;
import io.switchboard.Health;
import io.switchboard.Message;
import io.switchboard.SharedCache;
import io.switchboard.Subscription;
import io.switchboard.Switchboard;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Connects with the current configuration and says whether everything works, and if not, why. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Checks that the configuration works, or says why not.",
                "Connects and prints the providers, their capabilities, server versions and a latency check "
                        + "(publish -> receive round trip, cache set/get), or a diagnosis of what is wrong.",
                "Exit: 0 healthy, 1 a check failed, 3 configuration (unknown provider, bad value, refused credentials), 4 connection."})
final class DoctorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--rounds", defaultValue = "5", paramLabel = "N", description = "Round trips to time (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--timeout", defaultValue = "10s", paramLabel = "DURATION",
            description = "How long one round trip may take (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        if (rounds < 1 || rounds > 1000) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--rounds must be between 1 and 1000, got " + rounds);
        }
        PrintWriter out = spec.commandLine().getOut();
        Switchboard sb;
        try {
            sb = connection.open();
        } catch (ConfigurationException e) {
            out.println("configuration: PROBLEM");
            out.println("  " + e.getMessage().replace("\n", "\n  "));
            String hint = Diagnosis.hint(e);
            if (hint != null) {
                out.println("  " + hint);
            }
            out.println("result: FAIL (configuration)");
            out.flush();
            return SwitchboardCommand.CONFIGURATION;
        } catch (ConnectionException e) {
            out.println("connection: FAILED");
            out.println("  " + e.getMessage());
            String hint = Diagnosis.hint(e);
            out.println("  " + (hint != null ? hint : "diagnosis: see the message above; check the server address and that it runs."));
            out.println("result: FAIL (connection)");
            out.flush();
            return SwitchboardCommand.CONNECTION;
        }
        boolean ok = true;
        try (sb) {
            out.println("transport: " + sb.transportName() + " (" + sb.capabilities().deliveryGuarantee() + ")");
            out.println("  capabilities: " + (sb.capabilities().asSet().isEmpty() ? "none" : sb.capabilities().asSet()));
            out.println("cache: " + (sb.cacheName() == null ? "none configured" : sb.cacheName()));
            Health health = sb.health();
            out.println("health: " + health.status());
            for (Map.Entry<String, Health> c : health.components().entrySet()) {
                if (!c.getKey().equals("subscriptions")) {
                    out.println("  " + c.getKey() + ": " + c.getValue().status() + " " + c.getValue().details());
                }
            }
            out.flush();
            ok &= roundTrip(sb, out);
            if (sb.cacheName() != null) {
                ok &= cacheCheck(sb.cache(), out);
            }
        }
        out.println("result: " + (ok ? "OK" : "FAIL"));
        out.flush();
        return ok ? 0 : SwitchboardCommand.FAILED;
    }

    private boolean roundTrip(Switchboard sb, PrintWriter out) throws InterruptedException {
        String channel = "switchboard.doctor." + UUID.randomUUID().toString().substring(0, 8);
        LinkedBlockingQueue<Long> arrivals = new LinkedBlockingQueue<>();
        long[] micros = new long[rounds];
        try (Subscription sub = sb.subscriber().subscribe(channel, d -> arrivals.add(System.nanoTime()))) {
            for (int i = 0; i < rounds; i++) {
                long start = System.nanoTime();
                sb.publisher().publishAndWait(channel, Message.ofText("ping " + i), timeout);
                Long arrived = arrivals.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
                if (arrived == null) {
                    out.println("pub/sub round trip: FAILED - message " + (i + 1) + " published to " + channel + " did not arrive within " + timeout);
                    return false;
                }
                micros[i] = (arrived - start) / 1000;
            }
        } catch (RuntimeException e) {
            out.println("pub/sub round trip: FAILED - " + e.getMessage());
            String hint = Diagnosis.hint(e);
            if (hint != null) {
                out.println("  " + hint);
            }
            return false;
        }
        out.println("pub/sub round trip: " + summary(micros));
        return true;
    }

    private boolean cacheCheck(SharedCache cache, PrintWriter out) {
        String key = "switchboard-doctor:" + UUID.randomUUID();
        long[] micros = new long[rounds];
        try {
            for (int i = 0; i < rounds; i++) {
                long start = System.nanoTime();
                cache.put(key, "v" + i, Duration.ofMinutes(1));
                String back = cache.get(key, String.class);
                micros[i] = (System.nanoTime() - start) / 1000;
                if (!("v" + i).equals(back)) {
                    out.println("cache set/get: FAILED - wrote v" + i + " under " + key + " and read back " + back);
                    return false;
                }
            }
            cache.delete(key);
        } catch (RuntimeException e) {
            out.println("cache set/get: FAILED - " + e.getMessage());
            String hint = Diagnosis.hint(e);
            if (hint != null) {
                out.println("  " + hint);
            }
            return false;
        }
        out.println("cache set+get: " + summary(micros));
        return true;
    }

    private static String summary(long[] micros) {
        long[] sorted = micros.clone();
        Arrays.sort(sorted);
        return String.format("median %.2f ms, min %.2f ms, max %.2f ms over %d rounds", sorted[sorted.length / 2] / 1000.0,
                sorted[0] / 1000.0, sorted[sorted.length - 1] / 1000.0, sorted.length);
    }
}
