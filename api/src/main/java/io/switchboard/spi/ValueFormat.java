package io.switchboard.spi;

/**
 * How a cache value's bytes were produced, so that a backend with per-item flags (memcached) can
 * record it for other readers. Backends without flags ignore it. See {@code docs/wire-format.md}.
 */
public enum ValueFormat {
    /** Raw bytes from a {@code byte[]}. */
    BYTES,
    /** UTF-8 text from a {@code String} (also counters, stored as decimal text). */
    TEXT,
    /** UTF-8 JSON from any other value. */
    JSON
}
