package io.switchboard;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * What a transport honestly offers. Immutable and thread-safe.
 *
 * <p>The same value is read by the facade (to refuse unsupported calls with
 * {@link UnsupportedCapabilityException}) and by the contract kit (to choose which tests must pass
 * and which refusals must happen), so the two can never drift apart.
 */
public final class Capabilities {
    private final String provider;
    private final Set<Capability> set;

    private Capabilities(String provider, Set<Capability> set) {
        this.provider = Objects.requireNonNull(provider, "provider");
        this.set = Collections.unmodifiableSet(set.isEmpty() ? EnumSet.noneOf(Capability.class) : EnumSet.copyOf(set));
    }

    /**
     * Creates a declaration.
     *
     * @param provider the provider's name, used in error messages
     * @param capabilities what it offers; {@link Capability#AT_LEAST_ONCE} absent means at-most-once
     */
    public static Capabilities of(String provider, Capability... capabilities) {
        Set<Capability> s = EnumSet.noneOf(Capability.class);
        for (Capability c : capabilities) {
            s.add(Objects.requireNonNull(c, "capability"));
        }
        return new Capabilities(provider, s);
    }

    /** Creates a declaration from a set. */
    public static Capabilities of(String provider, Set<Capability> capabilities) {
        return new Capabilities(provider, capabilities);
    }

    /** The name of the provider this describes. */
    public String provider() {
        return provider;
    }

    /** The delivery guarantee: {@link DeliveryGuarantee#AT_LEAST_ONCE} exactly when that capability is declared. */
    public DeliveryGuarantee deliveryGuarantee() {
        return set.contains(Capability.AT_LEAST_ONCE) ? DeliveryGuarantee.AT_LEAST_ONCE : DeliveryGuarantee.AT_MOST_ONCE;
    }

    /** Whether the capability is declared. */
    public boolean has(Capability capability) {
        return set.contains(capability);
    }

    /** Every declared capability (unmodifiable). */
    public Set<Capability> asSet() {
        return set;
    }

    /**
     * Throws when the capability is not declared.
     *
     * @param capability what the caller needs
     * @param detail what the caller asked for, in words, for the message
     * @throws UnsupportedCapabilityException if it is not declared
     */
    public void require(Capability capability, String detail) {
        if (!has(capability)) {
            throw new UnsupportedCapabilityException(capability, provider, detail);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Capabilities && ((Capabilities) o).provider.equals(provider) && ((Capabilities) o).set.equals(set);
    }

    @Override
    public int hashCode() {
        return provider.hashCode() * 31 + set.hashCode();
    }

    @Override
    public String toString() {
        return provider + " " + deliveryGuarantee() + " " + set;
    }
}
