package io.switchboard.spring;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.switchboard.internal.CoreKeys;
import io.switchboard.spi.CacheProvider;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.Masking;
import io.switchboard.spi.TransportProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Writes Spring Boot's configuration metadata ({@code META-INF/spring-configuration-metadata.json})
 * for every key the core and the providers on the classpath declare, so that IDEs complete and
 * document {@code switchboard.*} in {@code application.properties} and YAML, and for the starter's
 * own {@code management.*} and {@code logging.*} switches. Run by the build (exec-maven-plugin, in
 * {@code process-test-classes}) with this repository's providers on the test classpath; the output
 * goes into the starter's classes, hence its jar.
 */
public final class ConfigurationMetadataGenerator {
    /** The starter's own properties: name, type, default, description. */
    static final List<String[]> STARTER_PROPERTIES = List.of(
            new String[] {"management.health.switchboard.enabled", "java.lang.Boolean", "true",
                "Whether to report Switchboard.health() as the 'switchboard' health contributor."},
            new String[] {"management.metrics.switchboard.enabled", "java.lang.Boolean", "true",
                "Whether to register Switchboard's Micrometer meters (needs switchboard-micrometer and a MeterRegistry)."},
            new String[] {SwitchboardMetricsAutoConfiguration.MAX_CHANNEL_TAGS, "java.lang.Integer", "100",
                "How many distinct channels (and patterns) get a 'channel' tag of their own; later ones are tagged 'other'."},
            new String[] {SwitchboardMetricsAutoConfiguration.TIMING_SAMPLE, "java.lang.Integer", "16",
                "Time one publish and one handler call in this many, chosen at random (1 times every call); the counters count every call."},
            new String[] {"management.tracing.switchboard.enabled", "java.lang.Boolean", "true",
                "Whether to trace publishes and handler calls with OpenTelemetry (needs switchboard-opentelemetry and an OpenTelemetry bean)."},
            new String[] {"logging.switchboard.mdc.enabled", "java.lang.Boolean", "true",
                "Whether to put switchboard.channel, switchboard.message.id and switchboard.subscription in the MDC while a handler runs."});

    private ConfigurationMetadataGenerator() {
    }

    /** Writes the metadata to the file named by the first argument. */
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        Files.createDirectories(out.getParent());
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Files.write(out, mapper.writeValueAsBytes(metadata(Thread.currentThread().getContextClassLoader())));
    }

    /** The metadata as maps and lists, in the JSON shape Spring Boot documents. */
    static Map<String, Object> metadata(ClassLoader loader) {
        Map<String, List<ConfigKey<?>>> byGroup = new LinkedHashMap<>();
        Map<String, String> groupDescriptions = new LinkedHashMap<>();
        byGroup.put("switchboard", CoreKeys.ALL);
        groupDescriptions.put("switchboard", "Switchboard's core settings (switchboard-api).");
        Map<String, List<ConfigKey<?>>> providers = new TreeMap<>();
        Map<String, String> providerDescriptions = new TreeMap<>();
        for (TransportProvider p : ServiceLoader.load(TransportProvider.class, loader)) {
            providers.computeIfAbsent("switchboard." + p.name(), g -> new ArrayList<>()).addAll(p.configKeys());
            providerDescriptions.put("switchboard." + p.name(), "Settings of the '" + p.name() + "' provider (switchboard.transport=" + p.name()
                    + ").");
        }
        for (CacheProvider p : ServiceLoader.load(CacheProvider.class, loader)) {
            List<ConfigKey<?>> keys = providers.computeIfAbsent("switchboard." + p.name(), g -> new ArrayList<>());
            for (ConfigKey<?> k : p.configKeys()) {
                if (keys.stream().noneMatch(e -> e.name().equals(k.name()))) {
                    keys.add(k);
                }
            }
            providerDescriptions.putIfAbsent("switchboard." + p.name(), "Settings of the '" + p.name() + "' cache provider (switchboard.cache="
                    + p.name() + ").");
        }
        byGroup.putAll(providers);
        groupDescriptions.putAll(providerDescriptions);

        List<Map<String, Object>> groups = new ArrayList<>();
        List<Map<String, Object>> properties = new ArrayList<>();
        List<Map<String, Object>> hints = new ArrayList<>();
        for (Map.Entry<String, List<ConfigKey<?>>> g : byGroup.entrySet()) {
            groups.add(Map.of("name", g.getKey(), "description", groupDescriptions.get(g.getKey())));
            for (ConfigKey<?> k : g.getValue()) {
                properties.add(property(k));
                if (!k.allowed().isEmpty()) {
                    List<Map<String, Object>> values = new ArrayList<>();
                    k.allowed().forEach(v -> values.add(Map.of("value", v)));
                    hints.add(Map.of("name", k.name(), "values", values));
                }
            }
        }
        for (String[] p : STARTER_PROPERTIES) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", p[0]);
            m.put("type", p[1]);
            m.put("description", p[3]);
            m.put("sourceType", "io.switchboard.spring.SwitchboardAutoConfiguration");
            m.put("defaultValue", p[1].equals("java.lang.Boolean") ? Boolean.valueOf(p[2]) : Integer.valueOf(p[2]));
            properties.add(m);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("groups", groups);
        root.put("properties", properties);
        root.put("hints", hints);
        return root;
    }

    static Map<String, Object> property(ConfigKey<?> k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", k.name());
        m.put("type", type(k));
        String description = k.description();
        if (k.type() == ConfigKey.Type.SIZE) {
            description += " A size such as 512, 64KiB or 4MiB.";
        }
        if (k.isSecret()) {
            description += " Secret: masked wherever Switchboard prints it.";
        }
        m.put("description", description + " Environment variable: " + k.environmentVariable() + ".");
        if (k.defaultValue() != null) {
            m.put("defaultValue", defaultValue(k));
        }
        return m;
    }

    static String type(ConfigKey<?> k) {
        switch (k.type()) {
            case INT:
                return "java.lang.Integer";
            case LONG:
                return "java.lang.Long";
            case BOOLEAN:
                return "java.lang.Boolean";
            case DURATION:
                return "java.time.Duration";
            case LIST:
                return "java.util.List<java.lang.String>";
            default:
                return "java.lang.String";
        }
    }

    /** The default as a user would write it (a secret's password masked), typed for JSON. */
    static Object defaultValue(ConfigKey<?> k) {
        Object v = k.defaultValue();
        if (v instanceof Duration d) {
            if (d.isZero()) {
                return "0";
            }
            return d.toMillis() % 1000 != 0 ? d.toMillis() + "ms" : d.getSeconds() % 60 != 0 ? d.getSeconds() + "s" : d.toMinutes() + "m";
        }
        if (v instanceof List<?> list) {
            return list;
        }
        if (k.type() == ConfigKey.Type.SIZE && v instanceof Long b) {
            return b % (1024 * 1024) == 0 ? b / (1024 * 1024) + "MiB" : b % 1024 == 0 ? b / 1024 + "KiB" : String.valueOf(b);
        }
        if (v instanceof Boolean || v instanceof Number) {
            return v;
        }
        return Masking.maskValue(k, String.valueOf(v));
    }
}
