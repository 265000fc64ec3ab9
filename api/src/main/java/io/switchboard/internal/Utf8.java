package io.switchboard.internal;

/** UTF-8 lengths without encoding, for size and key limits checked on every operation. */
public final class Utf8 {
    private Utf8() {
    }

    /** How many bytes {@code s} takes in UTF-8 (an unpaired surrogate counts as the 3 bytes of its replacement). */
    public static int length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
