package io.switchboard.benchmarks;

import static io.switchboard.benchmarks.Measures.median;
import static io.switchboard.benchmarks.Measures.processCpuNanos;

import io.switchboard.Message;
import io.switchboard.Subscription;
import io.switchboard.Switchboard;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Pub/sub throughput of the Redis transport on one server against a three-master Redis Cluster,
 * in the same run, trials alternating, with each server's CPU per delivered message: on a cluster
 * exact channels use sharded pub/sub ({@code SPUBLISH}/{@code SSUBSCRIBE}), so each message costs
 * only its shard (its master and that master's replica), while a classic {@code PUBLISH} (the
 * copy {@code cluster.pattern-broadcast=true} adds for pattern subscribers) reaches every node over
 * the cluster bus. One Switchboard instance publishes to and subscribes to channels spread evenly
 * over the shards. Run with {@code bin/bench redis-cluster [options]}; {@code --help} lists them.
 */
public final class RedisClusterBenchmark {
    private static final String SINGLE = "one server";
    private static final String SHARDED = "cluster, sharded only";
    private static final String BROADCAST = "cluster, + pattern copy";

    private final String singleUri;
    private final String clusterUri;
    private final int perShard;
    private final int size;
    private final int reps;
    private final double seconds;
    private final List<String> contenders;

    /** A server whose CPU is read: its address, role and slot ranges as CLUSTER NODES gives them. */
    private record Node(String host, int port, String role, String slots, int[][] ranges) {
        String label() {
            return port + " " + role + (slots.isEmpty() ? "" : " " + slots);
        }

        boolean owns(int slot) {
            for (int[] r : ranges) {
                if (slot >= r[0] && slot <= r[1]) {
                    return true;
                }
            }
            return false;
        }
    }

    /** One trial: publish calls, deliveries, first publish to last publish and to last delivery. */
    private record Result(long sent, long delivered, double publishSeconds, double deliverSeconds) {
        double deliveredPerSecond() {
            return deliverSeconds > 0 ? delivered / deliverSeconds : 0;
        }

        double dropPercent() {
            return sent == 0 ? 0 : 100.0 * (sent - delivered) / sent;
        }
    }

