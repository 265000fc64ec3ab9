package io.switchboard.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The child side of the multi-process demo: one instance answering line commands on stdin/stdout (see {@link DemoProcess}). */
@Command(name = "demo-instance", hidden = true, mixinStandardHelpOptions = true,
        description = "One demo instance driven over stdin/stdout by 'switchboard demo' (internal).")
final class DemoInstanceCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Option(names = "--name", required = true)
    String name;

    @Option(names = "--run", required = true)
    String runId;

    @Override
    public Integer call() throws Exception {
        connection.inheritFromParent();
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        try (DemoInstance node = new DemoInstance(name, connection.open(), runId)) {
            out.println("ready " + ProcessHandle.current().pid());
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                String[] parts = line.split(" ", 3);
                try {
                    switch (parts[0]) {
                        case "create":
                            node.create(DemoProcess.parse(line.substring("create ".length())));
                            out.println("ok");
                            break;
                        case "change":
                            out.println("ok " + DemoProcess.json(node.changePrice(parts[1], Long.parseLong(parts[2]))));
                            break;
                        case "read":
                            Product p = node.read(parts[1]);
                            out.println("ok " + (p == null ? "null" : DemoProcess.json(p)));
                            break;
                        case "stats":
                            out.println("ok " + node.stats());
                            break;
                        case "quit":
                            out.println("ok bye");
                            return 0;
                        default:
                            out.println("err unknown command '" + parts[0] + "'");
                    }
                } catch (RuntimeException e) {
                    out.println("err " + String.valueOf(e.getMessage()).replace('\n', ' '));
                }
            }
        }
        return 0;
    }
}
