package io.switchboard.cli;

import io.switchboard.Switchboard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The demo: several service instances each keep a local copy of a product catalogue; changes go
 * to the shared cache and are announced over pub/sub; the run ends with a consistency check that
 * fails the command if any copy disagrees with the shared cache.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs service instances that keep local copies of a catalogue in sync through Switchboard,",
                "then checks that every copy matches the shared cache (exit 0) or not (exit 1).",
                "Without options it runs on the in-memory transport and cache, in this JVM, with no server."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--transport", defaultValue = "memory", description = "Transport provider (default: ${DEFAULT-VALUE}).")
    String transport;

    @Option(names = "--cache", description = "Cache provider (default: the transport's name if it has a cache, else memory).")
    String cache;

    @Option(names = "--instances", defaultValue = "3", description = "Service instances (default: ${DEFAULT-VALUE}).")
    int instances;

    @Option(names = "--changes", defaultValue = "12", description = "Changes to make (default: ${DEFAULT-VALUE}).")
    int changes;

    @Option(names = "--timeout", defaultValue = "PT15S", description = "How long to wait for copies to converge (ISO-8601, default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = {"-D", "--property"}, description = "Extra Switchboard setting, key=value (repeatable).")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = {"-v", "--verbose"}, description = "Narrate every delivery.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (instances < 2 || instances > 20) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--instances must be between 2 and 20, got " + instances);
        }
        DemoOutput out = new DemoOutput(spec.commandLine().getOut(), verbose);
        String runId = Long.toHexString(System.nanoTime() ^ new Random().nextLong()).substring(0, 8);
        Map<String, Object> props = new LinkedHashMap<>(properties);
        props.put("switchboard.transport", transport);
        props.put("switchboard.cache", cache != null ? cache : defaultCache(transport));

        List<DemoInstance> fleet = new ArrayList<>();
        try {
            for (int i = 1; i <= instances; i++) {
                fleet.add(new DemoInstance("instance-" + i, Switchboard.open(props), runId, out));
            }
            DemoInstance first = fleet.get(0);
            out.line("Switchboard demo: " + instances + " service instances, transport '" + transport + "' ("
                    + first.cache().name() + " cache on '" + props.get("switchboard.cache") + "'), run " + runId);
            out.line("Each instance keeps a local copy of the catalogue; the shared cache holds the source of truth;");
            out.line("every change is written with compare-and-set and announced on channel demo." + runId + ".product.changed.");
            out.line("");

            List<String> ids = List.of("p-1", "p-2", "p-3", "p-4", "p-5");
            String[] names = {"espresso", "grinder", "kettle", "scale", "filter papers"};
            for (int i = 0; i < ids.size(); i++) {
                first.create(new Product(ids.get(i), names[i], 1000L + 250L * i, 1, first.name()));
            }
            for (DemoInstance d : fleet.subList(1, fleet.size())) {
                d.warmUp(ids);
            }
            out.line(first.name() + " created " + ids.size() + " products; the others loaded them at start.");

            Random random = new Random(42);
            Map<String, Long> expected = new LinkedHashMap<>();
            for (int c = 1; c <= changes; c++) {
                DemoInstance writer = fleet.get(random.nextInt(fleet.size()));
                String id = ids.get(random.nextInt(ids.size()));
                long cents = 500 + random.nextInt(5000);
                Product p = writer.changePrice(id, cents);
                expected.put(id, p.version());
                out.line(String.format("change %2d: %s sets %s (%s) to %s -> version %d", c, writer.name(), id, p.name(), p.price(), p.version()));
                awaitConverged(fleet, Map.of(id, p.version()), out);
            }

            out.line("concurrent writes: every instance changes p-1 at the same moment");
            List<CompletableFuture<Product>> racing = new ArrayList<>();
            for (DemoInstance d : fleet) {
                long cents = 100 + random.nextInt(900);
                racing.add(CompletableFuture.supplyAsync(() -> d.changePrice("p-1", cents)));
            }
            long max = 0;
            for (CompletableFuture<Product> f : racing) {
                max = Math.max(max, f.join().version());
            }
            expected.put("p-1", max);
            awaitConverged(fleet, expected, out);

            return check(fleet, ids, out);
        } finally {
            for (DemoInstance d : fleet) {
                d.close();
            }
        }
    }

    private static String defaultCache(String transport) {
        return transport.equals("redis") ? "redis" : "memory";
    }

    private void awaitConverged(List<DemoInstance> fleet, Map<String, Long> versions, DemoOutput out) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long start = System.nanoTime();
        while (System.nanoTime() < deadline) {
            boolean all = true;
            for (DemoInstance d : fleet) {
                for (Map.Entry<String, Long> e : versions.entrySet()) {
                    if (d.localVersion(e.getKey()) < e.getValue()) {
                        all = false;
                    }
                }
            }
            if (all) {
                out.detail(String.format("all %d instances up to date after %.1f ms", fleet.size(), (System.nanoTime() - start) / 1e6));
                return;
            }
            Thread.sleep(1);
        }
        out.line("  (copies did not converge within " + timeout + "; the consistency check will show which)");
    }

    private static int check(List<DemoInstance> fleet, List<String> ids, DemoOutput out) {
        out.line("");
        out.line("consistency check: " + fleet.size() + " instances x " + ids.size() + " products against the shared cache");
        int stale = 0;
        DemoInstance any = fleet.get(0);
        for (String id : ids) {
            Product truth = any.cache().get("product:" + id, Product.class);
            StringBuilder row = new StringBuilder(String.format("  %-4s %-14s %7s v%-3d", id, truth.name(), truth.price(), truth.version()));
            for (DemoInstance d : fleet) {
                Product copy = d.snapshot().get(id);
                boolean ok = truth.equals(copy);
                if (!ok) {
                    stale++;
                }
                row.append("  ").append(d.name()).append(ok ? " ok" : " STALE(" + (copy == null ? "missing" : "v" + copy.version()) + ")");
            }
            out.line(row.toString());
        }
        if (stale > 0) {
            out.line("FAIL: " + stale + " stale copies");
            return SwitchboardCommand.FAILED;
        }
        out.line("PASS: every copy matches the shared cache");
        return 0;
    }
}
