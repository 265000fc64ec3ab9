package io.switchboard.spring;

import io.switchboard.internal.CoreKeys;
import io.switchboard.spi.CacheProvider;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.TransportProvider;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * Turns Spring's environment into the settings map {@code Switchboard.open} takes. Every key the
 * core and the providers on the classpath declare is bound with Boot's relaxed rules
 * ({@code switchboard.redis.connectTimeout}, {@code SWITCHBOARD_REDIS_CONNECTTIMEOUT}, YAML lists);
 * every other {@code switchboard.*} name from the application's own sources is passed on as it is,
 * so that the core reports it as unknown with its did-you-mean. System properties and environment
 * variables are left to the core for that, since it reads them itself, with its own mapping of
 * {@code SWITCHBOARD_*} names.
 */
final class SwitchboardEnvironment {
    private static final ConfigurationPropertyName ROOT = ConfigurationPropertyName.of("switchboard");

    private SwitchboardEnvironment() {
    }

    /** The settings for {@code Switchboard.builder().properties(...)}. */
    static Map<String, String> properties(ConfigurableEnvironment environment, ClassLoader classLoader) {
        Binder binder = Binder.get(environment);
        Map<String, String> out = new LinkedHashMap<>();
        List<ConfigKey<?>> declared = declaredKeys(classLoader);
        List<ConfigurationPropertyName> declaredNames = new ArrayList<>();
        for (ConfigKey<?> key : declared) {
            ConfigurationPropertyName name = ConfigurationPropertyName.of(key.name());
            declaredNames.add(name);
            if (key.type() == ConfigKey.Type.LIST) {
                binder.bind(name, Bindable.listOf(String.class)).ifBound(list -> out.put(key.name(), String.join(",", list)));
            } else {
                binder.bind(name, Bindable.of(String.class)).ifBound(value -> out.put(key.name(), value));
            }
        }
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            Object underlying = source.getUnderlyingSource();
            if (!(source instanceof IterableConfigurationPropertySource iterable) || isReadByTheCore(underlying)) {
                continue;
            }
            iterable.filter(ROOT::isAncestorOf).stream().forEach(name -> {
                if (declaredNames.stream().noneMatch(d -> d.equals(name) || d.isAncestorOf(name))) {
                    ConfigurationProperty p = source.getConfigurationProperty(name);
                    if (p != null && p.getValue() != null) {
                        out.putIfAbsent(name.toString(), String.valueOf(p.getValue()));
                    }
                }
            });
        }
        return out;
    }

    /**
     * System properties and environment variables: the core reads them itself. Environment-like
     * sources are skipped too, since {@code SWITCHBOARD_MAX_SIZE} cannot tell a dash from a dot;
     * their declared keys are still bound above.
     */
    private static boolean isReadByTheCore(Object underlying) {
        if (underlying instanceof SystemEnvironmentPropertySource) {
            return true;
        }
        return underlying instanceof org.springframework.core.env.PropertySource<?> ps
                && ps.getName().equals(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME);
    }

    /** The keys of the core and of every transport and cache provider the class loader finds. */
    static List<ConfigKey<?>> declaredKeys(ClassLoader classLoader) {
        List<ConfigKey<?>> keys = new ArrayList<>(CoreKeys.ALL);
        try {
            for (TransportProvider p : ServiceLoader.load(TransportProvider.class, classLoader)) {
                keys.addAll(p.configKeys());
            }
            for (CacheProvider p : ServiceLoader.load(CacheProvider.class, classLoader)) {
                keys.addAll(p.configKeys());
            }
        } catch (ServiceConfigurationError e) {
            // Switchboard.open reports a provider that cannot be loaded, with the fix; binding
            // what could be found first keeps that message the one the user sees.
        }
        return keys;
    }
}
