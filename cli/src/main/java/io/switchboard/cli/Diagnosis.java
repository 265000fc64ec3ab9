package io.switchboard.cli;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads an exception chain and says, in one sentence, what is most likely wrong and what to do.
 * When the chain names an address but not why it failed, tries a plain TCP connection to it.
 */
final class Diagnosis {
    private static final Pattern ADDRESS = Pattern.compile("(?:[a-z][a-z0-9+.-]*://)?(?:[^@\\s/]*@)?([A-Za-z0-9.-]+):(\\d{1,5})");

    private Diagnosis() {
    }

    /** A hint for the failure, or {@code null} when nothing recognisable is in the chain. */
    static String hint(Throwable failure) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
            all.append(t.getClass().getName()).append(": ").append(t.getMessage()).append('\n');
        }
        String text = all.toString().toLowerCase(Locale.ROOT);
        if (text.contains("wrongpass") || text.contains("noauth") || text.contains("requires a password") || text.contains("invalid username-password")
                || text.contains("access_refused") || text.contains("refused the login") || text.contains("refused the credentials")) {
            return "diagnosis: the server refused the credentials - check the user and password "
                    + "(switchboard.redis.uri, switchboard.rabbitmq.uri, ...).";
        }
        if (text.contains("connection refused")) {
            Matcher m = ADDRESS.matcher(all);
            String where = m.find() ? m.group(1) + ":" + m.group(2) : "that host and port";
            return "diagnosis: nothing accepts connections on " + where + " - is the server running (bin/services), and is the port right?";
        }
        if (text.contains("unknownhost") || text.contains("name or service not known")) {
            return "diagnosis: the host name does not resolve - check the host in the URI.";
        }
        String probed = probe(all.toString());
        if (probed != null) {
            return probed;
        }
        if (text.contains("timed out") || text.contains("timeout")) {
            return "diagnosis: the server did not answer in time - a firewall, a wrong port or an overloaded server; "
                    + "check the address or raise the provider's connect timeout.";
        }
        return null;
    }

    /** Tries the first host:port named in {@code text}; says what a plain TCP connection found. */
    static String probe(String text) {
        Matcher m = ADDRESS.matcher(text);
        if (!m.find()) {
            return null;
        }
        String host = m.group(1);
        int port = Integer.parseInt(m.group(2));
        if (port < 1 || port > 65535) {
            return null;
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 2000);
            return "diagnosis: " + host + ":" + port + " accepts TCP connections, so the server is up but the client could not talk to it - "
                    + "is it the right kind of server for this provider (port of another service? TLS?)";
        } catch (UnknownHostException e) {
            return "diagnosis: the host name '" + host + "' does not resolve - check the host in the URI.";
        } catch (ConnectException e) {
            return "diagnosis: nothing accepts connections on " + host + ":" + port + " (connection refused) - "
                    + "is the server running (bin/services), and is the port right?";
        } catch (SocketTimeoutException e) {
            return "diagnosis: " + host + ":" + port + " does not answer (TCP connect timed out) - a firewall or a wrong host.";
        } catch (IOException e) {
            return "diagnosis: a TCP connection to " + host + ":" + port + " failed: " + e.getMessage();
        }
    }
}
