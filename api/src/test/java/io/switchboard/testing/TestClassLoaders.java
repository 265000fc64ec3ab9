package io.switchboard.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Class loaders that add resources (service registrations, a switchboard.properties) on top of the
 * test class path, so fake providers are visible only to the tests that ask for them and the
 * "exactly one non-memory provider" rule holds everywhere else.
 */
public final class TestClassLoaders {
    private TestClassLoaders() {
    }

    /** A loader that sees the test class path plus the given resources (path to content). */
    public static ClassLoader withResources(Path dir, Map<String, String> resources) {
        try {
            for (Map.Entry<String, String> e : resources.entrySet()) {
                Path file = dir.resolve(e.getKey());
                Files.createDirectories(file.getParent() == null ? dir : file.getParent());
                Files.writeString(file, e.getValue(), StandardCharsets.UTF_8);
            }
            return new URLClassLoader(new URL[] {dir.toUri().toURL()}, TestClassLoaders.class.getClassLoader());
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs {@code body} with {@code loader} as the thread's context class loader (where Switchboard looks for providers). */
    public static <T> T withContextLoader(ClassLoader loader, Callable<T> body) throws Exception {
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(loader);
        try {
            return body.call();
        } finally {
            t.setContextClassLoader(previous);
        }
    }
}
