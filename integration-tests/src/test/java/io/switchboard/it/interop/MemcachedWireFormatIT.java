package io.switchboard.it.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.SharedCache;
import io.switchboard.Switchboard;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The memjs and pymemcache snippets of {@code docs/wire-format-memcached.md}, run as they stand
 * in the doc against the shared memcached: they read what a Switchboard instance stored (JSON,
 * every byte 0x00-0xFF, text, a space-padded counter, a key over 250 bytes in hash mode) by its flags, and store values that
 * Switchboard reads back, with Switchboard's flags (checked on the server, not only through
 * Switchboard, which would also accept flags 0).
 */
@DisplayName("docs/wire-format-memcached.md: the memjs and pymemcache snippets share values with Switchboard")
class MemcachedWireFormatIT {
    static final String DOC = "wire-format-memcached.md";
    static final ObjectMapper JSON = new ObjectMapper();
    static final String LONG_KEY = "report:" + "x".repeat(250);
    static final Map<String, Object> USER = Map.of("name", "Ada", "langs", List.of("en", "de"), "note", "grüße 😀");

    private static Switchboard sb;
    private static String namespace;

    /** The shared server's port, as bin/services starts it. */
    static int port() {
        return 11211;
    }

    @BeforeAll
    static void open() {
        namespace = "it-" + UUID.randomUUID().toString().substring(0, 8) + ":";
        sb = Switchboard.open(Map.of("switchboard.transport", "memory", "switchboard.cache", "memcached",
                "switchboard.memcached.servers", "127.0.0.1:" + port(), "switchboard.cache.namespace", namespace,
                "switchboard.memcached.key-mode", "hash"));
    }

    @AfterAll
    static void close() {
        if (sb != null) {
            sb.close();
        }
    }

    @Test
    @DisplayName("memjs with the doc's serializer reads and writes JSON, bytes, text and counters")
    void memjs() throws Exception {
        Path dir = Runtimes.node();
        Path script = DocSnippets.write(DOC, "memjs-cache.js", dir);
        share("node", true, dir, "node", script.toString());
    }

    @Test
    @DisplayName("pymemcache with the doc's serde reads and writes JSON, bytes, text and counters")
    void pymemcache() throws Exception {
        String python = Runtimes.python("pymemcache", "python3-pymemcache");
        Path dir = Path.of("target", "python").toAbsolutePath();
        Path script = DocSnippets.write(DOC, "pymemcache_cache.py", dir);
        share("python", false, dir, python, script.toString());
    }

    private void share(String who, boolean printsFlags, Path dir, String... command) throws Exception {
        SharedCache cache = sb.cache();
        byte[] bytes = WireFormats.everyByte();
        cache.put("user:42", USER);
        cache.put("avatar:42", bytes);
        cache.put("greeting", "grüße");
        cache.put(LONG_KEY, "stored under its SHA-256");
        cache.delete("hits");
        cache.increment("hits", 10, 10, Duration.ZERO);
        assertEquals(9, cache.increment("hits", -1));   // memcached may now pad it: "9 "

        Map<String, JsonNode> seen = new HashMap<>();
        JsonNode counted;
        try (ForeignProcess p = ForeignProcess.start(who, dir, Runtimes.env("NAMESPACE", namespace, "MEMCACHED", "127.0.0.1:" + port()), command)) {
            for (int i = 0; i < 5; i++) {
                JsonNode line = JSON.readTree(p.awaitLine("line " + (i + 1) + " of 5 values read", Duration.ofSeconds(30), l -> l.startsWith("{")));
                seen.put(line.get("key").asText(), line);
            }
            counted = JSON.readTree(p.awaitLine("counter line", Duration.ofSeconds(30), l -> l.contains("\"after\"")));
            assertEquals(0, p.awaitExit(Duration.ofSeconds(30)), who + " exit code; stderr:\n" + p.errors());
        }
        assertEquals(USER, JSON.convertValue(seen.get("user:42").get("value"), Map.class), who + " read the JSON value");
        assertArrayEquals(bytes, Base64.getDecoder().decode(seen.get("avatar:42").get("value").asText()), who + " read the bytes");
        assertEquals("grüße", seen.get("greeting").get("value").asText(), who + " read the text");
        assertEquals("9", seen.get("hits").get("value").asText().trim(), who + " read the counter");
        assertEquals("stored under its SHA-256", seen.get(LONG_KEY).get("value").asText(), who + " found the hashed long key");
        if (printsFlags) {
            assertEquals(0x20, seen.get("user:42").get("flags").asInt(), "flags of a JSON value");
            assertEquals(0x40, seen.get("avatar:42").get("flags").asInt(), "flags of a byte[] value");
            assertEquals(0, seen.get("greeting").get("flags").asInt(), "flags of a String value");
        } else {
            assertEquals("dict", seen.get("user:42").get("type").asText());
            assertEquals("bytes", seen.get("avatar:42").get("type").asText());
            assertEquals("str", seen.get("greeting").get("type").asText());
        }
        assertEquals(9, counted.get("before").asLong(), who + " counter before");
        assertEquals(10, counted.get("after").asLong(), who + " counter after its increment");

        Map<String, Object> user = new HashMap<>(USER);
        user.put("seenBy", who.equals("node") ? "memjs" : "pymemcache");
        assertEquals(user, cache.get(who + ":user:42", Map.class), "Switchboard reads the JSON " + who + " stored");
        assertArrayEquals(bytes, cache.get(who + ":avatar:42", byte[].class), "Switchboard reads the bytes " + who + " stored");
        assertEquals("grüße from " + user.get("seenBy"), cache.get(who + ":greeting", String.class), "Switchboard reads the text " + who + " stored");
        assertEquals("10", cache.get("hits", String.class).trim(), "Switchboard reads the counter " + who + " incremented");
        assertEquals(0x20, flagsOnServer(namespace + who + ":user:42"), "flags " + who + " stored with the JSON value");
        assertEquals(0x40, flagsOnServer(namespace + who + ":avatar:42"), "flags " + who + " stored with the bytes");
        assertEquals(0, flagsOnServer(namespace + who + ":greeting"), "flags " + who + " stored with the text");
    }

    /** The flags memcached holds for {@code key}, asked with the text protocol's {@code get}. */
    private static long flagsOnServer(String key) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port()), 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(("get " + key + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1)).readLine();
            String[] parts = line == null ? new String[0] : line.split(" ");
            if (parts.length < 4 || !parts[0].equals("VALUE")) {
                throw new AssertionError("memcached has no value for " + key + ": " + line);
            }
            return Long.parseLong(parts[2]);
        }
    }
}
