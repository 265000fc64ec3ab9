package io.switchboard;

/**
 * A message or cache value is larger than the configured or server limit. Thrown at the call,
 * before anything is sent; nothing is lost. Not retryable.
 */
public class PayloadTooLargeException extends SwitchboardException {
    private static final long serialVersionUID = 1L;

    private final long size;
    private final long limit;

    /**
     * Creates the exception.
     *
     * @param what what is too large, naming it (for example "message to channel 'orders'")
     * @param size its size in bytes
     * @param limit the limit in bytes
     * @param limitSource where the limit comes from (for example the configuration key)
     */
    public PayloadTooLargeException(String what, long size, long limit, String limitSource) {
        super(what + " is " + size + " bytes, over the limit of " + limit + " bytes (" + limitSource + ")");
        this.size = size;
        this.limit = limit;
    }

    /** The size in bytes. */
    public long size() {
        return size;
    }

    /** The limit in bytes. */
    public long limit() {
        return limit;
    }
}
