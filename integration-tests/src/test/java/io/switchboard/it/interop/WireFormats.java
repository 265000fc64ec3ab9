package io.switchboard.it.interop;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/** Test data and small readers shared by the wire-format tests. Stateless. */
final class WireFormats {
    private WireFormats() {
    }

    /** The 256 bytes 0x00 to 0xFF, then the same backwards: every byte, with invalid UTF-8 in it. */
    static byte[] everyByte() {
        byte[] b = new byte[512];
        for (int i = 0; i < 256; i++) {
            b[i] = (byte) i;
            b[511 - i] = (byte) i;
        }
        return b;
    }

    /** A JSON object of strings as a map; fails on anything else. */
    static Map<String, String> strings(JsonNode object) {
        if (object == null || !object.isObject()) {
            throw new AssertionError("expected a JSON object of strings, got " + object);
        }
        Map<String, String> m = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new AssertionError("header " + e.getKey() + " is not a string: " + e.getValue());
            }
            m.put(e.getKey(), e.getValue().asText());
        }
        return m;
    }
}
