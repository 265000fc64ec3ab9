package io.switchboard.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * What a user's build relies on: the BOM pins every published module at the project's version, and
 * the licence ships with the code. Reads the poms of the checkout this module is built in.
 */
class BuildLayoutTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void bomListsEveryPublishedModuleAtTheProjectVersion() throws Exception {
        Document parent = parse(ROOT.resolve("pom.xml"));
        String version = childText(parent.getDocumentElement(), "version");
        Document bom = parse(ROOT.resolve("bom/pom.xml"));
        assertEquals(version, childText(bom.getDocumentElement(), "version"), "bom/pom.xml's version");

        Map<String, String> pinned = new LinkedHashMap<>();
        NodeList deps = bom.getElementsByTagName("dependency");
        for (int i = 0; i < deps.getLength(); i++) {
            Element d = (Element) deps.item(i);
            pinned.put(childText(d, "artifactId"), childText(d, "version"));
        }

        List<String> published = new ArrayList<>();
        List<String> unpublished = new ArrayList<>();
        collectModules(ROOT, parent, false, published, unpublished);
        assertTrue(published.contains("switchboard-api"), "modules read from the parent pom: " + published);
        assertTrue(unpublished.contains("switchboard-example-spring-boot-app") && unpublished.contains("switchboard-example-session-store"),
                "examples/ is read, and its modules are not published: " + unpublished);
        for (String artifact : published) {
            assertEquals(version, pinned.get(artifact), "version of " + artifact + " in bom/pom.xml (published module)");
        }
        for (String artifact : pinned.keySet()) {
            assertTrue(published.contains(artifact), "bom/pom.xml lists " + artifact + ", which is not a published module");
        }
    }

    /**
     * Every module under {@code dir}'s pom, aggregators such as {@code examples/} included: a module
     * is unpublished when its pom sets {@code maven.deploy.skip}, or its parent is an unpublished
     * aggregator it inherits that from.
     */
    private static void collectModules(Path dir, Document aggregator, boolean aggregatorSkipped, List<String> published,
            List<String> unpublished) throws Exception {
        String aggregatorId = childText(aggregator.getDocumentElement(), "artifactId");
        NodeList modules = aggregator.getElementsByTagName("module");
        for (int i = 0; i < modules.getLength(); i++) {
            String module = modules.item(i).getTextContent().trim();
            if (module.equals("bom")) {
                continue;
            }
            Path moduleDir = dir.resolve(module);
            Document pom = parse(moduleDir.resolve("pom.xml"));
            Element parentBlock = (Element) pom.getElementsByTagName("parent").item(0);
            boolean inherits = aggregatorSkipped && parentBlock != null && aggregatorId.equals(childText(parentBlock, "artifactId"));
            boolean skipped = inherits || pom.getElementsByTagName("maven.deploy.skip").getLength() > 0;
            (skipped ? unpublished : published).add(childText(pom.getDocumentElement(), "artifactId"));
            if ("pom".equals(childText(pom.getDocumentElement(), "packaging"))) {
                collectModules(moduleDir, pom, skipped, published, unpublished);
            }
        }
    }

    @Test
    void licenceIsApacheTwo() throws Exception {
        String licence = Files.readString(ROOT.resolve("LICENSE"));
        assertTrue(licence.contains("Apache License") && licence.contains("Version 2.0, January 2004"), "LICENSE is the Apache-2.0 text");
    }

    private static Document parse(Path pom) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(pom.toFile());
    }

    /** The text of a direct child element (not of the parent block or of dependencies). */
    private static String childText(Element e, String name) {
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element && n.getNodeName().equals(name)) {
                return n.getTextContent().trim();
            }
        }
        return null;
    }
}
