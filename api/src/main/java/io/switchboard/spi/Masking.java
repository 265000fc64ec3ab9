package io.switchboard.spi;

/**
 * Masks credentials in configuration values and in messages that show them. Providers must call
 * {@link #maskUserInfo(String)} on every message, log line or {@code toString()} that shows a
 * server address, so that a password written into an address never appears. Stateless and
 * thread-safe.
 */
public final class Masking {
    private static final String MASK = "****";

    private Masking() {
    }

    /**
     * How the core shows a configuration value: a secret key's value through
     * {@link #maskSecret(String)}, any other through {@link #maskUserInfo(String)} (a password
     * can be written into a key that is not declared secret, such as a list of servers).
     */
    public static String maskValue(ConfigKey<?> key, String value) {
        return key.isSecret() ? maskSecret(value) : maskUserInfo(value);
    }

    /**
     * {@code text} with the password of every address-like token masked: tokens are split at white
     * space, {@code ,} and {@code ;}, so lists and whole sentences work. In
     * {@code scheme://user:password@host} the password becomes {@code ****}, and a token without a
     * user ({@code scheme://token@host}) becomes {@code ****}; without a scheme,
     * {@code user:password@host:port} becomes {@code user:****@host:port}, while {@code name@host}
     * (no colon: an e-mail address, an object's identity) is left alone. The password runs to the
     * last {@code @} of the token, because passwords are often not percent-encoded and may hold
     * {@code /}, {@code :} or {@code @}: masking too much is safe, too little is not. Quotes and
     * brackets before the address are kept. {@code null} gives {@code null}.
     */
    public static String maskUserInfo(String text) {
        if (text == null || text.indexOf('@') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int n = text.length();
        int i = 0;
        while (i < n) {
            if (separates(text.charAt(i))) {
                out.append(text.charAt(i++));
                continue;
            }
            int end = i;
            while (end < n && !separates(text.charAt(end))) {
                end++;
            }
            maskToken(text, i, end, out);
            i = end;
        }
        return out.toString();
    }

    private static boolean separates(char c) {
        return c == ',' || c == ';' || Character.isWhitespace(c);
    }

    private static void maskToken(String text, int start, int end, StringBuilder out) {
        int at = text.lastIndexOf('@', end - 1);
        if (at < start) {
            out.append(text, start, end);
            return;
        }
        int scheme = text.indexOf("://", start);
        boolean hasScheme = scheme >= 0 && scheme < at;
        int user = hasScheme ? scheme + 3 : start;
        while (!hasScheme && user < at && "'\"([{<".indexOf(text.charAt(user)) >= 0) {
            user++;
        }
        int colon = text.indexOf(':', user);
        boolean hasColon = colon >= 0 && colon < at;
        if (user == at || !hasScheme && !hasColon) {
            out.append(text, start, end);
            return;
        }
        out.append(text, start, user);
        if (hasColon) {
            out.append(text, user, colon + 1);
        }
        out.append(MASK).append(text, at, end);
    }

    /**
     * How to show a secret value: a URI keeps its scheme, user, host and port with the password
     * (or a user-info token without a user) masked; anything else becomes {@code ****}.
     */
    public static String maskSecret(String value) {
        if (value == null) {
            return null;
        }
        int schemeEnd = value.indexOf("://");
        if (schemeEnd >= 0) {
            int at = value.lastIndexOf('@');
            if (at < schemeEnd) {
                return value;
            }
            String userInfo = value.substring(schemeEnd + 3, at);
            int colon = userInfo.indexOf(':');
            String shownUser = colon >= 0 ? userInfo.substring(0, colon) + ":" : "";
            return value.substring(0, schemeEnd + 3) + shownUser + MASK + value.substring(at);
        }
        return value.isEmpty() ? "" : MASK;
    }
}
