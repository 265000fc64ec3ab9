package io.switchboard.integration;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Boundaries between modules, checked on every Switchboard class on this module's classpath (the
 * api, each provider module and the integrations: starter, metrics, tracing; tests, benchmarks
 * and examples are not imported). Rules allow an empty
 * selection because a provider module may not have classes yet; the sanity check below makes sure
 * the import itself is not empty.
 */
class ArchitectureTest {
    private static final List<String> PROVIDER_PACKAGES = List.of("io.switchboard.memory..", "io.switchboard.redis..",
            "io.switchboard.rabbitmq..", "io.switchboard.memcached..");

    private static JavaClasses classes;

    @BeforeAll
    static void importEverything() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("/io/switchboard/benchmarks/")
                        && !location.contains("/io/switchboard/integration/"))
                .importPackages("io.switchboard");
    }

    @Test
    void importFindsTheApi() {
        if (classes.stream().noneMatch(c -> c.getName().equals("io.switchboard.Switchboard"))) {
            throw new AssertionError("io.switchboard.Switchboard was not imported: the rules below would check nothing");
        }
    }

    @Test
    void jedisOnlyInTheRedisProvider() {
        onlyInside("redis.clients..", "io.switchboard.redis..");
    }

    @Test
    void amqpClientOnlyInTheRabbitMqProvider() {
        onlyInside("com.rabbitmq..", "io.switchboard.rabbitmq..");
    }

    @Test
    void spymemcachedOnlyInTheMemcachedProvider() {
        onlyInside("net.spy..", "io.switchboard.memcached..");
    }

    @Test
    void noProviderDependsOnAnother() {
        for (String from : PROVIDER_PACKAGES) {
            for (String to : PROVIDER_PACKAGES) {
                if (!from.equals(to)) {
                    ArchRule rule = noClasses().that().resideInAPackage(from)
                            .should().dependOnClassesThat().resideInAPackage(to)
                            .because("providers are independent jars; share code through the api or the spi")
                            .allowEmptyShould(true);
                    rule.check(classes);
                }
            }
        }
    }

    @Test
    void theRedisProvidersShareOnlyRedisCommon() {
        noClasses().that().resideInAPackage("io.switchboard.redis.streams..")
                .should().dependOnClassesThat().resideInAnyPackage("io.switchboard.redis", "io.switchboard.redis.internal..")
                .because("transport-redis-streams shares the connection code of redis-common, never transport-redis's classes")
                .check(classes);
        noClasses().that().resideInAnyPackage("io.switchboard.redis", "io.switchboard.redis.internal..", "io.switchboard.redis.common..")
                .should().dependOnClassesThat().resideInAPackage("io.switchboard.redis.streams..")
                .because("transport-redis and redis-common do not depend on transport-redis-streams")
                .check(classes);
    }

    @Test
    void importFindsTheIntegrations() {
        for (String name : List.of("io.switchboard.spring.SwitchboardAutoConfiguration", "io.switchboard.micrometer.MicrometerMetrics",
                "io.switchboard.opentelemetry.OpenTelemetryTracing")) {
            if (classes.stream().noneMatch(c -> c.getName().equals(name))) {
                throw new AssertionError(name + " was not imported: the integration rules below would check nothing");
            }
        }
    }

    @Test
    void theApiIsFreeOfSpringMicrometerAndOpenTelemetry() {
        noClasses().that().resideInAnyPackage("io.switchboard", "io.switchboard.spi..", "io.switchboard.internal..", "io.switchboard.memory..")
                .should().dependOnClassesThat().resideInAnyPackage("org.springframework..", "io.micrometer..", "io.opentelemetry..")
                .because("a plain Java user pays nothing for the integrations: each lives in its own module")
                .check(classes);
    }

    @Test
    void springOnlyInTheStarter() {
        onlyInside("org.springframework..", "io.switchboard.spring..");
    }

    @Test
    void micrometerOnlyInTheMetricsModuleAndTheStartersMetricsAutoConfiguration() {
        noClasses().that().resideOutsideOfPackage("io.switchboard.micrometer..")
                .and().doNotHaveFullyQualifiedName("io.switchboard.spring.SwitchboardMetricsAutoConfiguration")
                .should().dependOnClassesThat().resideInAPackage("io.micrometer..")
                .because("Micrometer belongs to switchboard-micrometer; the starter only registers it, when the application has it")
                .check(classes);
    }

    @Test
    void openTelemetryOnlyInTheTracingModuleAndTheStartersTracingAutoConfiguration() {
        noClasses().that().resideOutsideOfPackage("io.switchboard.opentelemetry..")
                .and().doNotHaveFullyQualifiedName("io.switchboard.spring.SwitchboardTracingAutoConfiguration")
                .should().dependOnClassesThat().resideInAPackage("io.opentelemetry..")
                .because("OpenTelemetry belongs to switchboard-opentelemetry; the starter only registers it, when the application has it")
                .check(classes);
    }

    @Test
    void theIntegrationsWorkWithAnyProvider() {
        for (String integration : List.of("io.switchboard.spring..", "io.switchboard.micrometer..", "io.switchboard.opentelemetry..")) {
            noClasses().that().resideInAPackage(integration)
                    .should().dependOnClassesThat().resideInAnyPackage(PROVIDER_PACKAGES.toArray(new String[0]))
                    .because("metrics, tracing and the starter see a provider through the api only")
                    .check(classes);
        }
    }

    @Test
    void providersUseTheSpiNotTheFacadesInternals() {
        noClasses().that().resideInAnyPackage("io.switchboard.redis..", "io.switchboard.rabbitmq..", "io.switchboard.memcached..")
                .should().dependOnClassesThat().resideInAPackage("io.switchboard.internal..")
                .because("the facade's internals may change with any release; what a provider may use is in io.switchboard.spi")
                .allowEmptyShould(true)
                .check(classes);
    }

    @Test
    void nothingUsesJavaDeserialization() {
        noClasses().should().dependOnClassesThat().haveFullyQualifiedName("java.io.ObjectInputStream")
                .because("Java serialization is never used: it turns untrusted bytes into code execution")
                .check(classes);
    }

    private static void onlyInside(String clientPackage, String ownerPackage) {
        noClasses().that().resideOutsideOfPackage(ownerPackage)
                .should().dependOnClassesThat().resideInAPackage(clientPackage)
                .because("a client library belongs to its own module only (provider clients are reached through unwrap)")
                .allowEmptyShould(true)
                .check(classes);
    }
}
