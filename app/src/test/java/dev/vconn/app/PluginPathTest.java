package dev.vconn.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.app.plugins.AdoptedSocketIntercept;
import dev.vconn.app.plugins.FanoutPlugin;
import dev.vconn.app.plugins.NullTransformPlugin;
import dev.vconn.app.support.PluginJars;
import dev.vconn.app.support.TestOrigin;
import dev.vconn.app.support.TestServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Plugins from {@code --plugin-path}: jars built by the test (compiled against the plugin API only, with their own
 * service file) loaded into a server started through {@link Main#launch}, configured from the config file; and the
 * startup errors of broken jars and bad plugin keys, each naming the jar, plugin or key, with exit status 1.
 */
class PluginPathTest {
  @TempDir
  Path dir;

  /** What one launch printed and decided. */
  private record Launched(Main.Launch launch, String out, String err) {}

  private Launched launch(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    Main.Launch l = Main.launch(args, new PrintWriter(out), new PrintWriter(err));
    return new Launched(l, out.toString(), err.toString());
  }

  private Path plugins() throws IOException {
    return Files.createDirectories(dir.resolve("plugins"));
  }

  private Path config(String text) throws IOException {
    Path file = dir.resolve("vconn.properties");
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }

  private static HttpResponse<String> get(VconnServer server, String path) throws Exception {
    HttpClient client = TestServer.newClient();
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.address().getPort() + path))
        .timeout(TestServer.WAIT).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void stop(VconnServer server) throws Exception {
    assertTrue(server.stopAsync().get(TestServer.WAIT.toSeconds(), TimeUnit.SECONDS), "drained");
    assertEquals(0, server.transport().blockPool().outstanding(), server.transport().blockPool().toString());
  }

  /** The exit status and error of a launch that must fail at startup. */
  private Launched failedLaunch(Path config) throws IOException {
    Launched l = launch("--listen", "127.0.0.1:0", "--event-loops", "1", "--plugin-path", plugins().toString(),
        "--config", config.toString());
    assertNull(l.launch().server(), "the server must not start");
    assertEquals(1, l.launch().exitStatus(), l.err());
    return l;
  }

  @ParameterizedTest
  @ValueSource(strings = {"nio", "netty"})
  void a_jar_from_the_plugin_path_answers_its_path_and_stamps_proxied_responses(String transport) throws Exception {
    PluginJars.stamp(plugins());
    try (TestOrigin origin = new TestOrigin(TestOrigin.describing())) {
      Path config = config("""
          remap = http://*/api/=http://%s/
          plugin.stamp.enabled = true
          plugin.stamp.value = from-the-config-file
          plugin.stamp.path = /hello
          """.formatted(origin.authority()));
      Launched l = launch("--transport", transport, "--listen", "127.0.0.1:0", "--event-loops", "2",
          "--plugin-path", plugins().toString(), "--config", config.toString());
      VconnServer server = l.launch().server();
      assertNotNull(server, l.err());
      try {
        assertTrue(l.out().startsWith("vconn-server listening on http://127.0.0.1:"), l.out());
        HttpResponse<String> hello = get(server, "/hello");
        assertEquals(200, hello.statusCode(), hello.body());
        assertEquals("stamped from-the-config-file\n", hello.body());

        HttpResponse<String> proxied = get(server, "/api/thing");
        assertEquals(200, proxied.statusCode(), proxied.body());
        assertEquals("origin saw GET /thing with 0 body bytes", proxied.body(), "the origin answered");
        assertEquals("from-the-config-file", proxied.headers().firstValue("x-stamp").orElse(""),
            "the plugin's hook stamps the proxied response");

        HttpResponse<String> index = get(server, "/");
        assertTrue(index.body().contains("/hello answered by the stamp plugin"), index.body());
        assertEquals(List.of("fanout", "stamp", "builtin-routes"),
            server.plugins().stream().map(p -> p.name()).toList(),
            "the enabled bundled plugins first, then the jar's, then the built-in routes");
      } finally {
        stop(server);
      }
    }
  }

  @Test
  void a_plugin_found_but_not_enabled_does_not_run() throws Exception {
    PluginJars.stamp(plugins());
    Launched l = launch("--listen", "127.0.0.1:0", "--event-loops", "1", "--plugin-path", plugins().toString(),
        "--config", config("plugin.stamp.value = unused\n").toString());
    VconnServer server = l.launch().server();
    assertNotNull(server, l.err());
    try {
      assertTrue(server.plugins().stream().noneMatch(p -> p.name().equals("stamp")), server.plugins().toString());
      HttpResponse<String> r = get(server, "/stamp");
      assertEquals(404, r.statusCode());
      assertFalse(r.headers().firstValue("x-stamp").isPresent());
    } finally {
      stop(server);
    }
  }

  @Test
  void the_bundled_plugins_are_found_through_their_service_file_like_a_third_party_plugin() {
    try (PluginLoader loader = PluginLoader.load(null, VconnServer.class.getClassLoader())) {
      List<String> found = loader.found().stream().map(f -> f.plugin().name() + " from " + f.source()).toList();
      assertEquals(List.of(AdoptedSocketIntercept.NAME + " from class path", FanoutPlugin.NAME + " from class path",
          NullTransformPlugin.NAME + " from class path"), found);
    }
  }

  @Test
  void a_jar_naming_a_missing_class_stops_the_startup_naming_the_jar() throws Exception {
    Path jar = PluginJars.missingClass(plugins());
    Launched l = failedLaunch(config("listen = 127.0.0.1:0\n"));
    assertTrue(l.err().contains("plugin jar " + jar), l.err());
    assertTrue(l.err().contains("test.missing.NoSuchPlugin not found"), l.err());
  }

  @Test
  void a_plugin_whose_constructor_throws_stops_the_startup_naming_the_jar() throws Exception {
    Path jar = PluginJars.throwingConstructor(plugins());
    Launched l = failedLaunch(config("listen = 127.0.0.1:0\n"));
    assertTrue(l.err().contains("plugin jar " + jar), l.err());
    assertTrue(l.err().contains("test.broken.ThrowingPlugin could not be instantiated"), l.err());
    assertTrue(l.err().contains("this plugin refuses to be made"), l.err());
  }

  @Test
  void a_jar_without_a_service_file_stops_the_startup_naming_the_jar() throws Exception {
    Path jar = plugins().resolve("empty.jar");
    try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
      out.putNextEntry(new java.util.jar.JarEntry("readme.txt"));
      out.write("not a plugin".getBytes(StandardCharsets.UTF_8));
    }
    Launched l = failedLaunch(config("listen = 127.0.0.1:0\n"));
    assertTrue(l.err().contains("plugin jar " + jar + " declares no plugin"), l.err());
  }

  @Test
  void a_plugin_whose_init_fails_stops_the_startup_naming_it_its_jar_and_the_key() throws Exception {
    Path jar = PluginJars.stamp(plugins());
    Launched l = failedLaunch(config("plugin.stamp.enabled = true\n"));
    assertTrue(l.err().contains("plugin stamp (" + jar + "): init failed: plugin.stamp.value is required"),
        l.err());
  }

  @Test
  void a_key_for_a_plugin_that_is_not_there_stops_the_startup_naming_it() throws Exception {
    PluginJars.stamp(plugins());
    Launched l = failedLaunch(config("plugin.stamps.value = x\n"));
    assertTrue(l.err().contains("config key 'plugin.stamps.value': no plugin named 'stamps' was found"), l.err());
    assertTrue(l.err().contains("stamp"), "lists what was found: " + l.err());
  }

  @Test
  void a_key_the_plugin_does_not_read_stops_the_startup_naming_it() throws Exception {
    PluginJars.stamp(plugins());
    Launched l = failedLaunch(config("plugin.stamp.enabled = true\nplugin.stamp.value = v\nplugin.stamp.heder = X\n"));
    assertTrue(l.err().contains("config key 'plugin.stamp.heder' is not a setting of plugin stamp"), l.err());
    assertTrue(l.err().contains("it reads header, path, value"), l.err());
  }

  @Test
  void a_bad_enabled_value_stops_the_startup_naming_the_key() throws Exception {
    PluginJars.stamp(plugins());
    Launched l = failedLaunch(config("plugin.stamp.enabled = yes\n"));
    assertTrue(l.err().contains("config key 'plugin.stamp.enabled' must be true or false, was 'yes'"), l.err());
  }
}
