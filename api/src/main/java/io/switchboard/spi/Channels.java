package io.switchboard.spi;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * The portable channel and pattern syntax, for the facade's validation and for providers that
 * must filter or translate patterns. Stateless and thread-safe.
 *
 * <p>A channel is 1 to {@value #MAX_LENGTH} characters: segments of {@code [A-Za-z0-9_-]}
 * separated by single dots. A pattern may also have segments that are exactly {@code *} (one
 * segment) or {@code #} (zero or more segments). Matching is case-sensitive. Examples:
 * {@code a.*} matches {@code a.b} only; {@code a.#} matches {@code a}, {@code a.b}, {@code a.b.c};
 * {@code #.c} matches {@code c} and {@code a.b.c}; {@code #} matches everything.
 */
public final class Channels {
    /** The longest channel or pattern, in characters. */
    public static final int MAX_LENGTH = 200;

    private Channels() {
    }

    /** Whether the string is a pattern: it has a {@code *} or {@code #} segment. Does not validate. */
    public static boolean isPattern(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('#') >= 0;
    }

    /**
     * Checks an exact channel name.
     *
     * @return the name
     * @throws IllegalArgumentException naming the channel and what is wrong, if invalid or a pattern
     */
    public static String requireChannel(String channel) {
        Objects.requireNonNull(channel, "channel");
        String problem = problem(channel, false);
        if (problem != null) {
            throw new IllegalArgumentException("channel '" + printable(channel) + "' is invalid: " + problem);
        }
        return channel;
    }

    /**
     * Checks a channel or pattern.
     *
     * @return the string
     * @throws IllegalArgumentException naming it and what is wrong, if invalid
     */
    public static String requireChannelOrPattern(String channelOrPattern) {
        Objects.requireNonNull(channelOrPattern, "channel or pattern");
        String problem = problem(channelOrPattern, true);
        if (problem != null) {
            throw new IllegalArgumentException((isPattern(channelOrPattern) ? "pattern '" : "channel '")
                    + printable(channelOrPattern) + "' is invalid: " + problem);
        }
        return channelOrPattern;
    }

    /** What is wrong with the string, or {@code null} if valid. */
    static String problem(String s, boolean allowWildcards) {
        return isValid(s, allowWildcards) ? null : describeProblem(s, allowWildcards);
    }

    /** One pass, no allocation: this runs on every publish. */
    private static boolean isValid(String s, boolean allowWildcards) {
        int n = s.length();
        if (n == 0 || n > MAX_LENGTH) {
            return false;
        }
        int segmentLength = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == '.') {
                if (segmentLength == 0) {
                    return false;
                }
                segmentLength = 0;
            } else if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
                segmentLength++;
            } else if ((c == '*' || c == '#') && allowWildcards && segmentLength == 0 && (i + 1 == n || s.charAt(i + 1) == '.')) {
                segmentLength++;
            } else {
                return false;
            }
        }
        return segmentLength > 0;
    }

    private static String describeProblem(String s, boolean allowWildcards) {
        if (s.isEmpty()) {
            return "it is empty";
        }
        if (s.length() > MAX_LENGTH) {
            return "it is " + s.length() + " characters, over the limit of " + MAX_LENGTH;
        }
        int segmentStart = 0;
        for (int i = 0; i <= s.length(); i++) {
            if (i == s.length() || s.charAt(i) == '.') {
                if (i == segmentStart) {
                    return "segment " + (countDots(s, i) + 1) + " is empty (no leading, trailing or double dots)";
                }
                String segment = s.substring(segmentStart, i);
                if (segment.equals("*") || segment.equals("#")) {
                    if (!allowWildcards) {
                        return "a channel to publish to must not contain wildcard '" + segment + "'";
                    }
                } else {
                    for (int j = 0; j < segment.length(); j++) {
                        char c = segment.charAt(j);
                        if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
                            if (c == '*' || c == '#') {
                                return "wildcard '" + c + "' must be a whole segment, not part of '" + segment + "'";
                            }
                            return "character '" + printable(String.valueOf(c)) + "' at position " + (segmentStart + j + 1)
                                    + " is not allowed (use letters, digits, '_', '-', and '.' between segments)";
                        }
                    }
                }
                segmentStart = i + 1;
            }
        }
        return "it is not of the form segment.segment (letters, digits, '_', '-')";
    }

    /**
     * Compiles a valid pattern (or exact channel) into a matcher of exact channel names.
     *
     * @throws IllegalArgumentException if it is not a valid channel or pattern
     */
    public static Predicate<String> matcher(String channelOrPattern) {
        requireChannelOrPattern(channelOrPattern);
        if (!isPattern(channelOrPattern)) {
            return channelOrPattern::equals;
        }
        String[] pattern = channelOrPattern.split("\\.");
        return channel -> matches(pattern, channel.split("\\.", -1));
    }

    /** Whether the exact channel matches the pattern; both must be valid. */
    public static boolean matches(String pattern, String channel) {
        return matcher(pattern).test(channel);
    }

    /**
     * Dynamic programming over (pattern segments, channel segments), linear in their product:
     * backtracking on {@code #} is exponential, and a pattern such as {@code #.#.#.#.x} would
     * hang every publish routed through it.
     */
    private static boolean matches(String[] p, String[] c) {
        boolean[] reach = new boolean[c.length + 1];
        reach[0] = true;
        for (String seg : p) {
            boolean[] next = new boolean[c.length + 1];
            if (seg.equals("#")) {
                boolean any = false;
                for (int j = 0; j <= c.length; j++) {
                    any |= reach[j];
                    next[j] = any;
                }
            } else {
                boolean star = seg.equals("*");
                for (int j = 1; j <= c.length; j++) {
                    next[j] = reach[j - 1] && (star || seg.equals(c[j - 1]));
                }
            }
            reach = next;
        }
        return reach[c.length];
    }

    private static int countDots(String s, int end) {
        int n = 0;
        for (int i = 0; i < end; i++) {
            if (s.charAt(i) == '.') {
                n++;
            }
        }
        return n;
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && i < MAX_LENGTH + 20; i++) {
            char c = s.charAt(i);
            sb.append(Character.isISOControl(c) || Character.isWhitespace(c) && c != ' '
                    ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return sb.toString();
    }
}
