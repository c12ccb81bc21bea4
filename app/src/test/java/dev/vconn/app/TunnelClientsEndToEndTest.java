package dev.vconn.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vconn.app.support.TestOrigin;
import dev.vconn.app.support.TestServer;
import dev.vconn.app.support.WebSocketOrigin;
import dev.vconn.domain.http.AccessLogRecord;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Real tunnel clients through vconn-server on one transport (a subclass per transport): the JDK's
 * {@link WebSocket} client through an upgrade ({@code 101 Switching Protocols}) to a small WebSocket origin the test
 * starts, and curl's {@code --proxytunnel} (CONNECT, then plain HTTP inside the tunnel). Every wait is bounded by
 * {@link TestServer#WAIT}; every test ends with a graceful stop and a check that every IOBuffer block went back.
 */
abstract class TunnelClientsEndToEndTest {
  private static final int SIXTEEN_MIB = 16 * 1024 * 1024;

  private TestServer server;
  private WebSocketOrigin origin;

  /** The transport under test: {@code nio} or {@code netty}. */
  abstract String transport();

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (origin != null) {
      origin.close();
    }
  }

  // ------------------------------------------------------------------------------------------------ WebSocket

  /** Starts the WebSocket origin and a server that maps {@code /ws/} to it. */
  private void startWebSocket() throws Exception {
    origin = new WebSocketOrigin();
    server = TestServer.start(transport(), "--remap", "http://*/ws/=http://" + origin.authority() + "/chat/");
  }

  private WebSocket open(Recorder recorder) throws Exception {
    URI uri = URI.create("ws://127.0.0.1:" + server.server.address().getPort() + "/ws/echo");
    return server.client.newWebSocketBuilder().connectTimeout(TestServer.WAIT).buildAsync(uri, recorder)
        .get(TestServer.WAIT.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(TestServer.WAIT.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static Object next(LinkedBlockingQueue<Object> queue) throws InterruptedException {
    Object m = queue.poll(TestServer.WAIT.toMillis(), TimeUnit.MILLISECONDS);
    if (m == null) {
      throw new AssertionError("no message within " + TestServer.WAIT);
    }
    return m;
  }

  /**
   * After a closing handshake: the upgrade's access log line is written when its tunnel ended, and a graceful stop
   * then drains at once (a tunnel still open would hold it to the shutdown timeout and report not drained).
   */
  private void assertTunnelEndedAndNothingLeft() throws Exception {
    AccessLogRecord line = server.log.await(r -> r.status() == 101, 1).get(0);
    assertEquals("GET", line.method());
    assertEquals("/ws/echo", line.url());
    assertEquals(origin.authority(), line.origin());
    assertTrue(await(server.server.stopAsync()), "drained: no connection of the tunnel is left open");
    assertEquals(0, server.server.proxy().openSessions());
  }

  @Test
  void the_upgrade_reaches_the_origin_and_text_binary_fragmented_and_ping_messages_come_back() throws Exception {
    startWebSocket();
    Recorder client = new Recorder();
    WebSocket ws = open(client);
    WebSocketOrigin.Conn conn = origin.nextConnection();
    String head = await(conn.handshake);
    assertTrue(head.startsWith("GET /chat/echo HTTP/1.1\r\n"), head);
    assertTrue(head.contains("\r\nUpgrade: websocket\r\n"), head);
    assertTrue(head.contains("\r\nConnection: upgrade\r\n"), head);
    assertTrue(head.contains("\r\nVia: 1.1 vconn\r\n"), head);

    String text = "hello, w\u00f6rld \u2713";
    await(ws.sendText(text, true));
    assertEquals(text, next(client.messages));
    assertEquals(text, next(conn.messages));

    await(ws.sendText("frag", false));
    await(ws.sendText("mented \u2713", true));
    assertEquals("fragmented \u2713", next(conn.messages), "the origin reassembled the fragments");
    assertEquals("fragmented \u2713", next(client.messages));

    byte[] binary = new byte[256];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) i;
    }
    await(ws.sendBinary(ByteBuffer.wrap(binary), true));
    assertArrayEquals(binary, (byte[]) next(client.messages));

    await(ws.sendPing(ByteBuffer.wrap("are you there".getBytes(StandardCharsets.US_ASCII))));
    assertEquals("are you there", next(client.pongs));

    await(ws.sendClose(WebSocket.NORMAL_CLOSURE, "done"));
    assertEquals(new WebSocketOrigin.Close(1000, "done"), await(conn.closeReceived));
    await(client.closed);
    assertTunnelEndedAndNothingLeft();
  }

  @Test
  void a_16_mib_binary_message_sent_in_fragments_comes_back_intact_in_fragments() throws Exception {
    startWebSocket();
    Recorder client = new Recorder();
    client.digestBinary = true; // 16 MiB is checked by its digest, not kept
    WebSocket ws = open(client);
    WebSocketOrigin.Conn conn = origin.nextConnection();
    byte[] payload = new byte[SIXTEEN_MIB];
    new Random(16).nextBytes(payload);
    int quarter = payload.length / 4;
    for (int i = 0; i < 4; i++) {
      await(ws.sendBinary(ByteBuffer.wrap(payload, i * quarter, quarter), i == 3));
    }
    assertArrayEquals(payload, (byte[]) next(conn.messages), "the origin got the message whole and in order");
    byte[] back = (byte[]) next(client.messages);
    assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(payload), back,
        "the echo (" + payload.length / WebSocketOrigin.FRAGMENT + " fragments) came back whole and in order");
    assertEquals(SIXTEEN_MIB, client.binaryBytes);

    await(ws.sendClose(WebSocket.NORMAL_CLOSURE, ""));
    await(client.closed);
    AccessLogRecord line = server.log.await(r -> r.status() == 101, 1).get(0);
    assertTrue(line.bytesIn() > SIXTEEN_MIB && line.bytesOut() > SIXTEEN_MIB, line.toString());
    assertTunnelEndedAndNothingLeft();
  }

  @Test
  void a_close_started_by_the_client_reaches_the_origin_and_both_connections_end() throws Exception {
    startWebSocket();
    Recorder client = new Recorder();
    WebSocket ws = open(client);
    WebSocketOrigin.Conn conn = origin.nextConnection();
    await(ws.sendClose(4000, "client is done"));
    assertEquals(new WebSocketOrigin.Close(4000, "client is done"), await(conn.closeReceived));
    assertEquals(new WebSocketOrigin.Close(4000, "client is done"), await(client.closed),
        "the origin's answer reached the client");
    await(conn.endOfStream); // the client's end of TCP passed through the proxy to the origin
    assertTrue(ws.isInputClosed() && ws.isOutputClosed());
    assertTunnelEndedAndNothingLeft();
  }

  @Test
  void a_close_started_by_the_origin_reaches_the_client_and_both_connections_end() throws Exception {
    startWebSocket();
    Recorder client = new Recorder();
    WebSocket ws = open(client);
    WebSocketOrigin.Conn conn = origin.nextConnection();
    await(ws.sendText("before the close", true));
    assertEquals("before the close", next(client.messages));
    conn.close(1001, "origin going away");
    assertEquals(new WebSocketOrigin.Close(1001, "origin going away"), await(client.closed));
    assertEquals(1001, await(conn.closeReceived).code(), "the client's answer reached the origin");
    await(conn.endOfStream);
    assertTrue(ws.isInputClosed() && ws.isOutputClosed());
    assertNull(client.error.getNow(null));
    assertTunnelEndedAndNothingLeft();
  }

  @Test
  void a_frame_sent_in_the_same_write_as_the_handshake_reaches_the_origin_after_the_switch() throws Exception {
    startWebSocket();
    byte[] hello = "early".getBytes(StandardCharsets.US_ASCII);
    byte[] mask = {1, 2, 3, 4};
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.writeBytes(("GET /ws/raw HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .getBytes(StandardCharsets.ISO_8859_1));
    bytes.write(0x81); // FIN, text
    bytes.write(0x80 | hello.length); // masked, as every client frame is
    bytes.writeBytes(mask);
    for (int i = 0; i < hello.length; i++) {
      bytes.write(hello[i] ^ mask[i & 3]);
    }
    try (java.net.Socket socket = new java.net.Socket()) {
      socket.connect(server.server.address(), 5000);
      socket.setSoTimeout((int) TestServer.WAIT.toMillis());
      socket.getOutputStream().write(bytes.toByteArray()); // one write: the frame is read ahead with the head
      java.io.InputStream in = socket.getInputStream();
      String expectedHead = "HTTP/1.1 101 Switching Protocols\r\n"
          + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
          + "Via: 1.1 vconn\r\n\r\n";
      assertEquals(expectedHead, new String(in.readNBytes(expectedHead.length()), StandardCharsets.ISO_8859_1));
      assertArrayEquals(new byte[] {(byte) 0x81, 5, 'e', 'a', 'r', 'l', 'y'}, in.readNBytes(7), "the echo");
      assertEquals("early", next(origin.nextConnection().messages));
    }
    server.log.await(r -> r.status() == 101 && r.url().equals("/ws/raw"), 1);
  }

  /** Collects what the JDK client receives; asks for one message at a time. */
  private static final class Recorder implements WebSocket.Listener {
    final LinkedBlockingQueue<Object> messages = new LinkedBlockingQueue<>();
    final LinkedBlockingQueue<Object> pongs = new LinkedBlockingQueue<>();
    final CompletableFuture<WebSocketOrigin.Close> closed = new CompletableFuture<>();
    final CompletableFuture<Throwable> error = new CompletableFuture<>();
    volatile boolean digestBinary;
    volatile long binaryBytes;
    private final StringBuilder text = new StringBuilder();
    private ByteArrayOutputStream binary = new ByteArrayOutputStream();
    private MessageDigest digest;

    @Override
    public void onOpen(WebSocket ws) {
      ws.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        messages.add(text.toString());
        text.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      byte[] bytes = new byte[data.remaining()];
      data.get(bytes);
      binaryBytes += bytes.length;
      if (digestBinary) {
        if (digest == null) {
          try {
            digest = MessageDigest.getInstance("SHA-256");
          } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
          }
        }
        digest.update(bytes);
      } else {
        binary.write(bytes, 0, bytes.length);
      }
      if (last) {
        messages.add(digestBinary ? digest.digest() : binary.toByteArray());
        binary = new ByteArrayOutputStream();
        digest = null;
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
      pongs.add(StandardCharsets.US_ASCII.decode(message).toString());
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closed.complete(new WebSocketOrigin.Close(statusCode, reason));
      return null; // the JDK then answers the close if it has not sent one
    }

    @Override
    public void onError(WebSocket ws, Throwable e) {
      error.complete(e);
      closed.completeExceptionally(e);
    }
  }

  // ------------------------------------------------------------------------------------------------ curl

  /** curl's path, or null if this machine has none (.ci/run installs it). */
  private static Path curl() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(dir, "curl");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** Output, error output and exit status of a finished curl. */
  private record CurlResult(int exit, String out, String err) {}

  private static CurlResult runCurl(Path curl, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(curl.toString(), "-sS", "--max-time",
        Long.toString(TestServer.WAIT.toSeconds())));
    command.addAll(Arrays.asList(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    // Proxy settings of the environment must not steer curl past (or through another) proxy.
    for (String name : List.of("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
        "no_proxy", "NO_PROXY")) {
      pb.environment().remove(name);
    }
    Process p = pb.start();
    p.getOutputStream().close();
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
      try {
        return p.getErrorStream().readAllBytes();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(TestServer.WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("curl did not finish within " + TestServer.WAIT);
    }
    return new CurlResult(p.exitValue(), new String(out, StandardCharsets.UTF_8),
        new String(await(err), StandardCharsets.UTF_8));
  }

  @Test
  void curl_proxytunnel_connects_to_an_allowed_port_and_speaks_http_inside_the_tunnel() throws Exception {
    Path curl = curl();
    assumeTrue(curl != null, "curl is not installed");
    try (TestOrigin http = new TestOrigin(TestOrigin.describing())) {
      server = TestServer.start(transport(), "--connect-ports", Integer.toString(http.port()));
      String proxy = "http://127.0.0.1:" + server.server.address().getPort();
      CurlResult r = runCurl(curl, "-p", "-x", proxy, "http://127.0.0.1:" + http.port() + "/inside?x=1");
      assertEquals(0, r.exit(), r.err());
      assertEquals("origin saw GET /inside?x=1 with 0 body bytes", r.out());
      assertNull(http.requests.get(0).via(), "the request inside the tunnel was not touched by the proxy");
      AccessLogRecord line = server.log.await(rec -> rec.method().equals("CONNECT"), 1).get(0);
      assertEquals("127.0.0.1:" + http.port(), line.url());
      assertEquals(200, line.status());
    }
  }

  @Test
  void curl_proxytunnel_to_a_port_not_allowed_is_refused_with_403() throws Exception {
    Path curl = curl();
    assumeTrue(curl != null, "curl is not installed");
    try (TestOrigin http = new TestOrigin(TestOrigin.describing())) {
      server = TestServer.start(transport(), "--connect-ports", "1");
      String proxy = "http://127.0.0.1:" + server.server.address().getPort();
      CurlResult r = runCurl(curl, "-p", "-x", proxy, "http://127.0.0.1:" + http.port() + "/inside");
      assertNotEquals(0, r.exit());
      assertTrue(r.err().contains("403"), r.err());
      assertTrue(http.requests.isEmpty(), "nothing reached the origin");
    }
  }
}
