package io.switchboard.cli;

import io.switchboard.internal.CoreKeys;
import io.switchboard.internal.Suggestions;
import io.switchboard.spi.CacheProvider;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.TransportProvider;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Lists every configuration key of the core and of each provider on the classpath. */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = {"Lists every configuration key with type, default and meaning.",
                "The core keys come first, then those of each provider on the classpath."})
final class ConfigCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--markdown", description = "Print Markdown tables (as in README.md).")
    boolean markdown;

    @Option(names = "--provider", paramLabel = "NAME", description = "Only this provider ('core' for the core keys).")
    String only;

    @Override
    public Integer call() {
        Map<String, List<ConfigKey<?>>> sections = new LinkedHashMap<>();
        sections.put("core", CoreKeys.ALL);
        for (TransportProvider p : ServiceLoader.load(TransportProvider.class)) {
            sections.computeIfAbsent(p.name(), n -> new ArrayList<>()).addAll(p.configKeys());
        }
        for (CacheProvider p : ServiceLoader.load(CacheProvider.class)) {
            List<ConfigKey<?>> keys = sections.computeIfAbsent(p.name(), n -> new ArrayList<>());
            for (ConfigKey<?> k : p.configKeys()) {
                if (keys.stream().noneMatch(e -> e.name().equals(k.name()))) {
                    keys.add(k);
                }
            }
        }
        if (only != null && !sections.containsKey(only)) {
            throw new ParameterException(spec.commandLine(), "no provider '" + only + "' on the classpath." + Suggestions.didYouMean(only, sections.keySet())
                    + " Choose one of: " + String.join(", ", sections.keySet()) + " ('core' for the core keys).");
        }
        PrintWriter out = spec.commandLine().getOut();
        for (Map.Entry<String, List<ConfigKey<?>>> s : sections.entrySet()) {
            if (only != null && !only.equals(s.getKey())) {
                continue;
            }
            if (markdown) {
                out.println("| key (" + s.getKey() + ") | type | default | meaning |");
                out.println("|---|---|---|---|");
                for (ConfigKey<?> k : s.getValue()) {
                    out.println("| `" + k.name() + "` | " + type(k, " \\| ") + " | " + (k.defaultValue() == null ? "—" : show(k).isEmpty() ? "(empty)" : "`" + show(k) + "`")
                            + " | " + k.description().replace("|", "\\|") + " |");
                }
                out.println();
            } else {
                out.println("[" + s.getKey() + "]");
                for (ConfigKey<?> k : s.getValue()) {
                    out.println("  " + k.name() + " (" + type(k, " | ") + (k.defaultValue() == null ? "" : ", default " + show(k)) + ", env "
                            + k.environmentVariable() + ")");
                    out.println("      " + k.description());
                }
            }
        }
        out.flush();
        return 0;
    }

    /** The key's type, or its allowed values separated by {@code separator} (escaped in Markdown tables). */
    private static String type(ConfigKey<?> k, String separator) {
        String t = k.type().name().toLowerCase(java.util.Locale.ROOT);
        if (!k.allowed().isEmpty()) {
            t = String.join(separator, k.allowed());
        }
        return k.isSecret() ? t + ", secret" : t;
    }

    /** The default as a user would write it, with any credential in it masked. */
    private static String show(ConfigKey<?> k) {
        return io.switchboard.spi.Masking.maskValue(k, written(k));
    }

    private static String written(ConfigKey<?> k) {
        Object v = k.defaultValue();
        if (v instanceof Duration) {
            Duration d = (Duration) v;
            if (d.isZero()) {
                return "0";
            }
            return d.toMillis() % 1000 != 0 ? d.toMillis() + "ms" : d.getSeconds() % 60 != 0 ? d.getSeconds() + "s" : d.toMinutes() + "m";
        }
        if (v instanceof List) {
            return String.join(",", (List<String>) castList(v));
        }
        if (k.type() == ConfigKey.Type.SIZE && v instanceof Long) {
            long b = (Long) v;
            return b % (1024 * 1024) == 0 ? b / (1024 * 1024) + "MiB" : b % 1024 == 0 ? b / 1024 + "KiB" : String.valueOf(b);
        }
        return String.valueOf(v);
    }

    @SuppressWarnings("unchecked")
    private static List<String> castList(Object v) {
        return (List<String>) v;
    }
}
