package io.switchboard;

/**
 * The server could not be reached, or the connection was lost before the operation completed.
 * Retryable: the same call may succeed once the connection is back.
 */
public class ConnectionException extends SwitchboardException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception. */
    public ConnectionException(String message, Throwable cause) {
        super(message, cause, true);
    }
}
