package io.switchboard.tck;

import io.switchboard.Switchboard;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;

/**
 * What the three contracts share: the settings you return, the fault hooks you offer, the one
 * timeout you may raise, and the Switchboards a rule opens (one per simulated service instance,
 * all closed after the rule). Extend {@link TransportContract}, {@link CacheContract} or
 * {@link io.switchboard.tck.sync.CacheSyncContract}, not this class.
 *
 * <p>Not thread-safe: JUnit runs one rule at a time per instance.
 */
public abstract class Contract {
    private final List<String> requiredKeys;
    private final List<Switchboard> opened = new CopyOnWriteArrayList<>();
    private final List<Runnable> cleanUps = new CopyOnWriteArrayList<>();

    /** For the contracts: {@code requiredKeys} must be set by {@link #properties()}. */
    protected Contract(String... requiredKeys) {
        this.requiredKeys = List.of(requiredKeys);
    }

    /** Settings for a Switchboard on the provider under test (see the subclass for what it must set). */
    protected abstract Map<String, Object> properties();

    /** Fault hooks on a private server; default {@link Faults#none()}: the fault rules are announced skips. */
    protected Faults faults() {
        return Faults.none();
    }

    /**
     * How long a rule waits for something that must happen (a delivery, a publish stage, a
     * recovery, an announcement, an expiry) before failing; default 10 s. Raise it for a slow CI
     * server, never to hide a bug. The kit's other bounds derive from it: a {@code publish()}
     * call must return within a tenth of it, a close during retries within a fifth, a fault
     * rule's recovery within three times it.
     */
    protected Duration timeout() {
        return Duration.ofSeconds(10);
    }

    /** Opens a Switchboard from {@link #properties()}, closed after the rule. */
    protected final Switchboard open() {
        return open(Map.of());
    }

    /** Opens a Switchboard from {@link #properties()} with {@code extra} settings on top, closed after the rule. */
    protected final Switchboard open(Map<String, ?> extra) {
        Switchboard sb = Kit.open(settings(extra));
        opened.add(sb);
        return sb;
    }

    /**
     * The settings a rule opens with.
     *
     * @throws IllegalStateException if {@link #properties()} lacks a key the contract needs
     */
    protected final Map<String, Object> settings(Map<String, ?> extra) {
        Map<String, Object> props = new LinkedHashMap<>(Objects.requireNonNull(properties(), "properties()"));
        for (String key : requiredKeys) {
            if (!props.containsKey(key)) {
                throw new IllegalStateException(getClass().getName() + ".properties() must set " + key);
            }
        }
        props.putAll(extra);
        return props;
    }

    /** Runs {@code action} after the rule, once its Switchboards are closed (for example to delete a durable subscription). */
    protected final void afterRule(Runnable action) {
        cleanUps.add(action);
    }

    /** Waits up to {@link #timeout()} for {@code condition}, failing with {@code message}. */
    protected final void await(BooleanSupplier condition, Supplier<String> message) {
        Kit.await(timeout(), condition, message);
    }

    /**
     * The one kind of skip the kit allows: a fault rule whose hook {@link #faults()} does not offer.
     * Aborts the rule, naming the hook and where to read about it.
     */
    protected final void requireHook(String rule, Faults.Hook hook) {
        Faults f = faults();
        if (!f.offers(hook)) {
            Assumptions.abort("rule " + rule + " needs the " + hook.method() + " hook, which " + subclassName()
                    + ".faults() does not offer (" + f + "); see tck/README.md, 'Fault hooks'");
        }
    }

    /** The subclass that offers the hooks, as a skip names it; a group nested in another contract names that one's. */
    String subclassName() {
        return getClass().getSimpleName();
    }

    /** Closes what the rule opened. */
    @AfterEach
    protected final void closeEverythingOpened() {
        cleanUp();
    }

    /** Closes every Switchboard the rule opened, then runs the {@link #afterRule} actions; for dynamic rules too. */
    final void cleanUp() {
        try {
            for (Switchboard sb : opened) {
                sb.close(Duration.ofSeconds(5));
            }
        } finally {
            opened.clear();
            List<Runnable> actions = List.copyOf(cleanUps);
            cleanUps.clear();
            actions.forEach(Runnable::run);
        }
    }
}
