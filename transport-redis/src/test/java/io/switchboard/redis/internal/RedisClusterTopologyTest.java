package io.switchboard.redis.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;

class RedisClusterTopologyTest {
    private static List<Object> node(String host, long port) {
        return List.of(host.getBytes(StandardCharsets.UTF_8), port, "id".getBytes(StandardCharsets.UTF_8));
    }

    private static List<Object> range(long from, long to, List<Object> master, List<Object> replica) {
        return List.of(from, to, master, replica);
    }

    @Test
    void aShardIsNamedByTheLowestSlotOfItsMasterAndKeepsTheNameWhenTheReplicaTakesOver() {
        List<Object> a = node("10.0.0.1", 7000);
        List<Object> a2 = node("10.0.0.4", 7003);
        List<Object> b = node("10.0.0.2", 7001);
        RedisClusterTopology.Map16k before = RedisClusterTopology.parse(List.of(
                range(200, 300, a, a2), range(0, 100, a, a2), range(101, 199, b, node("10.0.0.5", 7004))));
        assertEquals(0, before.shardOfSlot[250], "a master's ranges are one shard, named by its lowest slot");
        assertEquals(0, before.shardOfSlot[50]);
        assertEquals(101, before.shardOfSlot[150]);
        assertEquals(-1, before.shardOfSlot[301], "a slot nobody serves has no shard");
        assertEquals(Map.of(0, new HostAndPort("10.0.0.1", 7000), 101, new HostAndPort("10.0.0.2", 7001)), before.masters);
        assertEquals(4, before.nodes.size(), "masters and replicas, for connections any node can serve");

        RedisClusterTopology.Map16k after = RedisClusterTopology.parse(List.of(
                range(0, 100, a2, a), range(101, 199, b, node("10.0.0.5", 7004)), range(200, 300, a2, a)));
        assertEquals(0, after.shardOfSlot[250], "the promoted replica serves the same shard");
        assertEquals(new HostAndPort("10.0.0.4", 7003), after.masters.get(0));
    }
}
