package io.switchboard;

/**
 * A payload or value could not be encoded to, or decoded from, JSON: malformed input, a type
 * mismatch, or a document over the codec's limits. Not retryable.
 */
public class CodecException extends SwitchboardException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception. */
    public CodecException(String message, Throwable cause) {
        super(message, cause, false);
    }
}
