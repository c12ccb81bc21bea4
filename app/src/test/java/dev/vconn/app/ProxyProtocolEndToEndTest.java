package dev.vconn.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.app.support.RawOrigin;
import dev.vconn.app.support.TestServer;
import dev.vconn.domain.http.AccessLogRecord;
import dev.vconn.domain.http.ProxyProtocolStage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The PROXY protocol and the forwarding fields on vconn-server's real listeners, one subclass per transport: the
 * address a version 1 or 2 header carries is what the access log, access control and {@code X-Forwarded-For} see;
 * a listener that requires a header closes connections without a valid one, without a response; on a TLS listener
 * the header comes in plain text before the handshake. Every test ends with the server stopped and the block pool
 * back to zero ({@link TestServer#close()}).
 */
abstract class ProxyProtocolEndToEndTest {
  static final String REQUEST = "GET /x HTTP/1.1\r\nHost: client.test\r\nX-Forwarded-For: 6.6.6.6\r\n"
      + "Connection: close\r\n\r\n";

  private RawOrigin origin;
  private TestServer server;

  /** The transport under test: {@code nio} or {@code netty}. */
  abstract String transport();

  @BeforeEach
  void startOrigin() throws IOException {
    origin = new RawOrigin("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      assertEquals(0, server.server.proxy().stats().snapshot().internalErrors());
      server.close(); // checks the block pool is back to zero
    }
    origin.close();
  }

  private TestServer start(String... options) throws Exception {
    List<String> args = new ArrayList<>(List.of("--remap", "http://*/=http://" + origin.authority() + "/"));
    args.addAll(List.of(options));
    server = TestServer.start(transport(), args.toArray(String[]::new));
    return server;
  }

  /** Sends {@code bytes} on a new connection to the plain listener and returns all it gets until the close. */
  private String exchange(byte[] bytes) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(server.server.address(), (int) TestServer.WAIT.toMillis());
      s.setSoTimeout((int) TestServer.WAIT.toMillis());
      s.getOutputStream().write(bytes);
      s.getOutputStream().flush();
      s.shutdownOutput(); // a header cut short ends here, not at the header timeout
      return readAll(s.getInputStream());
    }
  }

  private static String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] b = new byte[4096];
    try {
      for (int n = in.read(b); n >= 0; n = in.read(b)) {
        got.write(b, 0, n);
      }
    } catch (SocketException e) {
      // a reset after the bytes: what arrived is the answer
    }
    return got.toString(StandardCharsets.ISO_8859_1);
  }

  static byte[] concat(byte[] a, String b) {
    byte[] tail = b.getBytes(StandardCharsets.ISO_8859_1);
    byte[] out = java.util.Arrays.copyOf(a, a.length + tail.length);
    System.arraycopy(tail, 0, out, a.length, tail.length);
    return out;
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** A version 2 PROXY header for TCP over IPv4 from {@code a.b.c.d:sport} to 127.0.0.1:80. */
  static byte[] v2Inet(int a, int b, int c, int d, int sport) {
    byte[] h = new byte[16 + 12];
    byte[] sig = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    System.arraycopy(sig, 0, h, 0, 12);
    h[12] = 0x21;
    h[13] = 0x11;
    h[15] = 12;
    h[16] = (byte) a;
    h[17] = (byte) b;
    h[18] = (byte) c;
    h[19] = (byte) d;
    h[20] = 127;
    h[23] = 1;
    h[24] = (byte) (sport >> 8);
    h[25] = (byte) sport;
    h[27] = 80;
    return h;
  }

  private AccessLogRecord logged() throws InterruptedException {
    return server.log.await(r -> r.url().equals("/x"), 1).get(0);
  }

  @Test
  void a_version_1_header_sets_the_address_the_log_and_x_forwarded_for_see() throws Exception {
    start("--proxy-protocol", "v1");
    String response = exchange(ascii("PROXY TCP4 203.0.113.7 127.0.0.1 40000 80\r\n" + REQUEST));
    assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
    assertEquals(new InetSocketAddress("203.0.113.7", 40000), logged().client());
    String head = origin.heads.get(0);
    assertTrue(head.contains("\r\nX-Forwarded-For: 6.6.6.6, 203.0.113.7\r\n"), head);
    assertTrue(head.contains("\r\nX-Forwarded-Proto: http\r\n"), head);
    assertEquals(1, server.server.proxyProtocol(false).orElseThrow().accepted());
  }

  @Test
  void the_header_towards_the_origin_carries_the_listener_headers_client_and_the_proxys_local_address()
      throws Exception {
    start("--proxy-protocol", "v1", "--origin-proxy-protocol", "v1");
    String response = exchange(ascii("PROXY TCP4 203.0.113.7 127.0.0.1 40000 80\r\n" + REQUEST));
    assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
    InetSocketAddress listener = server.server.address();
    String head = origin.heads.get(0);
    assertTrue(head.startsWith("PROXY TCP4 203.0.113.7 " + listener.getAddress().getHostAddress() + " 40000 "
        + listener.getPort() + "\r\nGET /x HTTP/1.1\r\n"), head);
  }

  @Test
  void a_version_2_header_with_replace_sends_only_its_address_and_the_clients_host() throws Exception {
    start("--proxy-protocol", "any", "--forwarded-for", "replace", "--forwarded", "replace", "--preserve-host",
        "true");
    String response = exchange(concat(v2Inet(198, 51, 100, 9, 50000), REQUEST));
    assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
    assertEquals(new InetSocketAddress("198.51.100.9", 50000), logged().client());
    String head = origin.heads.get(0);
    assertTrue(head.contains("\r\nHost: client.test\r\n"), head);
    assertTrue(head.contains("\r\nX-Forwarded-For: 198.51.100.9\r\n"), head);
    assertTrue(head.contains("\r\nForwarded: for=198.51.100.9;proto=http;host=client.test\r\n"), head);
    assertTrue(!head.contains("6.6.6.6"), head);
  }

  @Test
  void access_control_judges_the_address_the_header_carries() throws Exception {
    start("--proxy-protocol", "v1", "--ip-allow", "allow 203.0.113.0/24, deny 0.0.0.0/0");
    assertEquals("", exchange(ascii("PROXY TCP4 198.51.100.1 127.0.0.1 1000 80\r\n" + REQUEST)),
        "denied: closed without a response");
    assertTrue(exchange(ascii("PROXY TCP4 203.0.113.1 127.0.0.1 1000 80\r\n" + REQUEST))
        .startsWith("HTTP/1.1 200 OK\r\n"));
    assertEquals(1, server.server.proxy().stats().snapshot().deniedConnections());
    assertEquals(1, origin.heads.size());
  }

  @Test
  void a_listener_that_requires_a_header_closes_connections_without_a_valid_one_and_counts_them() throws Exception {
    start("--proxy-protocol", "any");
    byte[] badSignature = v2Inet(1, 2, 3, 4, 5);
    badSignature[4] = 1;
    List<byte[]> attacks = List.of(ascii(REQUEST), badSignature, ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n" + REQUEST),
        ascii("PROXY TCP6 1.2.3.4 ::1 1 2\r\n" + REQUEST), java.util.Arrays.copyOf(v2Inet(1, 2, 3, 4, 5), 27));
    for (byte[] attack : attacks) {
      assertEquals("", exchange(attack), "no response, just a close");
    }
    ProxyProtocolStage stage = server.server.proxyProtocol(false).orElseThrow();
    assertEquals(attacks.size(), stage.rejected());
    assertEquals(0, stage.accepted());
    assertTrue(origin.heads.isEmpty());
    assertEquals(0, server.server.proxy().stats().snapshot().connections(), "no HTTP session was started");
  }

  @Test
  void the_optional_mode_serves_clients_with_and_without_a_header() throws Exception {
    start("--proxy-protocol", "optional");
    assertTrue(exchange(ascii(REQUEST)).startsWith("HTTP/1.1 200 OK\r\n"));
    assertTrue(exchange(ascii("PROXY TCP4 203.0.113.8 127.0.0.1 1000 80\r\n" + REQUEST))
        .startsWith("HTTP/1.1 200 OK\r\n"));
    List<AccessLogRecord> records = server.log.await(r -> r.url().equals("/x"), 2);
    assertEquals(((InetSocketAddress) records.get(0).client()).getAddress().getHostAddress(), "127.0.0.1");
    assertEquals(new InetSocketAddress("203.0.113.8", 1000), records.get(1).client());
  }

  @Test
  void on_a_tls_listener_the_header_comes_in_plain_text_before_the_handshake() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("vconn-pp-tls");
    for (String name : List.of("ca.pem", "server.pem", "server.key")) {
      try (InputStream in = ProxyProtocolEndToEndTest.class.getResourceAsStream("/tls/" + name)) {
        java.nio.file.Files.copy(in, dir.resolve(name));
      }
    }
    start("--tls-listen", "127.0.0.1:0", "--tls-cert", dir.resolve("server.pem").toString(), "--tls-key",
        dir.resolve("server.key").toString(), "--tls-proxy-protocol", "v2");
    InetSocketAddress tls = server.server.tlsAddress().orElseThrow();
    try (Socket plain = new Socket()) {
      plain.connect(tls, (int) TestServer.WAIT.toMillis());
      plain.setSoTimeout((int) TestServer.WAIT.toMillis());
      plain.getOutputStream().write(v2Inet(192, 0, 2, 44, 443));
      plain.getOutputStream().flush();
      try (SSLSocket s = (SSLSocket) trusting(dir.resolve("ca.pem")).getSocketFactory()
          .createSocket(plain, "localhost", tls.getPort(), true)) {
        s.startHandshake();
        s.getOutputStream().write(ascii(REQUEST));
        s.getOutputStream().flush();
        assertTrue(readAll(s.getInputStream()).startsWith("HTTP/1.1 200 OK\r\n"));
      }
    }
    AccessLogRecord r = logged();
    assertEquals(new InetSocketAddress("192.0.2.44", 443), r.client());
    String head = origin.heads.get(0);
    assertTrue(head.contains("\r\nX-Forwarded-For: 6.6.6.6, 192.0.2.44\r\n"), head);
    assertTrue(head.contains("\r\nX-Forwarded-Proto: https\r\n"), head);
    try (Socket noHeader = new Socket()) { // a TLS client without the header is closed before any handshake byte
      noHeader.connect(tls, (int) TestServer.WAIT.toMillis());
      noHeader.setSoTimeout((int) TestServer.WAIT.toMillis());
      noHeader.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0});
      assertEquals("", readAll(noHeader.getInputStream()));
    }
    assertEquals(1, server.server.proxyProtocol(true).orElseThrow().rejected());
  }

  private static SSLContext trusting(java.nio.file.Path caFile) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    int i = 0;
    try (InputStream in = java.nio.file.Files.newInputStream(caFile)) {
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
}
