package io.switchboard.internal;

/**
 * UTF-8 lengths without encoding, for size and key limits checked on every operation, and the
 * well-formedness check that goes with them in the same pass. A string with an unpaired surrogate
 * has no UTF-8 form: the JDK's encoder turns it into {@code ?}, so two different keys or header
 * names would collide on the wire, and a reader in another language would see a different string.
 * Every string the facade sends is therefore refused at the call when it is malformed.
 */
public final class Utf8 {
    private static final int NO_CONTROL = 1;
    private static final int NO_SPACE = 2;

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

    /**
     * How many bytes {@code s} takes in UTF-8, refusing a malformed string in the same pass.
     *
     * @param what names the string in the error, for example {@code "durable subscription name"}
     * @throws IllegalArgumentException if {@code s} holds an unpaired surrogate; the message names
     *     {@code what}, shows {@code s} escaped, and gives the code unit and its 1-based position
     */
    public static int checkedLength(String s, String what) {
        return scan(s, 0, what, null, true);
    }

    /**
     * As {@link #checkedLength}, also refusing control characters: for names and ids (header
     * names, message ids, content types).
     *
     * @throws IllegalArgumentException naming {@code what}, the escaped string, the character and its position
     */
    public static int checkedNameLength(String s, String what) {
        return scan(s, NO_CONTROL, what, null, true);
    }

    /**
     * As {@link #checkedLength}, also refusing white space and control characters, as keys on
     * every cache server require.
     *
     * @throws IllegalArgumentException naming {@code what}, the escaped string, the character and its position
     */
    public static int checkedKeyLength(String s, String what) {
        return scan(s, NO_CONTROL | NO_SPACE, what, null, true);
    }

    /**
     * As {@link #checkedLength} for a value, which the error does not show (values may be
     * confidential): it says {@code what 'owner'} (or {@code what} alone when {@code owner} is
     * {@code null}), the code unit and its position.
     *
     * @param what for example {@code "value of header"}
     * @param owner for example the header name, or {@code null}
     * @throws IllegalArgumentException if {@code s} holds an unpaired surrogate
     */
    public static int checkedValueLength(String s, String what, String owner) {
        return scan(s, 0, what, owner, false);
    }

    private static int scan(String s, int rules, String what, String owner, boolean show) {
        int n = 0;
        int len = s.length();
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                if (rules != 0 && (c < 0x20 || c == 0x7f || (c == ' ' && (rules & NO_SPACE) != 0))) {
                    throw refused(s, what, c, i);
                }
                n++;
            } else if (rules != 0 && (Character.isISOControl(c)
                    || (rules & NO_SPACE) != 0 && (Character.isWhitespace(c) || Character.isSpaceChar(c)))) {
                throw refused(s, what, c, i);
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isSurrogate(c)) {
                if (!Character.isHighSurrogate(c) || i + 1 >= len || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    String subject = show ? what + " '" + printable(s, 60) + "'"
                            : owner == null ? what : what + " '" + printable(owner, 60) + "'";
                    throw new IllegalArgumentException(subject + " is not well-formed UTF-16: unpaired surrogate "
                            + String.format("U+%04X", (int) c) + " at position " + (i + 1)
                            + "; it has no UTF-8 form, so it would reach the wire changed");
                }
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    private static IllegalArgumentException refused(String s, String what, char c, int i) {
        return new IllegalArgumentException(what + " '" + printable(s, 60) + "' contains "
                + (Character.isISOControl(c) ? "control character " + String.format("U+%04X", (int) c) : "white space")
                + " at position " + (i + 1) + "; " + what + "s must not contain "
                + (Character.isISOControl(c) ? "control characters" : "spaces or control characters"));
    }

    /** The index of the first unpaired surrogate in {@code s}, or -1 when it is well-formed UTF-16. */
    public static int unpairedSurrogate(CharSequence s) {
        int len = s.length();
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (!Character.isHighSurrogate(c) || i + 1 >= len || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return i;
                }
                i++;
            }
        }
        return -1;
    }

    /**
     * {@code s} with every unpaired surrogate replaced by U+FFFD (the replacement character); for
     * text the facade itself puts on the wire from outside input (an exception message in a
     * dead-letter reason). Returns {@code s} itself when it is well-formed.
     */
    public static String wellFormed(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!Character.isSurrogate(c)) {
                continue;
            }
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
                continue;
            }
            if (sb == null) {
                sb = new StringBuilder(s);
            }
            sb.setCharAt(i, '\uFFFD');
        }
        return sb == null ? s : sb.toString();
    }

    /**
     * {@code s} for an error message: control characters and unpaired surrogates escaped as
     * {@code \\uXXXX} (so the message itself is well-formed), cut after about {@code max} characters
     * with the full length noted.
     */
    public static String printable(String s, int max) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && i < max; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(++i));
            } else if (Character.isISOControl(c) || Character.isSurrogate(c)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return s.length() > max ? sb + "...(" + s.length() + " chars)" : sb.toString();
    }
}
