package io.switchboard.spring;

import io.switchboard.Switchboard;
import org.springframework.context.SmartLifecycle;

/**
 * Closes the {@link Switchboard} late in Spring's shutdown: after the
 * {@link SwitchboardListenerRegistry listeners} have stopped taking messages and finished the
 * ones they were handling, and after the web server has stopped taking requests and drained the
 * running ones (both earlier phases), so that what those still publish is sent. Closing then
 * drains pending publishes and any subscription the application opened itself, for at most
 * {@code switchboard.close.timeout}, and releases the connections.
 *
 * <p>Thread-safe. Stopping is final: a stopped Switchboard is not reopened.
 */
public final class SwitchboardLifecycle implements SmartLifecycle {
    /**
     * The phase: below the web server's graceful shutdown ({@code DEFAULT_PHASE - 1024}) and its
     * stop ({@code DEFAULT_PHASE - 2048}), so it stops after them.
     */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private final Switchboard switchboard;
    private volatile boolean running;

    SwitchboardLifecycle(Switchboard switchboard) {
        this.switchboard = switchboard;
    }

    @Override
    public void start() {
        running = !switchboard.isClosed();
    }

    /** Closes the Switchboard, blocking for at most its close timeout. */
    @Override
    public void stop() {
        running = false;
        switchboard.close();
    }

    @Override
    public boolean isRunning() {
        return running && !switchboard.isClosed();
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
