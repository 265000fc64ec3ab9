package io.switchboard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

/** The command in this JVM, on the in-memory transport: exit codes, argument parsing and the in-process demo. */
class SwitchboardCommandTest {
    @Test
    void readsDurationsInEveryDocumentedSpelling() {
        DurationConverter c = new DurationConverter();
        assertEquals(Duration.ofSeconds(10), c.convert("10s"));
        assertEquals(Duration.ofMillis(500), c.convert("500ms"));
        assertEquals(Duration.ofMinutes(2), c.convert("2m"));
        assertEquals(Duration.ofSeconds(10), c.convert("PT10S"));
        assertEquals(Duration.ofMillis(1500), c.convert("1.5"));
        TypeConversionException e = assertThrows(TypeConversionException.class, () -> c.convert("soon"));
        assertTrue(e.getMessage().contains("'soon'"), e.getMessage());
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(SwitchboardCommand.USAGE, SwitchboardCommand.run("pub"));
        assertEquals(SwitchboardCommand.USAGE, SwitchboardCommand.run("bench", "--size", "3", "--transport", "memory"));
        assertEquals(SwitchboardCommand.USAGE, SwitchboardCommand.run("no-such-command"));
    }

    @Test
    void unknownProviderExitsThreeNamingTheKey() {
        String[] err = new String[1];
        int code = capture(err, () -> SwitchboardCommand.run("cache", "get", "k", "--transport", "memory", "--cache", "memcahced"));
        assertEquals(SwitchboardCommand.CONFIGURATION, code);
        assertTrue(err[0].contains("switchboard.cache") && err[0].contains("memcached"), err[0]);
    }

    @Test
    void doctorPassesOnTheMemoryTransport() {
        assertEquals(0, SwitchboardCommand.run("doctor", "--transport", "memory", "--rounds", "2"));
    }

    @Test
    void inProcessDemoPassesItsConsistencyCheck() {
        assertEquals(0, SwitchboardCommand.run("demo", "--changes", "4"));
    }

    @Test
    void benchDeliversEveryMessageOnTheMemoryTransport() {
        assertEquals(0, SwitchboardCommand.run("bench", "--transport", "memory", "-n", "2000", "--warmup", "100", "-c", "2", "--no-progress"));
    }

    private static int capture(String[] err, java.util.function.IntSupplier run) {
        PrintStream previous = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            return run.getAsInt();
        } finally {
            System.setErr(previous);
            err[0] = buffer.toString(StandardCharsets.UTF_8);
        }
    }
}
