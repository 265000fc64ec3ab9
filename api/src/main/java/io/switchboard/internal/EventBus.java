package io.switchboard.internal;

import io.switchboard.ConnectionEvent;
import io.switchboard.ConnectionListener;
import io.switchboard.spi.ConnectionEvents;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Delivers connection events to listeners on one dedicated thread, in order. */
final class EventBus {
    private static final Logger LOG = LoggerFactory.getLogger(EventBus.class);

    private final List<ConnectionListener> listeners = new CopyOnWriteArrayList<>();
    private final ExecutorService thread;

    EventBus(String instanceName) {
        this.thread = Executors.newSingleThreadExecutor(Runtime.threads(instanceName + "-events"));
    }

    void add(ConnectionListener l) {
        listeners.add(l);
    }

    void remove(ConnectionListener l) {
        listeners.remove(l);
    }

    void publish(ConnectionEvent event) {
        if (event.type() == ConnectionEvent.Type.LOST) {
            LOG.warn("{}", event);
        } else {
            LOG.info("{}", event);
        }
        try {
            thread.execute(() -> {
                for (ConnectionListener l : listeners) {
                    try {
                        l.onEvent(event);
                    } catch (RuntimeException e) {
                        LOG.warn("connection listener {} threw on {}; ignored", l, event, e);
                    }
                }
            });
        } catch (RejectedExecutionException closed) {
            LOG.debug("event after close ignored: {}", event);
        }
    }

    ConnectionEvents forComponent(String component) {
        return new ConnectionEvents() {
            @Override
            public void connected() {
                publish(new ConnectionEvent(ConnectionEvent.Type.CONNECTED, component, false, null));
            }

            @Override
            public void lost(Throwable cause) {
                publish(new ConnectionEvent(ConnectionEvent.Type.LOST, component, true, cause));
            }

            @Override
            public void recovered(boolean possibleGap) {
                publish(new ConnectionEvent(ConnectionEvent.Type.RECOVERED, component, possibleGap, null));
            }
        };
    }

    void close() {
        thread.shutdown();
    }
}
