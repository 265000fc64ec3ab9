package io.switchboard.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Masks credentials in configuration values. */
public final class Masking {
    private static final Pattern URI_PASSWORD = Pattern.compile("([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\\s]*):[^@/\\s]*@");

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
     * masked; anything else becomes {@code ****}.
     */
    public static String maskSecret(String value) {
        if (value == null) {
            return null;
        }
        if (value.contains("://")) {
            String masked = maskUriPasswords(value);
            if (!masked.equals(value) || !value.contains("@")) {
                return masked;
            }
            return value.replaceAll("://[^@/]*@", "://****@");
        }
        return value.isEmpty() ? "" : "****";
    }
}
