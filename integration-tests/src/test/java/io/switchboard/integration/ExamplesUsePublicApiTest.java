package io.switchboard.integration;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The examples are written as an application would be: on the public API ({@code io.switchboard}
 * and the integration modules), never on the SPI, the internals, a provider's classes or a client
 * library. Reads the sources of the checkout this module is built in.
 */
class ExamplesUsePublicApiTest {
    private static final Path EXAMPLES = Path.of("..", "examples").toAbsolutePath().normalize();
    private static final Pattern IMPORT = Pattern.compile("^import (static )?(io\\.switchboard\\.[\\w.]+|redis\\.clients|com\\.rabbitmq|net\\.spy)",
            Pattern.MULTILINE);
    private static final Pattern NOT_PUBLIC = Pattern.compile("io\\.switchboard\\.(spi|internal|memory|redis|rabbitmq|memcached)\\b.*"
            + "|redis\\.clients|com\\.rabbitmq|net\\.spy");

    @Test
    void examplesImportOnlyThePublicApi() throws Exception {
        List<Path> sources;
        try (Stream<Path> walk = Files.walk(EXAMPLES)) {
            sources = walk.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/java/")).collect(Collectors.toList());
        }
        assertTrue(sources.size() >= 8, "example sources found under " + EXAMPLES + ": " + sources);
        List<String> offending = new ArrayList<>();
        for (Path source : sources) {
            Matcher m = IMPORT.matcher(Files.readString(source));
            while (m.find()) {
                if (NOT_PUBLIC.matcher(m.group(2)).matches()) {
                    offending.add(EXAMPLES.relativize(source) + ": import " + m.group(2));
                }
            }
        }
        assertTrue(offending.isEmpty(), "examples import what an application should not: " + offending);
    }
}
