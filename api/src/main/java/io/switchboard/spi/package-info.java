/**
 * The provider SPI: what a transport or cache implements to plug into Switchboard.
 *
 * <p>A provider module declares a {@link io.switchboard.spi.TransportProvider} or
 * {@link io.switchboard.spi.CacheProvider} in {@code META-INF/services}. The facade selects it by
 * name, validates its configuration keys, checks capabilities, and then calls {@code create}. The
 * facade also validates every argument, runs handlers on its own threads, applies retry policies
 * and encodes cache values, so a provider deals only in validated channels, messages and bytes.
 *
 * <p>Rules for providers (after Go CDK's driver rules): a provider must not retry behind the
 * caller's back unless its documentation says so; must not log and swallow an error that a caller
 * could act on; must translate native exceptions into {@link io.switchboard.SwitchboardException}
 * subtypes, keeping the native one as the cause; must never put credentials in messages, logs or
 * {@code toString()}; and must never expose a client-library type in a signature except through
 * {@code unwrap}.
 */
package io.switchboard.spi;
