package io.switchboard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class Utf8Test {
    @Test
    void checkedLengthsEqualTheEncodedLengthOfWellFormedStrings() {
        for (String s : List.of("", "abc", "héllo", "€uro", "\uD83D\uDE00 smile", "日本語", "\u0000\u007f\u0080\u07ff\u0800\uffff")) {
            int encoded = s.getBytes(StandardCharsets.UTF_8).length;
            assertEquals(encoded, Utf8.length(s), s);
            assertEquals(encoded, Utf8.checkedLength(s, "s"), s);
            assertEquals(encoded, Utf8.checkedValueLength(s, "s", null), s);
        }
        assertEquals(1 + 4 + 3, Utf8.checkedKeyLength("k\uD83D\uDE00€", "cache key"));
    }

    @Test
    void refusesEveryKindOfUnpairedSurrogateNamingThePosition() {
        for (String s : List.of("\uD800", "a\uDC00", "x\uD83D", "\uDE00\uD83D", "\uD83D\uD83D\uDE00")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Utf8.checkedLength(s, "header name"));
            assertTrue(e.getMessage().startsWith("header name '") && e.getMessage().contains("unpaired surrogate U+"), e.getMessage());
            assertSame(e.getMessage(), Utf8.wellFormed(e.getMessage()), "the message shows the culprit escaped");
            assertThrows(IllegalArgumentException.class, () -> Utf8.checkedKeyLength(s, "cache key"));
            assertThrows(IllegalArgumentException.class, () -> Utf8.checkedNameLength(s, "message id"));
        }
        IllegalArgumentException at = assertThrows(IllegalArgumentException.class, () -> Utf8.checkedLength("ab\uDC00", "s"));
        assertTrue(at.getMessage().contains("U+DC00 at position 3"), at.getMessage());
    }

    @Test
    void valueErrorsNameTheOwnerButNeverShowTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Utf8.checkedValueLength("secret\uD800", "value of header", "auth"));
        assertTrue(e.getMessage().startsWith("value of header 'auth' is not well-formed UTF-16"), e.getMessage());
        assertTrue(!e.getMessage().contains("secret"), e.getMessage());
    }

    @Test
    void keysRefuseSpacesAndControlsNamesOnlyControls() {
        IllegalArgumentException space = assertThrows(IllegalArgumentException.class, () -> Utf8.checkedKeyLength("a b", "cache key"));
        assertEquals("cache key 'a b' contains white space at position 2; cache keys must not contain spaces or control characters",
                space.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Utf8.checkedKeyLength("a\u00a0b", "cache key"));
        assertThrows(IllegalArgumentException.class, () -> Utf8.checkedKeyLength("a\u3000b", "cache key"));
        IllegalArgumentException control = assertThrows(IllegalArgumentException.class, () -> Utf8.checkedKeyLength("a\tb", "cache key"));
        assertTrue(control.getMessage().contains("control character U+0009 at position 2"), control.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Utf8.checkedNameLength("a\u0085b", "header name"));
        assertEquals(3, Utf8.checkedNameLength("a b", "header name"), "names may hold spaces");
    }

    @Test
    void wellFormedReplacesOnlyUnpairedSurrogates() {
        String ok = "fine \uD83D\uDE00";
        assertSame(ok, Utf8.wellFormed(ok));
        assertEquals("a\uFFFDb\uD83D\uDE00\uFFFD", Utf8.wellFormed("a\uDC00b\uD83D\uDE00\uD83D"));
    }

    @Test
    void printableEscapesControlsAndUnpairedSurrogatesButKeepsPairs() {
        assertEquals("a\\u000ab\\ud800\uD83D\uDE00", Utf8.printable("a\nb\uD800\uD83D\uDE00", 60));
        assertEquals("abc...(5 chars)", Utf8.printable("abcde", 3));
    }
}
