package io.switchboard.cli;

/** One service instance of the demo, in this JVM or in a child process. Thread-safe. */
interface DemoNode extends AutoCloseable {
    /** The instance's name, e.g. instance-2. */
    String name();

    /** Writes a new product through the instance's near cache. */
    void create(Product p);

    /** Reads a product through the near cache, raises its price and writes it back; returns what was written. */
    Product changePrice(String id, long cents);

    /** Reads a product as the instance's application would: from its near cache. */
    Product read(String id);

    /** One line of near-cache counters. */
    String stats();

    @Override
    void close();
}
