package io.switchboard.spi;

import io.switchboard.Capabilities;
import java.util.List;

/**
 * A pluggable transport, found by {@link java.util.ServiceLoader}. Implementations must have a
 * public no-argument constructor, must be cheap to construct (no connection before
 * {@link #create}), and are selected by {@link #name()} through {@code switchboard.transport}.
 */
public interface TransportProvider {
    /** The short name users select, lower case: {@code memory}, {@code redis}, {@code rabbitmq}. */
    String name();

    /** The configuration keys this provider reads, all under {@code switchboard.NAME.}. */
    List<ConfigKey<?>> configKeys();

    /**
     * What a transport created with this configuration offers. Must not connect. The facade
     * checks {@code switchboard.require.*} against it before calling {@link #create}.
     */
    Capabilities capabilities(Config config);

    /**
     * Creates a connected transport.
     *
     * @throws io.switchboard.ConfigurationException if the server refused the credentials or a setting
     * @throws io.switchboard.ConnectionException if the server cannot be reached within the configured timeout
     */
    Transport create(ProviderContext context);
}
