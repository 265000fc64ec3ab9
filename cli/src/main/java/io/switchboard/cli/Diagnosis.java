package io.switchboard.cli;

import java.util.Locale;

/** Reads an exception chain and says, in one sentence, what is most likely wrong and what to do. */
final class Diagnosis {
    private Diagnosis() {
    }

    /** A hint for the failure, or {@code null} when nothing recognisable is in the chain. */
    static String hint(Throwable failure) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            all.append(t.getClass().getName()).append(": ").append(t.getMessage()).append('\n');
            if (t.getCause() == t) {
                break;
            }
        }
        String text = all.toString().toLowerCase(Locale.ROOT);
        if (text.contains("wrongpass") || text.contains("noauth") || text.contains("invalid password") || text.contains("invalid username-password")
                || text.contains("access_refused") || text.contains("authentication") || text.contains("credentials")) {
            return "diagnosis: the server refused the credentials - check the user and password in the URI "
                    + "(switchboard.redis.uri, switchboard.rabbitmq.uri, ...).";
        }
        if (text.contains("connection refused")) {
            return "diagnosis: nothing accepts connections on that host and port - is the server running (bin/services), "
                    + "and is the port right?";
        }
        if (text.contains("unknownhost") || text.contains("name or service not known") || text.contains("nodename nor servname")) {
            return "diagnosis: the host name does not resolve - check the host in the URI.";
        }
        if (text.contains("timed out") || text.contains("timeout")) {
            return "diagnosis: the server did not answer in time - a firewall, a wrong port or an overloaded server; "
                    + "check the address or raise the provider's connect timeout.";
        }
        return null;
    }
}
