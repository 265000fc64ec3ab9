package io.switchboard.cli;

/**
 * A record of the demo's catalogue, as stored in the shared cache (JSON). Immutable.
 *
 * @param id product id
 * @param name product name
 * @param priceCents price in cents
 * @param version incremented by every change; copies with a lower version are stale
 * @param changedBy which instance made the last change
 */
public record Product(String id, String name, long priceCents, long version, String changedBy) {
    Product withPrice(long cents, String by) {
        return new Product(id, name, cents, version + 1, by);
    }

    String price() {
        return String.format("%d.%02d", priceCents / 100, priceCents % 100);
    }
}
