package io.switchboard.internal;

import io.switchboard.Message;
import java.util.Objects;

/**
 * The hook behind {@link io.switchboard.spi.Payloads}: {@link Message} installs it while it
 * initializes, so that providers can reach a payload without the copy, and nobody else can
 * install another. Not for application or provider code.
 */
public abstract class PayloadAccess {
    private static PayloadAccess installed;

    static {
        // Message installs itself while it initializes; make sure it has before anyone else can.
        try {
            Class.forName(Message.class.getName(), true, PayloadAccess.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The message's own payload array. */
    public abstract byte[] view(Message message);

    /** Sets the builder's payload to {@code payload} itself; returns the builder. */
    public abstract Message.Builder adopt(Message.Builder builder, byte[] payload);

    /**
     * Called by {@link Message}'s initializer; refused after that.
     *
     * @throws IllegalStateException if already installed
     */
    public static synchronized void install(PayloadAccess access) {
        if (installed != null) {
            throw new IllegalStateException("the payload access is installed by io.switchboard.Message only");
        }
        installed = Objects.requireNonNull(access, "access");
    }

    /** The installed access. */
    public static PayloadAccess get() {
        return installed;
    }
}
