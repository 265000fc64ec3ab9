package io.switchboard.examples.announcements;

import io.switchboard.CodecException;
import io.switchboard.Delivery;
import io.switchboard.Message;
import io.switchboard.Subscription;
import io.switchboard.Switchboard;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Announces this instance's start and shutdown on {@link #CHANNEL} and keeps a roster of the
 * other instances it hears of. {@link #start()} subscribes first and then announces, so it hears
 * every later start; each instance answers a start with {@link Announcement#PRESENT}, so a
 * newcomer learns who was there before it. {@link #stop(Duration)} announces
 * {@link Announcement#STOPPING} and waits for the transport to accept it; call it from a shutdown
 * hook ({@link #closeOnShutdown}) so that SIGTERM is announced before the connection closes.
 *
 * <p>What it cannot see: an instance killed without running its hooks (SIGKILL, a crash) stays
 * in the roster, since pub/sub has no presence; and on an at-most-once transport (Redis) an
 * announcement sent while a subscriber is reconnecting is lost. Thread-safe.
 */
public final class Announcer implements AutoCloseable {
    /** The channel every instance announces on. */
    public static final String CHANNEL = "instances.announcements";

    private final Switchboard switchboard;
    private final String instance;
    private final String host = hostName();
    private final Consumer<Announcement> listener;
    private final Map<String, Announcement> others = new ConcurrentHashMap<>();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private volatile Subscription subscription;

    /** An announcer for {@code instance} (an id unique per process) that tells {@code listener} of every other instance's announcement. */
    public Announcer(Switchboard switchboard, String instance, Consumer<Announcement> listener) {
        this.switchboard = Objects.requireNonNull(switchboard, "switchboard");
        this.instance = Objects.requireNonNull(instance, "instance");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** This instance's id. */
    public String instance() {
        return instance;
    }

    /**
     * Subscribes, then announces {@link Announcement#STARTED} and waits up to 5 s for the transport to accept it.
     *
     * @throws IllegalStateException if started before
     */
    public void start() {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("announcer " + instance + " was started already");
        }
        subscription = switchboard.subscriber().subscribe(CHANNEL, this::onAnnouncement);
        switchboard.publisher().publishAndWait(CHANNEL, message(Announcement.STARTED), Duration.ofSeconds(5));
    }

    /**
     * Announces {@link Announcement#STOPPING}, waiting at most {@code timeout} for the transport to
     * accept it, and stops listening. Idempotent; does nothing if never started. A failure to
     * announce is printed, not thrown: shutdown goes on.
     */
    public void stop(Duration timeout) {
        if (!started.get() || !stopped.compareAndSet(false, true)) {
            return;
        }
        try {
            switchboard.publisher().publishAndWait(CHANNEL, message(Announcement.STOPPING), timeout);
        } catch (RuntimeException e) {
            System.err.println("could not announce the shutdown of " + instance + ": " + e);
        } finally {
            subscription.close();
        }
    }

    /**
     * Registers a JVM shutdown hook (run on SIGTERM, SIGINT and a normal exit) that announces the
     * shutdown, waiting at most {@code timeout}, and then closes the Switchboard; returns it.
     */
    public Thread closeOnShutdown(Duration timeout) {
        Thread hook = new Thread(() -> {
            stop(timeout);
            switchboard.close();
        }, "announce-shutdown-" + instance);
        java.lang.Runtime.getRuntime().addShutdownHook(hook);
        return hook;
    }

    /** The ids of the other instances heard of and not heard stopping, sorted. */
    public Set<String> others() {
        return new TreeSet<>(others.keySet());
    }

    /** {@link #stop(Duration)} with 5 s. */
    @Override
    public void close() {
        stop(Duration.ofSeconds(5));
    }

    private void onAnnouncement(Delivery d) {
        Announcement a;
        try {
            a = d.message().json(Announcement.class);
        } catch (CodecException e) {
            System.err.println("ignoring a message on " + CHANNEL + " that is not an announcement: " + e.getMessage());
            return;
        }
        if (a.instance().equals(instance)) {
            return;
        }
        switch (a.event()) {
            case Announcement.STARTED:
                others.put(a.instance(), a);
                if (!stopped.get()) {
                    // Not waited for: a handler should not block on the transport it is called from.
                    switchboard.publisher().publish(CHANNEL, message(Announcement.PRESENT));
                }
                break;
            case Announcement.PRESENT:
                others.put(a.instance(), a);
                break;
            case Announcement.STOPPING:
                others.remove(a.instance());
                break;
            default:
                return;
        }
        listener.accept(a);
    }

    private Message message(String event) {
        return Message.ofJson(new Announcement(instance, event, host, ProcessHandle.current().pid(), Instant.now()));
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown";
        }
    }
}
