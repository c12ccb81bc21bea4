package dev.vconn.app.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.vconn.domain.Continuation;
import dev.vconn.plugin.Plugin;
import dev.vconn.ports.HttpConnector;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Plugin jars built during a test, as a third party would build them: sources compiled with the JDK's compiler
 * against the plugin API (and the libraries it brings) only, a {@code META-INF/services/dev.vconn.plugin.Plugin}
 * file, and a manifest with an Implementation-Version.
 */
public final class PluginJars {
  /** The stamp plugin's version, in its jar's manifest. */
  public static final String STAMP_VERSION = "1.2.3";

  /**
   * A plugin named {@code stamp}: it answers {@code plugin.stamp.path} (default {@code /stamp}) with
   * {@code stamped VALUE}, and sets {@code plugin.stamp.header} (default {@code X-Stamp}) to VALUE on every response;
   * VALUE is {@code plugin.stamp.value}, required.
   */
  private static final String STAMP = """
      package test.stamp;

      import dev.vconn.domain.Continuation;
      import dev.vconn.domain.http.HttpHookId;
      import dev.vconn.domain.http.HttpTxn;
      import dev.vconn.plugin.Plugin;
      import dev.vconn.plugin.PluginContext;
      import dev.vconn.plugin.http.InterceptHandler;
      import dev.vconn.plugin.http.InterceptResponse;
      import dev.vconn.plugin.http.InterceptServer;
      import dev.vconn.plugin.http.RequestTargets;
      import java.util.List;

      public final class StampPlugin implements Plugin {
        private String path;
        private String header;
        private String value;

        @Override
        public String name() {
          return "stamp";
        }

        @Override
        public void init(PluginContext context) {
          path = context.settings().get("path", "/stamp");
          header = context.settings().get("header", "X-Stamp");
          value = context.settings().require("value");
          context.addInterceptor(txn -> RequestTargets.path(txn.clientRequest().target()).equals(path)
              ? InterceptServer.continuation(InterceptHandler.sync(r -> InterceptResponse.text(200,
                  "stamped " + value + "\\n")), context.blockPool(), context.limits(), 0)
              : null);
          context.addHook(HttpHookId.SEND_RESPONSE_HDR, new Continuation((event, data) -> {
            HttpTxn txn = (HttpTxn) data;
            txn.clientResponse().headers().set(header, value);
            txn.reenable();
          }));
        }

        @Override
        public List<String> describe() {
          return List.of(path + " answered by the stamp plugin");
        }
      }
      """;

  private static final String THROWING = """
      package test.broken;

      public final class ThrowingPlugin implements dev.vconn.plugin.Plugin {
        public ThrowingPlugin() {
          throw new IllegalStateException("this plugin refuses to be made");
        }

        @Override
        public String name() {
          return "throwing";
        }
      }
      """;

  private PluginJars() {}

  /**
   * The working plugin, as {@code dir/stamp.jar}.
   *
   * @param dir where the jar goes
   * @return the jar
   */
  public static Path stamp(Path dir) throws IOException {
    return build(dir, "stamp.jar", Map.of("test.stamp.StampPlugin", STAMP), List.of("test.stamp.StampPlugin"));
  }

  /** {@code dir/missing-class.jar}: its service file names a class the jar does not have. */
  public static Path missingClass(Path dir) throws IOException {
    return build(dir, "missing-class.jar", Map.of(), List.of("test.missing.NoSuchPlugin"));
  }

  /** {@code dir/throwing.jar}: its plugin's constructor throws. */
  public static Path throwingConstructor(Path dir) throws IOException {
    return build(dir, "throwing.jar", Map.of("test.broken.ThrowingPlugin", THROWING),
        List.of("test.broken.ThrowingPlugin"));
  }

  /**
   * Compiles {@code sources} (by class name) against the plugin API and writes them, the service file and a
   * manifest into {@code dir/jarName}.
   */
  static Path build(Path dir, String jarName, Map<String, String> sources, List<String> services)
      throws IOException {
    Path work = Files.createTempDirectory(dir, "build-");
    Path classes = Files.createDirectories(work.resolve("classes"));
    if (!sources.isEmpty()) {
      List<String> args = new ArrayList<>(List.of("--release", "17", "-d", classes.toString(), "-classpath",
          apiClassPath()));
      for (Map.Entry<String, String> s : sources.entrySet()) {
        Path file = work.resolve("src").resolve(s.getKey().replace('.', '/') + ".java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, s.getValue(), StandardCharsets.UTF_8);
        args.add(file.toString());
      }
      JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
      assertNotNull(javac, "the tests need a JDK (javax.tools)");
      ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
      int status = javac.run(null, diagnostics, diagnostics, args.toArray(String[]::new));
      assertEquals(0, status, "the plugin does not compile: " + diagnostics.toString(StandardCharsets.UTF_8));
    }
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, STAMP_VERSION);
    Path jar = dir.resolve(jarName);
    try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest);
        Stream<Path> files = Files.walk(classes)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
        out.write(Files.readAllBytes(f));
        out.closeEntry();
      }
      out.putNextEntry(new JarEntry("META-INF/services/" + Plugin.class.getName()));
      out.write((String.join("\n", services) + "\n").getBytes(StandardCharsets.UTF_8));
      out.closeEntry();
    }
    return jar;
  }

  /** The plugin API's classes and the libraries it exposes (domain, ports): what a plugin compiles against. */
  private static String apiClassPath() {
    List<String> path = new ArrayList<>();
    for (Class<?> c : List.of(Plugin.class, Continuation.class, HttpConnector.class)) {
      try {
        path.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
      } catch (URISyntaxException e) {
        throw new IllegalStateException(e);
      }
    }
    return String.join(java.io.File.pathSeparator, path);
  }
}
