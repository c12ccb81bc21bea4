package dev.vconn.app.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Red-flag guard: the docs, Javadoc, comments, exception messages and test messages of this repository cite only
 * what a clone of it contains. The binding rules are numbered in {@code docs/semantics.md} ("docs/semantics.md,
 * rule 3.4", Traffic Server's behaviour as its numbered statements), the HTTP rules are in {@code docs/http.md};
 * design notes and reference sections kept beside the repository, and tracker numbers, mean nothing to a user, so a
 * reference to them fails here, naming the file and line.
 *
 * <p>Scanned: {@code README.md}, {@code BENCHMARKS.md}, everything under {@code docs/}, {@code bench/run.sh}, and
 * every module's {@code src/main} and {@code src/test} tree, except this file (which has to spell the patterns).
 */
class DocCitationsTest {

    /** References that point outside the repository. */
    static final List<Pattern> OUTSIDE = List.of(
            Pattern.compile(Pattern.quote("../shared")),
            Pattern.compile("DESIGN\\.md"),
            Pattern.compile("DESIGN\\s*§"),
            Pattern.compile("ats-vconn-semantics"),
            Pattern.compile("reference\\s*§", Pattern.CASE_INSENSITIVE),
            Pattern.compile("\\bissues?\\s+#?\\d+", Pattern.CASE_INSENSITIVE));

    private static final String SELF = "app/src/test/java/dev/vconn/app/architecture/DocCitationsTest.java";

    @Test
    void no_doc_source_or_test_points_outside_the_repository() {
        Path root = repositoryRoot();
        List<Path> files = scannedFiles(root);
        // Guards against passing for the wrong reason: the scan must see the docs and every module's sources.
        assertTrue(files.contains(root.resolve("docs/semantics.md")), "docs/semantics.md is scanned");
        assertTrue(files.stream().filter(f -> f.toString().endsWith(".java")).count() > 300,
                () -> "only " + files.size() + " files scanned under " + root);
        assertEquals(List.of(), offending(root, files),
                "cite the project's own docs instead (e.g. \"docs/semantics.md, rule 3.4\", \"docs/http.md\")");
    }

    @Test
    void the_scan_names_file_and_line_of_every_kind_of_outside_reference(@TempDir Path root) throws IOException {
        write(root, "README.md", "# x", "The design lives in ../shared/DESIGN.md.");
        write(root, "BENCHMARKS.md", "measured (Issue 8)");
        write(root, "docs/semantics.md", "fine: docs/semantics.md, rule 3.4", "see DESIGN §3.4");
        write(root, "domain/src/main/java/A.java", "class A {", "  // ok: rule 3.7, RFC 9112 §6.3, reissue 5", "}",
                "// reference/ats-vconn-semantics.md");
        write(root, "ports/src/test/java/B.java", "// as in issues #12 and 13", "// Reference §8.28");
        write(root, "domain/target/classes/C.java", "// DESIGN.md, not scanned: build output");
        write(root, SELF, "// DESIGN.md here is the guard's own pattern");

        List<String> found = offending(root, scannedFiles(root));

        assertEquals(List.of(
                "BENCHMARKS.md:1: Issue 8",
                "README.md:2: ../shared",
                "README.md:2: DESIGN.md",
                "docs/semantics.md:2: DESIGN §",
                "domain/src/main/java/A.java:4: ats-vconn-semantics",
                "ports/src/test/java/B.java:1: issues #12",
                "ports/src/test/java/B.java:2: Reference §"), found);
    }

    /** One {@code path:line: match} entry per reference found, in path order. */
    static List<String> offending(Path root, List<Path> files) {
        List<String> found = new ArrayList<>();
        for (Path file : files) {
            List<String> lines = readText(file);
            String name = root.relativize(file).toString().replace('\\', '/');
            for (int i = 0; i < lines.size(); i++) {
                for (Pattern p : OUTSIDE) {
                    Matcher m = p.matcher(lines.get(i));
                    while (m.find()) {
                        found.add(name + ":" + (i + 1) + ": " + m.group());
                    }
                }
            }
        }
        return found;
    }

    /** The files the guard reads, sorted by path. */
    static List<Path> scannedFiles(Path root) {
        List<Path> files = new ArrayList<>();
        for (String top : List.of("README.md", "BENCHMARKS.md", "bench/run.sh")) {
            if (Files.isRegularFile(root.resolve(top))) {
                files.add(root.resolve(top));
            }
        }
        List<Path> trees = new ArrayList<>(List.of(root.resolve("docs")));
        try (Stream<Path> modules = Files.list(root)) {
            modules.filter(Files::isDirectory).forEach(m -> {
                trees.add(m.resolve("src/main"));
                trees.add(m.resolve("src/test"));
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (Path tree : trees) {
            if (!Files.isDirectory(tree)) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(tree)) {
                walk.filter(Files::isRegularFile)
                        .filter(f -> !root.relativize(f).toString().replace('\\', '/').equals(SELF))
                        .forEach(files::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        files.sort(null);
        return files;
    }

    /** The lines of a text file; a file that is not UTF-8 text (none today) has no citations to check. */
    private static List<String> readText(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The checkout this test runs in: the nearest directory up from the module with the wrapper and docs/. */
    private static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("mvnw")) && Files.isDirectory(dir.resolve("docs"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no repository root above " + Path.of("").toAbsolutePath());
    }

    private static void write(Path root, String name, String... lines) throws IOException {
        Path file = root.resolve(name);
        Files.createDirectories(file.getParent());
        Files.write(file, List.of(lines), StandardCharsets.UTF_8);
    }
}
