package io.switchboard;

/**
 * Root of every exception Switchboard raises on its own account. Unchecked.
 *
 * <p>Subtypes say what the caller can do: fix the configuration ({@link ConfigurationException},
 * {@link UnsupportedCapabilityException}), retry later ({@link ConnectionException}, and any
 * exception whose {@link #isRetryable()} is true), or give up. Misuse of the API (a {@code null}
 * argument, an invalid channel name, a call after close) raises the JDK's own
 * {@link NullPointerException}, {@link IllegalArgumentException} or {@link IllegalStateException}.
 *
 * <p>Messages never contain credentials.
 */
public class SwitchboardException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean retryable;

    /** Creates a non-retryable exception. */
    public SwitchboardException(String message) {
        this(message, null, false);
    }

    /** Creates a non-retryable exception with a cause. */
    public SwitchboardException(String message, Throwable cause) {
        this(message, cause, false);
    }

    /**
     * Creates an exception.
     *
     * @param message what went wrong and what to do about it
     * @param cause the underlying exception, may be {@code null}
     * @param retryable whether the same call may succeed later without any change
     */
    public SwitchboardException(String message, Throwable cause, boolean retryable) {
        super(message, cause);
        this.retryable = retryable;
    }

    /** Whether repeating the same operation later may succeed (for example after a reconnect). */
    public boolean isRetryable() {
        return retryable;
    }
}
