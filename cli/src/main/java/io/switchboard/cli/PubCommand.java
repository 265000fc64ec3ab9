package io.switchboard.cli;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Publishes messages: one from the argument, or one per line of a file or of standard input. */
@Command(name = "pub", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Publishes text messages to CHANNEL.",
                "The message is DATA if given, else each line of --file, else each line of standard input.",
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

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Publish each line of FILE as one message ('-' for standard input).")
    String file;

    @Option(names = {"-H", "--header"}, paramLabel = "NAME=VALUE", description = "A header on every message (repeatable).")
    Map<String, String> headers = new LinkedHashMap<>();

    @Option(names = "--content-type", paramLabel = "TYPE", description = "Content type (default: text/plain; charset=utf-8).")
    String contentType;

    @Option(names = "--timeout", defaultValue = "30s", paramLabel = "DURATION",
            description = "How long to wait for the transport to accept everything (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        if (data != null && file != null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "give DATA or --file, not both");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Switchboard sb = connection.open()) {
            long count;
            if (data != null) {
                count = publishAll(sb, List.of(data).iterator());
            } else {
                BufferedReader in = file == null || file.equals("-")
                        ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                        : Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8);
                try (in) {
                    count = publishAll(sb, in.lines().iterator());
                }
            }
            out.println("published " + count + (count == 1 ? " message" : " messages") + " to " + channel);
            out.flush();
            return 0;
        }
    }

    private long publishAll(Switchboard sb, java.util.Iterator<String> lines) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<CompletableFuture<Void>> window = new ArrayList<>();
        long count = 0;
        while (lines.hasNext()) {
            Message.Builder b = Message.builder().text(lines.next()).headers(headers);
            if (contentType != null) {
                b.contentType(contentType);
            }
            window.add(sb.publisher().publish(channel, b.build()).toCompletableFuture());
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
            CompletableFuture.allOf(window.toArray(new CompletableFuture[0])).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        } catch (java.util.concurrent.TimeoutException e) {
            throw new CommandFailure("not every message to " + channel + " was accepted within " + timeout);
        }
        window.clear();
    }
}
