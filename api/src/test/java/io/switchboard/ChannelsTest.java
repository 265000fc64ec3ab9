package io.switchboard;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.spi.Channels;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ChannelsTest {
    @ParameterizedTest
    @ValueSource(strings = {"a", "orders.created", "A-b_9.x", "a.b.c.d.e"})
    void acceptsValidChannels(String channel) {
        assertDoesNotThrow(() -> Channels.requireChannel(channel));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".a", "a.", "a..b", "a b", "a/b", "ä", "a.*", "#", "a*", "a.b#"})
    void refusesInvalidChannels(String channel) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Channels.requireChannel(channel));
        assertTrue(e.getMessage().contains("'" + channel + "'") || channel.isEmpty(), e.getMessage());
    }

    @Test
    void refusesOverlongChannelsSayingTheLimit() {
        String longName = "a".repeat(Channels.MAX_LENGTH + 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Channels.requireChannel(longName));
        assertTrue(e.getMessage().contains("over the limit of 200"), e.getMessage());
        assertDoesNotThrow(() -> Channels.requireChannel("a".repeat(Channels.MAX_LENGTH)));
    }

    @Test
    void wildcardMustBeAWholeSegment() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Channels.requireChannelOrPattern("orders.cr*"));
        assertTrue(e.getMessage().contains("whole segment"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({
        "a.*, a.b, true", "a.*, a, false", "a.*, a.b.c, false",
        "a.#, a, true", "a.#, a.b, true", "a.#, a.b.c, true", "a.#, b, false",
        "#.c, c, true", "#.c, a.b.c, true", "#.c, a.c.d, false",
        "#, x, true", "#, x.y.z, true",
        "a.#.z, a.z, true", "a.#.z, a.b.c.z, true", "a.#.z, a.b, false",
        "*.*, a.b, true", "*.*, a, false",
        "a.b, a.b, true", "a.b, A.b, false",
        "*.#, a, true", "#.#, a.b, true"
    })
    void matchesPortably(String pattern, String channel, boolean expected) {
        assertEquals(expected, Channels.matches(pattern, channel), pattern + " vs " + channel);
    }

    @Test
    void manyHashSegmentsDoNotMakeMatchingExponential() {
        String pattern = "#.".repeat(60) + "x";
        String miss = "a.".repeat(90) + "b";
        String hit = "a.".repeat(90) + "x";
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            assertFalse(Channels.matches(pattern, miss));
            assertTrue(Channels.matches(pattern, hit));
        }, "backtracking blew up");
    }

    @Test
    void isPatternOnlyForWildcardSegments() {
        assertTrue(Channels.isPattern("a.*"));
        assertTrue(Channels.isPattern("#"));
        assertFalse(Channels.isPattern("a.b"));
    }
}
