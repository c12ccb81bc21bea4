package dev.vconn.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.app.plugins.BuiltinRoutes;
import dev.vconn.app.support.RawOrigin;
import dev.vconn.app.support.TestOrigin;
import dev.vconn.app.support.TestServer;
import dev.vconn.ports.spi.AbstractTransport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * vconn-server end to end on one transport (a subclass per transport): a real server on an ephemeral loopback port,
 * driven by the JDK {@link HttpClient} over HTTP/1.1 and by raw sockets. Every test ends with a graceful stop and a
 * check that every IOBuffer block went back to the pool.
 */
abstract class ServerEndToEndTest {
  private static final long SIXTEEN_MIB = 16L * 1024 * 1024;

  private TestServer server;

  /** The transport under test: {@code nio} or {@code netty}. */
  abstract String transport();

  @BeforeEach
  void startDefaultServer() throws Exception {
    server = TestServer.start(transport(), "--stats-route", "true");
  }

  @AfterEach
  void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private TestServer restartWith(String... options) throws Exception {
    server.close();
    server = null;
    List<String> args = new ArrayList<>(List.of("--stats-route", "true"));
    args.addAll(List.of(options));
    server = TestServer.start(transport(), args.toArray(String[]::new));
    return server;
  }

  @Test
  void the_index_page_lists_the_routes() throws Exception {
    HttpResponse<String> r = server.get("/");
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/plain"));
    for (String route : new String[] {"/echo", "/bytes/{n}", "/stream-bytes/{n}", "/_stats", "/fanout"}) {
      assertTrue(r.body().contains(route), route + " missing from:\n" + r.body());
    }
    assertTrue(r.body().contains("transport " + transport()), r.body());
  }

