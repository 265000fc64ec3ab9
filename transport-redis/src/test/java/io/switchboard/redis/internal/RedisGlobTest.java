package io.switchboard.redis.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.spi.Channels;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RedisGlobTest {
    @Test
    void translatesPortablePatternsToGlobs() {
        assertEquals("a.*", RedisSubscriber.toGlob("", "a.*"));
        assertEquals("a*", RedisSubscriber.toGlob("", "a.#"));
        assertEquals("*c", RedisSubscriber.toGlob("", "#.c"));
        assertEquals("a*c", RedisSubscriber.toGlob("", "a.#.c"));
        assertEquals("*", RedisSubscriber.toGlob("", "#"));
        assertEquals("a.*", RedisSubscriber.toGlob("", "a.*.#"));
        assertEquals("app\\*1:a.*", RedisSubscriber.toGlob("app*1:", "a.*"));
    }

    /** The glob must match a superset of the portable pattern; the filter removes the rest. */
    @Test
    void globMatchesEveryChannelThePatternMatches() {
        List<String> patterns = List.of("a.*", "a.#", "#.c", "a.#.c", "#", "*.*", "a.*.#", "#.b.#", "*.b.*");
        List<String> channels = List.of("a", "b", "c", "a.b", "a.c", "a.b.c", "x.b.y", "ab.c", "a.b.b.c", "b");
        for (String p : patterns) {
            Pattern glob = globRegex(RedisSubscriber.toGlob("", p));
            for (String c : channels) {
                if (Channels.matches(p, c)) {
                    assertTrue(glob.matcher(c).matches(), "glob of " + p + " must match " + c);
                }
            }
        }
    }

    private static Pattern globRegex(String glob) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '\\') {
                sb.append(Pattern.quote(String.valueOf(glob.charAt(++i))));
            } else if (c == '*') {
                sb.append(".*");
            } else {
                sb.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(sb.toString());
    }
}
