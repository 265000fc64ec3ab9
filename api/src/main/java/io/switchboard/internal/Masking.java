package io.switchboard.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Masks credentials in configuration values. */
public final class Masking {
    /**
     * A user-info password: greedy up to the last {@code @} of the token, because passwords are
     * often not percent-encoded and may hold {@code /} or {@code @}; masking too much is safe,
     * too little is not.
     */
    private static final Pattern URI_PASSWORD = Pattern.compile("([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\\s]*):[^\\s]*@");

    private Masking() {
    }

    /** The value with any {@code scheme://user:password@} password replaced by {@code ****}. */
    public static String maskUriPasswords(String value) {
        if (value == null) {
            return null;
        }
        Matcher m = URI_PASSWORD.matcher(value);
        return m.replaceAll("$1:****@");
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
            return value.substring(0, schemeEnd + 3) + shownUser + "****" + value.substring(at);
        }
        return value.isEmpty() ? "" : "****";
    }
}
