package io.switchboard.cli;

import java.io.PrintWriter;

/** Where the demo narrates, with an optional quiet mode. */
final class DemoOutput {
    private final PrintWriter out;
    private final boolean verbose;

    DemoOutput(PrintWriter out, boolean verbose) {
        this.out = out;
        this.verbose = verbose;
    }

    void line(String s) {
        out.println(s);
        out.flush();
    }

    void detail(String s) {
        if (verbose) {
            line("    " + s);
        }
    }
}
