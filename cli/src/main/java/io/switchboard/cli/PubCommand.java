package io.switchboard.cli;

import io.switchboard.CodecException;
import io.switchboard.JsonCodec;
import io.switchboard.Message;
import io.switchboard.Switchboard;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Publishes messages: DATA as one text message, a file or standard input as one binary message,
 * or one text message per line.
 */
@Command(name = "pub", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Publishes messages to CHANNEL.",
                "DATA is one text message; --file FILE sends the whole file as one binary message ('-' for standard input); "
                        + "--lines sends each line of --file, or of standard input, as one text message.",
                "Without DATA or --file, each line of standard input is one message, as with --lines.",
                "Exits 0 once the transport accepted every message (confirmed by the broker on at-least-once transports)."})
final class PubCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConnectionOptions connection;

    @Parameters(index = "0", paramLabel = "CHANNEL", description = "Exact channel, e.g. orders.created.")
    String channel;

    @Parameters(index = "1", arity = "0..1", paramLabel = "DATA", description = "The payload (UTF-8 text).")
    String data;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE",
            description = "Publish the whole of FILE as one message, bytes as they are ('-' for standard input; with --lines, each line).")
    String file;

    @Option(names = {"-l", "--lines"}, description = "One text message per line of --file or standard input (the default without DATA and --file).")
    boolean lines;

    @Option(names = "--id", paramLabel = "ID", description = "The message id (default: a new unique id); only for one message.")
    String id;

    @Option(names = "--json", description = "The payload is JSON: checked before anything is sent, content type application/json.")
    boolean json;

    @Option(names = {"-H", "--header"}, paramLabel = "NAME=VALUE", description = "A header on every message (repeatable).")
    Map<String, String> headers = new LinkedHashMap<>();

    @Option(names = "--content-type", paramLabel = "TYPE",
            description = "Content type (default: text/plain; charset=utf-8 for DATA and lines, application/octet-stream for a file).")
    String contentType;

    @Option(names = "--timeout", defaultValue = "30s", paramLabel = "DURATION",
            description = "How long to wait for the transport to accept everything (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        if (data != null && file != null) {
            throw usage("give DATA or --file, not both");
        }
        if (data != null && lines) {
            throw usage("--lines reads --file or standard input; it does not apply to DATA");
        }
        boolean perLine = lines || (data == null && file == null);
        if (id != null && perLine) {
            throw usage("--id names one message; it does not apply to --lines (one message per line)");
        }
        if (json && contentType != null) {
            throw usage("--json sets the content type application/json; give --json or --content-type, not both");
        }
        PrintWriter out = spec.commandLine().getOut();
        long count;
        if (perLine) {
            BufferedReader in = file == null || file.equals("-")
                    ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                    : Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8);
            try (in; Switchboard sb = openSwitchboard()) {
                Iterator<String> it = in.lines().iterator();
                long[] line = {0};
                count = publishAll(sb, new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return it.hasNext();
                    }

                    @Override
                    public Message next() {
                        line[0]++;
                        String text = it.next();
                        return message(text.getBytes(StandardCharsets.UTF_8), Message.TEXT, "line " + line[0]);
                    }
                });
            }
        } else {
            Message m = data != null ? message(data.getBytes(StandardCharsets.UTF_8), Message.TEXT, "DATA")
                    : message(file.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(file)), Message.OCTET_STREAM,
                            file.equals("-") ? "standard input" : "file " + file);
            try (Switchboard sb = openSwitchboard()) {
                count = publishAll(sb, List.of(m).iterator());
            }
        }
        out.println("published " + count + (count == 1 ? " message" : " messages") + " to " + channel);
        out.flush();
        return 0;
    }

    /** One message with the options applied; {@code what} names the payload's source in a JSON error. */
    private Message message(byte[] payload, String defaultType, String what) {
        if (json) {
            try {
                JsonCodec.defaults().decode(payload, Object.class);
            } catch (CodecException e) {
                throw usage(what + " is not valid JSON (--json): " + e.getMessage());
            }
        }
        Message.Builder b = Message.builder().payload(payload).headers(headers)
                .contentType(json ? Message.JSON : contentType != null ? contentType : defaultType);
        if (id != null) {
            b.id(id);
        }
        return b.build();
    }

    private Switchboard openSwitchboard() {
        return connection.openForMessages(spec.commandLine().getErr(), "no other process receives these messages");
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private long publishAll(Switchboard sb, Iterator<Message> messages) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<CompletableFuture<Void>> window = new ArrayList<>();
        long count = 0;
        while (messages.hasNext()) {
            Message m;
            try {
                m = messages.next();
            } catch (ParameterException e) {
                await(window, deadline);
                throw count == 0 ? e : usage(e.getMessage() + (count == 1 ? "; the message before it was published" : "; the " + count + " messages before it were published"));
            }
            window.add(sb.publisher().publish(channel, m).toCompletableFuture());
            count++;
            if (window.size() >= 1000) {
                await(window, deadline);
            }
        }
        await(window, deadline);
        return count;
    }

    private void await(List<CompletableFuture<Void>> window, long deadline) throws Exception {
        try {
            CompletableFuture.allOf(window.toArray(new CompletableFuture<?>[0])).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        } catch (java.util.concurrent.TimeoutException e) {
            throw new CommandFailure("not every message to " + channel + " was accepted within " + timeout);
        }
        window.clear();
    }
}
