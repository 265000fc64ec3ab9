package io.switchboard.spring;

import io.switchboard.Subscription;
import io.switchboard.Switchboard;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Subscribes every {@link SwitchboardListener} method when the application starts, and closes
 * those subscriptions when it stops: all stop taking messages at once, then each waits for its
 * running calls (at most {@code switchboard.close.timeout}), whose outcome is acknowledged as
 * usual; an at-least-once broker redelivers what was not handled, to another instance. It stops
 * before the web server's graceful shutdown and before {@link SwitchboardLifecycle} closes the
 * Switchboard, so the handlers' own publishes still go out.
 *
 * <p>Thread-safe. A listener that cannot be subscribed fails the start, naming its method; the
 * ones subscribed before it are closed.
 */
public final class SwitchboardListenerRegistry implements SmartLifecycle {
    /** The phase: above the web server's graceful shutdown ({@code DEFAULT_PHASE - 1024}), so listeners stop first. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 512;

    private static final Logger LOG = LoggerFactory.getLogger(SwitchboardListenerRegistry.class);

    private final Switchboard switchboard;
    private final SwitchboardListenerPostProcessor listeners;
    private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    private volatile boolean running;

    SwitchboardListenerRegistry(Switchboard switchboard, SwitchboardListenerPostProcessor listeners) {
        this.switchboard = switchboard;
        this.listeners = listeners;
    }

    /** The listeners' open subscriptions, in the order they were subscribed. */
    public List<Subscription> subscriptions() {
        return List.copyOf(subscriptions);
    }

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        for (ListenerMethod m : listeners.listeners()) {
            try {
                subscriptions.add(switchboard.subscriber().subscribe(m.channel(), m.options(), m.handler(switchboard.codec())));
                LOG.info("{} subscribed to '{}' ({})", m.description(), m.channel(), m.options());
            } catch (RuntimeException e) {
                closeAll();
                throw new IllegalStateException(m.description() + " cannot be subscribed to '" + m.channel() + "': " + e.getMessage(), e);
            }
        }
        running = true;
    }

    @Override
    public synchronized void stop() {
        running = false;
        LOG.info("stopping {} @SwitchboardListener subscription(s): no new messages; waiting for the running handlers", subscriptions.size());
        closeAll();
    }

    /** Closes every subscription at once, each on a thread of its own, and waits for all. */
    private void closeAll() {
        List<Thread> closing = new ArrayList<>();
        for (Subscription s : subscriptions) {
            Thread t = new Thread(s::close, "switchboard-listener-stop");
            t.start();
            closing.add(t);
        }
        for (Thread t : closing) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        subscriptions.clear();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
