package io.switchboard.memcached;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import net.spy.memcached.ConnectionObserver;
import net.spy.memcached.KetamaNodeLocator;
import net.spy.memcached.MemcachedNode;
import net.spy.memcached.NodeLocator;
import org.junit.jupiter.api.Test;

/**
 * Key distribution with the locator the driver's connection factory builds: Ketama, so that adding
 * a fourth server moves about a quarter of the keys (modulo hashing, spymemcached's default,
 * would move about three quarters).
 */
class MemcachedKeyDistributionTest {
    private static final int KEYS = 20_000;

    @Test
    void addingAFourthServerMovesOnlyAboutAQuarterOfTheKeysToTheNewServer() {
        List<MemcachedNode> three = nodes(3);
        List<MemcachedNode> four = new ArrayList<>(three);
        four.add(node(11214));
        NodeLocator before = locator(three);
        NodeLocator after = locator(four);
        assertTrue(before instanceof KetamaNodeLocator, "the driver must use Ketama, not " + before.getClass().getName());
        int moved = 0;
        int movedElsewhere = 0;
        int[] perServer = new int[4];
        for (int i = 0; i < KEYS; i++) {
            String key = "user:" + i + ":profile";
            InetSocketAddress a = (InetSocketAddress) before.getPrimary(key).getSocketAddress();
            InetSocketAddress b = (InetSocketAddress) after.getPrimary(key).getSocketAddress();
            perServer[b.getPort() - 11211]++;
            if (!a.equals(b)) {
                moved++;
                if (b.getPort() != 11214) {
                    movedElsewhere++;
                }
            }
        }
        double fraction = moved / (double) KEYS;
        System.out.printf("Ketama: adding a 4th server moved %d of %d keys (%.1f%%; ideal 25%%); spread over 4: %s%n",
                moved, KEYS, fraction * 100, java.util.Arrays.toString(perServer));
        assertEquals(0, movedElsewhere, "keys may only move to the new server");
        assertTrue(fraction > 0.15 && fraction < 0.35, "moved fraction " + fraction + " is not about 1/4");
        for (int n : perServer) {
            assertTrue(n > KEYS / 4 * 0.7 && n < KEYS / 4 * 1.3, "uneven spread " + java.util.Arrays.toString(perServer));
        }
    }

    @Test
    void oneServerSkipsKetamasDigestSinceEveryKeyLandsThereAnyway() {
        NodeLocator one = locator(nodes(1));
        assertTrue(!(one instanceof KetamaNodeLocator), "one server needs no consistent hashing, got " + one.getClass().getName());
        assertEquals(11211, ((InetSocketAddress) one.getPrimary("user:1:profile").getSocketAddress()).getPort());
    }

    /** The locator the driver builds for these servers. */
    private static NodeLocator locator(List<MemcachedNode> nodes) {
        ExecutorService unused = Executors.newSingleThreadExecutor();
        StringBuilder servers = new StringBuilder();
        for (MemcachedNode n : nodes) {
            InetSocketAddress a = (InetSocketAddress) n.getSocketAddress();
            servers.append(servers.length() == 0 ? "" : ",").append(a.getHostString()).append(':').append(a.getPort());
        }
        try (TestContext context = TestContext.servers(servers.toString())) {
            MemcachedCacheProvider.Settings settings = MemcachedCacheProvider.settings(context.config());
            ConnectionObserver observer = new ConnectionObserver() {
                @Override
                public void connectionEstablished(java.net.SocketAddress sa, int reconnectCount) {
                }

                @Override
                public void connectionLost(java.net.SocketAddress sa) {
                }
            };
            return MemcachedCacheDriver.connectionFactory(settings, unused, observer).createLocator(nodes);
        } finally {
            unused.shutdown();
        }
    }

    private static List<MemcachedNode> nodes(int n) {
        List<MemcachedNode> nodes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            nodes.add(node(11211 + i));
        }
        return nodes;
    }

    /** A node that only knows its address: the locator reads nothing else. */
    private static MemcachedNode node(int port) {
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        Map<String, Object> answers = Map.of("getSocketAddress", address, "toString", "node " + address, "isActive", true);
        return (MemcachedNode) Proxy.newProxyInstance(MemcachedNode.class.getClassLoader(), new Class<?>[] {MemcachedNode.class}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "equals":
                    return proxy == args[0];
                case "hashCode":
                    return System.identityHashCode(proxy);
                default:
                    if (answers.containsKey(method.getName())) {
                        return answers.get(method.getName());
                    }
                    throw new UnsupportedOperationException("the locator should not call " + method.getName());
            }
        });
    }
}
