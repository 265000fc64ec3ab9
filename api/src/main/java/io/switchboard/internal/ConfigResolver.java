package io.switchboard.internal;

import io.switchboard.spi.Config;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.Masking;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges the configuration sources (highest first: the map given to {@code open}, system
 * properties, environment variables, {@code switchboard.properties} on the classpath) and parses
 * declared keys, collecting every problem.
 */
public final class ConfigResolver {
    /** The classpath resource read as the lowest-priority source. */
    public static final String PROPERTIES_RESOURCE = "switchboard.properties";

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?");

    private static final Logger LOG = LoggerFactory.getLogger(ConfigResolver.class);
    /**
     * Environment variables that share the {@code SWITCHBOARD_} prefix without being settings: a
     * launcher's JVM options or home ({@code SWITCHBOARD_JAVA_OPTS}), and the service links
     * Kubernetes gives every pod for a Service named {@code switchboard} or {@code switchboard-*}
     * ({@code SWITCHBOARD_REDIS_SERVICE_HOST}, {@code SWITCHBOARD_PORT_6379_TCP_ADDR}, ...).
     */
    private static final Pattern NOT_A_SETTING = Pattern.compile(
            "SWITCHBOARD(_[A-Z0-9]+)*?_(JAVA_OPTS|OPTS|HOME|SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT(_[0-9]+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?)");
    private final Map<String, String> raw = new LinkedHashMap<>();
    private final Map<String, String> sources = new LinkedHashMap<>();
    private final Map<String, String> envNames = new LinkedHashMap<>();

    private ConfigResolver() {
    }

