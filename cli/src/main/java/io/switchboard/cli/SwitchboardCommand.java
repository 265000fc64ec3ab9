package io.switchboard.cli;

import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code switchboard} command. Subcommands share the library's configuration: properties
 * given with {@code -D key=value}, system properties, {@code SWITCHBOARD_*} environment variables
 * and {@code switchboard.properties}.
 *
 * <p>Exit codes: 0 success, 1 the command ran and found a failure (for example an inconsistent
 * demo, a missing cache key, lost messages), 2 usage error, 3 configuration error (including
 * refused credentials and an unsupported capability), 4 connection error. See {@code docs/cli.md}.
 */
@Command(name = "switchboard", mixinStandardHelpOptions = true, version = "switchboard 0.1.0-SNAPSHOT",
        description = {"Broker-agnostic pub/sub and shared cache: tools and demo.",
                "Every command takes --transport, --cache and -D key=value; anything not given comes from system properties, "
                        + "SWITCHBOARD_* environment variables and switchboard.properties.",
                "Exit codes: 0 ok, 1 failure found, 2 usage, 3 configuration, 4 connection."},
        subcommands = {PubCommand.class, SubCommand.class, CacheCommand.class, DurableCommand.class, DoctorCommand.class, BenchCommand.class, DemoCommand.class,
                DemoInstanceCommand.class, ConfigCommand.class, CommandLine.HelpCommand.class})
public final class SwitchboardCommand implements Callable<Integer> {
    /** Exit code: the command ran and found a failure. */
    public static final int FAILED = 1;
    /** Exit code: the command line is wrong. */
    public static final int USAGE = 2;
    /** Exit code: the configuration is wrong. */
    public static final int CONFIGURATION = 3;
    /** Exit code: a server could not be reached. */
    public static final int CONNECTION = 4;

    @Spec
    CommandSpec spec;

    private SwitchboardCommand() {
    }

    /** Without a command: a usage error listing the commands. */
    @Override
    public Integer call() {
        throw missingCommand(spec.commandLine());
    }

    /** The usage error of a command run without one of its subcommands. */
    static ParameterException missingCommand(CommandLine cmd) {
        return new ParameterException(cmd, "name a command: " + String.join(", ", UsageErrors.visibleSubcommands(cmd)) + ".");
    }

    /** Runs the command line and exits with its code. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code. */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The command tree with its converters and error handlers, as {@link #run} executes it. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new SwitchboardCommand());
        // Registered on the root after the annotated subcommands exist, so every Duration option of every command uses it.
        cl.registerConverter(Duration.class, new DurationConverter());
        cl.setParameterExceptionHandler(new UsageErrors());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> Errors.report(e, cmd.getErr()));
        return cl;
    }
}