    private RedisClusterBenchmark(Map<String, String> o) {
        this.singleUri = o.getOrDefault("single", "redis://127.0.0.1:6379");
        this.clusterUri = o.getOrDefault("cluster", "redis-cluster://127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002");
        this.perShard = Integer.parseInt(o.getOrDefault("channels-per-shard", "4"));
        this.size = Integer.parseInt(o.getOrDefault("size", "256"));
        this.reps = Integer.parseInt(o.getOrDefault("reps", "3"));
        this.seconds = Double.parseDouble(o.getOrDefault("seconds", "3"));
        this.contenders = Arrays.asList(o.getOrDefault("contenders", "single,sharded,broadcast").split(","));
        for (String c : contenders) {
            if (!List.of("single", "sharded", "broadcast").contains(c)) {
                throw new IllegalArgumentException("--contenders: unknown contender '" + c + "'; choose from single, sharded, broadcast");
            }
        }
        if (perShard < 1 || size < 1 || reps < 1 || seconds <= 0) {
            throw new IllegalArgumentException("--channels-per-shard, --size, --reps and --seconds must be positive");
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Measures.options(args, List.of("single", "cluster", "channels-per-shard", "size", "reps", "seconds", "contenders"), RedisClusterBenchmark::usage);
        if (o != null) {
            new RedisClusterBenchmark(o).run();
        }
    }

    private static void usage() {
        System.out.println(String.join("\n",
                "usage: bin/bench redis-cluster [options]",
                "  --single URI              the one server, default redis://127.0.0.1:6379",
                "  --cluster URI             the cluster, default redis-cluster://127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002",
                "                            (bin/services redis-cluster start starts one: 3 masters, 3 replicas)",
                "  --channels-per-shard N    channels on each master's slots, published round-robin, default 4",
                "  --size BYTES              payload size, default 256",
                "  --reps N                  trials per contender, alternating, default 3",
                "  --seconds S               publishing time per trial, default 3",
                "  --contenders LIST         default single,sharded,broadcast",
                "No password support here. Defaults take about a minute."));
    }

    private void run() throws Exception {
        List<Node> single = List.of(singleNode());
        List<Node> cluster = clusterNodes();
        List<Node> masters = cluster.stream().filter(n -> n.role().equals("master")).toList();
        System.out.printf("Redis Cluster benchmark: %d-byte payloads, %d channels (%d on each of %d masters; new names every"
                + " trial), %d reps of %.1f s%n", size, perShard * masters.size(), perShard, masters.size(), reps, seconds);
        System.out.println(String.join("\n",
                "Contenders (each one Switchboard instance publishing round-robin over the channels and subscribed to all of"
                        + " them; transport defaults: publish.max-in-flight 16384, subscriber.buffer-size 10000; 64 publish()"
                        + " calls per loop without waiting):",
                "  " + SINGLE + ": switchboard.redis.uri=" + singleUri + " (PUBLISH/SUBSCRIBE)",
                "  " + SHARDED + ": switchboard.redis.uri=" + clusterUri + ", cluster.pattern-broadcast=false: SPUBLISH only,"
                        + " a publisher and a subscriber connection per master",
                "  " + BROADCAST + ": the same cluster with cluster.pattern-broadcast=true (the default): each publish also"
                        + " sent as a classic PUBLISH for pattern subscribers, which the cluster bus carries to every node",
                "Cluster nodes: " + String.join(", ", cluster.stream().map(Node::label).toList()),
                "Quantities: delivered msg/s = messages handled / (first publish to last delivery); server CPU = INFO cpu"
                        + " (user + sys) of each node over the trial, per delivered message and as % of one core; client CPU ="
                        + " this JVM per delivered message. All servers and the client share this machine's cores."));
        Map<String, List<Node>> nodes = new LinkedHashMap<>();
        Map<String, Switchboard> instances = new LinkedHashMap<>();
        if (contenders.contains("single")) {
            nodes.put(SINGLE, single);
            instances.put(SINGLE, open(singleUri, null));
        }
        if (contenders.contains("sharded")) {
            nodes.put(SHARDED, cluster);
            instances.put(SHARDED, open(clusterUri, "false"));
        }
        if (contenders.contains("broadcast")) {
            nodes.put(BROADCAST, cluster);
            instances.put(BROADCAST, open(clusterUri, "true"));
        }
        try {
            Map<String, List<Double>> rates = new LinkedHashMap<>();
            Map<String, List<Double>> serverTotal = new LinkedHashMap<>();
            Map<String, List<Double>> serverBusiest = new LinkedHashMap<>();
            Map<String, List<Double>> client = new LinkedHashMap<>();
            for (String k : instances.keySet()) {
                rates.put(k, new ArrayList<>());
                serverTotal.put(k, new ArrayList<>());
                serverBusiest.put(k, new ArrayList<>());
                client.put(k, new ArrayList<>());
                trial(instances.get(k), masters, 1); // warm-up: JIT, connections, subscriptions
            }
            List<String> order = new ArrayList<>(instances.keySet());
            for (int r = 1; r <= reps; r++) {
                for (String k : order) {
                    List<Node> ns = nodes.get(k);
                    long[] before = new long[ns.size()];
                    for (int i = 0; i < ns.size(); i++) {
                        before[i] = cpuMicros(ns.get(i));
                    }
                    long clientBefore = processCpuNanos();
                    long t0 = System.nanoTime();
                    Result res = trial(instances.get(k), masters, seconds);
                    double wall = (System.nanoTime() - t0) / 1e9;
                    long delivered = Math.max(1, res.delivered());
                    double clientPerMsg = (processCpuNanos() - clientBefore) / 1000.0 / delivered;
                    StringBuilder perNode = new StringBuilder();
                    double total = 0;
                    double busiest = 0;
                    for (int i = 0; i < ns.size(); i++) {
                        long used = cpuMicros(ns.get(i)) - before[i];
                        double perMsg = (double) used / delivered;
                        total += perMsg;
                        busiest = Math.max(busiest, perMsg);
                        perNode.append(String.format(java.util.Locale.ROOT, "%n         node %-28s %.2f us/msg, %3.0f%% of a core",
                                ns.get(i).label(), perMsg, 100.0 * used / 1e6 / wall));
                    }
                    rates.get(k).add(res.deliveredPerSecond());
                    serverTotal.get(k).add(total);
                    serverBusiest.get(k).add(busiest);
                    client.get(k).add(clientPerMsg);
                    System.out.printf("  rep %d  %-26s delivered %,9.0f msg/s  (%,d published, dropped %.1f%%; CPU per delivered"
                            + " message: client %.2f us, servers %.2f us in all, busiest node %.2f us)%s%n", r, k,
                            res.deliveredPerSecond(), res.sent(), res.dropPercent(), clientPerMsg, total, busiest, perNode);
                }
                java.util.Collections.reverse(order);
            }
            System.out.println("  medians (delivered msg/s; server CPU per delivered message, all nodes and busiest node; client CPU):");
            for (String k : instances.keySet()) {
                System.out.printf("    %-26s %,9.0f msg/s  servers %.2f us  busiest %.2f us  client %.2f us%n", k,
                        median(rates.get(k)), median(serverTotal.get(k)), median(serverBusiest.get(k)), median(client.get(k)));
            }
            if (instances.containsKey(SINGLE)) {
                for (String k : instances.keySet()) {
                    if (k.equals(SINGLE)) {
                        continue;
                    }
                    System.out.printf("    %s / %s: delivered %.2fx, busiest server's CPU per message %.2fx, all servers' %.2fx%n", k,
                            SINGLE, median(rates.get(k)) / median(rates.get(SINGLE)),
                            median(serverBusiest.get(k)) / median(serverBusiest.get(SINGLE)),
                            median(serverTotal.get(k)) / median(serverTotal.get(SINGLE)));
                }
            }
        } finally {
            instances.values().forEach(Switchboard::close);
        }
    }

    private static Switchboard open(String uri, String patternBroadcast) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("switchboard.transport", "redis");
        p.put("switchboard.redis.uri", uri);
        if (patternBroadcast != null) {
            p.put("switchboard.redis.cluster.pattern-broadcast", patternBroadcast);
        }
        return Switchboard.open(p);
    }

