package io.switchboard.examples.products;

import java.time.Instant;
import java.util.Objects;

/**
 * A product as the catalog holds it; stored in the shared cache as JSON
 * ({@code {"sku":"p-1","name":"Kettle","priceCents":2999,"updatedAt":"2026-12-02T10:15:30Z"}}).
 * Immutable.
 */
public record Product(String sku, String name, long priceCents, Instant updatedAt) {
    /** Checks the fields. */
    public Product {
        Objects.requireNonNull(sku, "sku");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(updatedAt, "updatedAt");
        if (priceCents < 0) {
            throw new IllegalArgumentException("price of " + sku + " must not be negative: " + priceCents);
        }
    }

    /** The same product at another price, updated now. */
    public Product withPrice(long cents) {
        return new Product(sku, name, cents, Instant.now());
    }
}