  @Test
  void echo_returns_method_target_headers_and_body() throws Exception {
    HttpResponse<String> r = server.client.send(server.request("/echo?x=1&y=two")
        .header("X-Test", "hello there")
        .POST(HttpRequest.BodyPublishers.ofString("the body\nline 2"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    String body = r.body();
    assertTrue(body.startsWith("POST /echo?x=1&y=two HTTP/1.1\n"), body);
    assertTrue(body.contains("\nX-Test: hello there\n"), body);
    assertTrue(body.contains("\nContent-Length: 15\n"), body);
    assertTrue(body.contains("\nVia: 1.1 vconn\n"), body);
    assertTrue(body.endsWith("\n\nthe body\nline 2"), body);
  }

  @Test
  void echo_decodes_a_chunked_request_body() throws Exception {
    byte[] payload = new byte[100_000];
    for (int i = 0; i < payload.length; i++) {
      payload[i] = (byte) ('a' + i % 26);
    }
    // A publisher of unknown length makes the JDK client send the body chunked.
    HttpResponse<byte[]> r = server.client.send(server.request("/echo")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(payload)))
        .build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode());
    String text = new String(r.body(), StandardCharsets.ISO_8859_1);
    assertTrue(text.contains("\nTransfer-Encoding: chunked\n"), text.substring(0, 300));
    int start = text.indexOf("\n\n") + 2;
    assertEquals(payload.length, r.body().length - start);
    assertArrayEquals(payload, java.util.Arrays.copyOfRange(r.body(), start, r.body().length));
  }

  @Test
  void bytes_serves_n_bytes_with_content_length() throws Exception {
    HttpResponse<byte[]> r = server.client.send(server.request("/bytes/1000").build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode());
    assertEquals("1000", r.headers().firstValue("content-length").orElse("(none)"));
    assertFalse(r.headers().firstValue("transfer-encoding").isPresent());
    assertEquals(1000, r.body().length);
    for (int i = 0; i < r.body().length; i++) {
      assertEquals(BuiltinRoutes.patternByte(i), r.body()[i], "byte " + i);
    }
    HttpResponse<String> empty = server.get("/bytes/0");
    assertEquals("0", empty.headers().firstValue("content-length").orElse("(none)"));
    assertEquals(0, empty.body().length());
  }

  @Test
  void stream_bytes_serves_the_same_n_bytes_chunked() throws Exception {
    HttpResponse<byte[]> r = server.client.send(server.request("/stream-bytes/1000").build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode());
    assertEquals("chunked", r.headers().firstValue("transfer-encoding").orElse("(none)"));
    assertFalse(r.headers().firstValue("content-length").isPresent());
    assertEquals(1000, r.body().length);
    for (int i = 0; i < r.body().length; i++) {
      assertEquals(BuiltinRoutes.patternByte(i), r.body()[i], "byte " + i);
    }
    assertEquals(0, server.get("/stream-bytes/0").body().length());
  }

  @Test
  void bytes_rejects_a_bad_or_too_large_n_with_400() throws Exception {
    for (String route : new String[] {"/bytes/", "/stream-bytes/"}) {
      for (String n : new String[] {"abc", "-1", "", "12x", "1073741825", "99999999999999999999999"}) {
        HttpResponse<String> r = server.get(route + n);
        assertEquals(400, r.statusCode(), route + n + ": " + r.body());
        assertTrue(r.body().startsWith("400 Bad Request: " + route + "{n}"), r.body());
      }
    }
    assertEquals(400, server.get("/bytes").statusCode());
    assertEquals(400, server.get("/stream-bytes").statusCode());
  }

  @Test
  void stats_reports_the_counters_as_json() throws Exception {
    server.get("/");
    HttpResponse<String> r = server.get("/_stats");
    assertEquals(200, r.statusCode());
    assertEquals("application/json", r.headers().firstValue("content-type").orElse(""));
    assertTrue(r.body().contains("\"transport\": \"" + transport() + "\""), r.body());
    Map<String, Long> stats = server.stats(server.client);
    for (String key : new String[] {"connections", "activeConnections", "networkConnections",
        "inProcessConnections", "transactions", "networkTransactions", "inProcessTransactions", "bytesIn",
        "bytesOut", "errorResponses"}) {
      assertTrue(stats.containsKey(key), key + " missing: " + r.body());
    }
    // What the block pool holds: the /_stats transaction itself is in flight, so some blocks are out.
    for (String key : new String[] {"blockPoolOutstandingBytes", "blockPoolCachedBytes",
        "blockPoolPeakOutstandingBytes", "blockPoolDroppedBlocks"}) {
      assertTrue(stats.containsKey(key), key + " missing: " + r.body());
    }
    assertTrue(stats.get("blockPoolOutstandingBytes") > 0, r.body());
    assertTrue(stats.get("blockPoolPeakOutstandingBytes") >= stats.get("blockPoolOutstandingBytes"), r.body());
    assertTrue(stats.get("transactions") >= 2, r.body()); // "/" and the first /_stats have ended
    assertTrue(stats.get("bytesOut") > 0, r.body());
    assertEquals(0, stats.get("inProcessConnections"));
  }

  @Test
  void keep_alive_serves_several_requests_on_one_connection() throws Exception {
    HttpClient client = TestServer.newClient();
    Map<String, Long> before = server.stats(client); // opens the one connection this client will use
    for (String path : new String[] {"/", "/echo", "/bytes/10", "/bytes/100000", "/fanout?paths=/bytes/3"}) {
      assertEquals(200, server.get(client, path).statusCode(), path);
    }
    Map<String, Long> after = server.stats(client);
    assertEquals(before.get("networkConnections"), after.get("networkConnections"),
        "every request went over the first connection");
    // Six network transactions ended since (five, and the first /_stats); the fan-out added one in-process.
    assertEquals(before.get("networkTransactions") + 6, after.get("networkTransactions"));
    assertEquals(before.get("inProcessConnections") + 1, after.get("inProcessConnections"));
  }

  @Test
  void a_16_mib_body_arrives_whole_and_in_order_chunked_and_with_content_length() throws Exception {
    HttpResponse<InputStream> chunked = server.client.send(server.request("/stream-bytes/" + SIXTEEN_MIB).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertEquals("chunked", chunked.headers().firstValue("transfer-encoding").orElse("(none)"));
    assertPatternBody(chunked);
    HttpResponse<InputStream> withLength = server.client.send(server.request("/bytes/" + SIXTEEN_MIB).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(String.valueOf(SIXTEEN_MIB), withLength.headers().firstValue("content-length").orElse("(none)"));
    assertPatternBody(withLength);
  }

  /** A 200 whose body is the first 16 MiB of the {@code /bytes} pattern, read as it arrives. */
  private static void assertPatternBody(HttpResponse<InputStream> r) throws Exception {
    assertEquals(200, r.statusCode());
    long offset = 0;
    byte[] chunk = new byte[64 * 1024];
    try (InputStream in = r.body()) {
      int n;
      while ((n = in.read(chunk)) > 0) {
        for (int i = 0; i < n; i++) {
          if (chunk[i] != BuiltinRoutes.patternByte(offset + i)) {
            throw new AssertionError("byte " + (offset + i) + " is " + chunk[i]);
          }
        }
        offset += n;
      }
    }
    assertEquals(SIXTEEN_MIB, offset);
  }

  @Test
  void remap_forwards_to_an_origin_and_back() throws Exception {
    try (TestOrigin origin = new TestOrigin(TestOrigin.describing())) {
      TestServer s = restartWith("--remap", "http://*/api/=http://" + origin.authority() + "/backend/");
      HttpResponse<String> r = s.get("/api/items?id=7");
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("origin saw GET /backend/items?id=7 with 0 body bytes", r.body());
      assertEquals("test", r.headers().firstValue("x-origin").orElse(""));
      assertTrue(r.headers().firstValue("via").orElse("").contains("vconn"));
      assertEquals("1.1 vconn", origin.requests.get(0).via());

      byte[] upload = new byte[3 * 1024 * 1024 + 17];
      HttpResponse<String> post = s.client.send(s.request("/api/upload")
          .POST(HttpRequest.BodyPublishers.ofByteArray(upload)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals("origin saw POST /backend/upload with " + upload.length + " body bytes", post.body());
      s.log.await(rec -> rec.origin().equals(origin.authority()) && rec.status() == 200, 2);
    }
  }

  @Test
  void chunked_trailers_reach_a_client_that_sent_te_trailers_and_no_other() throws Exception {
    String response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n"
        + "0\r\nX-Checksum: abc\r\nSet-Cookie: s=1\r\nServer-Timing: db;dur=5\r\n\r\n";
    try (RawOrigin origin = new RawOrigin(response)) {
      restartWith("--remap", "http://*/t/=http://" + origin.authority() + "/");
      String with = rawExchange("GET /t/a HTTP/1.1\r\nHost: x\r\nTE: trailers\r\nConnection: close\r\n\r\n");
      assertEquals("hello world|X-Checksum: abc\r\nServer-Timing: db;dur=5\r\n\r\n", chunkedBodyAndTrailers(with));
      String without = rawExchange("GET /t/b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertEquals("hello world|\r\n", chunkedBodyAndTrailers(without));
      assertFalse(origin.heads.get(0).toLowerCase(Locale.ROOT).contains("\r\nte:"), origin.heads.get(0));
    }
  }

  /**
   * The decoded body of a chunked response that ends with the connection, a bar, and every byte after the last
   * chunk's size line (the trailer section and its empty line).
   */
  private static String chunkedBodyAndTrailers(String response) {
    assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
    int pos = response.indexOf("\r\n\r\n") + 4;
    assertTrue(response.substring(0, pos).contains("\r\nTransfer-Encoding: chunked\r\n"), response);
    StringBuilder body = new StringBuilder();
    while (true) {
      int lineEnd = response.indexOf("\r\n", pos);
      int size = Integer.parseInt(response.substring(pos, lineEnd), 16);
      pos = lineEnd + 2;
      if (size == 0) {
        return body + "|" + response.substring(pos);
      }
      body.append(response, pos, pos + size);
      assertEquals("\r\n", response.substring(pos + size, pos + size + 2), response);
      pos += size + 2;
    }
  }

  @Test
  void a_malformed_request_gets_400_and_the_server_keeps_serving() throws Exception {
    String response = rawExchange("GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n");
    assertTrue(response.startsWith("HTTP/1.1 400 Bad Request\r\n"), response);
    assertTrue(response.contains("\r\nConnection: close\r\n"), response);
    String smuggling = rawExchange(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    assertTrue(smuggling.startsWith("HTTP/1.1 400 "), smuggling);
    assertEquals(200, server.get("/").statusCode());
    assertEquals(200, server.get("/bytes/5").statusCode());
  }

  @Test
  void stop_refuses_new_connections_and_drains_an_in_flight_request() throws Exception {
    CompletableFuture<Void> arrived = new CompletableFuture<>();
    CompletableFuture<Void> release = new CompletableFuture<>();
    try (TestOrigin origin = new TestOrigin((exchange, body) -> {
      arrived.complete(null);
      release.get(TestServer.WAIT.toSeconds(), TimeUnit.SECONDS);
      TestOrigin.respond(exchange, 200, "finally");
    })) {
      TestServer s = restartWith("--remap", "http://*/slow/=http://" + origin.authority() + "/");
      CompletableFuture<HttpResponse<String>> inFlight = s.client.sendAsync(s.request("/slow/x").build(),
          HttpResponse.BodyHandlers.ofString());
      arrived.get(TestServer.WAIT.toSeconds(), TimeUnit.SECONDS);

      CompletableFuture<Boolean> stopped = s.server.stopAsync();
      InetSocketAddress address = s.server.address();
      assertThrows(ConnectException.class, () -> {
        try (Socket socket = new Socket()) {
          socket.connect(address, 5000);
        }
      }, "the listener is closed once stopAsync returns");
      assertFalse(stopped.isDone(), "stop waits for the transaction in flight");

      release.complete(null);
      HttpResponse<String> r = inFlight.get(TestServer.WAIT.toSeconds(), TimeUnit.SECONDS);
      assertEquals(200, r.statusCode());
      assertEquals("finally", r.body());
      assertTrue(stopped.get(TestServer.WAIT.toSeconds(), TimeUnit.SECONDS), "drained within the timeout");
      assertEquals(0, s.server.proxy().openSessions());
    }
  }

  @Test
  void stop_with_a_download_still_streaming_returns_within_the_shutdown_timeout_plus_a_margin() throws Exception {
    // The shutdown timeout bounds the whole stop: the drain, the close of what is left and the transport's close.
    Duration timeout = Duration.ofSeconds(1);
    // The transport's close after the drain: at least VconnServer.TRANSPORT_CLOSE_FLOOR, plus the forced close's
    // and the loops' stop waits when something is still open then.
    Duration margin = VconnServer.TRANSPORT_CLOSE_FLOOR.plus(AbstractTransport.FORCED_CLOSE_WAIT)
        .plus(AbstractTransport.LOOP_STOP_WAIT).plus(Duration.ofMillis(750));
    TestServer s = restartWith("--shutdown-timeout", timeout.toMillis() + "ms");
    try (Socket socket = new Socket()) {
      socket.connect(s.server.address(), 5000);
      socket.setSoTimeout((int) TestServer.WAIT.toMillis());
      socket.setReceiveBufferSize(4096);
      socket.getOutputStream().write(("GET /bytes/" + SIXTEEN_MIB + " HTTP/1.1\r\nHost: x\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      assertEquals(100_000, socket.getInputStream().readNBytes(100_000).length, "the download is streaming");
      // The client stops reading: the server's writes back up and the transaction cannot finish.
      long start = System.nanoTime();
      CompletableFuture<Boolean> stopped = s.server.stopAsync();
      Boolean drained = stopped.get(timeout.plus(margin).toMillis(), TimeUnit.MILLISECONDS);
      assertFalse(drained, "the stuck download was cut off, not drained");
      assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(timeout) >= 0,
          "stop gave the transaction the whole shutdown timeout");
    }
  }

  @Test
  void a_client_that_leaves_mid_body_costs_nothing_and_the_server_keeps_serving() throws Exception {
    for (int i = 0; i < 3; i++) {
      try (Socket socket = new Socket()) {
        socket.connect(server.server.address(), 5000);
        socket.setSoTimeout((int) TestServer.WAIT.toMillis());
        socket.getOutputStream().write(("GET /bytes/" + SIXTEEN_MIB + " HTTP/1.1\r\nHost: x\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
        byte[] some = socket.getInputStream().readNBytes(100_000);
        assertEquals(100_000, some.length);
      } // closed with most of the body unsent: the proxy aborts the transaction and the intercept
    }
    assertEquals(200, server.get("/bytes/100").statusCode());
    // stopServer() then checks that every block of the aborted transfers went back to the pool.
  }

  @Test
  void access_control_refuses_clients_the_rules_deny() throws Exception {
    TestServer s = restartWith("--ip-allow", "deny 127.0.0.0/8, allow 0.0.0.0/0");
    String answer;
    try {
      answer = rawExchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    } catch (IOException reset) {
      answer = ""; // the denial aborts the connection: a reset is as good as an end
    }
    assertEquals("", answer, "a denied client is disconnected without a response");
    assertEquals(1, s.server.proxy().stats().snapshot().deniedConnections());
    assertEquals(0, s.server.proxy().stats().snapshot().transactions());
  }

  @Test
  void connect_tunnels_to_an_allowed_port_and_echoes_a_mebibyte_both_ways() throws Exception {
    try (ServerSocket echo = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread echoer = new Thread(() -> echoOnce(echo), "e2e-echo");
      echoer.setDaemon(true);
      echoer.start();
      TestServer s = restartWith("--connect-ports", Integer.toString(echo.getLocalPort()));
      byte[] payload = new byte[1 << 20];
      new Random(7).nextBytes(payload);
      try (Socket socket = new Socket()) {
        socket.connect(s.server.address(), 5000);
        socket.setSoTimeout((int) TestServer.WAIT.toMillis());
        String target = "127.0.0.1:" + echo.getLocalPort();
        socket.getOutputStream().write(("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
        String established = readHead(socket.getInputStream());
        assertTrue(established.matches("HTTP/1\\.1 200 Connection Established\r\nDate: [A-Z][a-z]{2}, \\d{2} "
            + "[A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT\r\n\r\n"), established);
        // Write and read at once: the echo sends back while the client still sends, both ways through the tunnel.
        CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
          try {
            socket.getOutputStream().write(payload);
            socket.shutdownOutput();
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
        byte[] back = socket.getInputStream().readAllBytes();
        sent.get(TestServer.WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertArrayEquals(payload, back, "the echo came back byte for byte, then the end of the stream");
      }
      echoer.join(TestServer.WAIT.toMillis());
      assertFalse(echoer.isAlive());
    }
  }

  @Test
  void connect_to_a_port_not_allowed_gets_403() throws Exception {
    restartWith("--connect-ports", "1");
    String answer = rawExchange("CONNECT 127.0.0.1:" + server.server.address().getPort()
        + " HTTP/1.1\r\nHost: x\r\n\r\n");
    assertTrue(answer.startsWith("HTTP/1.1 403 "), answer);
  }

  /** Accepts one connection and sends back what it reads until the end of the stream, then ends its own. */
  private static void echoOnce(ServerSocket listener) {
    try (Socket c = listener.accept()) {
      c.getInputStream().transferTo(c.getOutputStream());
      c.shutdownOutput();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (true) {
      int b = in.read();
      if (b < 0) {
        return head.toString(StandardCharsets.ISO_8859_1);
      }
      head.write(b);
      if (head.size() >= 4 && head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
        return head.toString(StandardCharsets.ISO_8859_1);
      }
    }
  }

  /** Sends raw bytes on a new connection and reads until the server closes it. */
  private String rawExchange(String request) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(server.server.address(), 5000);
      socket.setSoTimeout((int) TestServer.WAIT.toMillis());
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      socket.getInputStream().transferTo(received);
      return received.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
