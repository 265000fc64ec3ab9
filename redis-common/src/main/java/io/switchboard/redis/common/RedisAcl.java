package io.switchboard.redis.common;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads Redis's ACL refusals and names the rule that would allow what was refused, in
 * {@code ACL SETUSER} syntax, for messages that tell the user what to change. Stateless and
 * thread-safe.
 *
 * <p>Redis says which command it refused ({@code NOPERM this user has no permissions to run the
 * 'publish' command}), or that a channel or key was not allowed without naming it; inside a Lua
 * script it says neither ({@code ERR The user executing the script can't run this command or
 * subcommand}), so the caller passes everything the operation needs.
 */
public final class RedisAcl {
    private static final Pattern COMMAND = Pattern.compile("no permissions to run the '([^']+)' command");

    private RedisAcl() {
    }

    /** Whether the error is an ACL refusal, at top level or from inside a script. */
    public static boolean isRefusal(String error) {
        String e = String.valueOf(error);
        return e.startsWith("NOPERM") || e.contains("user executing the script can't run");
    }

    /**
     * The rule that would allow the refused command.
     *
     * @param error Redis's error text
     * @param objectRule the channel ({@code &...}) or key ({@code ~...}) rule the command needs, or {@code null}
     * @param allRules every rule the operation needs, named when Redis does not say which one failed
     */
    public static String missingRule(String error, String objectRule, String allRules) {
        String e = String.valueOf(error);
        Matcher m = COMMAND.matcher(e);
        if (m.find()) {
            return "+" + m.group(1).toLowerCase(Locale.ROOT);
        }
        if ((e.contains("one of the channels") || e.contains("one of the keys")) && objectRule != null) {
            return objectRule;
        }
        return "one of " + allRules;
    }

    /** The ACL user a connection authenticates as: the URI's, or Redis's {@code default}. */
    public static String user(RedisEndpoint endpoint) {
        return endpoint.user() != null ? endpoint.user() : "default";
    }

    /**
     * One sentence for a refused command: who was refused what, Redis's words, and the
     * {@code ACL SETUSER} line that fixes it.
     */
    public static String explain(RedisEndpoint endpoint, String what, String error, String objectRule, String allRules) {
        String user = user(endpoint);
        String rule = missingRule(error, objectRule, allRules);
        return "Redis at " + endpoint.describe() + " refused " + what + " for ACL user '" + user + "' (" + firstLine(error)
                + "): the user lacks " + rule + "; grant it with ACL SETUSER " + user + " "
                + (rule.startsWith("one of ") ? allRules : rule) + " (docs/redis.md, Access control)";
    }

    private static String firstLine(String s) {
        String t = String.valueOf(s);
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }
}
