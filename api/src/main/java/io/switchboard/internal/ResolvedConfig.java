package io.switchboard.internal;

import io.switchboard.spi.Config;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.Masking;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The validated configuration: every declared key parsed, sources remembered, secrets masked in {@link #toString()}. */
final class ResolvedConfig implements Config {
    private final Map<String, ConfigKey<?>> declared;
    private final Map<String, Object> parsed;
    private final Map<String, String> sources;

    ResolvedConfig(Map<String, ConfigKey<?>> declared, Map<String, Object> parsed, Map<String, String> sources) {
        this.declared = Collections.unmodifiableMap(declared);
        this.parsed = Collections.unmodifiableMap(parsed);
        this.sources = Collections.unmodifiableMap(sources);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T get(ConfigKey<T> key) {
        if (!declared.containsKey(key.name())) {
            throw new IllegalArgumentException("configuration key '" + key.name()
                    + "' was not declared by the core or by the selected providers; declare it in configKeys()");
        }
        if (parsed.containsKey(key.name())) {
            return (T) parsed.get(key.name());
        }
        return key.defaultValue();
    }

    @Override
    public boolean isSet(ConfigKey<?> key) {
        return parsed.containsKey(key.name());
    }

    @Override
    public Set<String> keysSet() {
        return parsed.keySet();
    }

    @Override
    public String sourceOf(ConfigKey<?> key) {
        return sources.getOrDefault(key.name(), "default");
    }

    @Override
    public String toString() {
        Map<String, String> shown = new TreeMap<>();
        for (Map.Entry<String, Object> e : parsed.entrySet()) {
            ConfigKey<?> key = declared.get(e.getKey());
            String value = String.valueOf(e.getValue());
            shown.put(e.getKey(), key != null ? Masking.maskValue(key, value) : Masking.maskUserInfo(value));
        }
        return "Config" + shown;
    }
}