    private Result trial(Switchboard s, List<Node> masters, double secs) throws Exception {
        List<String> names = channelsSpreadOver(masters, UUID.randomUUID().toString().substring(0, 6));
        AtomicLong count = new AtomicLong();
        AtomicLong last = new AtomicLong();
        LongAdder failures = new LongAdder();
        List<Subscription> subs = new ArrayList<>();
        try {
            for (String c : names) {
                subs.add(s.subscriber().subscribe(c, d -> {
                    last.set(System.nanoTime());
                    count.incrementAndGet();
                }));
            }
            byte[] payload = new byte[size];
            Arrays.fill(payload, (byte) 'x');
            Message m = Message.ofBytes(payload);
            String[] cs = names.toArray(String[]::new);
            long start = System.nanoTime();
            long end = start + (long) (secs * 1e9);
            long sent = 0;
            int next = 0;
            while (System.nanoTime() < end) {
                for (int i = 0; i < 64; i++) {
                    s.publisher().publish(cs[next], m).whenComplete((v, e) -> {
                        if (e != null) {
                            failures.increment();
                        }
                    });
                    next = next + 1 == cs.length ? 0 : next + 1;
                }
                sent += 64;
            }
            long published = System.nanoTime();
            long seen = -1;
            long idleSince = System.nanoTime();
            while (count.get() < sent) {
                long now = count.get();
                if (now != seen) {
                    seen = now;
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince > TimeUnit.SECONDS.toNanos(2)) {
                    break;
                }
                Thread.sleep(2);
            }
            if (failures.sum() > 0) {
                System.out.printf("    (%d publishes failed)%n", failures.sum());
            }
            return new Result(sent, count.get(), (published - start) / 1e9, (last.get() - start) / 1e9);
        } finally {
            subs.forEach(Subscription::close);
        }
    }

