package io.switchboard.spi;

import io.switchboard.JsonCodec;
import java.util.concurrent.ScheduledExecutorService;

/** What the facade gives a provider when creating it. */
public interface ProviderContext {
    /** The validated configuration. */
    Config config();

    /** Where to report connection changes. */
    ConnectionEvents events();

    /** The codec the application configured (for providers that encode envelopes). */
    JsonCodec codec();

    /**
     * The largest message the facade publishes ({@code switchboard.message.max-size}): payload
     * plus the UTF-8 bytes of header names and values. A transport that reads messages written
     * by other clients should hold them to the same bound, so that what it accepts is what a
     * Switchboard publisher could have sent.
     */
    long maxMessageSize();

    /**
     * A shared scheduler for short timer tasks (timeouts, backoff). Tasks must not block; the
     * facade shuts it down after the provider is closed.
     */
    ScheduledExecutorService scheduler();

    /**
     * A name for this {@code Switchboard} instance, unique within the process and stable for its
     * life, for naming threads and connections (for example {@code sb-1}).
     */
    String instanceName();
}
