package io.switchboard.cli;

import io.switchboard.internal.Suggestions;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Reports a usage error as one line on standard error, naming the culprit, with a "did you mean"
 * for a mistyped command or option and a pointer to the command's {@code --help}; exit code
 * {@link SwitchboardCommand#USAGE}. picocli's own handler prints the whole usage help instead.
 * Stateless and thread-safe.
 */
final class UsageErrors implements IParameterExceptionHandler {
    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        String name = cmd.getCommandSpec().qualifiedName();
        PrintWriter err = cmd.getErr();
        err.println(name + ": " + describe(ex) + " See '" + name + " --help'.");
        err.flush();
        return SwitchboardCommand.USAGE;
    }

    /** One sentence or two: what is wrong, and the likely fix. */
    static String describe(ParameterException ex) {
        if (!(ex instanceof UnmatchedArgumentException) || ((UnmatchedArgumentException) ex).getUnmatched().isEmpty()) {
            return sentence(ex.getMessage());
        }
        UnmatchedArgumentException u = (UnmatchedArgumentException) ex;
        CommandSpec spec = ex.getCommandLine().getCommandSpec();
        // Later unmatched arguments are mostly consequences of the first (an unknown option's value, say).
        String first = u.getUnmatched().get(0);
        if (u.isUnknownOption()) {
            String option = first.contains("=") ? first.substring(0, first.indexOf('=')) : first;
            String dym = didYouMean(option, optionNames(spec));
            if (dym.isEmpty()) {
                String ofCommand = Suggestions.closest(option, subcommandOptionNames(ex.getCommandLine()));
                if (ofCommand != null) {
                    return "unknown option '" + option + "'. Options such as '" + ofCommand + "' go after the command: "
                            + spec.qualifiedName() + " COMMAND " + ofCommand + " ...";
                }
            }
            return "unknown option '" + option + "'." + dym;
        }
        List<String> commands = visibleSubcommands(ex.getCommandLine());
        if (!commands.isEmpty()) {
            String dym = didYouMean(first, subcommandNames(ex.getCommandLine()));
            return "unknown command '" + first + "'." + (dym.isEmpty() ? " Commands: " + String.join(", ", commands) + "." : dym);
        }
        return "unexpected argument '" + first + "'.";
    }

    /**
     * The closest candidate by the library's edit distance, as configuration keys get.
     * picocli's own suggestions (UnmatchedArgumentException#getSuggestions, similar letter pairs)
     * miss transpositions ('pbu', '--tmeout') and offer 'sub' for 'nosuch'.
     */
    private static String didYouMean(String input, List<String> candidates) {
        String closest = Suggestions.closest(input, candidates);
        return closest == null ? "" : " Did you mean '" + closest + "'?";
    }

    private static List<String> optionNames(CommandSpec spec) {
        List<String> names = new ArrayList<>();
        for (OptionSpec o : spec.options()) {
            if (!o.hidden()) {
                names.addAll(List.of(o.names()));
            }
        }
        return names;
    }

    private static List<String> subcommandOptionNames(CommandLine cmd) {
        List<String> names = new ArrayList<>();
        for (CommandLine sub : cmd.getSubcommands().values()) {
            names.addAll(optionNames(sub.getCommandSpec()));
        }
        return names;
    }

    /** The names of the subcommands shown in the help, in help order, without aliases. */
    static List<String> visibleSubcommands(CommandLine cmd) {
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : cmd.getSubcommands().entrySet()) {
            CommandSpec sub = e.getValue().getCommandSpec();
            if (!sub.usageMessage().hidden() && e.getKey().equals(sub.name())) {
                names.add(e.getKey());
            }
        }
        return names;
    }

    /** Every name a visible subcommand answers to, aliases included. */
    private static List<String> subcommandNames(CommandLine cmd) {
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : cmd.getSubcommands().entrySet()) {
            if (!e.getValue().getCommandSpec().usageMessage().hidden()) {
                names.add(e.getKey());
            }
        }
        return names;
    }

    private static String sentence(String message) {
        String m = message == null ? "invalid command line" : message.replaceAll("\\s*\\R\\s*", " ").trim();
        return m.endsWith(".") || m.endsWith("?") ? m : m + ".";
    }
}
