package io.switchboard;

import java.util.List;

/**
 * The configuration is wrong: an unknown or malformed key, no provider or an ambiguous one, a
 * required capability that the chosen transport lacks, or credentials the server refused. Fix the
 * configuration; retrying will not help.
 *
 * <p>All problems found at once are reported together: {@link #problems()} lists them, one
 * sentence each, and {@link #getMessage()} joins them. Secret values are masked.
 */
public class ConfigurationException extends SwitchboardException {
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    /** Creates an exception for one problem. */
    public ConfigurationException(String problem) {
        this(List.of(problem), null);
    }

    /** Creates an exception for one problem, with its cause. */
    public ConfigurationException(String problem, Throwable cause) {
        this(List.of(problem), cause);
    }

    /** Creates an exception listing several problems; the list must not be empty. */
    public ConfigurationException(List<String> problems, Throwable cause) {
        super(format(problems), cause, false);
        this.problems = List.copyOf(problems);
    }

    /** Every problem found, one sentence each, in the order found. */
    public List<String> problems() {
        return problems;
    }

    private static String format(List<String> problems) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigurationException needs at least one problem");
        }
        if (problems.size() == 1) {
            return problems.get(0);
        }
        StringBuilder sb = new StringBuilder(problems.size() + " configuration problems:");
        for (int i = 0; i < problems.size(); i++) {
            sb.append("\n  ").append(i + 1).append(". ").append(problems.get(i));
        }
        return sb.toString();
    }
}
