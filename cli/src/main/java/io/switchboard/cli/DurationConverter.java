package io.switchboard.cli;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads {@code 10s}, {@code 500ms}, {@code 2m}, {@code 1h}, ISO-8601 ({@code PT10S}) or a number
 * of seconds. {@link SwitchboardCommand#commandLine()} registers it as picocli's converter for
 * every {@link Duration} option, so no option needs to name it. Stateless and thread-safe.
 */
final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        try {
            if (v.startsWith("p")) {
                return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
            }
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            if (v.endsWith("s")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 1000));
            }
            if (v.endsWith("m")) {
                return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)) * 60);
            }
            if (v.endsWith("h")) {
                return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)) * 3600);
            }
            return Duration.ofMillis(Math.round(Double.parseDouble(v) * 1000));
        } catch (RuntimeException e) {
            throw new TypeConversionException("'" + value + "' is not a duration; use 10s, 500ms, 2m, 1h or PT10S");
        }
    }
}
