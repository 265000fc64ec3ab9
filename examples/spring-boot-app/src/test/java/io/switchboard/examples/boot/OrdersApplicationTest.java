package io.switchboard.examples.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The example service over HTTP, as a user or a monitoring system sees it: an order in, its invoice
 * out; Switchboard in /actuator/health (readiness too), /actuator/metrics and the Prometheus scrape.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "switchboard.memory.broker=orders-example-test")
class OrdersApplicationTest {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @LocalServerPort
    int port;

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> awaitOk(String path) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        HttpResponse<String> r = get(path);
        while (r.statusCode() != 200 && System.nanoTime() < deadline) {
            Thread.sleep(20);
            r = get(path);
        }
        return r;
    }

    @Test
    void anOrderBecomesAnInvoiceAndSwitchboardShowsInHealthMetricsAndPrometheus() throws Exception {
        HttpResponse<String> posted = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/orders"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"42\",\"customer\":\"ada\",\"cents\":1999}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(202, posted.statusCode(), posted.body());

        HttpResponse<String> invoice = awaitOk("/invoices/42");
        assertEquals(200, invoice.statusCode(), "billed through the listener: " + invoice.body());
        assertTrue(invoice.body().contains("\"customer\":\"ada\"") && invoice.body().contains("1999"), invoice.body());

        HttpResponse<String> readiness = get("/actuator/health/readiness");
        assertEquals(200, readiness.statusCode(), readiness.body());
        assertTrue(readiness.body().contains("\"switchboard\"") && readiness.body().contains("\"transport\""), readiness.body());

        HttpResponse<String> names = get("/actuator/metrics");
        assertTrue(names.body().contains("\"switchboard.publish\"") && names.body().contains("\"switchboard.handler\""), names.body());
        HttpResponse<String> handler = awaitOk("/actuator/metrics/switchboard.handler?tag=channel:orders.created&tag=subscription:billing");
        assertEquals(200, handler.statusCode(), handler.body());
        assertTrue(handler.body().contains("\"COUNT\""), handler.body());

        HttpResponse<String> scrape = get("/actuator/prometheus");
        assertEquals(200, scrape.statusCode());
        assertTrue(scrape.body().contains("switchboard_publish_seconds_count{application=") || scrape.body().contains("switchboard_publish_seconds_count{"),
                scrape.body());
        assertTrue(scrape.body().contains("channel=\"orders.created\""), scrape.body());
        assertTrue(scrape.body().contains("switchboard_cache_gets_total"), "cache reads by the invoice endpoint counted");
    }
}
