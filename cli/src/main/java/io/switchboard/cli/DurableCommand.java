package io.switchboard.cli;

import io.switchboard.Switchboard;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Manages durable subscriptions (those made with {@code sub --durable NAME}). */
@Command(name = "durable", mixinStandardHelpOptions = true,
        description = {"Manages durable subscriptions, which the broker keeps with their messages while nobody listens.",
                "Only transports with durable subscriptions have them (RabbitMQ; not Redis pub/sub)."},
        subcommands = DurableCommand.Delete.class)
final class DurableCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw SwitchboardCommand.missingCommand(spec.commandLine());
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = {"Deletes the durable subscription NAME and every message kept for it.",
                    "Exits 0 if it was deleted, 1 if there was none, 3 if the transport has no durable subscriptions."})
    static final class Delete implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ConnectionOptions connection;

        @Parameters(index = "0", paramLabel = "NAME", description = "The name given to sub --durable.")
        String name;

        @Override
        public Integer call() {
            try (Switchboard sb = connection.open()) {
                String transport = sb.transportName();
                if (sb.subscriber().deleteDurable(name)) {
                    PrintWriter out = spec.commandLine().getOut();
                    out.println("deleted durable subscription '" + name + "' and its kept messages on " + transport);
                    out.flush();
                    return 0;
                }
                PrintWriter err = spec.commandLine().getErr();
                err.println("no durable subscription '" + name + "' on " + transport);
                err.flush();
                return SwitchboardCommand.FAILED;
            }
        }
    }
}
