package io.switchboard;

/**
 * A publish did not reach the guarantee its transport promises: the broker refused it (negative
 * confirm), returned it, or did not confirm it in time. {@link #isRetryable()} tells whether
 * publishing the same message again may succeed.
 */
public class PublishException extends SwitchboardException {
    private static final long serialVersionUID = 1L;

    private final String channel;
    private final String messageId;

    /**
     * Creates the exception.
     *
     * @param channel the channel published to
     * @param messageId the id of the message
     * @param reason what went wrong
     * @param cause the underlying exception, may be {@code null}
     * @param retryable whether publishing again may succeed
     */
    public PublishException(String channel, String messageId, String reason, Throwable cause, boolean retryable) {
        super("publish of message " + messageId + " to channel '" + channel + "' failed: " + reason, cause, retryable);
        this.channel = channel;
        this.messageId = messageId;
    }

    /** The channel the message was published to. */
    public String channel() {
        return channel;
    }

    /** The id of the message that was not published. */
    public String messageId() {
        return messageId;
    }
}
