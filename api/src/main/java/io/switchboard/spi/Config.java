package io.switchboard.spi;

import java.util.Set;

/**
 * The read-only, validated configuration a provider receives. Thread-safe. Providers read their
 * settings only through this view, never from system properties or the environment themselves.
 *
 * <p>Every key the provider declared has been parsed before {@code create} is called, so
 * {@link #get(ConfigKey)} does not fail for a declared key.
 */
public interface Config {
    /**
     * The parsed value of a key, or its default when unset (which may be {@code null}).
     *
     * @throws IllegalArgumentException if the key was not declared by the provider or the core
     */
    <T> T get(ConfigKey<T> key);

    /** Whether the key was set explicitly by some configuration source. */
    boolean isSet(ConfigKey<?> key);

    /** Every key set explicitly, by full name. */
    Set<String> keysSet();

    /** Where the key's value came from, for diagnostics: {@code open() argument}, {@code system property}, {@code environment variable X}, {@code switchboard.properties} or {@code default}. */
    String sourceOf(ConfigKey<?> key);

    /** A description of every setting with secrets masked, for logs and diagnostics. */
    @Override
    String toString();
}
