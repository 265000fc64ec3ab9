package io.switchboard.tck;

import io.switchboard.Capabilities;
import io.switchboard.ConfigurationException;
import io.switchboard.ConnectionException;
import io.switchboard.Message;
import io.switchboard.SubscriptionOptions;
import io.switchboard.spi.CacheDriver;
import io.switchboard.spi.CacheEntry;
import io.switchboard.spi.CacheProvider;
import io.switchboard.spi.Config;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.ConnectionEvents;
import io.switchboard.spi.DeliveryListener;
import io.switchboard.spi.InboundDelivery;
import io.switchboard.spi.ProviderContext;
import io.switchboard.spi.SubscriptionRequest;
import io.switchboard.spi.Transport;
import io.switchboard.spi.TransportProvider;
import io.switchboard.spi.TransportSubscription;
import io.switchboard.spi.ValueFormat;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The providers the kit tests itself against: a transport and a cache named {@code broken}, each
 * the in-memory provider (or another one, {@value #INNER_KEY}) with one deliberate bug chosen by
 * {@value #BUG_KEY}. Every {@link Bug} is a mistake an author porting Switchboard to a new broker
 * or cache server could make, and names the rules that must catch it. Registered under
 * {@code broken-providers/META-INF/services}, which {@link BrokenVariantsTest} alone puts on the
 * context class loader.
 */
public final class BrokenProviders {
    static final String BUG_KEY = "switchboard.broken.bug";
    static final String INNER_KEY = "switchboard.broken.inner";
    static final ConfigKey<String> BUG = ConfigKey.string(BUG_KEY, null, "Which deliberate bug the broken provider carries (the kit's self-test).");
    static final ConfigKey<String> INNER = ConfigKey.string(INNER_KEY, "memory", "Which provider the broken one wraps (the kit's self-test).");

    private BrokenProviders() {
    }

    /** Where the bug sits: around the memory provider, or under or over a {@link SimulatedConnection} (for the fault rules). */
    enum Layout {
        /** broken(memory); no fault hooks. */
        PLAIN,
        /** simulated(broken(memory)): the bug is in how the transport treats being closed and subscribed again. */
        UNDER,
        /** broken(simulated(memory)): the bug is in how the transport reacts to the connection's events. */
        OVER
    }

    /** Which contract the bug is run against. */
    enum Kind {
        TRANSPORT, CACHE, SYNC, SESSION
    }

    private static Bug bug(Config config) {
        String name = config.get(BUG);
        if (name == null) {
            throw new ConfigurationException("set " + BUG_KEY + " to one of " + Arrays.toString(Bug.values()));
        }
        return Bug.valueOf(name);
    }

    private static <P> P inner(Class<P> type, Function<P, String> name, Config config) {
        String wanted = config.get(INNER);
        for (P p : ServiceLoader.load(type, Thread.currentThread().getContextClassLoader())) {
            if (name.apply(p).equals(wanted)) {
                return p;
            }
        }
        throw new ConfigurationException(INNER_KEY + " is '" + wanted + "' but no " + type.getSimpleName() + " has that name");
    }

    /** The broken transport provider. */
    public static final class Transports implements TransportProvider {
        @Override
        public String name() {
            return "broken";
        }

        @Override
        public List<ConfigKey<?>> configKeys() {
            return List.of(BUG, INNER);
        }

        @Override
        public Capabilities capabilities(Config config) {
            return Capabilities.of("broken", inner(TransportProvider.class, TransportProvider::name, config).capabilities(config).asSet());
        }

        @Override
        public Transport create(ProviderContext context) {
            Bug b = bug(context.config());
            TransportProvider inner = inner(TransportProvider.class, TransportProvider::name, context.config());
            Events events = new Events(context.events(), b);
            return b.transport(inner.create(withEvents(context, events)), context, events);
        }
    }

    /** The broken cache provider. */
    public static final class Caches implements CacheProvider {
        @Override
        public String name() {
            return "broken";
        }

        @Override
        public List<ConfigKey<?>> configKeys() {
            return List.of(BUG, INNER);
        }

        @Override
        public CacheDriver create(ProviderContext context) {
            Bug b = bug(context.config());
            return b.cache(inner(CacheProvider.class, CacheProvider::name, context.config()).create(context));
        }
    }

    /** The connection events of one transport, as the bug passes them on; also tells whether the connection is down. */
    static final class Events implements ConnectionEvents {
        private final ConnectionEvents real;
        private final Bug bug;
        volatile boolean down;

        Events(ConnectionEvents real, Bug bug) {
            this.real = real;
            this.bug = bug;
        }

        @Override
        public void connected() {
            real.connected();
        }

        @Override
        public void lost(Throwable cause) {
            down = true;
            if (bug != Bug.NO_LOST_EVENT && bug != Bug.SYNC_SILENT_RECONNECT) {
                real.lost(cause);
            }
        }

        @Override
        public void recovered(boolean possibleGap) {
            down = false;
            if (bug == Bug.NO_POSSIBLE_GAP) {
                real.recovered(false);
            } else if (bug != Bug.SYNC_SILENT_RECONNECT) {
                real.recovered(possibleGap);
            }
        }
    }

    private static ProviderContext withEvents(ProviderContext c, ConnectionEvents events) {
        return new ProviderContext() {
            @Override
            public Config config() {
                return c.config();
            }

            @Override
            public ConnectionEvents events() {
                return events;
            }

            @Override
            public io.switchboard.JsonCodec codec() {
                return c.codec();
            }

            @Override
            public long maxMessageSize() {
                return c.maxMessageSize();
            }

            @Override
            public ScheduledExecutorService scheduler() {
                return c.scheduler();
            }

            @Override
            public String instanceName() {
                return c.instanceName();
            }
        };
    }

    /** Rewrites every published message. */
    static Transport onPublish(Transport t, Function<Message, Message> rewrite) {
        return new ForwardingTransport(t) {
            @Override
            public CompletionStage<Void> publish(String channel, Message message) {
                return delegate.publish(channel, rewrite.apply(message));
            }
        };
    }

    /** Rewrites every subscription request. */
    static Transport onSubscribe(Transport t, Function<SubscriptionRequest, SubscriptionRequest> rewrite) {
        return new ForwardingTransport(t) {
            @Override
            public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                return delegate.subscribe(rewrite.apply(request), listener);
            }
        };
    }

    /** Wraps every delivery. */
    static Transport onDelivery(Transport t, java.util.function.BiFunction<SubscriptionRequest, InboundDelivery, InboundDelivery> wrap) {
        return new ForwardingTransport(t) {
            @Override
            public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                return delegate.subscribe(request, d -> listener.onDelivery(wrap.apply(request, d)));
            }
        };
    }

    static SubscriptionRequest request(SubscriptionRequest r, String channelOrPattern) {
        return new SubscriptionRequest(channelOrPattern, r.options(), r.maxUnacknowledged());
    }

    static Message headers(Message m, Function<Map<String, String>, Map<String, String>> rewrite) {
        Message.Builder b = m.toBuilder();
        m.headers().keySet().forEach(b::removeHeader);
        rewrite.apply(new LinkedHashMap<>(m.headers())).forEach(b::header);
        return b.build();
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A dead letter as the memory transport builds it, with the given original channel and headers. */
    static Message deadLetter(Message m, String dlq, String originalChannel, String reason, int attempts, boolean keepHeaders) {
        Message.Builder b = keepHeaders ? m.toBuilder() : Message.builder().id(m.id()).payload(m.payload()).contentType(m.contentType())
                .timestamp(m.timestamp());
        return b.header("sb-dead-letter-reason", reason).header("sb-original-channel", originalChannel)
                .header("sb-attempts", Integer.toString(attempts)).channel(dlq).build();
    }

    /** Applies a TTL rewrite to every write of a cache driver. */
    static CacheDriver ttl(CacheDriver d, Function<Duration, Duration> rewrite, boolean putIfAbsentOnly) {
        return new ForwardingCacheDriver(d) {
            private Duration t(Duration ttl) {
                return putIfAbsentOnly ? ttl : rewrite.apply(ttl);
            }

            @Override
            public CompletionStage<Void> put(String key, byte[] value, ValueFormat format, Duration ttl) {
                return delegate.put(key, value, format, t(ttl));
            }

            @Override
            public CompletionStage<Boolean> putIfAbsent(String key, byte[] value, ValueFormat format, Duration ttl) {
                return delegate.putIfAbsent(key, value, format, rewrite.apply(ttl));
            }

            @Override
            public CompletionStage<Boolean> compareAndSet(String key, long version, byte[] value, ValueFormat format, Duration ttl) {
                return delegate.compareAndSet(key, version, value, format, t(ttl));
            }

            @Override
            public CompletionStage<Long> increment(String key, long delta, long initial, Duration ttl) {
                return delegate.increment(key, delta, initial, t(ttl));
            }
        };
    }

    /** Applies a key rewrite to every operation of a cache driver; bulk reads are keyed back by the caller's keys. */
    static CacheDriver keys(CacheDriver d, Function<String, String> rewrite) {
        return new ForwardingCacheDriver(d) {
            @Override
            public CompletionStage<CacheEntry> get(String key) {
                return delegate.get(rewrite.apply(key));
            }

            @Override
            public CompletionStage<Map<String, CacheEntry>> getAll(Collection<String> keys) {
                List<String> asked = new ArrayList<>(keys);
                return delegate.getAll(asked.stream().map(rewrite).collect(java.util.stream.Collectors.toList())).thenApply(found -> {
                    Map<String, CacheEntry> back = new LinkedHashMap<>();
                    for (String k : asked) {
                        CacheEntry e = found.get(rewrite.apply(k));
                        if (e != null) {
                            back.put(k, e);
                        }
                    }
                    return back;
                });
            }

            @Override
            public CompletionStage<Void> put(String key, byte[] value, ValueFormat format, Duration ttl) {
                return delegate.put(rewrite.apply(key), value, format, ttl);
            }

            @Override
            public CompletionStage<Boolean> putIfAbsent(String key, byte[] value, ValueFormat format, Duration ttl) {
                return delegate.putIfAbsent(rewrite.apply(key), value, format, ttl);
            }

            @Override
            public CompletionStage<Boolean> compareAndSet(String key, long version, byte[] value, ValueFormat format, Duration ttl) {
                return delegate.compareAndSet(rewrite.apply(key), version, value, format, ttl);
            }

            @Override
            public CompletionStage<Boolean> delete(String key) {
                return delegate.delete(rewrite.apply(key));
            }

            @Override
            public CompletionStage<Long> increment(String key, long delta, long initial, Duration ttl) {
                return delegate.increment(rewrite.apply(key), delta, initial, ttl);
            }
        };
    }

    private static <T> T join(CompletionStage<T> s) {
        return s.toCompletableFuture().join();
    }

    private static Throwable causeOf(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    private static boolean isConnectionFailure(Throwable t) {
        return causeOf(t) instanceof ConnectionException;
    }

    /**
     * Every deliberate bug. The name says what the author got wrong; {@link #rules} are the rules
     * that must catch it, each of which {@link BrokenVariantsTest} runs and expects to fail.
     */
    enum Bug {
        // ---- names and message fields ----
        CASE_FOLDS_CHANNELS(Kind.TRANSPORT, Layout.PLAIN, "lower-cases channel names, as for a broker whose names are case-insensitive", "T23") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                Transport folded = onSubscribe(t, r -> request(r, lower(r.channelOrPattern())));
                return new ForwardingTransport(folded) {
                    @Override
                    public CompletionStage<Void> publish(String channel, Message message) {
                        return delegate.publish(lower(channel), message);
                    }
                };
            }
        },
        TRUNCATES_CHANNELS(Kind.TRANSPORT, Layout.PLAIN, "cuts channel names to 128 characters, the broker's limit", "T23") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                Function<String, String> cut = s -> s.length() > 128 ? s.substring(0, 128) : s;
                Transport cutting = onSubscribe(t, r -> request(r, cut.apply(r.channelOrPattern())));
                return new ForwardingTransport(cutting) {
                    @Override
                    public CompletionStage<Void> publish(String channel, Message message) {
                        return delegate.publish(cut.apply(channel), message);
                    }
                };
            }
        },
        FOLDS_DURABLE_NAMES(Kind.TRANSPORT, Layout.PLAIN, "lower-cases durable subscription names (queue names case-insensitive)", "T23") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                Transport folded = onSubscribe(t, r -> r.durableName() == null ? r
                        : new SubscriptionRequest(r.channelOrPattern(), r.options().durable(lower(r.durableName())), r.maxUnacknowledged()));
                return new ForwardingTransport(folded) {
                    @Override
                    public boolean deleteDurable(String name) {
                        return delegate.deleteDurable(lower(name));
                    }
                };
            }
        },
        DROPS_UPPERCASE_HEADERS(Kind.TRANSPORT, Layout.PLAIN, "drops headers whose names have upper-case letters (a name filter written for lower case)", "T1") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                Pattern allowed = Pattern.compile("[a-z0-9-]+");
                return onPublish(t, m -> headers(m, h -> {
                    h.keySet().removeIf(name -> !allowed.matcher(name).matches());
                    return h;
                }));
            }
        },
        FOLDS_HEADER_NAMES(Kind.TRANSPORT, Layout.PLAIN, "lower-cases header names, as an HTTP-style header map does", "T1") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return onPublish(t, m -> headers(m, h -> {
                    Map<String, String> folded = new LinkedHashMap<>();
                    h.forEach((k, v) -> folded.put(lower(k), v));
                    return folded;
                }));
            }
        },
        STRIPS_SB_HEADERS(Kind.TRANSPORT, Layout.PLAIN, "strips every sb-* header, the facade's request headers too, not only its own", "R1") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return onPublish(t, m -> headers(m, h -> {
                    h.keySet().removeIf(name -> name.startsWith("sb-"));
                    return h;
                }));
            }
        },
        SHARED_REPLY_INBOX(Kind.TRANSPORT, Layout.PLAIN, "gives every instance one fixed reply inbox, so replies reach every requester", "R6") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                String shared = "switchboard.reply.shared";
                return new ForwardingTransport(t) {
                    @Override
                    public String replyAddress(String inbox) {
                        return shared;
                    }

                    @Override
                    public TransportSubscription subscribeReplies(SubscriptionRequest r, DeliveryListener listener) {
                        return delegate.subscribe(request(r, shared), listener);
                    }
                };
            }
        },
        LOSES_REPLIES(Kind.TRANSPORT, Layout.PLAIN, "completes a reply's publish stage without sending it", "R1", "R2") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return new ForwardingTransport(t) {
                    @Override
                    public CompletionStage<Void> publishReply(String address, Message reply) {
                        return java.util.concurrent.CompletableFuture.completedFuture(null);
                    }
                };
            }
        },
        TRUNCATES_HEADER_VALUES(Kind.TRANSPORT, Layout.PLAIN, "cuts header values to 4,096 characters (a fixed-size header buffer)", "T1") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return onPublish(t, m -> headers(m, h -> {
                    h.replaceAll((k, v) -> v.length() > 4096 ? v.substring(0, 4096) : v);
                    return h;
                }));
            }
        },
        DROPS_LONG_HEADER_NAMES(Kind.TRANSPORT, Layout.PLAIN, "drops header names over 127 characters (a signed length byte)", "T1") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return onPublish(t, m -> headers(m, h -> {
                    h.keySet().removeIf(name -> name.length() > 127);
                    return h;
                }));
            }
        },
        DROPS_EMPTY_HEADERS(Kind.TRANSPORT, Layout.PLAIN, "drops headers with an empty value (the broker treats empty as absent)", "T1") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return onPublish(t, m -> headers(m, h -> {
                    h.values().removeIf(String::isEmpty);
                    return h;
                }));
            }
        },
        SECOND_TIMESTAMPS(Kind.TRANSPORT, Layout.PLAIN, "sends the timestamp in whole seconds (an epoch-seconds field)", "T1") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return onPublish(t, m -> m.toBuilder().timestamp(m.timestamp().truncatedTo(ChronoUnit.SECONDS)).build());
            }
        },
        TEXT_PAYLOAD(Kind.TRANSPORT, Layout.PLAIN, "carries the payload as a UTF-8 string (a client that only sends text)", "T2") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return onPublish(t, m -> m.toBuilder().payload(new String(m.payload(), StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8))
                        .build());
            }
        },
        LATIN1_TEXT(Kind.TRANSPORT, Layout.PLAIN, "re-encodes payloads as ISO-8859-1 text (a client that assumes Latin-1)", "T1") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return onPublish(t, m -> m.toBuilder().payload(new String(m.payload(), StandardCharsets.UTF_8).getBytes(StandardCharsets.ISO_8859_1))
                        .build());
            }
        },
        // ---- publishing ----
        DROPS_A_MESSAGE(Kind.TRANSPORT, Layout.PLAIN, "reports the third publish of each connection as sent, and drops it", "T4") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                AtomicInteger published = new AtomicInteger();
                return new ForwardingTransport(t) {
                    @Override
                    public CompletionStage<Void> publish(String channel, Message message) {
                        return published.incrementAndGet() == 3 ? CompletableFuture.completedFuture(null) : delegate.publish(channel, message);
                    }
                };
            }
        },
        SEQUENCE_WRAPS(Kind.TRANSPORT, Layout.PLAIN, "numbers publishes in a 13-bit field, so from the 8,193rd the broker drops them as duplicates", "T4") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                AtomicInteger published = new AtomicInteger();
                return new ForwardingTransport(t) {
                    @Override
                    public CompletionStage<Void> publish(String channel, Message message) {
                        return published.incrementAndGet() > 8192 ? CompletableFuture.completedFuture(null) : delegate.publish(channel, message);
                    }
                };
            }
        },
        PUBLISH_POOL_REORDERS(Kind.TRANSPORT, Layout.PLAIN, "publishes every 50th message through a second, slower connection of a pool", "T15") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                ScheduledExecutorService second = Executors.newSingleThreadScheduledExecutor();
                AtomicInteger published = new AtomicInteger();
                return new ForwardingTransport(t) {
                    @Override
                    public CompletionStage<Void> publish(String channel, Message message) {
                        if (published.incrementAndGet() % 50 != 0) {
                            return delegate.publish(channel, message);
                        }
                        CompletableFuture<Void> done = new CompletableFuture<>();
                        second.schedule(() -> delegate.publish(channel, message).whenComplete((v, err) -> {
                            if (err != null) {
                                done.completeExceptionally(err);
                            } else {
                                done.complete(null);
                            }
                        }), 2, TimeUnit.MILLISECONDS);
                        return done;
                    }

                    @Override
                    public void close(Duration timeout) {
                        second.shutdown();
                        delegate.close(timeout);
                    }
                };
            }
        },
        PUBLISH_WAITS_FOR_CONFIRM(Kind.TRANSPORT, Layout.PLAIN, "publish() waits for the server's confirmation (here 300 ms away)", "T3") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return new ForwardingTransport(t) {
                    @Override
                    public CompletionStage<Void> publish(String channel, Message message) {
                        pause(300);
                        return delegate.publish(channel, message);
                    }
                };
            }
        },
        CLOSE_ABANDONS_PUBLISHES(Kind.TRANSPORT, Layout.PLAIN, "batches publishes for 50 ms and drops the batch on close, its stages never completed", "T25") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor();
                List<Runnable> batch = new ArrayList<>();
                return new ForwardingTransport(t) {
                    @Override
                    public CompletionStage<Void> publish(String channel, Message message) {
                        CompletableFuture<Void> done = new CompletableFuture<>();
                        synchronized (batch) {
                            if (batch.isEmpty()) {
                                sender.schedule(this::flush, 50, TimeUnit.MILLISECONDS);
                            }
                            batch.add(() -> delegate.publish(channel, message).whenComplete((v, err) -> done.complete(null)));
                        }
                        return done;
                    }

                    private void flush() {
                        List<Runnable> now;
                        synchronized (batch) {
                            now = new ArrayList<>(batch);
                            batch.clear();
                        }
                        now.forEach(Runnable::run);
                    }

                    @Override
                    public void close(Duration timeout) {
                        sender.shutdownNow();
                        delegate.close(timeout);
                    }
                };
            }
        },
        // ---- delivering ----
        DELIVERS_ONE_TWICE(Kind.TRANSPORT, Layout.PLAIN, "delivers the third message of each subscription twice", "T4") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return new ForwardingTransport(t) {
                    @Override
                    public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                        AtomicInteger delivered = new AtomicInteger();
                        return delegate.subscribe(request, d -> {
                            listener.onDelivery(d);
                            if (delivered.incrementAndGet() == 3) {
                                listener.onDelivery(new HonestProviders.DetachedCopy(d));
                            }
                        });
                    }
                };
            }
        },
        // Swapping one pair only was not enough: with two publishers interleaving, the pair could be
        // one message of each, and each publisher's own order stayed intact (seen once under load).
        REORDERS(Kind.TRANSPORT, Layout.PLAIN, "swaps each pair of a subscription's first 1,000 deliveries", "T15") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return new ForwardingTransport(t) {
                    @Override
                    public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                        AtomicInteger delivered = new AtomicInteger();
                        InboundDelivery[] held = new InboundDelivery[1];
                        return delegate.subscribe(request, d -> {
                            InboundDelivery first;
                            synchronized (held) {
                                int n = delivered.incrementAndGet();
                                if (n <= 1_000 && n % 2 == 1) {
                                    held[0] = d;
                                    return;
                                }
                                first = held[0];
                                held[0] = null;
                            }
                            listener.onDelivery(d);
                            if (first != null) {
                                listener.onDelivery(first);
                            }
                        });
                    }
                };
            }
        },
        IGNORES_CLOSE(Kind.TRANSPORT, Layout.PLAIN, "ignores Subscription.close (the consumer stays registered) until the whole transport closes", "T17") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                Set<TransportSubscription> kept = ConcurrentHashMap.newKeySet();
                return new ForwardingTransport(t) {
                    @Override
                    public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                        kept.add(delegate.subscribe(request, listener));
                        return () -> { };
                    }

                    @Override
                    public void close(Duration timeout) {
                        kept.forEach(TransportSubscription::close);
                        delegate.close(timeout);
                    }
                };
            }
        },
        ONE_AT_A_TIME(Kind.TRANSPORT, Layout.PLAIN, "sets the consumer prefetch to 1 whatever maxUnacknowledged() says", "T12") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return onSubscribe(t, r -> new SubscriptionRequest(r.channelOrPattern(), r.options(), 1));
            }
        },
        IGNORES_PREFETCH(Kind.TRANSPORT, Layout.PLAIN, "never sets a consumer prefetch, so the broker pushes everything", "T28") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return onSubscribe(t, r -> new SubscriptionRequest(r.channelOrPattern(), r.options(), 1_000_000));
            }
        },
        ACKS_ON_RECEIPT(Kind.TRANSPORT, Layout.PLAIN, "acknowledges each delivery when it arrives, before the handler runs (auto-ack)", "T30") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return onDelivery(t, (r, d) -> {
                    d.ack();
                    return d;
                });
            }
        },
        // ---- patterns ----
        PATTERN_STAR_MATCHES_DOTS(Kind.TRANSPORT, Layout.PLAIN, "translates '*' to a glob that also matches dots, as Redis PSUBSCRIBE does", "T16") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return onSubscribe(t, r -> r.isPattern() ? request(r, segments(r.channelOrPattern(), "*", "#")) : r);
            }
        },
        PATTERN_HASH_NEEDS_SEGMENT(Kind.TRANSPORT, Layout.PLAIN, "makes '#' match one or more segments, not zero", "T16") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return onSubscribe(t, r -> r.isPattern() ? request(r, segments(r.channelOrPattern(), "#", "*.#")) : r);
            }
        },
        PATTERN_CASE_INSENSITIVE(Kind.TRANSPORT, Layout.PLAIN, "matches patterns case-insensitively (a filter that lower-cases both sides)", "T16") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return new ForwardingTransport(t) {
                    @Override
                    public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                        if (!request.isPattern()) {
                            return delegate.subscribe(request, listener);
                        }
                        String pattern = lower(request.channelOrPattern());
                        return delegate.subscribe(request(request, "#"), d -> {
                            if (io.switchboard.spi.Channels.matches(pattern, lower(d.message().channel()))) {
                                listener.onDelivery(d);
                            } else {
                                d.ack();
                            }
                        });
                    }
                };
            }
        },
        // ---- retries, durable subscriptions, dead letters ----
        RETRY_WITHOUT_BACKOFF(Kind.TRANSPORT, Layout.PLAIN, "redelivers a failed message at once, ignoring the delay", "T11") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return onDelivery(t, (r, d) -> new ForwardingInboundDelivery(d) {
                    @Override
                    public void retry(Duration delay) {
                        delegate.retry(Duration.ZERO);
                    }
                });
            }
        },
        RETRY_LOSES_ATTEMPT(Kind.TRANSPORT, Layout.PLAIN, "retries by requeueing after the delay, which loses the attempt count", "T11") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return onDelivery(t, (r, d) -> new ForwardingInboundDelivery(d) {
                    @Override
                    public void retry(Duration delay) {
                        c.scheduler().schedule(delegate::release, delay.toMillis(), TimeUnit.MILLISECONDS);
                    }
                });
            }
        },
        RETRY_PAUSES_CONSUMER(Kind.TRANSPORT, Layout.PLAIN, "retries by requeueing at the head and pausing the consumer for the delay", "T27") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return new ForwardingTransport(t) {
                    @Override
                    public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                        Deque<InboundDelivery> held = new ArrayDeque<>();
                        AtomicBoolean paused = new AtomicBoolean();
                        DeliveryListener[] self = new DeliveryListener[1];
                        self[0] = d -> {
                            InboundDelivery wrapped = new ForwardingInboundDelivery(d) {
                                @Override
                                public void retry(Duration delay) {
                                    paused.set(true);
                                    c.scheduler().schedule(() -> {
                                        List<InboundDelivery> now;
                                        synchronized (held) {
                                            paused.set(false);
                                            now = new ArrayList<>(held);
                                            held.clear();
                                        }
                                        now.forEach(listener::onDelivery);
                                    }, delay.toMillis(), TimeUnit.MILLISECONDS);
                                    delegate.retry(Duration.ZERO);
                                }
                            };
                            synchronized (held) {
                                if (paused.get()) {
                                    held.add(wrapped);
                                    return;
                                }
                            }
                            listener.onDelivery(wrapped);
                        };
                        return delegate.subscribe(request, self[0]);
                    }
                };
            }
        },
        RETRY_LOSES_CHANNEL(Kind.TRANSPORT, Layout.PLAIN, "retries through a retry queue, and the retried message comes back with that queue's name as channel", "T32") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                Set<String> retried = ConcurrentHashMap.newKeySet();
                return onDelivery(t, (r, d) -> {
                    InboundDelivery seen = retried.contains(d.message().id()) ? new ForwardingInboundDelivery(d) {
                        @Override
                        public Message message() {
                            return delegate.message().withChannel("sb.retry.queue");
                        }
                    } : d;
                    return new ForwardingInboundDelivery(seen) {
                        @Override
                        public void retry(Duration delay) {
                            retried.add(d.message().id());
                            delegate.retry(delay);
                        }
                    };
                });
            }
        },
        DURABLE_AUTO_DELETE(Kind.TRANSPORT, Layout.PLAIN, "declares durable queues auto-delete, so the last subscriber's close deletes what is kept", "T17") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return new ForwardingTransport(t) {
                    @Override
                    public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                        TransportSubscription s = delegate.subscribe(request, listener);
                        if (request.durableName() == null) {
                            return s;
                        }
                        return () -> {
                            s.close();
                            delegate.deleteDurable(request.durableName());
                        };
                    }
                };
            }
        },
        COMPETING_PER_INSTANCE(Kind.TRANSPORT, Layout.PLAIN, "names the durable queue after the instance as well, so every member gets every message", "T18") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return onSubscribe(t, r -> r.durableName() == null ? r : new SubscriptionRequest(r.channelOrPattern(),
                        r.options().durable(r.durableName() + "." + c.instanceName()), r.maxUnacknowledged()));
            }
        },
        DEAD_LETTER_NAMES_PATTERN(Kind.TRANSPORT, Layout.PLAIN, "puts the subscription's pattern, not the message's channel, in sb-original-channel", "T45") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return deadLetters(t, (r, d, reason, attempts) -> deadLetter(d.message(), r.deadLetterChannel(), r.channelOrPattern(), reason,
                        attempts, true));
            }
        },
        DEAD_LETTER_DROPS_HEADERS(Kind.TRANSPORT, Layout.PLAIN, "republishes a dead letter with its payload and the sb-* headers only", "T19") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return deadLetters(t, (r, d, reason, attempts) -> deadLetter(d.message(), r.deadLetterChannel(), d.message().channel(), reason,
                        attempts, false));
            }
        },
        DEAD_LETTERED_TWICE(Kind.TRANSPORT, Layout.PLAIN, "republishes the dead letter itself and also lets the broker's dead-letter exchange do it", "T19") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return new ForwardingTransport(t) {
                    @Override
                    public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                        Transport self = this;
                        return delegate.subscribe(request, d -> listener.onDelivery(new ForwardingInboundDelivery(d) {
                            @Override
                            public void deadLetter(String reason, int attempts) {
                                self.publish(request.deadLetterChannel(), BrokenProviders.deadLetter(d.message(), request.deadLetterChannel(),
                                        d.message().channel(), reason, attempts, true));
                                delegate.deadLetter(reason, attempts);
                            }
                        }));
                    }
                };
            }
        },
        // ---- closing ----
        CLOSE_WAITS_FOR_RETRIES(Kind.TRANSPORT, Layout.PLAIN, "keeps retries on its own timer and waits for it to run out on close", "T26") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
                Transport retrying = onDelivery(t, (r, d) -> new ForwardingInboundDelivery(d) {
                    @Override
                    public void retry(Duration delay) {
                        timer.schedule(() -> delegate.retry(Duration.ZERO), delay.toMillis(), TimeUnit.MILLISECONDS);
                    }
                });
                return new ForwardingTransport(retrying) {
                    @Override
                    public void close(Duration timeout) {
                        timer.shutdown();
                        try {
                            timer.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
                        } catch (InterruptedException ie) {
                            Thread.currentThread().interrupt();
                        }
                        delegate.close(timeout);
                    }
                };
            }
        },
        // ---- reconnecting (under a simulated connection) ----
        NO_RESUBSCRIBE(Kind.TRANSPORT, Layout.UNDER, "reports RECOVERED after a reconnect but subscribes nothing again", "T20", "T21", "R11") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return resubscribes(t, r -> false);
            }
        },
        INBOX_NOT_RESTORED(Kind.TRANSPORT, Layout.UNDER, "restores every subscription after a reconnect but the reply inbox", "R11") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                AtomicBoolean subscribed = new AtomicBoolean();
                return new ForwardingTransport(t) {
                    @Override
                    public TransportSubscription subscribeReplies(SubscriptionRequest request, DeliveryListener listener) {
                        if (subscribed.getAndSet(true)) {
                            return () -> { };
                        }
                        return delegate.subscribeReplies(request, listener);
                    }
                };
            }
        },
        RESUBSCRIBES_EXACT_ONLY(Kind.TRANSPORT, Layout.UNDER, "restores exact subscriptions after a reconnect, but not pattern ones", "T20") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return resubscribes(t, r -> !r.isPattern());
            }
        },
        RESUBSCRIBES_TRANSIENT_ONLY(Kind.TRANSPORT, Layout.UNDER, "restores transient subscriptions after a reconnect, but not durable ones", "T20") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return resubscribes(t, r -> r.durableName() == null);
            }
        },
        RESUBSCRIBES_LATE(Kind.TRANSPORT, Layout.UNDER, "subscribes again asynchronously, after reporting RECOVERED", "T20") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return lateResubscribe(t, c);
            }
        },
        REPLAYS_AFTER_RECONNECT(Kind.TRANSPORT, Layout.UNDER, "an at-most-once transport that replays each subscription's last messages after reconnecting",
                "T20") {
            @Override
            String inner() {
                return "at-most-once-memory";
            }

            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                Map<SubscriptionRequest, Deque<Message>> recent = new ConcurrentHashMap<>();
                return new ForwardingTransport(t) {
                    @Override
                    public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                        Deque<Message> mine = recent.computeIfAbsent(request, r -> new ArrayDeque<>());
                        List<Message> replay;
                        synchronized (mine) {
                            replay = new ArrayList<>(mine);
                        }
                        TransportSubscription s = delegate.subscribe(request, d -> {
                            synchronized (mine) {
                                mine.add(d.message());
                                if (mine.size() > 5) {
                                    mine.removeFirst();
                                }
                            }
                            listener.onDelivery(d);
                        });
                        replay.forEach(m -> listener.onDelivery(InboundDelivery.atMostOnce(m)));
                        return s;
                    }
                };
            }
        },
        // ---- reacting to the connection (over a simulated connection) ----
        NO_POSSIBLE_GAP(Kind.TRANSPORT, Layout.OVER, "reports RECOVERED with possibleGap=false, although transient subscriptions missed messages", "T20"),
        NO_LOST_EVENT(Kind.TRANSPORT, Layout.OVER, "never reports LOST, only RECOVERED", "T20"),
        PUBLISH_HANGS_IN_OUTAGE(Kind.TRANSPORT, Layout.OVER, "while disconnected, queues publishes without a bound or timeout: their stages never complete", "T24") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return new ForwardingTransport(t) {
                    @Override
                    public CompletionStage<Void> publish(String channel, Message message) {
                        return e.down ? new CompletableFuture<>() : delegate.publish(channel, message);
                    }
                };
            }
        },
        PUBLISH_DROPS_IN_OUTAGE(Kind.TRANSPORT, Layout.OVER, "while disconnected, reports publishes as sent and drops them", "T24") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return new ForwardingTransport(t) {
                    @Override
                    public CompletionStage<Void> publish(String channel, Message message) {
                        return e.down ? CompletableFuture.completedFuture(null) : delegate.publish(channel, message);
                    }
                };
            }
        },
        PUBLISH_BLOCKS_IN_OUTAGE(Kind.TRANSPORT, Layout.OVER, "while disconnected, blocks the publishing thread until the connection is back", "T24") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return new ForwardingTransport(t) {
                    @Override
                    public CompletionStage<Void> publish(String channel, Message message) {
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                        while (e.down && System.nanoTime() < deadline) {
                            pause(10);
                        }
                        return delegate.publish(channel, message);
                    }
                };
            }
        },
        // ---- caches ----
        IGNORES_TTL(Kind.CACHE, Layout.PLAIN, "stores every value without expiry, whatever TTL it is given", "C6") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return ttl(d, x -> Duration.ZERO, false);
            }
        },
        PUT_IF_ABSENT_IGNORES_TTL(Kind.CACHE, Layout.PLAIN, "forgets the TTL on putIfAbsent (SET NX without PX)", "C16") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return ttl(d, x -> Duration.ZERO, true);
            }
        },
        TTL_OVER_30_DAYS_ABSOLUTE(Kind.CACHE, Layout.PLAIN, "sends TTLs over 30 days as seconds, which memcached reads as a Unix time long past", "C16") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return ttl(d, x -> x.compareTo(Duration.ofDays(30)) > 0 ? Duration.ofMillis(1) : x, false);
            }
        },
        SUB_SECOND_TTL_NEVER_EXPIRES(Kind.CACHE, Layout.PLAIN, "converts TTLs with getSeconds(), so a sub-second TTL becomes 0: no expiry", "C16") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return ttl(d, x -> Duration.ofSeconds(x.getSeconds()), false);
            }
        },
        TTL_ROUNDED_DOWN(Kind.CACHE, Layout.PLAIN, "rounds TTLs down to whole seconds (at least one), so 1.5 s lives 1 s", "C16") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return ttl(d, x -> x.isZero() ? x : Duration.ofSeconds(Math.max(1, x.getSeconds())), false);
            }
        },
        INCREMENT_DROPS_TTL(Kind.CACHE, Layout.PLAIN, "normalises the counter text after INCRBY with a SET, which drops its TTL", "C16") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return new ForwardingCacheDriver(d) {
                    @Override
                    public CompletionStage<Long> increment(String key, long delta, long initial, Duration ttl) {
                        return delegate.increment(key, delta, initial, ttl).thenCompose(v -> delegate.put(key,
                                Long.toString(v).getBytes(StandardCharsets.UTF_8), ValueFormat.TEXT, Duration.ZERO).thenApply(x -> v));
                    }
                };
            }
        },
        INCREMENT_NOT_ATOMIC(Kind.CACHE, Layout.PLAIN, "increments by reading, adding and writing back", "C18") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return new ForwardingCacheDriver(d) {
                    @Override
                    public CompletionStage<Long> increment(String key, long delta, long initial, Duration ttl) {
                        CacheEntry e = join(delegate.get(key));
                        pause(1);
                        long next = e == null ? initial : Long.parseLong(new String(e.value(), StandardCharsets.UTF_8)) + delta;
                        join(delegate.put(key, Long.toString(next).getBytes(StandardCharsets.UTF_8), ValueFormat.TEXT, ttl));
                        return CompletableFuture.completedFuture(next);
                    }
                };
            }
        },
        CAS_IGNORES_VERSION(Kind.CACHE, Layout.PLAIN, "compare-and-set writes whenever the key exists, ignoring the version", "C8") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return new ForwardingCacheDriver(d) {
                    @Override
                    public CompletionStage<Boolean> compareAndSet(String key, long version, byte[] value, ValueFormat format, Duration ttl) {
                        return delegate.get(key).thenCompose(e -> e == null ? CompletableFuture.completedFuture(false)
                                : delegate.put(key, value, format, ttl).thenApply(x -> true));
                    }
                };
            }
        },
        CAS_VERSION_IS_DIGEST(Kind.CACHE, Layout.PLAIN, "uses a digest of the value as its version, which an A-B-A rewrite does not change", "C17") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return new ForwardingCacheDriver(d) {
                    private CacheEntry digested(CacheEntry e) {
                        return e == null ? null : new CacheEntry(e.value(), e.format(), Arrays.hashCode(e.value()) & 0xffffffffL);
                    }

                    @Override
                    public CompletionStage<CacheEntry> get(String key) {
                        return delegate.get(key).thenApply(this::digested);
                    }

                    @Override
                    public CompletionStage<Boolean> compareAndSet(String key, long version, byte[] value, ValueFormat format, Duration ttl) {
                        return delegate.get(key).thenCompose(e -> e == null || digested(e).version() != version
                                ? CompletableFuture.completedFuture(false) : delegate.compareAndSet(key, e.version(), value, format, ttl));
                    }
                };
            }
        },
        PUT_IF_ABSENT_NOT_ATOMIC(Kind.CACHE, Layout.PLAIN, "putIfAbsent reads, then writes if it found nothing", "C19") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return new ForwardingCacheDriver(d) {
                    @Override
                    public CompletionStage<Boolean> putIfAbsent(String key, byte[] value, ValueFormat format, Duration ttl) {
                        CacheEntry e = join(delegate.get(key));
                        pause(2);
                        if (e != null) {
                            return CompletableFuture.completedFuture(false);
                        }
                        return delegate.put(key, value, format, ttl).thenApply(x -> true);
                    }
                };
            }
        },
        GET_ALL_ABSENT_AS_EMPTY(Kind.CACHE, Layout.PLAIN, "returns absent keys from getAll with an empty value", "C4") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return new ForwardingCacheDriver(d) {
                    @Override
                    public CompletionStage<Map<String, CacheEntry>> getAll(Collection<String> keys) {
                        return delegate.getAll(keys).thenApply(found -> {
                            Map<String, CacheEntry> all = new LinkedHashMap<>(found);
                            keys.forEach(k -> all.putIfAbsent(k, new CacheEntry(new byte[0], ValueFormat.TEXT, 0)));
                            return all;
                        });
                    }
                };
            }
        },
        GET_ALL_BY_POSITION(Kind.CACHE, Layout.PLAIN, "maps getAll's answers to the keys by position, but the server answers in its own order", "C4") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return new ForwardingCacheDriver(d) {
                    @Override
                    public CompletionStage<Map<String, CacheEntry>> getAll(Collection<String> keys) {
                        return delegate.getAll(keys).thenApply(found -> {
                            List<CacheEntry> serverOrder = new ArrayList<>(new TreeMap<>(found).values());
                            Map<String, CacheEntry> zipped = new LinkedHashMap<>();
                            int i = 0;
                            for (String k : keys) {
                                if (found.containsKey(k)) {
                                    zipped.put(k, serverOrder.get(i++));
                                }
                            }
                            return zipped;
                        });
                    }
                };
            }
        },
        CASE_INSENSITIVE_KEYS(Kind.CACHE, Layout.PLAIN, "lower-cases keys (a server with case-insensitive keys)", "C15") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return keys(d, BrokenProviders::lower);
            }
        },
        TRUNCATES_KEYS(Kind.CACHE, Layout.PLAIN, "cuts keys to 200 characters while declaring 250 bytes", "C15") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return keys(d, k -> k.length() > 200 ? k.substring(0, 200) : k);
            }
        },
        LOCAL_READ_CACHE(Kind.CACHE, Layout.PLAIN, "keeps what it read in a per-instance map for 5 s, to save round trips", "C20") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return localReads(d);
            }
        },
        DELETE_ALWAYS_TRUE(Kind.CACHE, Layout.PLAIN, "reports every delete as having removed something", "C5") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return new ForwardingCacheDriver(d) {
                    @Override
                    public CompletionStage<Boolean> delete(String key) {
                        return delegate.delete(key).thenApply(x -> true);
                    }
                };
            }
        },
        CACHE_DOWN_READS_ABSENT(Kind.CACHE, Layout.OVER, "treats an unreachable server as a miss: get returns null, getAll an empty map", "C21") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return new ForwardingCacheDriver(d) {
                    @Override
                    public CompletionStage<CacheEntry> get(String key) {
                        return delegate.get(key).exceptionally(err -> {
                            if (isConnectionFailure(err)) {
                                return null;
                            }
                            throw new CompletionException(causeOf(err));
                        });
                    }

                    @Override
                    public CompletionStage<Map<String, CacheEntry>> getAll(Collection<String> keys) {
                        return delegate.getAll(keys).exceptionally(err -> {
                            if (isConnectionFailure(err)) {
                                return Map.of();
                            }
                            throw new CompletionException(causeOf(err));
                        });
                    }
                };
            }
        },
        CACHE_HANGS_WHEN_DOWN(Kind.CACHE, Layout.OVER, "retries a failed operation until the server answers, without a deadline", "C21") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return failures(d, (err, op) -> isConnectionFailure(err) ? new CompletableFuture<>() : CompletableFuture.failedFuture(causeOf(err)));
            }
        },
        CACHE_NEVER_RECONNECTS(Kind.CACHE, Layout.OVER, "marks its connection dead on the first failure and never opens a new one", "C22") {
            @Override
            CacheDriver cache(CacheDriver d) {
                AtomicBoolean dead = new AtomicBoolean();
                return failures(d, (err, op) -> {
                    if (isConnectionFailure(err)) {
                        dead.set(true);
                    }
                    return CompletableFuture.failedFuture(causeOf(err));
                }, dead);
            }
        },
        // ---- the cache-sync pair ----
        SYNC_STRIPS_HEADERS(Kind.SYNC, Layout.PLAIN, "loses every message's headers on the way", "S1") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return onPublish(t, m -> headers(m, h -> new LinkedHashMap<>()));
            }
        },
        SYNC_TRUNCATES_HEADER_VALUES(Kind.SYNC, Layout.PLAIN, "cuts header values to 64 characters", "S9") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return onPublish(t, m -> headers(m, h -> {
                    h.replaceAll((k, v) -> v.length() > 64 ? v.substring(0, 64) : v);
                    return h;
                }));
            }
        },
        SYNC_SHARED_QUEUE(Kind.SYNC, Layout.PLAIN, "gives every subscriber of a channel one shared queue, so each announcement reaches one instance", "S1") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return onSubscribe(t, r -> r.durableName() != null ? r : new SubscriptionRequest(r.channelOrPattern(),
                        SubscriptionOptions.defaults().durable("q." + r.channelOrPattern()), r.maxUnacknowledged()));
            }
        },
        SYNC_SILENT_RECONNECT(Kind.SYNC, Layout.OVER, "reconnects without reporting LOST or RECOVERED", "S6"),
        SYNC_RESUBSCRIBES_LATE(Kind.SYNC, Layout.UNDER, "subscribes again asynchronously, after reporting RECOVERED", "S6") {
            @Override
            Transport transport(Transport t, ProviderContext c, Events e) {
                return lateResubscribe(t, c);
            }
        },
        SYNC_CACHE_FOLDS_KEYS(Kind.SYNC, Layout.PLAIN, "a cache that lower-cases keys", "S9") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return keys(d, BrokenProviders::lower);
            }
        },
        SYNC_CACHE_IGNORES_TTL(Kind.SYNC, Layout.PLAIN, "a cache that stores every value without expiry", "S5") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return ttl(d, x -> Duration.ZERO, false);
            }
        },
        SYNC_CACHE_LOCAL_READS(Kind.SYNC, Layout.PLAIN, "a cache that keeps what it read in a per-instance map for 5 s", "S1") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return localReads(d);
            }
        },
        // ---- session store: touch ----
        TOUCH_REWRITES(Kind.SESSION, Layout.PLAIN, "touches by reading the value and writing it back with the new TTL", "E3") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return new ForwardingCacheDriver(d) {
                    @Override
                    public CompletionStage<Boolean> touch(String key, Duration ttl) {
                        return delegate.get(key).thenCompose(e -> e == null ? CompletableFuture.completedFuture(false)
                                : delegate.put(key, e.value(), e.format(), ttl).thenApply(x -> true));
                    }
                };
            }
        },
        TOUCH_IGNORES_TTL(Kind.SESSION, Layout.PLAIN, "answers touch by checking that the key exists, leaving its TTL alone", "E1", "E4") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return new ForwardingCacheDriver(d) {
                    @Override
                    public CompletionStage<Boolean> touch(String key, Duration ttl) {
                        return delegate.get(key).thenApply(e -> e != null);
                    }
                };
            }
        },
        TOUCH_CREATES_MISSING(Kind.SESSION, Layout.PLAIN, "touches with an upsert, so a missing or expired key is created empty", "E2", "E5") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return new ForwardingCacheDriver(d) {
                    @Override
                    public CompletionStage<Boolean> touch(String key, Duration ttl) {
                        return delegate.touch(key, ttl).thenCompose(existed -> existed ? CompletableFuture.completedFuture(true)
                                : delegate.put(key, new byte[0], ValueFormat.BYTES, ttl).thenApply(x -> true));
                    }
                };
            }
        },
        TOUCH_SECONDS_ONLY(Kind.SESSION, Layout.PLAIN, "converts the touch TTL with getSeconds(), so a sub-second TTL becomes 0: no expiry", "E4") {
            @Override
            CacheDriver cache(CacheDriver d) {
                return new ForwardingCacheDriver(d) {
                    @Override
                    public CompletionStage<Boolean> touch(String key, Duration ttl) {
                        return delegate.touch(key, Duration.ofSeconds(ttl.getSeconds()));
                    }
                };
            }
        };

        final Kind kind;
        final Layout layout;
        final String description;
        final List<String> rules;

        Bug(Kind kind, Layout layout, String description, String... rules) {
            this.kind = kind;
            this.layout = layout;
            this.description = description;
            this.rules = List.of(rules);
        }

        /** The provider the bug wraps. */
        String inner() {
            return "memory";
        }

        /** Which group of rules the bug is in, for the README table. */
        String group() {
            if (kind == Kind.SYNC) {
                return "sync";
            }
            return layout == Layout.PLAIN ? kind.name().toLowerCase(Locale.ROOT) : "faults";
        }

        Transport transport(Transport t, ProviderContext c, Events e) {
            return t;
        }

        CacheDriver cache(CacheDriver d) {
            return d;
        }
    }

    /** Segment-wise replacement in a pattern. */
    static String segments(String pattern, String from, String to) {
        String[] parts = pattern.split("\\.", -1);
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].equals(from)) {
                parts[i] = to;
            }
        }
        return String.join(".", parts);
    }

    /** A transport that subscribes a request it has seen before (a re-subscription after a reconnect) only if {@code again} says so. */
    static Transport resubscribes(Transport t, java.util.function.Predicate<SubscriptionRequest> again) {
        Set<SubscriptionRequest> seen = ConcurrentHashMap.newKeySet();
        return new ForwardingTransport(t) {
            @Override
            public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                if (!seen.add(request) && !again.test(request)) {
                    return () -> { };
                }
                return delegate.subscribe(request, listener);
            }
        };
    }

    /** A transport whose re-subscriptions take effect 300 ms after they return. */
    static Transport lateResubscribe(Transport t, ProviderContext c) {
        Set<SubscriptionRequest> seen = ConcurrentHashMap.newKeySet();
        return new ForwardingTransport(t) {
            @Override
            public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                if (seen.add(request)) {
                    return delegate.subscribe(request, listener);
                }
                CompletableFuture<TransportSubscription> later = new CompletableFuture<>();
                AtomicBoolean closed = new AtomicBoolean();
                c.scheduler().schedule(() -> {
                    if (!closed.get()) {
                        later.complete(delegate.subscribe(request, listener));
                    }
                }, 300, TimeUnit.MILLISECONDS);
                return () -> {
                    closed.set(true);
                    later.thenAccept(TransportSubscription::close);
                };
            }
        };
    }

    /** What a bug does with a dead letter: the message to republish. */
    interface DeadLetterRewrite {
        Message build(SubscriptionRequest request, InboundDelivery delivery, String reason, int attempts);
    }

    /** A transport that dead-letters by republishing {@code rewrite}'s message and acknowledging the original. */
    static Transport deadLetters(Transport t, DeadLetterRewrite rewrite) {
        return new ForwardingTransport(t) {
            @Override
            public TransportSubscription subscribe(SubscriptionRequest request, DeliveryListener listener) {
                Transport self = this;
                return delegate.subscribe(request, d -> listener.onDelivery(new ForwardingInboundDelivery(d) {
                    @Override
                    public void deadLetter(String reason, int attempts) {
                        self.publish(request.deadLetterChannel(), rewrite.build(request, d, reason, attempts));
                        delegate.ack();
                    }
                }));
            }
        };
    }

    /** A cache driver that remembers what it read, per instance, for 5 s. */
    static CacheDriver localReads(CacheDriver d) {
        Map<String, CacheEntry> seen = new ConcurrentHashMap<>();
        Map<String, Long> at = new ConcurrentHashMap<>();
        return new ForwardingCacheDriver(d) {
            @Override
            public CompletionStage<CacheEntry> get(String key) {
                Long when = at.get(key);
                if (when != null && System.nanoTime() - when < TimeUnit.SECONDS.toNanos(5)) {
                    return CompletableFuture.completedFuture(seen.get(key));
                }
                return delegate.get(key).thenApply(e -> {
                    if (e != null) {
                        seen.put(key, e);
                        at.put(key, System.nanoTime());
                    }
                    return e;
                });
            }

            @Override
            public CompletionStage<Void> put(String key, byte[] value, ValueFormat format, Duration ttl) {
                return delegate.put(key, value, format, ttl).thenRun(() -> {
                    seen.put(key, new CacheEntry(value, format, 0));
                    at.put(key, System.nanoTime());
                });
            }
        };
    }

    static CacheDriver failures(CacheDriver d, java.util.function.BiFunction<Throwable, String, CompletionStage<?>> onFailure) {
        return failures(d, onFailure, new AtomicBoolean());
    }

    /** A cache driver whose failed stages {@code onFailure} replaces; once {@code dead}, every operation fails at once. */
    static CacheDriver failures(CacheDriver d, java.util.function.BiFunction<Throwable, String, CompletionStage<?>> onFailure, AtomicBoolean dead) {
        return new ForwardingCacheDriver(d) {
            @SuppressWarnings("unchecked")
            private <T> CompletionStage<T> guard(String op, java.util.function.Supplier<CompletionStage<T>> call) {
                if (dead.get()) {
                    return CompletableFuture.failedFuture(new ConnectionException("connection is dead (never reopened)", null));
                }
                return call.get().handle((v, err) -> err == null ? CompletableFuture.completedFuture(v) : (CompletionStage<T>) onFailure.apply(err, op))
                        .thenCompose(x -> x);
            }

            @Override
            public CompletionStage<CacheEntry> get(String key) {
                return guard("get", () -> delegate.get(key));
            }

            @Override
            public CompletionStage<Map<String, CacheEntry>> getAll(Collection<String> keys) {
                return guard("getAll", () -> delegate.getAll(keys));
            }

            @Override
            public CompletionStage<Void> put(String key, byte[] value, ValueFormat format, Duration ttl) {
                return guard("put", () -> delegate.put(key, value, format, ttl));
            }

            @Override
            public CompletionStage<Boolean> putIfAbsent(String key, byte[] value, ValueFormat format, Duration ttl) {
                return guard("putIfAbsent", () -> delegate.putIfAbsent(key, value, format, ttl));
            }

            @Override
            public CompletionStage<Boolean> compareAndSet(String key, long version, byte[] value, ValueFormat format, Duration ttl) {
                return guard("compareAndSet", () -> delegate.compareAndSet(key, version, value, format, ttl));
            }

            @Override
            public CompletionStage<Boolean> delete(String key) {
                return guard("delete", () -> delegate.delete(key));
            }

            @Override
            public CompletionStage<Long> increment(String key, long delta, long initial, Duration ttl) {
                return guard("increment", () -> delegate.increment(key, delta, initial, ttl));
            }
        };
    }
}
