package io.switchboard.spi;

import java.util.List;

/**
 * A pluggable shared cache, found by {@link java.util.ServiceLoader} and selected by
 * {@link #name()} through {@code switchboard.cache}. Implementations must have a public
 * no-argument constructor and must not connect before {@link #create}.
 */
public interface CacheProvider {
    /** The short name users select, lower case: {@code memory}, {@code redis}, {@code memcached}. */
    String name();

    /** The configuration keys this provider reads, all under {@code switchboard.NAME.}. */
    List<ConfigKey<?>> configKeys();

    /**
     * Creates a connected cache driver.
     *
     * @throws io.switchboard.ConfigurationException if the server refused the credentials or a setting
     * @throws io.switchboard.ConnectionException if the server cannot be reached within the configured timeout
     */
    CacheDriver create(ProviderContext context);
}
