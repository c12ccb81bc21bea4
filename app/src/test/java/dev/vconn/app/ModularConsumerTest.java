package dev.vconn.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The libraries as a user of the module path sees them (README.md, Use the libraries): small consumer modules are
 * compiled here with {@code javac} against the built library modules (their {@code module-info}s), Netty and slf4j,
 * all on the module path and nothing on the class path, and run in a child JVM the same way.
 */
class ModularConsumerTest {

    /** The library modules' build outputs: a module's target/classes or its jar (not the test-jar). */
    private static final String LIBRARIES = "(domain|ports|adapters-nio|adapters-netty|adapters-inmemory)";
    private static final Pattern LIBRARY_CLASSES =
            Pattern.compile(".*[/\\\\]" + LIBRARIES + "[/\\\\]target[/\\\\]classes");
    private static final Pattern LIBRARY_JAR = Pattern.compile("vconn-" + LIBRARIES + "-[^-]+(-SNAPSHOT)?\\.jar");
    /** Their third-party modules: Netty (the netty adapter) and slf4j (API and, for the child's logs, a binding). */
    private static final Pattern THIRD_PARTY_JAR = Pattern.compile("(netty-.*|slf4j-(api|simple)-.*)\\.jar");

    private static final long CHILD_TIMEOUT_SECONDS = 120;

    private static String modulePath;

    @TempDir
    Path work;

    @BeforeAll
    static void findTheModulePath() {
        // Surefire runs the tests from a manifest-only jar and publishes the real test class path here.
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> entries = Stream.of(classPath.split(Pattern.quote(File.pathSeparator)))
                .filter(ModularConsumerTest::isOnTheModulePath)
                .collect(Collectors.toList());
        Set<String> libraries = entries.stream()
                .map(ModularConsumerTest::moduleName)
                .filter(name -> name.startsWith("dev.vconn."))
                .collect(Collectors.toSet());
        assertEquals(Set.of("dev.vconn.domain", "dev.vconn.ports", "dev.vconn.nio", "dev.vconn.netty",
                "dev.vconn.inmemory"), libraries, "library modules found on the test class path " + entries);
        modulePath = String.join(File.pathSeparator, entries);
    }

    @Test
    void a_consumer_module_requires_nio_and_netty_loads_both_by_name_and_echoes_over_loopback() throws Exception {
        Path src = writeModule("vconn.consumer", """
                module vconn.consumer {
                    requires dev.vconn.nio;
                    requires dev.vconn.netty;
                }
                """, "dev/example/consumer/EchoMain.java", ECHO_MAIN);
        Path classes = work.resolve("out/vconn.consumer");

        List<Diagnostic<? extends JavaFileObject>> errors = compile(src, classes, onlyTheModulePath());
        assertEquals(List.of(), describe(errors), "the consumer must compile against the exported API");

        Path output = work.resolve("child.out");
        Process child = new ProcessBuilder(javaCommand(), "--module-path", classes + File.pathSeparator + modulePath,
                "--class-path", emptyDirectory().toString(),
                "--module", "vconn.consumer/dev.example.consumer.EchoMain", "nio", "netty")
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        boolean exited = child.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (!exited) {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String printed = Files.readString(output);
        assertTrue(exited, "the consumer did not finish within " + CHILD_TIMEOUT_SECONDS + " s:\n" + printed);
        assertEquals(0, child.exitValue(), "the consumer failed:\n" + printed);
        assertTrue(printed.contains("echo nio ok: transport in module dev.vconn.nio, API in module dev.vconn.ports"),
                printed);
        assertTrue(printed.contains(
                "echo netty ok: transport in module dev.vconn.netty, API in module dev.vconn.ports"), printed);
    }

    @Test
    void a_consumer_that_names_an_internal_class_does_not_compile_on_the_module_path() throws Exception {
        String intruder = """
                package dev.example.intruder;

                public final class Intruder {
                    public static void main(String[] args) {
                        System.out.println(dev.vconn.nio.internal.NioEventLoop.class);
                    }
                }
                """;
        Path src = writeModule("vconn.intruder", """
                module vconn.intruder {
                    requires dev.vconn.nio;
                }
                """, "dev/example/intruder/Intruder.java", intruder);

        List<Diagnostic<? extends JavaFileObject>> errors =
                compile(src, work.resolve("out/vconn.intruder"), onlyTheModulePath());

        assertFalse(errors.isEmpty(), "naming dev.vconn.nio.internal from another module must not compile");
        String messages = String.join("\n", describe(errors));
        assertTrue(messages.contains("package dev.vconn.nio.internal is not visible"), messages);
        assertTrue(messages.contains("declared in module dev.vconn.nio, which does not export it"), messages);

        // The control: the very same class compiles on the class path, where only ArchUnit guards internals, so
        // the failure above is the module boundary and not a wrong name.
        Path alone = work.resolve("classpath-src/dev/example/intruder/Intruder.java");
        Files.createDirectories(alone.getParent());
        Files.writeString(alone, intruder);
        List<Diagnostic<? extends JavaFileObject>> onClassPath = compile(work.resolve("classpath-src"),
                work.resolve("out/classpath"), List.of("--class-path", modulePath));
        assertEquals(List.of(), describe(onClassPath));
    }

    /**
     * The libraries on the module path and an empty class path: javac run in process would otherwise take this test
     * JVM's class path, where every package is visible.
     */
    private List<String> onlyTheModulePath() throws IOException {
        return List.of("--module-path", modulePath, "--class-path", emptyDirectory().toString());
    }

    private Path emptyDirectory() throws IOException {
        return Files.createDirectories(work.resolve("empty"));
    }

    private static boolean isOnTheModulePath(String entry) {
        if (entry.isEmpty()) {
            return false;
        }
        Path path = Path.of(entry);
        if (Files.isDirectory(path)) {
            return LIBRARY_CLASSES.matcher(entry).matches() && Files.exists(path.resolve("module-info.class"));
        }
        String file = path.getFileName().toString();
        return LIBRARY_JAR.matcher(file).matches() || THIRD_PARTY_JAR.matcher(file).matches();
    }

    /** The name in a library's module descriptor, or "" for a jar without one at its root. */
    private static String moduleName(String entry) {
        Path path = Path.of(entry);
        try {
            if (Files.isDirectory(path)) {
                return java.lang.module.ModuleDescriptor.read(Files.newInputStream(path.resolve("module-info.class")))
                        .name();
            }
            try (JarFile jar = new JarFile(path.toFile())) {
                var descriptor = jar.getEntry("module-info.class");
                return descriptor == null ? ""
                        : java.lang.module.ModuleDescriptor.read(jar.getInputStream(descriptor)).name();
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + entry, e);
        }
    }

    private Path writeModule(String module, String moduleInfo, String classFile, String classSource)
            throws IOException {
        Path root = work.resolve("src/" + module);
        Files.createDirectories(root.resolve(classFile).getParent());
        Files.writeString(root.resolve("module-info.java"), moduleInfo);
        Files.writeString(root.resolve(classFile), classSource);
        return root;
    }

    /** Compiles every .java file under {@code src} into {@code out}; returns the errors. */
    private static List<Diagnostic<? extends JavaFileObject>> compile(Path src, Path out, List<String> options)
            throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        List<File> sources;
        try (Stream<Path> files = Files.walk(src)) {
            sources = files.filter(p -> p.toString().endsWith(".java")).map(Path::toFile).collect(Collectors.toList());
        }
        Files.createDirectories(out);
        List<String> args = new ArrayList<>(options);
        args.addAll(List.of("-d", out.toString(), "--release", "17"));
        try (StandardJavaFileManager files =
                javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            javac.getTask(null, files, diagnostics, args, null, files.getJavaFileObjectsFromFiles(sources)).call();
        }
        return diagnostics.getDiagnostics().stream()
                .filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                .collect(Collectors.toList());
    }

