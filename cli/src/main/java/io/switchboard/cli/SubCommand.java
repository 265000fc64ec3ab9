package io.switchboard.cli;

import io.switchboard.Delivery;
import io.switchboard.JsonCodec;
import io.switchboard.Message;
import io.switchboard.Subscription;
import io.switchboard.SubscriptionOptions;
import io.switchboard.Switchboard;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Subscribes and prints each message. */
@Command(name = "sub", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Subscribes to a channel or pattern and prints every message.",
                "In a pattern, * matches one segment and # any number.",
                "Each message is printed as id, channel, headers and payload (text when it is UTF-8, else base64), "
                        + "or as one JSON object per line with --json.",
                "Runs until --count messages arrived (exit 0), --timeout passed (exit 0 without --count, 1 if fewer than --count), or Ctrl-C.",
                "Prints 'subscribed to ...' on standard error once messages published from then on will arrive."})
final class SubCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConnectionOptions connection;

    @Parameters(index = "0", paramLabel = "CHANNEL|PATTERN", description = "e.g. orders.created, orders.*, orders.#")
    String channel;

    @Option(names = "--durable", paramLabel = "NAME", description = "Durable subscription name (kept by the broker while nobody listens).")
    String durable;

    @Option(names = {"-n", "--count"}, paramLabel = "N", description = "Stop after N messages.")
    Integer count;

    @Option(names = {"-t", "--timeout"}, paramLabel = "DURATION", description = "Stop after this long (10s, 500ms, 2m or PT10S).")
    Duration timeout;

    @Option(names = "--json", description = "One JSON object per line: id, channel, timestamp, contentType, headers, payload or payloadBase64.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (count != null && count < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--count must be at least 1, got " + count);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        AtomicLong received = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        SubscriptionOptions options = durable == null ? SubscriptionOptions.defaults() : SubscriptionOptions.defaults().durable(durable);
        try (Switchboard sb = connection.openForMessages(err, "this subscriber receives nothing published by other processes")) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> sb.close(Duration.ofSeconds(5))));
            Subscription sub = sb.subscriber().subscribe(channel, options, d -> {
                long n = received.incrementAndGet();
                if (count != null && n > count) {
                    return;
                }
                synchronized (out) {
                    out.println(json ? asJson(d) : asText(d));
                    out.flush();
                }
                if (count != null && n == count) {
                    done.countDown();
                }
            });
            err.println("subscribed to " + channel + " on " + sb.transportName() + (durable == null ? "" : " as durable '" + durable + "'"));
            err.flush();
            if (timeout != null) {
                done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } else {
                done.await();
            }
            sub.close();
        }
        if (count != null && received.get() < count) {
            err.println("received " + received.get() + " of " + count + " messages within " + timeout);
            err.flush();
            return SwitchboardCommand.FAILED;
        }
        return 0;
    }

    static String asText(Delivery d) {
        Message m = d.message();
        StringBuilder sb = new StringBuilder();
        sb.append(m.channel()).append(" id=").append(m.id());
        if (!m.headers().isEmpty()) {
            sb.append(' ').append(m.headers());
        }
        String text = utf8(m.payload());
        sb.append(" | ").append(text != null ? text : "base64:" + Base64.getEncoder().encodeToString(m.payload()));
        return sb.toString();
    }

    static String asJson(Delivery d) {
        Message m = d.message();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("id", m.id());
        o.put("channel", m.channel());
        o.put("timestamp", m.timestamp().toString());
        o.put("contentType", m.contentType());
        o.put("headers", m.headers());
        o.put("redelivered", d.redelivered());
        String text = utf8(m.payload());
        if (text != null) {
            o.put("payload", text);
        } else {
            o.put("payloadBase64", Base64.getEncoder().encodeToString(m.payload()));
        }
        return new String(JsonCodec.defaults().encode(o), StandardCharsets.UTF_8);
    }

    /** The payload as text if it is valid UTF-8, else {@code null}. */
    static String utf8(byte[] payload) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(payload)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
