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