    private static List<String> describe(List<Diagnostic<? extends JavaFileObject>> diagnostics) {
        return diagnostics.stream().map(d -> d.getMessage(Locale.ROOT)).collect(Collectors.toList());
    }

    private static String javaCommand() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * The consumer: for each transport name, {@code Transports.load(name)}, a listener on loopback whose accepted
     * VConns echo what they read, and a plain socket client that checks the echo. It prints which module each side
     * came from, so the test sees that the transports were found as named modules.
     */
    private static final String ECHO_MAIN = """
            package dev.example.consumer;

            import dev.vconn.domain.Continuation;
            import dev.vconn.domain.Event;
            import dev.vconn.domain.VConn;
            import dev.vconn.domain.WriteVio;
            import dev.vconn.domain.buffer.IOBuffer;
            import dev.vconn.domain.buffer.IOBufferReader;
            import dev.vconn.ports.NetAcceptor;
            import dev.vconn.ports.Transport;
            import dev.vconn.ports.Transports;
            import java.net.InetAddress;
            import java.net.InetSocketAddress;
            import java.net.Socket;
            import java.nio.charset.StandardCharsets;
            import java.util.Arrays;

            public final class EchoMain {
                public static void main(String[] args) throws Exception {
                    for (String name : args) {
                        try (Transport transport = Transports.load(name)) {
                            NetAcceptor.Listener listener = transport.netAcceptor().listen(
                                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                                    new Continuation((event, data) -> {
                                        if (event == Event.NET_ACCEPT) {
                                            echo((VConn) data, transport);
                                        }
                                    }));
                            try (Socket client = new Socket()) {
                                client.connect(listener.localAddress(), 10_000);
                                client.setSoTimeout(10_000);
                                byte[] sent = ("hello over " + name).getBytes(StandardCharsets.US_ASCII);
                                client.getOutputStream().write(sent);
                                byte[] echoed = client.getInputStream().readNBytes(sent.length);
                                if (!Arrays.equals(sent, echoed)) {
                                    throw new AssertionError(name + " echoed "
                                            + new String(echoed, StandardCharsets.US_ASCII));
                                }
                            } finally {
                                listener.close();
                            }
                            System.out.println("echo " + name + " ok: transport in module "
                                    + transport.getClass().getModule().getName() + ", API in module "
                                    + Transport.class.getModule().getName());
                        }
                    }
                }

                /** Writes back whatever the VConn reads, until the client goes away. */
                private static void echo(VConn vconn, Transport transport) {
                    IOBuffer buffer = new IOBuffer(transport.blockPool());
                    IOBufferReader reader = buffer.allocReader();
                    WriteVio[] out = new WriteVio[1];
                    Continuation echo = new Continuation((event, data) -> {
                        if (event == Event.READ_READY) {
                            out[0].reenable();
                        } else if (event == Event.EOS || event == Event.ERROR) {
                            vconn.close();
                            buffer.close();
                        }
                    });
                    out[0] = vconn.write(echo, Long.MAX_VALUE, reader);
                    vconn.read(echo, Long.MAX_VALUE, buffer);
                }
            }
            """;
}
