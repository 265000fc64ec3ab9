package io.switchboard.tck;

import io.switchboard.Delivery;
import io.switchboard.Message;
import io.switchboard.MessageHandler;
import io.switchboard.Switchboard;
import io.switchboard.spi.CacheProvider;
import io.switchboard.spi.Channels;
import io.switchboard.spi.TransportProvider;
import java.io.IOException;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assertions;

/** Waiting on conditions, unique names, recording handlers and opening Switchboards, shared by the contracts. */
final class Kit {
    /** Header marking the sentinel message a rule publishes last, to know everything before it has had its chance. */
    static final String SENTINEL = "tck-sentinel";
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final String SERVICES = "META-INF/services/";

    private Kit() {
    }

    /**
     * Opens a Switchboard; when the settings use a {@link SimulatedConnection}, it also sees the
     * kit's simulated provider of that kind (transport, cache), registered under
     * {@code io/switchboard/tck/services/} rather than {@code META-INF/services} so that nothing
     * else ever selects it (the facade picks the one non-memory provider on the classpath when
     * none is named).
     */
    static Switchboard open(Map<String, Object> settings) {
        boolean transport = settings.containsKey(SimulatedConnection.TRANSPORT.name());
        boolean cache = settings.containsKey(SimulatedConnection.CACHE.name());
        if (!transport && !cache) {
            return Switchboard.open(settings);
        }
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(new KitProviders(previous != null ? previous : Kit.class.getClassLoader(), transport, cache));
        try {
            return Switchboard.open(settings);
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    /** Adds the kit's service files for the kinds asked for to those of its parent. */
    private static final class KitProviders extends ClassLoader {
        private final boolean transport;
        private final boolean cache;

        KitProviders(ClassLoader parent, boolean transport, boolean cache) {
            super(parent);
            this.transport = transport;
            this.cache = cache;
        }

        @Override
        public Enumeration<URL> getResources(String name) throws IOException {
            Enumeration<URL> parents = super.getResources(name);
            boolean wanted = transport && name.equals(SERVICES + TransportProvider.class.getName())
                    || cache && name.equals(SERVICES + CacheProvider.class.getName());
            URL own = wanted ? Kit.class.getResource("services/" + name.substring(SERVICES.length())) : null;
            if (own == null) {
                return parents;
            }
            List<URL> all = Collections.list(parents);
            all.add(own);
            return Collections.enumeration(all);
        }
    }

    /**
     * Polls {@code condition} until it holds, failing with {@code message} when {@code timeout} passes first.
     * Polls every few milliseconds: cheap, and fast enough for in-memory providers.
     */
    static void await(Duration timeout, BooleanSupplier condition, Supplier<String> message) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = 1;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                Assertions.fail("gave up after " + timeout.toMillis() + " ms: " + message.get());
            }
            sleep(pause);
            pause = Math.min(pause * 2, 20);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Assertions.fail("interrupted");
        }
    }

    /** A random token of upper- and lower-case letters and digits, so that names of every case get exercised and parallel runs never meet. */
    static String token() {
        return token(10);
    }

    static String token(int length) {
        StringBuilder sb = new StringBuilder(length);
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int i = 0; i < length; i++) {
            sb.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }

    /** A channel prefix {@code tck.<random>} unique to one rule run, in mixed case. */
    static String channelPrefix() {
        return "tck." + token();
    }

    /** A channel of exactly {@code length} characters under {@code prefix}, ending in {@code last}. */
    static String channelOfLength(String prefix, int length, char last) {
        StringBuilder sb = new StringBuilder(prefix);
        int segment = 16;
        while (sb.length() < length - 1) {
            if (segment == 16) {
                sb.append('.');
                segment = 0;
            } else {
                sb.append(ALPHABET.charAt(sb.length() % ALPHABET.length()));
                segment++;
            }
        }
        sb.append(last);
        String channel = sb.toString();
        Channels.requireChannel(channel);
        if (channel.length() != length) {
            throw new IllegalStateException("kit bug: channel of " + channel.length() + " characters, wanted " + length);
        }
        return channel;
    }

    /** A durable subscription name unique to one rule run, in mixed case. */
    static String durableName(String what) {
        return "tck-" + what + "-" + token();
    }

    /** The sentinel message. */
    static Message sentinel() {
        return Message.builder().text("sentinel").header(SENTINEL, "true").build();
    }

    static boolean isSentinel(Delivery d) {
        return "true".equals(d.message().header(SENTINEL));
    }

    /** A handler that records every delivery; thread-safe, and cheap enough for tens of thousands of deliveries. */
    static class Recorder implements MessageHandler {
        private final List<Delivery> deliveries = Collections.synchronizedList(new ArrayList<>());
        private final List<Long> times = Collections.synchronizedList(new ArrayList<>());
        private final AtomicInteger messages = new AtomicInteger();
        private volatile boolean sentinel;
        private final String name;

        Recorder(String name) {
            this.name = name;
        }

        @Override
        public void handle(Delivery delivery) throws Exception {
            synchronized (deliveries) {
                deliveries.add(delivery);
                times.add(System.nanoTime());
            }
            if (isSentinel(delivery)) {
                sentinel = true;
            } else {
                messages.incrementAndGet();
            }
        }

        String name() {
            return name;
        }

        List<Delivery> all() {
            synchronized (deliveries) {
                return new ArrayList<>(deliveries);
            }
        }

        /** When each delivery of {@link #all()} reached the handler, in {@link System#nanoTime()}. */
        List<Long> times() {
            synchronized (deliveries) {
                return new ArrayList<>(times);
            }
        }

        /** Every delivery except sentinels. */
        List<Delivery> messages() {
            return all().stream().filter(d -> !isSentinel(d)).collect(Collectors.toList());
        }

        int messageCount() {
            return messages.get();
        }

        List<String> texts() {
            return messages().stream().map(d -> d.message().text()).collect(Collectors.toList());
        }

        long count(Predicate<Delivery> p) {
            return all().stream().filter(p).count();
        }

        boolean hasSentinel() {
            return sentinel;
        }

        /** Waits until {@code n} non-sentinel deliveries arrived. */
        void awaitMessages(int n, Duration timeout) {
            await(timeout, () -> messages.get() >= n, () -> name + " received " + messages.get() + " of " + n + " messages: " + describe());
        }

        /** Waits for the sentinel. */
        void awaitSentinel(Duration timeout) {
            await(timeout, this::hasSentinel, () -> name + " did not receive the sentinel published last; received: " + describe());
        }

        String describe() {
            List<Delivery> all = all();
            String listed = all.stream().limit(20).map(d -> d.channel() + ":" + (isSentinel(d) ? "<sentinel>" : abbreviate(d.message().text())))
                    .collect(Collectors.joining(", ", "[", all.size() > 20 ? ", ...]" : "]"));
            return all.size() + " deliveries " + listed;
        }

        private static String abbreviate(String s) {
            return s.length() > 40 ? s.substring(0, 40) + "..." : s;
        }
    }

    /** The 256 byte values, 0 to 255, once each: a payload that any charset conversion would damage. */
    static byte[] allByteValues() {
        byte[] b = new byte[256];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) i;
        }
        return b;
    }

    /** A string of exactly {@code length} characters, mixing ASCII and non-ASCII, that no truncation or charset conversion keeps intact. */
    static String longText(int length, char last) {
        StringBuilder sb = new StringBuilder(length);
        String pattern = "Value-ünï✓-";
        while (sb.length() < length - 1) {
            sb.append(pattern.charAt(sb.length() % pattern.length()));
        }
        return sb.append(last).toString();
    }
}