    /**
     * Collects the raw {@code switchboard.*} settings.
     *
     * @param explicit the map given to {@code open}; values are turned into strings
     * @param systemProperties usually {@link System#getProperties()}
     * @param environment usually {@link System#getenv()}
     * @param classLoader where to look for {@value #PROPERTIES_RESOURCE}, or {@code null} to skip it
     * @param problems where problems are added
     */
    public static ConfigResolver collect(Map<String, ?> explicit, Properties systemProperties, Map<String, String> environment,
            ClassLoader classLoader, List<String> problems) {
        ConfigResolver r = new ConfigResolver();
        if (classLoader != null) {
            URL url = classLoader.getResource(PROPERTIES_RESOURCE);
            if (url != null) {
                Properties p = new Properties();
                try (InputStream in = url.openStream()) {
                    p.load(in);
                    for (String name : p.stringPropertyNames()) {
                        r.put(name, p.getProperty(name), PROPERTIES_RESOURCE + " (" + url + ")");
                    }
                } catch (IOException e) {
                    problems.add("cannot read " + url + ": " + e.getMessage() + ". Fix or remove that file.");
                }
            }
        }
        for (Map.Entry<String, String> e : environment.entrySet()) {
            String name = e.getKey();
            if (name.startsWith("SWITCHBOARD_")) {
                String key = name.toLowerCase(Locale.ROOT).replace('_', '.');
                r.put(key, e.getValue(), "environment variable " + name);
                r.envNames.put(key, name);
            }
        }
        for (String name : systemProperties.stringPropertyNames()) {
            if (name.startsWith("switchboard.")) {
                r.put(name, systemProperties.getProperty(name), "system property");
            }
        }
        for (Map.Entry<String, ?> e : explicit.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                problems.add("the map given to open() has a null key or value" + (e.getKey() != null ? " for '" + e.getKey() + "'" : "")
                        + "; remove it or give a value.");
                continue;
            }
            r.put(e.getKey(), String.valueOf(e.getValue()), "open() argument");
        }
        return r;
    }

    private void put(String key, String value, String source) {
        raw.put(key, value.trim());
        sources.put(key, source);
        envNames.remove(key);
    }

    /** The raw value of a key, or {@code null}. */
    public String raw(String key) {
        return raw.get(key);
    }

    /** Every raw key. */
    public Set<String> keys() {
        return raw.keySet();
    }

    /** Where a raw key came from. */
    public String source(String key) {
        return sources.get(key);
    }

    /**
     * Maps environment-derived keys onto declared keys: {@code SWITCHBOARD_MESSAGE_MAX_SIZE} gives
     * {@code switchboard.message.max.size}, which stands for the declared
     * {@code switchboard.message.max-size}.
     */
    public void alignEnvironmentKeys(Collection<String> declaredNames) {
        Map<String, String> byNormalized = new LinkedHashMap<>();
        for (String d : declaredNames) {
            byNormalized.put(d.replace('-', '.'), d);
        }
        for (String envKey : new ArrayList<>(envNames.keySet())) {
            String declared = byNormalized.get(envKey);
            if (declared == null || declared.equals(envKey)) {
                continue;
            }
            String value = raw.remove(envKey);
            String source = sources.remove(envKey);
            // The environment outranks switchboard.properties but not system properties or open() arguments.
            if (!raw.containsKey(declared) || sources.get(declared).startsWith(PROPERTIES_RESOURCE)) {
                raw.put(declared, value);
                sources.put(declared, source);
            }
        }
    }

    /**
     * Reports every raw key that no known key matches, with a suggestion. An environment variable
     * is held to that only where it is under the core's or a known provider's keys (where it is a
     * typo of one of them): the environment is shared with everything else in the process, so one
     * that only shares the prefix is ignored, with a warning, or silently if it is a launcher's or
     * a Kubernetes service link ({@link #NOT_A_SETTING}).
     *
     * @param known every declared key of the core and of every discovered provider
     * @param knownProviders names of every discovered provider
     * @param problems where problems are added
     */
    public void checkUnknown(Collection<String> known, Collection<String> knownProviders, List<String> problems) {
        Set<String> knownSet = new TreeSet<>(known);
        for (String key : raw.keySet()) {
            if (knownSet.contains(key)) {
                continue;
            }
            String[] parts = key.split("\\.");
            String where = sources.get(key);
            String env = envNames.get(key);
            if (env != null && NOT_A_SETTING.matcher(env).matches()) {
                LOG.debug("environment variable {} is not a Switchboard setting (a launcher's or a Kubernetes service link); ignored", env);
                continue;
            }
            if (env != null && !(parts.length >= 2 && (knownProviders.contains(parts[1]) || isCoreSection(parts[1], knownSet)
                    || !ProviderHints.artifactHint(parts[1]).isEmpty()))) {
                LOG.warn("environment variable {} matches no configuration key of the core or of a provider on the classpath; ignored.{}",
                        env, Suggestions.didYouMean(key, knownSet));
                continue;
            }
            if (parts.length >= 3 && !knownProviders.contains(parts[1]) && !isCoreSection(parts[1], knownSet) && unregistered(parts[1])) {
                problems.add("'" + key + "' (from " + where + ") belongs to provider '" + parts[1] + "', whose classes are on the "
                        + "classpath without their META-INF/services entry (a fat jar built without the ServicesResourceTransformer; "
                        + "README.md, 'Fat jars').");
            } else if (parts.length >= 3 && !knownProviders.contains(parts[1]) && !isCoreSection(parts[1], knownSet)) {
                problems.add("'" + key + "' (from " + where + ") belongs to provider '" + parts[1]
                        + "', which is not on the classpath; add its jar" + ProviderHints.artifactHint(parts[1])
                        + " or remove the setting." + Suggestions.didYouMean(key, knownSet));
            } else {
                problems.add("'" + key + "' (from " + where + ") is not a known configuration key."
                        + Suggestions.didYouMean(key, knownSet) + " Known keys are listed in README.md.");
            }
        }
    }

    private static boolean unregistered(String provider) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        return ProviderHints.isUnregistered(io.switchboard.spi.TransportProvider.class, provider, loader)
                || ProviderHints.isUnregistered(io.switchboard.spi.CacheProvider.class, provider, loader);
    }

    private static boolean isCoreSection(String section, Set<String> known) {
        for (String k : known) {
            if (k.startsWith("switchboard." + section + ".") || k.equals("switchboard." + section)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Parses the declared keys that are set, adding a problem for each malformed value.
     *
     * @return the parsed configuration
     */
    public Config resolve(Collection<ConfigKey<?>> declared, List<String> problems) {
        Map<String, ConfigKey<?>> byName = new LinkedHashMap<>();
        for (ConfigKey<?> k : declared) {
            byName.putIfAbsent(k.name(), k);
        }
        Map<String, Object> parsed = new LinkedHashMap<>();
        Map<String, String> parsedSources = new LinkedHashMap<>();
        for (ConfigKey<?> key : byName.values()) {
            String value = raw.get(key.name());
            if (value == null) {
                continue;
            }
            try {
                // Every value may end up on the wire (a prefix, a client name, a user name).
                Utf8.checkedValueLength(value, "the value", null);
                parsed.put(key.name(), parse(key, value));
                parsedSources.put(key.name(), sources.get(key.name()));
            } catch (IllegalArgumentException e) {
                String shown = Utf8.printable(Masking.maskValue(key, value), 200);
                problems.add("'" + key.name() + "' (from " + sources.get(key.name()) + ") is '" + shown + "', but must be "
                        + key.type().form() + (key.allowed().isEmpty() ? "" : " (" + String.join(", ", key.allowed()) + ")")
                        + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ".");
            }
        }
        return new ResolvedConfig(byName, parsed, parsedSources);
    }

    static Object parse(ConfigKey<?> key, String value) {
        switch (key.type()) {
            case STRING:
                return value;
            case INT:
                try {
                    return Integer.parseInt(value);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("not a 32-bit integer");
                }
            case LONG:
                try {
                    return Long.parseLong(value);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("not a 64-bit integer");
                }
            case BOOLEAN:
                if (value.equalsIgnoreCase("true")) {
                    return Boolean.TRUE;
                }
                if (value.equalsIgnoreCase("false")) {
                    return Boolean.FALSE;
                }
                throw new IllegalArgumentException((String) null);
            case DURATION:
                return parseDuration(value);
            case SIZE:
                return parseSize(value);
            case LIST:
                List<String> items = new ArrayList<>();
                for (String s : value.split(",")) {
                    if (!s.isBlank()) {
                        items.add(s.trim());
                    }
                }
                return List.copyOf(items);
            case ENUM:
                String lower = value.toLowerCase(Locale.ROOT);
                if (key.allowed().contains(lower)) {
                    return lower;
                }
                throw new IllegalArgumentException(Suggestions.didYouMean(lower, key.allowed()).trim().isEmpty() ? null
                        : Suggestions.didYouMean(lower, key.allowed()).trim());
            default:
                throw new AssertionError(key.type());
        }
    }

    /** Parses {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}, {@code 1d}, a bare number of milliseconds, or ISO-8601. */
    public static Duration parseDuration(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.startsWith("p")) {
            try {
                Duration d = Duration.parse(value.trim().toUpperCase(Locale.ROOT));
                if (d.isNegative()) {
                    throw new IllegalArgumentException("negative");
                }
                return d;
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("not an ISO-8601 duration");
            }
        }
        if (v.matches("\\d+")) {
            return Duration.ofMillis(Long.parseLong(v));
        }
        Matcher m = DURATION.matcher(v);
        if (!m.matches()) {
            throw new IllegalArgumentException((String) null);
        }
        long n = Long.parseLong(m.group(1));
        switch (m.group(2)) {
            case "ms":
                return Duration.ofMillis(n);
            case "s":
                return Duration.ofSeconds(n);
            case "m":
                return Duration.ofMinutes(n);
            case "h":
                return Duration.ofHours(n);
            default:
                return Duration.ofDays(n);
        }
    }

    /** Parses {@code 512}, {@code 64KiB}, {@code 4MiB}, {@code 1GiB}; KB, MB and GB are powers of 1024 too. */
    public static long parseSize(String value) {
        Matcher m = SIZE.matcher(value.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException((String) null);
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2);
        long factor = Arrays.asList("k", "kb", "kib").contains(unit) ? 1024L
                : Arrays.asList("m", "mb", "mib").contains(unit) ? 1024L * 1024
                : Arrays.asList("g", "gb", "gib").contains(unit) ? 1024L * 1024 * 1024 : 1L;
        return Math.multiplyExact(n, factor);
    }
}
