package io.switchboard.cli;

import io.switchboard.ConfigurationException;
import io.switchboard.ConnectionException;
import java.io.PrintWriter;

/** Turns exceptions into one clear message and an exit code. */
final class Errors {
    private Errors() {
    }

    static int report(Exception e, PrintWriter err) {
        if (e instanceof ConfigurationException) {
            err.println("configuration error: " + e.getMessage());
            err.flush();
            return SwitchboardCommand.CONFIGURATION;
        }
        if (e instanceof ConnectionException) {
            err.println("connection error: " + e.getMessage());
            err.flush();
            return SwitchboardCommand.CONNECTION;
        }
        err.println("error: " + e);
        e.printStackTrace(err);
        err.flush();
        return SwitchboardCommand.FAILED;
    }
}
