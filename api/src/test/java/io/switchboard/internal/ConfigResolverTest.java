package io.switchboard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.spi.Config;
import io.switchboard.spi.ConfigKey;
import io.switchboard.testing.TestClassLoaders;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigResolverTest {
    private static final ConfigKey<String> URI = ConfigKey.secret("switchboard.fake.uri", null, "server URI");
    private static final ConfigKey<String> PASSWORD = ConfigKey.secret("switchboard.fake.password", null, "password");
    private static final ConfigKey<Duration> TIMEOUT = ConfigKey.duration("switchboard.fake.timeout", Duration.ofSeconds(1), "timeout");
    private static final ConfigKey<Integer> COUNT = ConfigKey.integer("switchboard.fake.count", 1, "count");

    private final List<String> problems = new ArrayList<>();

    @TempDir
    Path dir;

    private static Properties props(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }

    private List<ConfigKey<?>> declared() {
        List<ConfigKey<?>> keys = new ArrayList<>(CoreKeys.ALL);
        keys.addAll(List.of(URI, PASSWORD, TIMEOUT, COUNT));
        return keys;
    }

    private Config resolve(ConfigResolver r) {
        List<String> names = new ArrayList<>();
        declared().forEach(k -> names.add(k.name()));
        r.alignEnvironmentKeys(names);
        r.checkUnknown(names, Set.of("fake", "memory"), problems);
        return r.resolve(declared(), problems);
    }

    @Test
    void mapBeatsSystemPropertyBeatsEnvironmentBeatsPropertiesFile() {
        ClassLoader loader = TestClassLoaders.withResources(dir, Map.of(ConfigResolver.PROPERTIES_RESOURCE,
                "switchboard.fake.count=1\nswitchboard.fake.timeout=1s\nswitchboard.cache.namespace=file\nswitchboard.message.max-size=1KiB\n"));
        ConfigResolver r = ConfigResolver.collect(Map.of("switchboard.fake.count", 4),
                props("switchboard.fake.count", "3", "switchboard.fake.timeout", "3s"),
                Map.of("SWITCHBOARD_FAKE_COUNT", "2", "SWITCHBOARD_FAKE_TIMEOUT", "2s", "SWITCHBOARD_CACHE_NAMESPACE", "env"),
                loader, problems);
        Config c = resolve(r);
        assertEquals(List.of(), problems);
        assertEquals(4, c.get(COUNT));
        assertEquals("open() argument", c.sourceOf(COUNT));
        assertEquals(Duration.ofSeconds(3), c.get(TIMEOUT));
        assertEquals("system property", c.sourceOf(TIMEOUT));
        assertEquals("env", c.get(CoreKeys.CACHE_NAMESPACE));
        assertEquals("environment variable SWITCHBOARD_CACHE_NAMESPACE", c.sourceOf(CoreKeys.CACHE_NAMESPACE));
        assertEquals(1024L, c.get(CoreKeys.MESSAGE_MAX_SIZE));
        assertTrue(c.sourceOf(CoreKeys.MESSAGE_MAX_SIZE).startsWith(ConfigResolver.PROPERTIES_RESOURCE));
        assertEquals(CoreKeys.CLOSE_TIMEOUT.defaultValue(), c.get(CoreKeys.CLOSE_TIMEOUT));
        assertEquals("default", c.sourceOf(CoreKeys.CLOSE_TIMEOUT));
    }

    @Test
    void environmentVariableWithUnderscoresMapsToADashedKey() {
        ConfigResolver r = ConfigResolver.collect(Map.of(), new Properties(), Map.of("SWITCHBOARD_MESSAGE_MAX_SIZE", "2MiB"), null, problems);
        Config c = resolve(r);
        assertEquals(List.of(), problems);
        assertEquals(2L * 1024 * 1024, c.get(CoreKeys.MESSAGE_MAX_SIZE));
        assertEquals("environment variable SWITCHBOARD_MESSAGE_MAX_SIZE", c.sourceOf(CoreKeys.MESSAGE_MAX_SIZE));
    }

    @Test
    void environmentVariableShadowedByASystemPropertyIsNotReportedAsUnknown() {
        ConfigResolver r = ConfigResolver.collect(Map.of(), props("switchboard.message.max-size", "1KiB"),
                Map.of("SWITCHBOARD_MESSAGE_MAX_SIZE", "2MiB"), null, problems);
        Config c = resolve(r);
        assertEquals(List.of(), problems);
        assertEquals(1024L, c.get(CoreKeys.MESSAGE_MAX_SIZE));
    }

    @Test
    void environmentVariableBeatsTheSameDashedKeyInThePropertiesFile() {
        ClassLoader loader = TestClassLoaders.withResources(dir, Map.of(ConfigResolver.PROPERTIES_RESOURCE, "switchboard.message.max-size=1KiB\n"));
        ConfigResolver r = ConfigResolver.collect(Map.of(), new Properties(), Map.of("SWITCHBOARD_MESSAGE_MAX_SIZE", "2KiB"), loader, problems);
        Config c = resolve(r);
        assertEquals(List.of(), problems);
        assertEquals(2048L, c.get(CoreKeys.MESSAGE_MAX_SIZE));
    }

    @Test
    void unknownKeySuggestsTheClosestKnownOne() {
        ConfigResolver r = ConfigResolver.collect(Map.of("switchboard.fake.timout", "1s"), new Properties(), Map.of(), null, problems);
        resolve(r);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("'switchboard.fake.timout'") && problems.get(0).contains("Did you mean 'switchboard.fake.timeout'?"),
                problems.get(0));
    }

    @Test
    void keyOfAProviderNotOnTheClasspathNamesTheJar() {
        ConfigResolver r = ConfigResolver.collect(Map.of("switchboard.redis.uri", "redis://localhost"), new Properties(), Map.of(), null, problems);
        resolve(r);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("io.switchboard:switchboard-transport-redis"), problems.get(0));
    }

    @Test
    void malformedValuesNameTheKeyAndTheExpectedFormAllAtOnce() {
        ConfigResolver r = ConfigResolver.collect(Map.of("switchboard.fake.timeout", "soon", "switchboard.fake.count", "many",
                "switchboard.message.max-size", "big", "switchboard.require.delivery", "at-least-one"), new Properties(), Map.of(), null, problems);
        resolve(r);
        assertEquals(4, problems.size(), problems.toString());
        String all = String.join("\n", problems);
        assertTrue(all.contains("'switchboard.fake.timeout' (from open() argument) is 'soon', but must be a duration such as 250ms"), all);
        assertTrue(all.contains("'switchboard.fake.count'") && all.contains("an integer"), all);
        assertTrue(all.contains("'switchboard.message.max-size'") && all.contains("a size such as 512, 64KiB or 4MiB"), all);
        assertTrue(all.contains("'switchboard.require.delivery'") && all.contains("at-most-once, at-least-once")
                && all.contains("Did you mean 'at-least-once'?"), all);
    }

    @Test
    void parsesDurationsAndSizesInEveryDocumentedForm() {
        assertEquals(Duration.ofMillis(250), ConfigResolver.parseDuration("250ms"));
        assertEquals(Duration.ofSeconds(5), ConfigResolver.parseDuration("5s"));
        assertEquals(Duration.ofMinutes(2), ConfigResolver.parseDuration("2m"));
        assertEquals(Duration.ofHours(1), ConfigResolver.parseDuration("1h"));
        assertEquals(Duration.ofDays(1), ConfigResolver.parseDuration("1d"));
        assertEquals(Duration.ofSeconds(5), ConfigResolver.parseDuration("PT5S"));
        assertEquals(Duration.ofMillis(1500), ConfigResolver.parseDuration("1500"));
        assertEquals(512L, ConfigResolver.parseSize("512"));
        assertEquals(64L * 1024, ConfigResolver.parseSize("64KiB"));
        assertEquals(4L * 1024 * 1024, ConfigResolver.parseSize("4MB"));
        assertEquals(1L << 30, ConfigResolver.parseSize("1GiB"));
    }

    @Test
    void secretsAndUriPasswordsAreMaskedInProblemsAndToString() {
        ConfigResolver r = ConfigResolver.collect(Map.of("switchboard.fake.uri", "redis://app:hunter2@db:6379",
                "switchboard.fake.password", "s3cret", "switchboard.cache.namespace", "amqp://guest:guestpw@host/"),
                new Properties(), Map.of(), null, problems);
        Config c = resolve(r);
        assertEquals(List.of(), problems);
        String shown = c.toString();
        assertFalse(shown.contains("hunter2") || shown.contains("s3cret") || shown.contains("guestpw"), shown);
        assertTrue(shown.contains("redis://app:****@db:6379"), shown);
        assertEquals("redis://app:hunter2@db:6379", c.get(URI), "the provider still gets the real value");

        List<String> bad = new ArrayList<>();
        ConfigResolver.collect(Map.of("switchboard.fake.count", "redis://u:pw123@h"), new Properties(), Map.of(), null, bad)
                .resolve(declared(), bad);
        assertEquals(1, bad.size());
        assertFalse(bad.get(0).contains("pw123"), bad.get(0));
    }

    @Test
    void passwordsInAddressListsWithoutSchemeAreMaskedInProblemsAndToString() {
        ConfigKey<List<String>> servers = ConfigKey.list("switchboard.fake.servers", List.of(), "servers");
        List<ConfigKey<?>> keys = new ArrayList<>(declared());
        keys.add(servers);
        Config c = ConfigResolver.collect(Map.of("switchboard.fake.servers", "a:11211,app:hunter2@b:11211"), new Properties(), Map.of(),
                null, problems).resolve(keys, problems);
        assertEquals(List.of(), problems);
        assertFalse(c.toString().contains("hunter2"), c.toString());
        assertTrue(c.toString().contains("app:****@b:11211"), c.toString());
        assertEquals(List.of("a:11211", "app:hunter2@b:11211"), c.get(servers), "the provider still gets the real value");

        List<String> bad = new ArrayList<>();
        ConfigResolver.collect(Map.of("switchboard.fake.count", "app:pw123@b:11211"), new Properties(), Map.of(), null, bad)
                .resolve(declared(), bad);
        assertEquals(1, bad.size());
        assertFalse(bad.get(0).contains("pw123"), bad.get(0));
    }

    @Test
    void nullValueInTheMapIsAProblemNotACrash() {
        Map<String, Object> map = new java.util.HashMap<>();
        map.put("switchboard.fake.count", null);
        ConfigResolver.collect(map, new Properties(), Map.of(), null, problems);
        assertEquals(1, problems.size());
        assertTrue(problems.get(0).contains("switchboard.fake.count"), problems.get(0));
    }

    @Test
    void environmentVariablesThatOnlyShareThePrefixAreIgnoredWhileTyposOfKnownKeysFail() {
        // A launcher's options, Kubernetes service links for Services named switchboard and
        // switchboard-redis, and a variable of no provider: none of them is a setting.
        Map<String, String> env = new java.util.HashMap<>(Map.of("SWITCHBOARD_JAVA_OPTS", "-Xmx1g", "SWITCHBOARD_PORT", "tcp://10.0.0.7:80",
                "SWITCHBOARD_SERVICE_HOST", "10.0.0.7", "SWITCHBOARD_REDIS_SERVICE_PORT", "6379", "SWITCHBOARD_REDIS_PORT_6379_TCP_ADDR", "10.0.0.8",
                "SWITCHBOARD_FAKE_SERVICE_PORT_HTTP", "80", "SWITCHBOARD_BUILD_ID", "42"));
        env.put("SWITCHBOARD_FAKE_COUNT", "2");
        Config c = resolve(ConfigResolver.collect(Map.of(), new Properties(), env, null, problems));
        assertEquals(List.of(), problems);
        assertEquals(2, c.get(COUNT), "a real setting among them still applies");

        // Under the core's or a known provider's keys, an unknown variable is a typo and fails, naming it.
        List<String> typos = new ArrayList<>();
        for (String typo : List.of("SWITCHBOARD_FAKE_COUNTT", "SWITCHBOARD_MESSAGE_MAX_SIZZE", "SWITCHBOARD_REDIS_URII")) {
            problems.clear();
            resolve(ConfigResolver.collect(Map.of(), new Properties(), Map.of(typo, "1"), null, problems));
            assertEquals(1, problems.size(), typo + ": " + problems);
            assertTrue(problems.get(0).contains("environment variable " + typo), problems.get(0));
            typos.add(typo);
        }
        assertEquals(3, typos.size());

        // The same names as system properties are still refused: only the shared environment is lenient.
        problems.clear();
        resolve(ConfigResolver.collect(Map.of(), props("switchboard.build.id", "42"), Map.of(), null, problems));
        assertEquals(1, problems.size(), problems.toString());
    }
}
