package io.switchboard.tck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.switchboard.Capabilities;
import io.switchboard.Capability;
import io.switchboard.Delivery;
import io.switchboard.Message;
import io.switchboard.Switchboard;
import io.switchboard.tck.Kit.Recorder;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The transport contract: extend it, return the settings of a Switchboard on the transport under
 * test from {@link #properties()}, and JUnit 5 runs every rule of {@code tck/CONTRACT.md} (T1, T2,
 * ...) against it. Rules for a capability run their positive checks when
 * {@link Switchboard#capabilities()} declares it and check the refusal when it does not; rules
 * needing a fault hook are announced skips unless {@link #faults()} offers it.
 *
 * <pre>{@code
 * class RedisTransportContractIT extends TransportContract {
 *     protected Map<String, Object> properties() {
 *         return Map.of("switchboard.transport", "redis", "switchboard.redis.uri", "redis://127.0.0.1:6379");
 *     }
 * }
 * }</pre>
 *
 * <p>Each rule opens its own Switchboards (one per simulated service instance) and closes them
 * afterwards; channel and durable names are random per rule, so a shared server is fine for every
 * rule except the fault rules.
 */
public abstract class TransportContract {
    private final List<Switchboard> opened = new CopyOnWriteArrayList<>();
    private final List<String> durables = new CopyOnWriteArrayList<>();

    /** Settings for a Switchboard on the transport under test; must include switchboard.transport. */
    protected abstract Map<String, Object> properties();

    /** Fault hooks; default TransportFaults.none(): fault rules are announced skips. */
    protected TransportFaults faults() {
        return TransportFaults.none();
    }

    /** How long the kit waits for a delivery before failing (default 10 s). */
    protected Duration deliveryTimeout() {
        return Duration.ofSeconds(10);
    }

    @AfterEach
    void closeEverythingOpened() {
        cleanUp();
    }

    /** Opens a Switchboard on the transport under test, closed after the rule. */
    Switchboard open() {
        Map<String, Object> props = Objects.requireNonNull(properties(), "properties()");
        if (!props.containsKey("switchboard.transport")) {
            throw new IllegalStateException(getClass().getName() + ".properties() must set switchboard.transport");
        }
        Switchboard sb = Switchboard.open(props);
        opened.add(sb);
        return sb;
    }

    /** A durable name deleted after the rule. */
    String durable(String what) {
        String name = Kit.durableName(what);
        durables.add(name);
        return name;
    }

    Capabilities capabilities() {
        return open().capabilities();
    }

    void cleanUp() {
        for (Switchboard sb : opened) {
            sb.close(Duration.ofSeconds(5));
        }
        opened.clear();
        if (!durables.isEmpty()) {
            try (Switchboard sb = Switchboard.open(properties())) {
                if (sb.capabilities().has(Capability.DURABLE_SUBSCRIPTIONS)) {
                    durables.forEach(sb.subscriber()::deleteDurable);
                }
            }
            durables.clear();
        }
    }

    @Nested
    @DisplayName("A published message")
    class RoundTrip {
        /**
         * T1: a message arrives with its id, headers, content type, payload and timestamp (to the
         * millisecond) unchanged, and on the channel it was published to. If this fails, check
         * how the transport encodes the envelope: every field of {@link Message} must cross.
         */
        @Test
        @DisplayName("T1 arrives with its id, headers, content type, timestamp and payload unchanged")
        void keepsEveryField() {
            Switchboard sb = open();
            String channel = Kit.channelPrefix() + ".roundtrip";
            Recorder rec = new Recorder("subscription to " + channel);
            sb.subscriber().subscribe(channel, rec);
            Instant ts = Instant.now().minus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MILLIS);
            Message sent = Message.builder().id("tck-id-" + Kit.token()).text("héllo wörld ✓").contentType("text/x-tck; charset=utf-8")
                    .header("tenant", "acme").header("unicode-value", "ünï ✓").header("empty", "").timestamp(ts).build();
            sb.publisher().publishAndWait(channel, sent, deliveryTimeout());
            rec.awaitMessages(1, deliveryTimeout());
            Delivery d = rec.messages().get(0);
            Message got = d.message();
            assertEquals(sent.id(), got.id(), "id");
            assertEquals(channel, got.channel(), "channel");
            assertEquals(channel, d.channel(), "Delivery.channel()");
            assertEquals("text/x-tck; charset=utf-8", got.contentType(), "content type");
            assertEquals(sent.headers(), got.headers(), "headers (sb-* headers must not leak to the application)");
            assertEquals(ts, got.timestamp().truncatedTo(ChronoUnit.MILLIS), "timestamp to the millisecond");
            assertArrayEquals(sent.payload(), got.payload(), "payload");
            assertEquals(1, d.attempt(), "attempt of a first delivery");
        }
    }
}