    /**
     * Channel names of one trial, {@code perShard} of them in each master's slots (the transport
     * adds no prefix by default, so the slot is the name's). The one-server contender gets the
     * same number of channels.
     */
    private List<String> channelsSpreadOver(List<Node> masters, String run) {
        List<String> out = new ArrayList<>();
        for (Node m : masters) {
            int found = 0;
            for (int i = 0; found < perShard; i++) {
                String name = "bench.cluster." + run + "." + i;
                if (m.owns(JedisClusterCRC16.getSlot(name))) {
                    out.add(name);
                    found++;
                }
            }
        }
        return out;
    }

    private Node singleNode() {
        URI u = URI.create(singleUri);
        Node n = new Node(u.getHost(), u.getPort() == -1 ? 6379 : u.getPort(), "single", "", new int[0][]);
        try {
            cpuMicros(n);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot reach the single server at " + singleUri + " (bin/services start): " + e.getMessage(), e);
        }
        return n;
    }

    /** Every node of the cluster, from CLUSTER NODES asked of the first seed that answers. */
    private List<Node> clusterNodes() {
        String seeds = clusterUri.substring(clusterUri.indexOf("://") + 3);
        RuntimeException last = null;
        for (String seed : seeds.split(",")) {
            HostAndPort hp = HostAndPort.from(seed.contains(":") ? seed : seed + ":6379");
            try (Jedis j = jedis(hp.getHost(), hp.getPort())) {
                List<Node> nodes = new ArrayList<>();
                for (String line : j.clusterNodes().split("\n")) {
                    String[] f = line.trim().split(" ");
                    if (f.length < 8 || f[2].contains("fail") || f[2].contains("noaddr")) {
                        continue;
                    }
                    String addr = f[1].substring(0, f[1].indexOf('@'));
                    HostAndPort a = HostAndPort.from(addr);
                    String role = f[2].contains("master") ? "master" : "replica";
                    List<int[]> ranges = new ArrayList<>();
                    for (int i = 8; i < f.length; i++) {
                        if (f[i].startsWith("[")) {
                            continue; // a slot being migrated
                        }
                        String[] r = f[i].split("-");
                        ranges.add(new int[] {Integer.parseInt(r[0]), Integer.parseInt(r[r.length - 1])});
                    }
                    nodes.add(new Node(a.getHost(), a.getPort(), role, String.join(",", Arrays.copyOfRange(f, 8, f.length)),
                            ranges.toArray(int[][]::new)));
                }
                nodes.sort((x, y) -> Integer.compare(x.port(), y.port()));
                if (nodes.stream().filter(n -> n.role().equals("master")).count() < 2) {
                    throw new IllegalStateException("the cluster at " + clusterUri + " has fewer than two masters");
                }
                return nodes;
            } catch (RuntimeException e) {
                last = e;
            }
        }
        throw new IllegalStateException("cannot read the cluster's nodes from " + clusterUri
                + " (start a local cluster with bin/services redis-cluster start): " + (last == null ? "" : last.getMessage()), last);
    }

    private static long cpuMicros(Node n) {
        try (Jedis j = jedis(n.host(), n.port())) {
            return Measures.redisCpuMicros(j);
        }
    }

    private static Jedis jedis(String host, int port) {
        return new Jedis(new HostAndPort(host, port), DefaultJedisClientConfig.builder().autoNegotiateProtocol(false)
                .timeoutMillis(2000).build());
    }
}
