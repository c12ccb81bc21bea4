package dev.vconn.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.app.support.LogRecorder;
import dev.vconn.app.support.TestOrigin;
import dev.vconn.app.support.TestServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/** {@link VconnServer#reload()} and SIGHUP on real sockets: new rules for later requests, nothing in flight fails. */
class ServerReloadTest {
  @TempDir
  Path dir;
  Path file;
  TestOrigin a;
  TestOrigin b;
  final CountDownLatch slowArrived = new CountDownLatch(1);
  final CountDownLatch slowRelease = new CountDownLatch(1);
  VconnServer server;
  final LogRecorder log = new LogRecorder();
  final HttpClient client = TestServer.newClient();

  @BeforeEach
  void origins() throws IOException {
    a = new TestOrigin((exchange, body) -> {
      if (exchange.getRequestURI().getPath().endsWith("/slow")) {
        slowArrived.countDown();
        assertTrue(slowRelease.await(TestServer.WAIT.toSeconds(), TimeUnit.SECONDS));
      }
      TestOrigin.respond(exchange, 200, "a");
    });
    b = new TestOrigin((exchange, body) -> TestOrigin.respond(exchange, 200, "b"));
    file = dir.resolve("vconn.properties");
  }

  @AfterEach
  void stop() throws Exception {
    slowRelease.countDown();
    if (server != null) {
      server.stopAsync().get(TestServer.WAIT.toSeconds(), TimeUnit.SECONDS);
      assertEquals(0, server.transport().blockPool().outstanding(), "blocks left: " + server.transport().blockPool());
    }
    a.close();
    b.close();
  }

  void write(String... lines) throws IOException {
    Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
  }

  String routeTo(TestOrigin o) {
    return "remap = http://*/api/=http://" + o.authority() + "/";
  }

  void start() throws IOException {
    String[] args = {"--config", file.toString(), "--listen", "127.0.0.1:0", "--event-loops", "2"};
    StringWriter err = new StringWriter();
    ServerCli.Outcome o = ServerCli.parse(args, Map.of(), new PrintWriter(new StringWriter()), new PrintWriter(err));
    if (!(o instanceof ServerCli.Run run)) {
      throw new AssertionError("bad config: " + err);
    }
    server = VconnServer.start(run.settings(), log, List.of(), ServerCli.source(args, Map.of()));
  }

