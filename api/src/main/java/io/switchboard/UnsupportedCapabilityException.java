package io.switchboard;

/**
 * The chosen transport does not offer a capability that the call (or the configuration) asks for,
 * such as a durable subscription on plain Redis pub/sub. Choose another transport or do without.
 */
public class UnsupportedCapabilityException extends ConfigurationException {
    private static final long serialVersionUID = 1L;

    private final Capability capability;
    private final String provider;

    /**
     * Creates the exception.
     *
     * @param capability what was asked for
     * @param provider the name of the provider that lacks it
     * @param detail what the caller asked for, in words (for example "durable subscription 'billing'")
     */
    public UnsupportedCapabilityException(Capability capability, String provider, String detail) {
        super(detail + " needs capability " + capability + ", which provider '" + provider
                + "' does not offer; choose a provider that does (see Switchboard.capabilities())");
        this.capability = capability;
        this.provider = provider;
    }

    /** The missing capability. */
    public Capability capability() {
        return capability;
    }

    /** The name of the provider that lacks it. */
    public String provider() {
        return provider;
    }
}
