package io.switchboard.it.interop;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Node.js with the npm packages the wire-format docs name, installed at exact versions into
 * {@code target/node}, and the Debian {@code python3} with the Debian client packages. A missing
 * runtime or package fails the test, naming what to install ({@code bin/services} installs all of
 * it). Thread-safe.
 */
final class Runtimes {
    /** The npm packages of the docs' Node.js snippets, at the versions the docs say were tested, on Node.js 20 or later. */
    static final List<String> NPM_PACKAGES = List.of("ioredis@6.0.0", "redis@6.3.1", "amqplib@2.3.1", "memjs@1.3.2");

    /**
     * The same on Node.js 18 (Debian 12's nodejs): ioredis 6 and redis 5 and 6 need Node.js 20, so
     * the last majors that run on 18, with the same API for what the snippets use.
     */
    static final List<String> NPM_PACKAGES_NODE_18 = List.of("ioredis@5.9.3", "redis@4.7.1", "amqplib@2.3.1", "memjs@1.3.2");

    private static List<String> packages = NPM_PACKAGES;

    private static Path nodeDir;

    private Runtimes() {
    }

    /** {@code target/node}, with {@link #NPM_PACKAGES} (or on Node.js 18 {@link #NPM_PACKAGES_NODE_18}) installed (once per run; skipped when the versions are there). */
    static synchronized Path node() throws IOException, InterruptedException {
        if (nodeDir != null) {
            return nodeDir;
        }
        String version = run(Duration.ofSeconds(30), "Node.js is needed for the wire-format tests: run bin/services (it installs nodejs and npm)",
                "node", "--version").trim();
        int major = version.matches("v\\d+\\..*") ? Integer.parseInt(version.substring(1, version.indexOf('.'))) : 0;
        if (major < 18) {
            fail("Node.js " + version + " is too old for the wire-format tests: they need Node.js 18 or later");
        }
        packages = major >= 20 ? NPM_PACKAGES : NPM_PACKAGES_NODE_18;
        run(Duration.ofSeconds(30), "npm is needed for the wire-format tests: run bin/services (it installs nodejs and npm)", "npm", "--version");
        Path dir = Path.of("target", "node").toAbsolutePath();
        Files.createDirectories(dir);
        if (!installed(dir)) {
            List<String> cmd = new ArrayList<>(List.of("npm", "install", "--no-audit", "--no-fund", "--save-exact", "--prefix", dir.toString()));
            cmd.addAll(packages);
            run(Duration.ofMinutes(5), "npm install " + String.join(" ", packages) + " into " + dir + " failed (is the npm registry reachable?)",
                    cmd.toArray(String[]::new));
            if (!installed(dir)) {
                fail("npm install reported success but " + dir + "/node_modules does not hold " + packages);
            }
        }
        nodeDir = dir;
        return dir;
    }

    private static boolean installed(Path dir) throws IOException {
        for (String p : packages) {
            int at = p.lastIndexOf('@');
            Path pkg = dir.resolve("node_modules").resolve(p.substring(0, at)).resolve("package.json");
            if (!Files.isRegularFile(pkg) || !Files.readString(pkg).contains("\"version\": \"" + p.substring(at + 1) + "\"")) {
                return false;
            }
        }
        return true;
    }

    /**
     * The Python interpreter that has the Debian packages: {@code /usr/bin/python3} (a pyenv or
     * venv {@code python3} earlier on the PATH does not see them), else {@code python3}; checked to
     * import {@code module}, from Debian's {@code debPackage}.
     */
    static String python(String module, String debPackage) throws IOException, InterruptedException {
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        run(Duration.ofSeconds(30), python + " cannot import " + module + ": install " + debPackage + " (bin/services does: apt-get install " + debPackage + ")",
                python, "-c", "import " + module);
        return python;
    }

    /** Runs a short command to its end; fails the test with {@code problem} and the command's output if it cannot start, times out or fails. */
    static String run(Duration timeout, String problem, String... command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("interop-cmd", ".log");
        try {
            Process p;
            try {
                p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            } catch (IOException e) {
                fail(problem + ": cannot run " + command[0] + ": " + e.getMessage());
                return null;
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                fail(problem + ": " + String.join(" ", command) + " did not end within " + timeout + "\n" + Files.readString(log, StandardCharsets.UTF_8));
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                fail(problem + ": " + String.join(" ", command) + " exited with " + p.exitValue() + "\n" + output);
            }
            return output;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** The environment for a program: {@code pairs} as name, value, name, value… */
    static Map<String, String> env(String... pairs) {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }
}
