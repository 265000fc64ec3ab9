package io.switchboard.redis;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;

/** Test-side Redis administration with a plain Jedis client. */
final class RedisClients {
    private RedisClients() {
    }

    /** Kills every client connection whose CLIENT SETNAME is {@code name}; returns how many. */
    static int killByName(String host, int port, String password, String name) {
        int killed = 0;
        try (Jedis j = new Jedis(host, port)) {
            if (password != null) {
                j.auth(password);
            }
            for (String line : j.clientList().split("\n")) {
                String id = null;
                boolean ours = false;
                for (String field : line.trim().split(" ")) {
                    if (field.startsWith("id=")) {
                        id = field.substring(3);
                    } else if (field.equals("name=" + name)) {
                        ours = true;
                    }
                }
                if (ours && id != null) {
                    j.sendCommand(Protocol.Command.CLIENT, "KILL", "ID", id);
                    killed++;
                }
            }
        }
        return killed;
    }
}
