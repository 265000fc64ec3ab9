package io.switchboard.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.spi.ConfigKey;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.configurationmetadata.ConfigurationMetadataProperty;
import org.springframework.boot.configurationmetadata.ConfigurationMetadataRepository;
import org.springframework.boot.configurationmetadata.ConfigurationMetadataRepositoryJsonBuilder;
import org.springframework.boot.configurationmetadata.ValueHint;

/**
 * The configuration metadata the build generated into the starter's classes, read with Spring
 * Boot's own metadata reader (as IDEs do): every key the core and this repository's providers
 * declare is there, with its type, default, description and allowed values.
 */
class ConfigurationMetadataTest {
    private static ConfigurationMetadataRepository repository;

    @BeforeAll
    static void read() throws Exception {
        try (InputStream in = ConfigurationMetadataTest.class.getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertNotNull(in, "META-INF/spring-configuration-metadata.json was not generated (exec-maven-plugin, process-test-classes)");
            repository = ConfigurationMetadataRepositoryJsonBuilder.create().withJsonResource(in).build();
        }
    }

    @Test
    void everyDeclaredKeyIsDescribedWithItsTypeAndDefault() {
        Map<String, ConfigurationMetadataProperty> all = repository.getAllProperties();
        List<ConfigKey<?>> declared = SwitchboardEnvironment.declaredKeys(getClass().getClassLoader());
        assertTrue(declared.size() > 40, "core, memory, redis, rabbitmq and memcached keys: " + declared.size());
        for (ConfigKey<?> k : declared) {
            ConfigurationMetadataProperty p = all.get(k.name());
            assertNotNull(p, k.name() + " is missing from the metadata");
            assertEquals(ConfigurationMetadataGenerator.type(k), p.getType(), k.name());
            assertTrue(p.getDescription().startsWith(k.description()), k.name() + ": " + p.getDescription());
            assertTrue(p.getDescription().contains(k.environmentVariable()), "names the environment variable: " + p.getDescription());
            if (k.defaultValue() != null && !(k.defaultValue() instanceof List)) {
                assertEquals(String.valueOf(ConfigurationMetadataGenerator.defaultValue(k)), String.valueOf(p.getDefaultValue()), k.name());
            }
            if (!k.allowed().isEmpty()) {
                assertEquals(k.allowed(), p.getHints().getValueHints().stream().map(ValueHint::getValue).map(String::valueOf).toList(),
                        "allowed values of " + k.name() + " are offered");
            }
        }
    }

    @Test
    void commonKeysReadAsAUserWritesThem() {
        Map<String, ConfigurationMetadataProperty> all = repository.getAllProperties();
        assertEquals("30s", all.get("switchboard.close.timeout").getDefaultValue());
        assertEquals("java.time.Duration", all.get("switchboard.close.timeout").getType());
        assertEquals("4MiB", all.get("switchboard.message.max-size").getDefaultValue());
        assertEquals("redis://127.0.0.1:6379", all.get("switchboard.redis.uri").getDefaultValue());
        assertEquals(List.of("classic", "quorum"), all.get("switchboard.rabbitmq.queue-type").getHints().getValueHints().stream()
                .map(h -> String.valueOf(h.getValue())).toList());
        String rabbitUri = String.valueOf(all.get("switchboard.rabbitmq.uri").getDefaultValue());
        assertFalse(rabbitUri.contains("guest:guest"), "a secret's default is masked: " + rabbitUri);
    }

    @Test
    void providersAreGroupsAndTheStartersOwnSwitchesAreThere() {
        for (String group : List.of("switchboard", "switchboard.memory", "switchboard.redis", "switchboard.rabbitmq", "switchboard.memcached")) {
            assertTrue(repository.getAllGroups().containsKey(group), group + " group; have " + repository.getAllGroups().keySet());
        }
        Map<String, ConfigurationMetadataProperty> all = repository.getAllProperties();
        for (String[] p : ConfigurationMetadataGenerator.STARTER_PROPERTIES) {
            assertNotNull(all.get(p[0]), p[0]);
            assertEquals(p[1], all.get(p[0]).getType());
        }
    }
}
