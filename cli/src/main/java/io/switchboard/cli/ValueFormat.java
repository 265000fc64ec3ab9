package io.switchboard.cli;

import io.switchboard.CodecException;
import io.switchboard.JsonCodec;

/**
 * How a cache value reads, judged from its bytes: the library's API returns a value's bytes but not
 * the format its provider may record (memcached's flags), so {@code cache get} infers it.
 */
enum ValueFormat {
    /** Valid UTF-8 that is not a JSON object, array or string. */
    TEXT,
    /** A JSON object, array or string. */
    JSON,
    /** Not valid UTF-8. */
    BYTES;

    /** The format {@code value} reads as. */
    static ValueFormat of(byte[] value) {
        String text = SubCommand.utf8(value);
        if (text == null) {
            return BYTES;
        }
        String t = text.strip();
        // Numbers, true and false are JSON too, but counters and plain words are stored as text.
        if (t.startsWith("{") || t.startsWith("[") || t.startsWith("\"")) {
            try {
                JsonCodec.defaults().decode(value, Object.class);
                return JSON;
            } catch (CodecException e) {
                return TEXT;
            }
        }
        return TEXT;
    }

    String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
