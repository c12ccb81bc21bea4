package dev.vconn.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vconn.app.support.PluginJars;
import dev.vconn.app.support.TestOrigin;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The shaded {@code target/vconn-server.jar} as a real process (run by failsafe after {@code package}): the
 * transports are found through the merged service files, the startup line tells the port, the routes answer, and
 * SIGTERM drains and exits 0; a plugin jar built by the test loads with {@code --plugin-path}, and broken ones stop
 * the startup with exit status 1.
 */
class ServerJarIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Pattern LISTENING =
      Pattern.compile("vconn-server listening on http://127\\.0\\.0\\.1:(\\d+)/ \\(transport (\\w+), 2 event loops\\)");

  @TempDir
  Path dir;

  /**
   * Failsafe passes the jar's path (after {@code package}); under surefire (a {@code -Dtest} pattern that happens to
   * match this class) the jar may not exist yet or be stale, so the test is skipped there.
   */
  @BeforeAll
  static void onlyAfterPackage() {
    assumeTrue(System.getProperty("vconn.server.jar") != null, "runs under failsafe, after package");
  }

  /** Starts the jar; its stderr (the log) goes to {@code stderr}, stdout stays a pipe for the startup line. */
  private static Process launch(Path stderr, String... args) throws IOException {
    Path jar = Path.of(System.getProperty("vconn.server.jar"));
    assertTrue(Files.isRegularFile(jar), "build the jar first: " + jar.toAbsolutePath());
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-jar", jar.toString()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectError(stderr.toFile()).start();
  }

  @ParameterizedTest
  @ValueSource(strings = {"nio", "netty"})
  void serves_the_routes_and_exits_0_on_sigterm(String transport) throws Exception {
    Path stderr = dir.resolve("stderr.log");
    Process p = launch(stderr, "--listen", "127.0.0.1:0", "--transport", transport, "--event-loops", "2",
        "--stats-route", "true");
    try {
      BufferedReader stdout = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line = CompletableFuture.supplyAsync(() -> {
        try {
          return stdout.readLine();
        } catch (IOException e) {
          return null;
        }
      }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
      Matcher m = LISTENING.matcher(String.valueOf(line));
      assertTrue(m.matches(), "startup line: " + line);
      assertEquals(transport, m.group(2));
      int port = Integer.parseInt(m.group(1));

      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(WAIT).build();
      HttpResponse<String> index = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
          .timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, index.statusCode());
      assertTrue(index.body().contains("/_stats"), index.body());
      HttpResponse<String> stats = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/_stats")).timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
      assertTrue(stats.body().contains("\"transport\": \"" + transport + "\""), stats.body());

      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "exits after SIGTERM");
      String log = Files.readString(stderr, StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), log);
      assertTrue(log.contains("url=/_stats status=200"), "access log line: " + log);
      assertTrue(log.contains("stopped"), log);
    } finally {
      p.destroyForcibly();
    }
  }

  /** Reads the startup line from the process's stdout, bounded. */
  private static String startupLine(Process p) throws Exception {
    BufferedReader stdout = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    return CompletableFuture.supplyAsync(() -> {
      try {
        return stdout.readLine();
      } catch (IOException e) {
        return null;
      }
    }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void a_plugin_jar_from_the_plugin_path_answers_its_path_and_stamps_proxied_responses() throws Exception {
    Path plugins = Files.createDirectories(dir.resolve("plugins"));
    Path jar = PluginJars.stamp(plugins);
    try (TestOrigin origin = new TestOrigin(TestOrigin.describing())) {
      Path config = dir.resolve("vconn.properties");
      Files.writeString(config, "remap = http://*/api/=http://" + origin.authority() + "/\n"
          + "plugin.stamp.enabled = true\nplugin.stamp.value = packaged\nplugin.stamp.path = /hello\n",
          StandardCharsets.UTF_8);
      Path stderr = dir.resolve("stderr.log");
      Process p = launch(stderr, "--listen", "127.0.0.1:0", "--event-loops", "2", "--plugin-path",
          plugins.toString(), "--config", config.toString());
      try {
        String line = startupLine(p);
        Matcher m = LISTENING.matcher(String.valueOf(line));
        assertTrue(m.matches(), "startup line: " + line + "\n" + Files.readString(stderr, StandardCharsets.UTF_8));
        int port = Integer.parseInt(m.group(1));
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(WAIT).build();
        HttpResponse<String> hello = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
            + "/hello")).timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, hello.statusCode(), hello.body());
        assertEquals("stamped packaged\n", hello.body());
        HttpResponse<String> proxied = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
            + "/api/x")).timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("origin saw GET /x with 0 body bytes", proxied.body());
        assertEquals("packaged", proxied.headers().firstValue("x-stamp").orElse(""));

        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "exits after SIGTERM");
        String log = Files.readString(stderr, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), log);
        assertTrue(log.contains("plugin stamp " + PluginJars.STAMP_VERSION + " from " + jar + ": on"),
            "the startup log lists the plugin, its version and jar: " + log);
        assertTrue(log.contains("plugin fanout"), log);
      } finally {
        p.destroyForcibly();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"missing-class", "throwing-constructor"})
  void a_broken_plugin_jar_exits_1_naming_the_jar(String kind) throws Exception {
    Path plugins = Files.createDirectories(dir.resolve("plugins"));
    Path jar = kind.equals("missing-class") ? PluginJars.missingClass(plugins)
        : PluginJars.throwingConstructor(plugins);
    Path stderr = dir.resolve("stderr.log");
    Process p = launch(stderr, "--listen", "127.0.0.1:0", "--plugin-path", plugins.toString());
    try {
      assertTrue(p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
      String log = Files.readString(stderr, StandardCharsets.UTF_8);
      assertEquals(1, p.exitValue(), log);
      assertTrue(log.contains("vconn-server: cannot start: plugin jar " + jar), log);
      assertTrue(log.contains(kind.equals("missing-class") ? "test.missing.NoSuchPlugin not found"
          : "this plugin refuses to be made"), log);
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void a_usage_error_exits_2_naming_the_option() throws Exception {
    Path stderr = dir.resolve("stderr.log");
    Process p = launch(stderr, "--no-such-option");
    try {
      assertTrue(p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
      assertEquals(2, p.exitValue());
      assertTrue(Files.readString(stderr, StandardCharsets.UTF_8).contains("--no-such-option"));
    } finally {
      p.destroyForcibly();
    }
  }
}
