package io.switchboard.cli;

/** The command ran and found a failure (exit code 1); the message says which. */
final class CommandFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CommandFailure(String message) {
        super(message);
    }
}
