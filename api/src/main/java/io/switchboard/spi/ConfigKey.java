package io.switchboard.spi;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A configuration key a provider (or the core) declares: its name, type, default and description.
 * Immutable. The facade parses every declared key before a provider is created, so a malformed
 * value fails at {@code open()} naming the key and the expected form.
 *
 * @param <T> the parsed type
 */
public final class ConfigKey<T> {
    /** The value types the facade parses. */
    public enum Type {
        /** Any string. */
        STRING("a string"),
        /** A signed 32-bit decimal integer. */
        INT("an integer"),
        /** A signed 64-bit decimal integer. */
        LONG("an integer"),
        /** {@code true} or {@code false}. */
        BOOLEAN("true or false"),
        /** A duration: {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}, {@code 1d}, or ISO-8601 {@code PT5S}. */
        DURATION("a duration such as 250ms, 5s, 2m, 1h or PT5S"),
        /** A size in bytes: {@code 512}, {@code 64KiB}, {@code 4MiB}, {@code 1GiB} (KB/MB/GB are read as powers of 1024 too). */
        SIZE("a size such as 512, 64KiB or 4MiB"),
        /** A comma-separated list of strings, blanks trimmed, empties dropped. */
        LIST("a comma-separated list"),
        /** One of a fixed set of lower-case words. */
        ENUM("one of the listed values");

        private final String form;

        Type(String form) {
            this.form = form;
        }

        /** The expected form, in words, for error messages. */
        public String form() {
            return form;
        }
    }

    private final String name;
    private final Type type;
    private final T defaultValue;
    private final String description;
    private final boolean secret;
    private final List<String> allowed;

    private ConfigKey(String name, Type type, T defaultValue, String description, boolean secret, List<String> allowed) {
        this.name = Objects.requireNonNull(name, "name");
        if (!name.startsWith("switchboard.") || !name.equals(name.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("configuration key '" + name + "' must be lower case and start with 'switchboard.'");
        }
        this.type = type;
        this.defaultValue = defaultValue;
        this.description = Objects.requireNonNull(description, "description");
        this.secret = secret;
        this.allowed = allowed;
    }

    /** A string key; {@code defaultValue} may be {@code null} for "unset". */
    public static ConfigKey<String> string(String name, String defaultValue, String description) {
        return new ConfigKey<>(name, Type.STRING, defaultValue, description, false, List.of());
    }

    /**
     * A secret string key (password, token, or a URI that may embed a password): its value is
     * masked in every message and {@code toString()}.
     */
    public static ConfigKey<String> secret(String name, String defaultValue, String description) {
        return new ConfigKey<>(name, Type.STRING, defaultValue, description, true, List.of());
    }

    /** An int key. */
    public static ConfigKey<Integer> integer(String name, Integer defaultValue, String description) {
        return new ConfigKey<>(name, Type.INT, defaultValue, description, false, List.of());
    }

    /** A long key. */
    public static ConfigKey<Long> longKey(String name, Long defaultValue, String description) {
        return new ConfigKey<>(name, Type.LONG, defaultValue, description, false, List.of());
    }

    /** A boolean key. */
    public static ConfigKey<Boolean> bool(String name, Boolean defaultValue, String description) {
        return new ConfigKey<>(name, Type.BOOLEAN, defaultValue, description, false, List.of());
    }

    /** A duration key. */
    public static ConfigKey<Duration> duration(String name, Duration defaultValue, String description) {
        return new ConfigKey<>(name, Type.DURATION, defaultValue, description, false, List.of());
    }

    /** A size key, in bytes. */
    public static ConfigKey<Long> size(String name, Long defaultValue, String description) {
        return new ConfigKey<>(name, Type.SIZE, defaultValue, description, false, List.of());
    }

    /** A list key; the default is a list, possibly empty. */
    public static ConfigKey<List<String>> list(String name, List<String> defaultValue, String description) {
        return new ConfigKey<>(name, Type.LIST, defaultValue, description, false, List.of());
    }

    /** A key whose value is one of {@code allowed} (lower case); parsed to that string. */
    public static ConfigKey<String> oneOf(String name, String defaultValue, List<String> allowed, String description) {
        if (allowed.isEmpty()) {
            throw new IllegalArgumentException("allowed must not be empty");
        }
        return new ConfigKey<>(name, Type.ENUM, defaultValue, description, false, List.copyOf(allowed));
    }

    /** The full key, for example {@code switchboard.redis.uri}. */
    public String name() {
        return name;
    }

    /** The value type. */
    public Type type() {
        return type;
    }

    /** The default, or {@code null} when the key is unset by default. */
    public T defaultValue() {
        return defaultValue;
    }

    /** One sentence describing the key, for documentation and diagnostics. */
    public String description() {
        return description;
    }

    /** Whether the value is masked in messages. */
    public boolean isSecret() {
        return secret;
    }

    /** The allowed values of an {@link Type#ENUM} key; empty otherwise. */
    public List<String> allowed() {
        return allowed;
    }

    /** The environment variable that maps to this key: {@code switchboard.redis.uri} gives {@code SWITCHBOARD_REDIS_URI}. */
    public String environmentVariable() {
        return name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    @Override
    public String toString() {
        return name + " (" + type.name().toLowerCase(Locale.ROOT) + ")";
    }
}
