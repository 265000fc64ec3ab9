package io.switchboard.cli;

import io.switchboard.SharedCache;
import io.switchboard.Switchboard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The demo: several service instances each keep a near cache of a product catalogue; changes go
 * through one instance's near cache to the shared cache and are announced to the others; one
 * instance is restarted in the middle (a rolling restart); the run ends with a consistency check
 * that fails the command if any instance reads a copy that differs from the shared cache.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs service instances that keep near caches of a catalogue in sync, then checks them.",
                "One instance restarts in the middle; at the end every instance must read what the shared cache holds (exit 0, else 1).",
                "Without --transport: in-memory transport and cache, every instance in this JVM, no server needed.",
                "With --transport redis|redis-streams|rabbitmq: every instance is its own JVM process (cache default: redis for redis and redis-streams, memcached for rabbitmq)."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--instances", defaultValue = "3", paramLabel = "N", description = "Service instances (default: ${DEFAULT-VALUE}).")
    int instances;

    @Option(names = "--changes", defaultValue = "12", paramLabel = "N", description = "Changes to make (default: ${DEFAULT-VALUE}).")
    int changes;

    @Option(names = "--timeout", defaultValue = "15s", paramLabel = "DURATION",
            description = "How long to wait for copies to converge after a change (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--in-process", description = "Run every instance in this JVM even on a server transport.")
    boolean inProcess;

    @Option(names = {"-v", "--verbose"}, description = "Narrate more.")
    boolean verbose;

    private DemoOutput out;
    private String runId;
    private String childSettings;
    private boolean separateProcesses;

    @Override
    public Integer call() throws Exception {
        if (instances < 2 || instances > 20) {
            throw new ParameterException(spec.commandLine(), "--instances must be between 2 and 20, got " + instances);
        }
        if (changes < 2) {
            throw new ParameterException(spec.commandLine(), "--changes must be at least 2, got " + changes);
        }
        out = new DemoOutput(spec.commandLine().getOut(), verbose);
        runId = Long.toHexString(System.nanoTime() ^ new Random().nextLong()).substring(0, 8);
        String transport = connection.transport != null ? connection.transport : "memory";
        String cache = connection.cache != null ? connection.cache : ConnectionOptions.defaultCache(transport);
        connection.transport = transport;
        connection.cache = cache;
        if (transport.equals("memory")) {
            connection.properties.putIfAbsent("switchboard.memory.broker", "demo-" + runId);
        }
        separateProcesses = !transport.equals("memory") && !inProcess;
        if (separateProcesses && cache.equals("memory")) {
            throw new ParameterException(spec.commandLine(), "the memory cache lives inside one JVM, so separate processes cannot share it; "
                    + "use --cache redis or --cache memcached (or --in-process)");
        }
        childSettings = connection.forChild();

        List<DemoNode> fleet = new ArrayList<>();
        try (Switchboard observer = connection.open()) {
            SharedCache truth = observer.cache(DemoInstance.cacheName(runId));
            out.line("Switchboard demo: " + instances + " service instances " + (separateProcesses ? "(one JVM process each)" : "(in this JVM)")
                    + ", transport '" + transport + "', cache '" + cache + "', run " + runId);
            out.line("Each instance reads the catalogue through its near cache (a local copy); writes go to the shared cache and");
            out.line("are announced on channel switchboard.near." + DemoInstance.cacheName(runId) + " so the other instances drop their copy.");
            out.line("");
            for (int i = 1; i <= instances; i++) {
                fleet.add(start("instance-" + i));
            }

            List<String> ids = List.of("p-1", "p-2", "p-3", "p-4", "p-5");
            String[] names = {"espresso", "grinder", "kettle", "scale", "filter papers"};
            DemoNode first = fleet.get(0);
            for (int i = 0; i < ids.size(); i++) {
                first.create(new Product(ids.get(i), names[i], 1000L + 250L * i, 1, first.name()));
            }
            for (DemoNode d : fleet) {
                ids.forEach(d::read);
            }
            out.line(first.name() + " created " + ids.size() + " products; every instance read them into its near cache.");

            Random random = new Random(42);
            for (int c = 1; c <= changes; c++) {
                if (c == changes / 2 + 1) {
                    int victim = 1 + random.nextInt(fleet.size() - 1);
                    DemoNode old = fleet.get(victim);
                    out.line("rolling restart: stopping " + old.name() + " and starting it again (its near cache starts empty)");
                    old.close();
                    DemoNode fresh = start(old.name());
                    fleet.set(victim, fresh);
                    ids.forEach(fresh::read);
                }
                DemoNode writer = fleet.get(random.nextInt(fleet.size()));
                String id = ids.get(random.nextInt(ids.size()));
                long cents = 500 + random.nextInt(5000);
                Product p = writer.changePrice(id, cents);
                long ms = awaitConverged(fleet, truth, List.of(id));
                out.line(String.format("change %2d: %s sets %s (%s) to %s -> version %d%s", c, writer.name(), id, p.name(), p.price(), p.version(),
                        ms >= 0 ? String.format("; every instance reads it after %d ms", ms) : "; NOT converged within " + timeout));
            }

            out.line("concurrent writes: every instance changes p-1 at the same moment");
            List<CompletableFuture<Product>> racing = new ArrayList<>();
            for (DemoNode d : fleet) {
                long cents = 100 + random.nextInt(900);
                racing.add(CompletableFuture.supplyAsync(() -> d.changePrice("p-1", cents)));
            }
            racing.forEach(CompletableFuture::join);
            long ms = awaitConverged(fleet, truth, ids);
            out.detail(ms >= 0 ? "converged after " + ms + " ms" : "not converged within " + timeout);
            return check(fleet, truth, ids);
        } finally {
            for (DemoNode d : fleet) {
                try {
                    d.close();
                } catch (RuntimeException e) {
                    out.line("closing " + d.name() + " failed: " + e.getMessage());
                }
            }
        }
    }

    private DemoNode start(String name) {
        if (!separateProcesses) {
            return new DemoInstance(name, connection.open(), runId);
        }
        DemoProcess p = DemoProcess.start(name, runId, childSettings);
        out.detail(name + " started as process " + p.pid());
        return p;
    }

    /** Waits until every instance reads what the shared cache holds for {@code ids}; returns the milliseconds taken, or -1. */
    private long awaitConverged(List<DemoNode> fleet, SharedCache truth, List<String> ids) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (stale(fleet, truth, ids) == 0) {
                return (System.nanoTime() - start) / 1_000_000;
            }
            Thread.sleep(2);
        }
        return -1;
    }

    private static int stale(List<DemoNode> fleet, SharedCache truth, List<String> ids) {
        int stale = 0;
        for (String id : ids) {
            Product t = truth.get(id, Product.class);
            for (DemoNode d : fleet) {
                if (!Objects.equals(t, d.read(id))) {
                    stale++;
                }
            }
        }
        return stale;
    }

    private int check(List<DemoNode> fleet, SharedCache truth, List<String> ids) {
        out.line("");
        out.line("consistency check: " + fleet.size() + " instances x " + ids.size() + " products against the shared cache");
        int stale = 0;
        for (String id : ids) {
            Product t = truth.get(id, Product.class);
            StringBuilder row = new StringBuilder(String.format("  %-4s %-14s %7s v%-3d", id, t.name(), t.price(), t.version()));
            for (DemoNode d : fleet) {
                Product copy = d.read(id);
                boolean ok = t.equals(copy);
                if (!ok) {
                    stale++;
                }
                row.append("  ").append(d.name()).append(ok ? " ok" : " STALE(" + (copy == null ? "missing" : "v" + copy.version()) + ")");
            }
            out.line(row.toString());
        }
        Map<String, String> stats = new LinkedHashMap<>();
        fleet.forEach(d -> stats.put(d.name(), d.stats()));
        stats.forEach((n, s) -> out.line("  " + n + ": " + s));
        if (stale > 0) {
            out.line("FAIL: " + stale + " stale copies");
            return SwitchboardCommand.FAILED;
        }
        out.line("PASS: every instance reads what the shared cache holds");
        return 0;
    }
}
