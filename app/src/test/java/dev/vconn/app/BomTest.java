package dev.vconn.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * vconn-bom stays in step with the build (docs/modules.md): it manages exactly the library artifacts, the modules
 * with a {@code module-info.java}, at the build's version, and inherits nothing from the parent pom.
 */
class BomTest {

    @Test
    void the_bom_manages_every_library_module_at_the_builds_version_and_nothing_else() throws Exception {
        Path root = repositoryRoot();
        Element parent = read(root.resolve("pom.xml"));
        Element bom = read(root.resolve("bom/pom.xml"));

        Set<String> libraries = new TreeSet<>();
        for (String module : texts(child(parent, "modules"), "module")) {
            Path dir = root.resolve(module);
            if (Files.isRegularFile(dir.resolve("src/main/java/module-info.java"))) {
                libraries.add(text(read(dir.resolve("pom.xml")), "artifactId"));
            }
        }
        assertTrue(libraries.contains("vconn-domain") && libraries.contains("vconn-adapters-netty"),
                "library modules found: " + libraries);

        Set<String> managed = new TreeSet<>();
        String version = text(bom, "version");
        for (Element dependency : children(child(child(bom, "dependencyManagement"), "dependencies"), "dependency")) {
            assertEquals("dev.vconn", text(dependency, "groupId"));
            String type = text(dependency, "type");
            if (type.isEmpty() || type.equals("jar")) {
                managed.add(text(dependency, "artifactId"));
            }
            String dependencyVersion = text(dependency, "version");
            assertTrue(dependencyVersion.equals("${vconn.version}") || dependencyVersion.equals(version),
                    text(dependency, "artifactId") + " is managed at " + dependencyVersion);
        }

        assertEquals(libraries, managed, "vconn-bom must manage exactly the library modules");
        assertEquals(text(parent, "version"), version, "vconn-bom's version");
        assertEquals(version, text(child(bom, "properties"), "vconn.version"), "vconn-bom's vconn.version");
        assertEquals(List.of(), children(bom, "parent"),
                "vconn-bom has no parent, so importing it pins nothing but vconn's own artifacts");
    }

    private static Element read(Path pom) throws Exception {
        Document document = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
        return document.getDocumentElement();
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> found = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            Node node = nodes.item(i);
            if (node instanceof Element element && element.getTagName().equals(name)) {
                found.add(element);
            }
        }
        return found;
    }

    private static Element child(Element parent, String name) {
        List<Element> found = children(parent, name);
        assertEquals(1, found.size(), "one <" + name + "> in <" + parent.getTagName() + ">");
        return found.get(0);
    }

    /** The text of the direct child {@code name}, or "" if there is none. */
    private static String text(Element parent, String name) {
        List<Element> found = children(parent, name);
        return found.isEmpty() ? "" : found.get(0).getTextContent().trim();
    }

    private static List<String> texts(Element parent, String name) {
        return children(parent, name).stream().map(e -> e.getTextContent().trim()).toList();
    }

    /** The checkout this test runs in: the nearest directory up from the module with the wrapper and bom/. */
    private static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("mvnw")) && Files.isRegularFile(dir.resolve("bom/pom.xml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no repository root above " + Path.of("").toAbsolutePath());
    }
}
