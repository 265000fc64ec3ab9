package io.switchboard;

import java.time.Duration;

/**
 * No reply to a {@link Publisher#request request} arrived within its timeout. Retryable: nobody
 * may have been listening, or the replier was slow; the request may still have been handled, so
 * requests that are repeated should be safe to repeat.
 */
public class RequestTimeoutException extends SwitchboardException {
    private static final long serialVersionUID = 1L;

    private final String channel;
    private final Duration timeout;

    /**
     * Creates the exception.
     *
     * @param channel the channel the request was published to
     * @param messageId the id of the request message
     * @param timeout the timeout that passed
     */
    public RequestTimeoutException(String channel, String messageId, Duration timeout) {
        super("request " + messageId + " to channel '" + channel + "' got no reply within " + timeout
                + ": is a handler subscribed to '" + channel + "' and does it call Delivery.reply()?", null, true);
        this.channel = channel;
        this.timeout = timeout;
    }

    /** The channel the request was published to. */
    public String channel() {
        return channel;
    }

    /** The timeout that passed. */
    public Duration timeout() {
        return timeout;
    }
}
