package io.switchboard.memcached;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.ConfigurationException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code switchboard.memcached.servers} pointing at a server of another kind fails {@code open()}
 * with a {@link ConfigurationException} saying it is not memcached and what it answered, at once:
 * the shared Redis on 6379 (which answers only a complete line, so a binary memcached request
 * alone gets no reply) and an HTTP-like server on a free port.
 */
class MemcachedForeignServerIT {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);

    private static void assertNotMemcached(String address, String protocol, String answered) {
        try (TestContext ctx = TestContext.servers(address, MemcachedCacheProvider.CONNECT_TIMEOUT.name(), CONNECT_TIMEOUT,
                MemcachedCacheProvider.PROTOCOL.name(), protocol)) {
            long t0 = System.nanoTime();
            ConfigurationException e = assertThrows(ConfigurationException.class, ctx::connect);
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(e.getMessage().contains(address) && e.getMessage().contains("not a memcached server")
                    && e.getMessage().contains(answered), e.getMessage());
            assertTrue(took < CONNECT_TIMEOUT.toMillis(), "a server that answers otherwise is known at once; took " + took + " ms");
            System.out.printf("Foreign server (%s, %s protocol): open() failed after %d ms: %s%n", address, protocol, took, e.getMessage());
        }
    }

    @ParameterizedTest(name = "{0} protocol")
    @ValueSource(strings = {"binary", "text"})
    void openFailsSayingRedisIsNotMemcached(String protocol) {
        assertNotMemcached("127.0.0.1:6379", protocol, "-ERR");
    }

    /** As an HTTP server answers a request it cannot parse, once it has read something. */
    private static void answerBadRequest(Socket s) {
        try (s) {
            s.setSoTimeout(5000);
            InputStream in = s.getInputStream();
            if (in.read(new byte[512]) > 0) {
                OutputStream out = s.getOutputStream();
                out.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (java.io.IOException closed) {
            // The client went away.
        }
    }

    @ParameterizedTest(name = "{0} protocol")
    @ValueSource(strings = {"binary", "text"})
    void openFailsSayingAnHttpServerIsNotMemcached(String protocol) throws Exception {
        try (ServerSocket http = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                while (!http.isClosed()) {
                    try {
                        Socket s = http.accept();
                        Thread answer = new Thread(() -> answerBadRequest(s), "http-like-connection");
                        answer.setDaemon(true);
                        answer.start();
                    } catch (java.io.IOException closed) {
                        // The test is over.
                    }
                }
            }, "http-like-server");
            server.setDaemon(true);
            server.start();
            assertNotMemcached("127.0.0.1:" + http.getLocalPort(), protocol, "HTTP/1.1 400");
        }
    }
}
