package io.switchboard.examples.boot;

import io.switchboard.Delivery;
import io.switchboard.Publisher;
import io.switchboard.SharedCache;
import io.switchboard.spring.SwitchboardListener;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * An orders service: {@code POST /orders} publishes the order on {@code orders.created}; the
 * billing listener (a durable subscription, so instances share the work) turns it into an invoice
 * in the shared cache; {@code GET /invoices/{id}} reads it back. Run several instances against
 * RabbitMQ ({@code SWITCHBOARD_TRANSPORT=rabbitmq}) and each order is billed once.
 */
@SpringBootApplication
public class OrdersApplication {
    /** Starts the service. */
    public static void main(String[] args) {
        SpringApplication.run(OrdersApplication.class, args);
    }

    /** An order, as JSON on the wire. */
    public record Order(String id, String customer, long cents) {
    }

    /** An invoice, as JSON in the shared cache. */
    public record Invoice(String orderId, String customer, long cents) {
    }

    /** The REST side. */
    @RestController
    static class OrdersController {
        private final Publisher publisher;
        private final SharedCache cache;

        OrdersController(Publisher publisher, SharedCache cache) {
            this.publisher = publisher;
            this.cache = cache;
        }

        /** Publishes the order; answers once the broker has it. */
        @PostMapping("/orders")
        CompletableFuture<ResponseEntity<Void>> create(@RequestBody Order order) {
            return publisher.publishJson("orders.created", order).toCompletableFuture().thenApply(v -> ResponseEntity.accepted().build());
        }

        /** The invoice of an order, once billing has made it. */
        @GetMapping("/invoices/{orderId}")
        ResponseEntity<Invoice> invoice(@PathVariable("orderId") String orderId) {
            Invoice invoice = cache.get("invoice:" + orderId, Invoice.class);
            return invoice == null ? ResponseEntity.notFound().build() : ResponseEntity.ok(invoice);
        }
    }

    /** The messaging side. */
    @Component
    static class Billing {
        private static final Logger LOG = LoggerFactory.getLogger(Billing.class);
        private final SharedCache cache;

        Billing(SharedCache cache) {
            this.cache = cache;
        }

        @SwitchboardListener(channel = "orders.created", durable = "billing", concurrency = "${billing.concurrency:2}",
                maxAttempts = 5, backoff = "200ms", deadLetter = "orders.dead")
        void bill(Order order, Delivery delivery) {
            // The log line carries switchboard.message.id and switchboard.channel from the MDC (see logging.pattern).
            LOG.info("billing order {} (attempt {})", order.id(), delivery.attempt());
            cache.put("invoice:" + order.id(), new Invoice(order.id(), order.customer(), order.cents()), Duration.ofHours(1));
        }
    }
}
