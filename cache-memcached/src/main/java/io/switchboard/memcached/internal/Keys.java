package io.switchboard.memcached.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Memcached's key rules, checked here even though the facade checks them too: spymemcached lets
 * control characters through (the server then stores keys other clients cannot address) and a
 * key over 250 bytes desynchronizes the text protocol. Immutable, thread-safe.
 */
public final class Keys {
    /** Memcached's key limit in bytes. */
    public static final int MAX_KEY_BYTES = 250;
    /** The longest key accepted in {@code hash} mode before hashing, in UTF-8 bytes. */
    public static final int MAX_HASHED_SOURCE_BYTES = 64 * 1024;
    private static final String HASH_PREFIX = "sha256:";
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final boolean hashLongKeys;

    /** Creates the rules; {@code hashLongKeys} replaces keys over 250 bytes by their SHA-256. */
    public Keys(boolean hashLongKeys) {
        this.hashLongKeys = hashLongKeys;
    }

    /** The longest key the caller may pass, in UTF-8 bytes. */
    public int maxKeyLength() {
        return hashLongKeys ? MAX_HASHED_SOURCE_BYTES : MAX_KEY_BYTES;
    }

    /**
     * The key to send to memcached.
     *
     * @throws IllegalArgumentException naming the key when it is empty, too long, or contains a
     *     space, a control character or DEL
     */
    public String toServerKey(String key) {
        if (key.isEmpty()) {
            throw new IllegalArgumentException("memcached key must not be empty");
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            // Printable ASCII, nearly every key's every character, is none of what the slow test refuses.
            if (c > ' ' && c < 0x7f) {
                continue;
            }
            if (c <= ' ' || c == 0x7f || Character.isISOControl(c) || Character.isWhitespace(c) || Character.isSpaceChar(c)) {
                throw new IllegalArgumentException("memcached key '" + printable(key) + "' contains "
                        + (c == ' ' || Character.isSpaceChar(c) ? "a space" : String.format("control character U+%04X", (int) c))
                        + " at position " + (i + 1) + "; memcached keys must not contain spaces or control characters");
            }
        }
        // A char is at most 3 UTF-8 bytes: nearly every key is settled without encoding it again.
        if (key.length() <= MAX_KEY_BYTES / 3) {
            return key;
        }
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_KEY_BYTES) {
            return key;
        }
        if (!hashLongKeys) {
            throw new IllegalArgumentException("memcached key '" + printable(key) + "' is " + bytes.length
                    + " bytes, over memcached's limit of " + MAX_KEY_BYTES + " bytes; shorten it or set "
                    + "switchboard.memcached.key-mode=hash");
        }
        if (bytes.length > MAX_HASHED_SOURCE_BYTES) {
            throw new IllegalArgumentException("memcached key '" + printable(key) + "' is " + bytes.length
                    + " bytes, over the limit of " + MAX_HASHED_SOURCE_BYTES + " bytes even in hash mode");
        }
        return hashed(bytes);
    }

    /** {@code sha256:} followed by the lower-case hex SHA-256 of the key's UTF-8 bytes (71 characters). */
    static String hashed(byte[] utf8) {
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256").digest(utf8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM offers no SHA-256", e);
        }
        StringBuilder sb = new StringBuilder(HASH_PREFIX.length() + 64).append(HASH_PREFIX);
        for (byte b : digest) {
            sb.append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
        }
        return sb.toString();
    }

    /** The name hash mode stores an over-long key under. */
    public static String hashedName(String key) {
        return hashed(key.getBytes(StandardCharsets.UTF_8));
    }

    /** The key shortened for messages, control characters escaped. */
    public static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && i < 60; i++) {
            char c = s.charAt(i);
            sb.append(Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return s.length() > 60 ? sb + "...(" + s.length() + " chars)" : sb.toString();
    }
}
