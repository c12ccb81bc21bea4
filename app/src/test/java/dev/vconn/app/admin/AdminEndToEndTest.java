package dev.vconn.app.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.app.ServerCli;
import dev.vconn.app.ServerSettings;
import dev.vconn.app.VconnServer;
import dev.vconn.app.support.TestOrigin;
import dev.vconn.app.support.TestServer;
import dev.vconn.domain.http.HttpLimits;
import dev.vconn.ports.Transport;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.Transports;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The admin listener on real sockets (the point is the second listener): {@code /metrics} read by a strict parser
 * after real traffic, {@code /healthz} and {@code /readyz} through a drain, {@code POST /reload}, 404 and 405, and no
 * admin listener unless asked for.
 */
class AdminEndToEndTest {
  private static final String ADMIN = "127.0.0.1:0";
  private final HttpClient client = TestServer.newClient();

  private HttpResponse<String> send(InetSocketAddress at, String method, String path) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + at.getPort() + path))
        .timeout(TestServer.WAIT).method(method, HttpRequest.BodyPublishers.noBody()).build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static InetSocketAddress admin(TestServer s) {
    return s.server.adminAddress().orElseThrow();
  }

  private Map<String, StrictPrometheusParser.Family> scrape(TestServer s) throws Exception {
    HttpResponse<String> r = send(admin(s), "GET", "/metrics");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(PrometheusText.CONTENT_TYPE, r.headers().firstValue("content-type").orElse(""));
    return StrictPrometheusParser.parse(r.body());
  }

  private static double value(Map<String, StrictPrometheusParser.Family> m, String family, String... labels) {
    StrictPrometheusParser.Family f = m.get(family);
    assertTrue(f != null, family + " missing from " + m.keySet());
    Map<String, String> l = new LinkedHashMap<>();
    for (int i = 0; i < labels.length; i += 2) {
      l.put(labels[i], labels[i + 1]);
    }
    return f.value(l);
  }

  private static double count(Map<String, StrictPrometheusParser.Family> m, String histogram) {
    return m.get(histogram).value(histogram + "_count", Map.of());
  }

  @ParameterizedTest
  @ValueSource(strings = {"nio", "netty"})
  void metrics_parse_strictly_and_count_real_traffic_by_class_pitag_and_origin(String transport) throws Exception {
    try (TestOrigin origin = new TestOrigin(TestOrigin.describing());
        TestServer s = TestServer.start(transport, "--admin-listen", ADMIN,
            "--remap", "http://*/api/=http://" + origin.authority() + "/")) {
      assertTrue(s.server.describe().endsWith(", admin on http://127.0.0.1:" + admin(s).getPort() + "/"),
          s.server.describe());
      Map<String, StrictPrometheusParser.Family> before = scrape(s);
      for (String family : List.of("vconn_ready", "vconn_connections_total", "vconn_connections_open",
          "vconn_transactions_total", "vconn_in_process_transactions_total", "vconn_client_received_bytes_total",
          "vconn_client_sent_bytes_total", "vconn_transaction_duration_seconds", "vconn_origin_first_byte_seconds",
          "vconn_origin_connections_open", "vconn_origin_connections_idle", "vconn_origin_connects_total",
          "vconn_origin_connect_failures_total", "vconn_origin_reuses_total", "vconn_origin_retries_total",
          "vconn_origin_failures_total", "vconn_tunnels_total", "vconn_tunnels_open", "vconn_tls_handshakes_total",
          "vconn_tls_handshake_failures_total")) {
        assertTrue(before.containsKey(family), family + " missing: " + before.keySet());
      }
      assertEquals(1, value(before, "vconn_ready"));

      HttpClient c = TestServer.newClient();
      for (int i = 0; i < 3; i++) {
        assertEquals(200, s.get(c, "/echo").statusCode());
      }
      assertEquals(404, s.get(c, "/nothing-here").statusCode());
      assertEquals(200, s.get(c, "/fanout?paths=/bytes/3").statusCode()); // one in-process GET, pitag=fanout
      assertEquals(200, s.get(c, "/api/one").statusCode());
      assertEquals(200, s.get(c, "/api/two").statusCode());
      // The counters move when a transaction ends, just before its access log record: wait for all eight.
      s.log.await(r -> true, 8);
      Map<String, StrictPrometheusParser.Family> after = scrape(s);

      String[] network2xx = {"kind", "network", "class", "2xx"};
      assertEquals(3 + 1 + 2, value(after, "vconn_transactions_total", network2xx)
          - value(before, "vconn_transactions_total", network2xx));
      String[] network4xx = {"kind", "network", "class", "4xx"};
      assertEquals(1, value(after, "vconn_transactions_total", network4xx)
          - value(before, "vconn_transactions_total", network4xx));
      assertEquals(1, value(after, "vconn_transactions_total", "kind", "in_process", "class", "2xx"));
      assertEquals(1, value(after, "vconn_in_process_transactions_total", "pitag", "fanout"),
          "the fan-out's in-process GET is counted under its pitag");
      assertEquals(8, count(after, "vconn_transaction_duration_seconds")
          - count(before, "vconn_transaction_duration_seconds"), "every transaction's duration, none of the scrapes");
      assertEquals(2, count(after, "vconn_origin_first_byte_seconds"), "only the two that reached the origin");
      double connects = value(after, "vconn_origin_connects_total");
      double reuses = value(after, "vconn_origin_reuses_total");
      assertTrue(connects >= 1 && connects + reuses == 2, "connects " + connects + ", reuses " + reuses);
      assertEquals(0, value(after, "vconn_origin_failures_total"));
      assertTrue(value(after, "vconn_client_received_bytes_total")
          > value(before, "vconn_client_received_bytes_total"));
      assertTrue(value(after, "vconn_client_sent_bytes_total") > value(before, "vconn_client_sent_bytes_total"));
      assertEquals(1, value(after, "vconn_connections_total", "transport", transport, "kind", "in_process"));
      assertTrue(value(after, "vconn_connections_total", "transport", transport, "kind", "network") >= 1);
      assertTrue(value(after, "vconn_connections_open", "transport", transport, "kind", "network") >= 1,
          "the client's keep-alive connection is open");
      assertEquals(0, value(after, "vconn_tunnels_open"));
      assertEquals(0, value(after, "vconn_tls_handshake_failures_total"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"nio", "netty"})
  void tls_handshakes_are_counted_by_protocol_and_cipher_and_failed_ones_apart(String transport,
      @TempDir Path dir) throws Exception {
    for (String name : List.of("ca.pem", "server.pem", "server.key")) {
      try (InputStream in = AdminEndToEndTest.class.getResourceAsStream("/tls/" + name)) {
        Files.copy(in, dir.resolve(name));
      }
    }
    try (TestServer s = TestServer.start(transport, "--admin-listen", ADMIN, "--tls-listen", "127.0.0.1:0",
        "--tls-cert", dir.resolve("server.pem").toString(), "--tls-key", dir.resolve("server.key").toString())) {
      InetSocketAddress tls = s.server.tlsAddress().orElseThrow();
      try (SSLSocket socket = (SSLSocket) trusting(dir.resolve("ca.pem")).getSocketFactory()
          .createSocket(tls.getAddress(), tls.getPort())) {
        socket.setSoTimeout((int) TestServer.WAIT.toMillis());
        socket.getOutputStream().write("GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1));
        String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        assertTrue(response.startsWith("HTTP/1.1 200 "), response); // answered: the handshake was counted before
        Map<String, StrictPrometheusParser.Family> m = scrape(s);
        assertEquals(1, value(m, "vconn_tls_handshakes_total", "protocol", socket.getSession().getProtocol(),
            "cipher", socket.getSession().getCipherSuite()));
        assertEquals(0, value(m, "vconn_tls_handshake_failures_total"));
      }
      try (Socket plain = new Socket(tls.getAddress(), tls.getPort())) {
        plain.setSoTimeout((int) TestServer.WAIT.toMillis());
        plain.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        plain.getInputStream().readAllBytes(); // an alert, then the end: the failure was counted before
      }
      assertEquals(1, value(scrape(s), "vconn_tls_handshake_failures_total"));
    }
  }

  private static SSLContext trusting(Path caFile) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(caFile)) {
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("ca-" + i++, c);
      }
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  @ParameterizedTest
  @ValueSource(strings = {"nio", "netty"})
  void readyz_turns_503_while_the_server_drains_and_healthz_stays_200(String transport) throws Exception {
    try (TestServer s = TestServer.start(transport, "--admin-listen", ADMIN, "--shutdown-timeout", "30s")) {
      InetSocketAddress admin = admin(s);
      assertEquals(200, send(admin, "GET", "/readyz").statusCode());
      assertEquals(200, send(admin, "GET", "/healthz").statusCode());
      CompletableFuture<Boolean> stopped;
      try (Socket socket = new Socket()) {
        socket.connect(s.server.address(), 5000);
        socket.setSoTimeout((int) TestServer.WAIT.toMillis());
        socket.getOutputStream().write("GET /bytes/1073741824 HTTP/1.1\r\nHost: x\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(1000, socket.getInputStream().readNBytes(1000).length, "the download is streaming");
        // The client stops reading: the transaction cannot finish, so the drain lasts until the socket closes.
        stopped = s.server.stopAsync();
        assertFalse(stopped.isDone());
        HttpResponse<String> readyz = send(admin, "GET", "/readyz");
        assertEquals(503, readyz.statusCode(), readyz.body());
        assertTrue(readyz.body().contains("draining"), readyz.body());
        assertEquals(200, send(admin, "GET", "/healthz").statusCode(), "alive while draining");
        assertEquals(0, value(scrape(s), "vconn_ready"));
        assertFalse(stopped.isDone(), "the download still holds the drain");
      } // the client leaves: the transaction ends, the drain ends, the admin listener closes
      stopped.get(TestServer.WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThrows(ConnectException.class, () -> new Socket(admin.getAddress(), admin.getPort()).close(),
          "the admin listener is closed once the server stopped");
    }
  }

  @Test
  void reload_needs_post_unknown_paths_get_404_and_other_methods_405() throws Exception {
    try (TestServer s = TestServer.start("nio", "--admin-listen", ADMIN)) {
      InetSocketAddress admin = admin(s);
      HttpResponse<String> reload = send(admin, "POST", "/reload");
      assertEquals(501, reload.statusCode(), "this server has no reload wired in yet: " + reload.body());
      assertTrue(reload.body().contains("reload not supported"), reload.body());
      HttpResponse<String> get = send(admin, "GET", "/reload");
      assertEquals(405, get.statusCode());
      assertEquals("POST", get.headers().firstValue("allow").orElse(""));
      HttpResponse<String> post = send(admin, "POST", "/metrics");
      assertEquals(405, post.statusCode());
      assertEquals("GET, HEAD", post.headers().firstValue("allow").orElse(""));
      assertEquals(405, send(admin, "DELETE", "/readyz").statusCode());
      assertEquals(405, send(admin, "PUT", "/healthz").statusCode());
      HttpResponse<String> missing = send(admin, "GET", "/_stats");
      assertEquals(404, missing.statusCode());
      assertTrue(missing.body().contains("/metrics, /healthz, /readyz, POST /reload"), missing.body());
      HttpResponse<String> head = send(admin, "HEAD", "/metrics");
      assertEquals(200, head.statusCode());
      assertEquals("", head.body());
      // The admin's own requests are not the proxy's traffic.
      assertEquals(0, s.server.proxy().stats().snapshot().transactions());
    }
  }

  @Test
  void post_reload_answers_what_the_reload_action_did_one_at_a_time_off_the_event_loops() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    AtomicReference<String> thread = new AtomicReference<>();
    List<ReloadAction.Result> results = List.of(ReloadAction.Result.applied("2 remap rules"),
        ReloadAction.Result.rejected("config file x.properties, line 3: unknown key 'lisen'"));
    try (Transport transport = Transports.load("nio", TransportConfig.defaults().withEventLoops(1))) {
      AdminServer admin = new AdminServer(transport, new InetSocketAddress("127.0.0.1", 0), HttpLimits.defaults(),
          () -> "", () -> true, () -> {
            thread.set(Thread.currentThread().getName());
            return results.get(calls.getAndIncrement());
          });
      try {
        HttpResponse<String> applied = send(admin.address(), "POST", "/reload");
        assertEquals(200, applied.statusCode(), applied.body());
        assertEquals("reloaded: 2 remap rules\n", applied.body());
        HttpResponse<String> rejected = send(admin.address(), "POST", "/reload");
        assertEquals(500, rejected.statusCode(), rejected.body());
        assertTrue(rejected.body().contains("the old configuration stays: config file x.properties, line 3"),
            rejected.body());
        assertEquals(2, calls.get());
        assertEquals("vconn-admin-reload", thread.get(), "the admin's own thread, not an event loop");
      } finally {
        admin.close();
      }
      assertThrows(IOException.class, () -> new Socket(admin.address().getAddress(), admin.address().getPort())
          .close(), "closed");
    }
  }

  @Test
  void an_admin_address_in_use_fails_the_start_and_frees_the_public_port() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int publicPort = probe.getLocalPort();
      probe.close(); // free again: the server binds it, and must give it back when the admin bind fails
      ServerCli.Outcome o = ServerCli.parse(new String[] {"--listen", "127.0.0.1:" + publicPort,
          "--admin-listen", "127.0.0.1:" + taken.getLocalPort(), "--event-loops", "1"},
          new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
      ServerSettings settings = ((ServerCli.Run) o).settings();
      assertThrows(IOException.class, () -> VconnServer.start(settings).close());
      try (ServerSocket again = new ServerSocket(publicPort, 1, InetAddress.getLoopbackAddress())) {
        assertEquals(publicPort, again.getLocalPort(), "the public listener was closed");
      }
    }
  }

  @Test
  void without_admin_listen_there_is_no_admin_listener_and_no_stats_route() throws Exception {
    try (TestServer s = TestServer.start("nio")) {
      assertTrue(s.server.adminAddress().isEmpty());
      assertFalse(s.server.describe().contains("admin"), s.server.describe());
      assertEquals(404, s.get("/metrics").statusCode(), "the public port does not serve the admin routes");
      assertEquals(404, s.get("/_stats").statusCode(), "/_stats is off unless --stats-route true");
      assertFalse(s.get("/").body().contains("/_stats"), "the index does not list it either");
    }
    try (TestServer s = TestServer.start("nio", "--stats-route", "true")) {
      assertEquals(200, s.get("/_stats").statusCode());
      assertTrue(s.get("/").body().contains("/_stats"));
    }
  }
}