  HttpResponse<String> get(String path) throws Exception {
    return client.send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + server.address().getPort() + path)).timeout(TestServer.WAIT)
        .GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void reloads_under_load_fail_no_request_and_each_applies_to_the_requests_after_it() throws Exception {
    write(routeTo(a));
    start();
    AtomicBoolean reloading = new AtomicBoolean(true);
    AtomicInteger served = new AtomicInteger();
    List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> load = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        load.add(pool.submit(() -> {
          HttpClient own = TestServer.newClient(); // a keep-alive connection per thread, kept across the reloads
          for (int i = 0; i < 2000 && (reloading.get() || i < 20); i++) {
            try {
              HttpResponse<String> r = own.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                  "http://127.0.0.1:" + server.address().getPort() + "/api/x")).timeout(TestServer.WAIT).build(),
                  HttpResponse.BodyHandlers.ofString());
              if (r.statusCode() != 200 || !(r.body().equals("a") || r.body().equals("b"))) {
                failures.add(r.statusCode() + " " + r.body());
              }
              served.incrementAndGet();
            } catch (IOException e) {
              failures.add(e.toString());
            }
          }
          return null;
        }));
      }
      for (int round = 0; round < 6; round++) {
        TestOrigin next = round % 2 == 0 ? b : a;
        write(routeTo(next));
        ReloadResult result = server.reload();
        assertTrue(result.applied(), result.message());
        assertEquals(List.of(), result.notApplied());
        HttpResponse<String> after = get("/api/after-reload-" + round);
        assertEquals(next == a ? "a" : "b", after.body(), "a request after reload " + round + " uses its rules");
      }
      reloading.set(false);
      for (Future<?> f : load) {
        f.get(TestServer.WAIT.toSeconds(), TimeUnit.SECONDS);
      }
    } finally {
      reloading.set(false);
      pool.shutdownNow();
    }
    assertEquals(List.of(), failures, "failed requests");
    assertTrue(served.get() >= 80, "the load ran: " + served.get() + " requests");
  }

  @Test
  void a_request_in_flight_during_a_reload_finishes_on_the_origin_it_started_with() throws Exception {
    write(routeTo(a));
    start();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<HttpResponse<String>> slow = pool.submit(() -> get("/api/slow"));
      assertTrue(slowArrived.await(TestServer.WAIT.toSeconds(), TimeUnit.SECONDS), "the origin holds /slow");
      write(routeTo(b));
      assertTrue(server.reload().applied());
      assertEquals("b", get("/api/x").body());
      slowRelease.countDown();
      HttpResponse<String> r = slow.get(TestServer.WAIT.toSeconds(), TimeUnit.SECONDS);
      assertEquals(200, r.statusCode());
      assertEquals("a", r.body());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void a_file_that_does_not_parse_or_validate_is_rejected_and_the_config_in_force_stays() throws Exception {
    write(routeTo(a));
    start();
    write("remap = not-a-rule");
    ReloadResult bad = server.reload();
    assertFalse(bad.applied());
    assertTrue(bad.message().startsWith("config file " + file),
        bad.message());
    assertTrue(bad.message().contains("--remap"), bad.message());
    assertEquals("a", get("/api/x").body());

    write(routeTo(a), "remap = http://*/b/=upstream://missing/");
    ReloadResult unknownGroup = server.reload();
    assertFalse(unknownGroup.applied());
    assertTrue(unknownGroup.message().contains("upstream://missing/ names no --upstream group"),
        unknownGroup.message());

    write(routeTo(b), "via-name = x", "via-name = y");
    ReloadResult repeated = server.reload();
    assertFalse(repeated.applied());
    assertTrue(repeated.message().contains("key 'via-name' on line 3 repeats line 2"), repeated.message());
    Files.delete(file);
    assertFalse(server.reload().applied(), "a file that is gone");
    assertEquals("a", get("/api/x").body());
  }

  @Test
  void keys_that_need_a_restart_are_named_and_not_applied() throws Exception {
    write(routeTo(a), "max-header-count = 100");
    start();
    write(routeTo(b), "max-header-count = 50", "connect-timeout = 2s", "via-name = edge");
    ReloadResult r = server.reload();
    assertTrue(r.applied(), r.message());
    assertEquals(List.of("max-header-count", "connect-timeout"), r.notApplied());
    assertTrue(r.message().endsWith("not applied until a restart: max-header-count, connect-timeout"), r.message());
    assertEquals(100, server.proxy().config().limits().maxHeaderCount(), "still the running value");
    assertEquals("edge", server.proxy().config().viaName());
    get("/api/x");
    assertTrue(b.requests.get(b.requests.size() - 1).via().contains("edge"), "the new Via name applies");
  }

  @Test
  void plugin_settings_are_applied_by_new_plugin_instances_and_a_bad_plugin_key_is_rejected() throws Exception {
    write(routeTo(a));
    start();
    assertEquals(200, get("/echo").statusCode(), "the built-in routes are on");
    List<dev.vconn.plugin.Plugin> before = server.plugins();
    write(routeTo(a), "builtin-routes = false");
    ReloadResult off = server.reload();
    assertTrue(off.applied(), off.message());
    assertEquals(List.of(), off.notApplied());
    assertEquals(404, get("/echo").statusCode(), "no route claims it and no remap rule matches");
    assertTrue(server.plugins().stream().noneMatch(before::contains), "new plugin instances");

    write(routeTo(a), "plugin.fanout.no-such-setting = 1");
    ReloadResult bad = server.reload();
    assertFalse(bad.applied());
    assertTrue(bad.message().contains("config key 'plugin.fanout.no-such-setting' is not a setting of plugin fanout"),
        bad.message());
    assertEquals(404, get("/echo").statusCode(), "the plugins in force stay");

    write(routeTo(a));
    assertTrue(server.reload().applied());
    assertEquals(200, get("/echo").statusCode());
  }

  @Test
  void sighup_reloads_instead_of_stopping() throws Exception {
    write(routeTo(a));
    start();
    SignalHandler before = Main.reloadOnHangup(server);
    org.junit.jupiter.api.Assumptions.assumeTrue(before != null,
        "this platform cannot catch SIGHUP, or this process ignores it (run under nohup)");
    try {
      write(routeTo(b));
      Signal.raise(new Signal(Main.HANGUP));
      long deadline = System.nanoTime() + TestServer.WAIT.toNanos();
      String body;
      do {
        body = get("/api/x").body(); // each request waits for its response: no sleeping
      } while (!body.equals("b") && System.nanoTime() < deadline);
      assertEquals("b", body, "the reload ran and the server still serves");
    } finally {
      Signal.handle(new Signal(Main.HANGUP), before);
    }
  }
}
