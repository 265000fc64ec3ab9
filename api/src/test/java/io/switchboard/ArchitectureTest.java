package io.switchboard;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import io.switchboard.spi.Channels;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The layering of the api module, checked on its compiled classes (tests excluded). */
class ArchitectureTest {
    static final ArchRule API_FREE_OF_SPI = noClasses().that().resideInAPackage("io.switchboard")
            .and().doNotHaveFullyQualifiedName(Switchboard.class.getName())
            .and().doNotHaveFullyQualifiedName(Switchboard.Builder.class.getName())
            .should().dependOnClassesThat().resideInAPackage("io.switchboard.spi..")
            .because("applications code against io.switchboard only; the SPI is for providers");

    static final ArchRule NO_JAVA_DESERIALIZATION = noClasses()
            .should().dependOnClassesThat().haveFullyQualifiedName(ObjectInputStream.class.getName())
            .because("Java serialization is never used: it turns untrusted bytes into code execution");

    private static JavaClasses api;

    @BeforeAll
    static void importApi() {
        api = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.switchboard");
    }

    @Test
    void userFacingTypesDoNotDependOnTheSpi() {
        API_FREE_OF_SPI.check(api);
    }

    @Test
    void apiDependsOnlyOnTheJdkJacksonAndSlf4j() {
        classes().that().resideInAPackage("io.switchboard..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "javax..", "com.fasterxml.jackson..",
                        "org.slf4j..", "io.switchboard..")
                .because("the api jar must stay small: jackson-databind (with its JSR-310 and JDK 8 modules) and slf4j-api are its only dependencies")
                .check(api);
    }

    @Test
    void nothingUsesJavaDeserialization() {
        NO_JAVA_DESERIALIZATION.check(api);
    }

    @Test
    void theMemoryProviderUsesOnlyTheSpiAndTheApi() {
        noClasses().that().resideInAPackage("io.switchboard.memory..")
                .should().dependOnClassesThat().resideInAPackage("io.switchboard.internal..")
                .because("the in-memory provider is the reference implementation: it must need nothing other providers cannot have")
                .check(api);
    }

    @Test
    void theRulesCatchViolations() {
        JavaClasses bad = new ClassFileImporter().importClasses(ReadsObjects.class, LeaksSpi.class);
        assertTrue(NO_JAVA_DESERIALIZATION.evaluate(bad).hasViolation(), "ObjectInputStream use not caught");
        assertTrue(API_FREE_OF_SPI.evaluate(bad).hasViolation(), "SPI use in io.switchboard not caught");
    }

    /** A deliberate violation, for {@link #theRulesCatchViolations()}. */
    static final class ReadsObjects {
        Object read(InputStream in) throws IOException, ClassNotFoundException {
            return new ObjectInputStream(in).readObject();
        }
    }

    /** A deliberate violation, for {@link #theRulesCatchViolations()}. */
    static final class LeaksSpi {
        boolean check(String s) {
            return Channels.isPattern(s);
        }
    }
}
