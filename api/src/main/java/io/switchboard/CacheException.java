package io.switchboard;

/**
 * A shared-cache operation failed on the server side: for example an increment of a value that is
 * not a number, or a stored value that cannot be decoded as the requested type.
 * {@link #isRetryable()} tells whether the same call may succeed later.
 */
public class CacheException extends SwitchboardException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception. */
    public CacheException(String message, Throwable cause, boolean retryable) {
        super(message, cause, retryable);
    }

    /** Creates a non-retryable exception. */
    public CacheException(String message) {
        super(message, null, false);
    }
}
