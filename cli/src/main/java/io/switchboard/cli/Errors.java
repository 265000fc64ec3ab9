package io.switchboard.cli;

import io.switchboard.ConfigurationException;
import io.switchboard.ConnectionException;
import io.switchboard.UnsupportedCapabilityException;
import java.io.PrintWriter;

/** Turns exceptions into one clear message and an exit code. */
final class Errors {
    private Errors() {
    }

    static int report(Exception e, PrintWriter err) {
        int code;
        if (e instanceof ConfigurationException) {
            err.println("configuration error: " + e.getMessage());
            code = SwitchboardCommand.CONFIGURATION;
        } else if (e instanceof ConnectionException) {
            err.println("connection error: " + e.getMessage());
            String hint = Diagnosis.hint(e);
            if (hint != null) {
                err.println("  " + hint);
            }
            code = SwitchboardCommand.CONNECTION;
        } else if (e instanceof UnsupportedCapabilityException) {
            err.println("not supported: " + e.getMessage());
            code = SwitchboardCommand.CONFIGURATION;
        } else if (e instanceof CommandFailure) {
            err.println("failed: " + e.getMessage());
            code = SwitchboardCommand.FAILED;
        } else if (e instanceof IllegalArgumentException) {
            err.println("invalid argument: " + e.getMessage());
            code = SwitchboardCommand.USAGE;
        } else if (e instanceof IllegalStateException) {
            // The library's refusals of the moment (closing, a name still in use): the message says which.
            err.println("failed: " + e.getMessage());
            code = SwitchboardCommand.FAILED;
        } else if (e instanceof io.switchboard.SwitchboardException) {
            err.println("error: " + e.getMessage());
            code = SwitchboardCommand.FAILED;
        } else {
            err.println("error: " + e);
            e.printStackTrace(err);
            code = SwitchboardCommand.FAILED;
        }
        err.flush();
        return code;
    }
}
