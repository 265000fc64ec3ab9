package io.switchboard;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The layering of the api module, checked on its compiled classes (tests excluded). */
class ArchitectureTest {
    private static JavaClasses api;

    @BeforeAll
    static void importApi() {
        api = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.switchboard");
    }

    @Test
    void userFacingTypesDoNotDependOnTheSpi() {
        noClasses().that().resideInAPackage("io.switchboard")
                .and().doNotHaveFullyQualifiedName(Switchboard.class.getName())
                .and().doNotHaveFullyQualifiedName(Switchboard.Builder.class.getName())
                .should().dependOnClassesThat().resideInAPackage("io.switchboard.spi..")
                .because("applications code against io.switchboard only; the SPI is for providers")
                .check(api);
    }

    @Test
    void apiDependsOnlyOnTheJdkJacksonAndSlf4j() {
        classes().that().resideInAPackage("io.switchboard..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "javax..", "com.fasterxml.jackson..",
                        "org.slf4j..", "io.switchboard..")
                .because("the api jar must stay small: jackson-databind and slf4j-api are its only dependencies")
                .check(api);
    }

    @Test
    void nothingUsesJavaDeserialization() {
        noClasses().should().dependOnClassesThat().haveFullyQualifiedName("java.io.ObjectInputStream")
                .because("Java serialization is never used: it turns untrusted bytes into code execution")
                .check(api);
    }

    @Test
    void theMemoryProviderUsesOnlyTheSpiAndTheApi() {
        noClasses().that().resideInAPackage("io.switchboard.memory..")
                .should().dependOnClassesThat().resideInAPackage("io.switchboard.internal..")
                .because("the in-memory provider is the reference implementation: it must need nothing other providers cannot have")
                .check(api);
    }
}
