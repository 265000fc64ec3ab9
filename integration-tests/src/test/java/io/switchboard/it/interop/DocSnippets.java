package io.switchboard.it.interop;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The code blocks of the wire-format docs that these tests run. A block is marked in the Markdown
 * by the line {@code <!-- snippet: NAME -->} right before its fence; the test writes the block's
 * text unchanged to a file {@code NAME} and runs that, so the doc shows exactly what was tested.
 * Stateless.
 */
final class DocSnippets {
    private DocSnippets() {
    }

    /** The repository's {@code docs} folder, found from the module's working directory upwards. */
    static Path docs() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("docs/wire-format.md"))) {
                return d.resolve("docs");
            }
        }
        throw new IllegalStateException("no docs/wire-format.md in " + dir + " or above: run the tests from the repository");
    }

    /** The text of the block marked {@code name} in {@code docs/<doc>}; fails the test if there is none or more than one. */
    static String extract(String doc, String name) {
        Path file = docs().resolve(doc);
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        String marker = "<!-- snippet: " + name + " -->";
        String found = null;
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).trim().equals(marker)) {
                continue;
            }
            if (found != null) {
                fail(file + " marks two code blocks " + marker);
            }
            if (i + 1 >= lines.size() || !lines.get(i + 1).startsWith("```")) {
                fail(file + ": the line after " + marker + " (line " + (i + 1) + ") must open a ``` code block");
            }
            StringBuilder text = new StringBuilder();
            int j = i + 2;
            while (j < lines.size() && !lines.get(j).startsWith("```")) {
                text.append(lines.get(j)).append('\n');
                j++;
            }
            if (j == lines.size()) {
                fail(file + ": the code block after " + marker + " is never closed");
            }
            found = text.toString();
        }
        if (found == null) {
            fail(file + " has no code block marked " + marker + " (the tests run it; put the marker back before its fence)");
        }
        return found;
    }

    /** Writes the block marked {@code name} in {@code docs/<doc>} to {@code dir/name} and returns that file. */
    static Path write(String doc, String name, Path dir) {
        Path target = dir.resolve(name);
        try {
            Files.createDirectories(dir);
            Files.writeString(target, extract(doc, name), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
        return target;
    }
}
