package dev.vconn.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.vconn.app.support.TestServer;
import dev.vconn.domain.http.AccessLogRecord;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * vconn-server over TLS on one transport (a subclass per transport), driven by real clients: {@code curl --cacert},
 * {@code openssl s_client} with ALPN and SNI, the JDK {@link HttpClient} trusting the test CA; and an {@code https://}
 * remap target served by the JDK's {@link HttpsServer} with its own certificate. The test certificates are in
 * {@code src/test/resources/tls} (test-only); one more pair is made with the README's {@code openssl req} command.
 */
abstract class TlsServerEndToEndTest {
  private static final long PROCESS_WAIT_SECONDS = 30;

  @TempDir
  Path dir;

  private TestServer server;
  private final List<AutoCloseable> closeAfter = new ArrayList<>();

  /** The transport under test: {@code nio} or {@code netty}. */
  abstract String transport();

  /** The vconn-server options choosing the TLS engine (docs/tls.md, Engines): none, the default jdk engine. */
  List<String> engineOptions() {
    return List.of();
  }

  @BeforeEach
  void copyCertificates() throws IOException {
    for (String name : List.of("ca.pem", "server.pem", "server.key", "rogue.pem", "rogue.key")) {
      try (InputStream in = TlsServerEndToEndTest.class.getResourceAsStream("/tls/" + name)) {
        Files.copy(in, dir.resolve(name));
      }
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeAfter) {
      c.close();
    }
    if (server != null) {
      server.close(); // checks the block pool is back to zero
    }
  }

  private TestServer start(String... options) throws Exception {
    List<String> args = new ArrayList<>(List.of("--tls-listen", "127.0.0.1:0", "--tls-cert", file("server.pem"),
        "--tls-key", file("server.key"), "--stats-route", "true"));
    args.addAll(engineOptions());
    args.addAll(List.of(options));
    server = TestServer.start(transport(), args.toArray(String[]::new));
    return server;
  }

  private int tlsPort() {
    return server.server.tlsAddress().orElseThrow().getPort();
  }

  private String file(String name) {
    return dir.resolve(name).toString();
  }

  @Test
  void curl_with_the_test_ca_gets_http_1_1_over_tls_and_the_connection_is_counted_and_logged() throws Exception {
    start();
    int port = tlsPort();
    Result r = run(null, "curl", "-sS", "--http1.1", "--cacert", file("ca.pem"), "--resolve",
        "localhost:" + port + ":127.0.0.1", "https://localhost:" + port + "/_stats");
    assertEquals(0, r.status(), r.toString());
    assertTrue(r.out().contains("\"tlsConnections\": {\"TLSv1.3 "), r.out());
    assertTrue(server.server.describe().contains("https://127.0.0.1:" + port + "/"), server.server.describe());
    List<AccessLogRecord> logged = server.log.await(rec -> rec.url().equals("/_stats"), 1);
    String line = logged.get(0).toLogLine();
    assertTrue(line.contains(" tls=TLSv1.3 cipher=TLS_"), line);
  }

  @Test
  void openssl_s_client_negotiates_alpn_http_1_1_and_gets_the_certificate_named_by_sni() throws Exception {
    // A second certificate, made with the README's quick-start command, chosen when the client asks for sni.test.
    Result made = run(null, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-days", "2", "-subj", "/CN=sni.test", "-addext", "subjectAltName=DNS:sni.test",
        "-keyout", file("sni.key"), "-out", file("sni.pem"));
    assertEquals(0, made.status(), made.toString());
    start("--tls-cert", file("sni.pem"), "--tls-key", file("sni.key"));
    String request = "GET /echo HTTP/1.1\r\nHost: sni.test\r\nConnection: close\r\n\r\n";

    Result sni = run(request, "openssl", "s_client", "-connect", "127.0.0.1:" + tlsPort(), "-servername",
        "sni.test", "-alpn", "http/1.1", "-CAfile", file("sni.pem"), "-verify_return_error", "-ign_eof");
    assertEquals(0, sni.status(), sni.toString());
    assertTrue(sni.out().contains("CN = sni.test") || sni.out().contains("CN=sni.test"), sni.out());
    assertTrue(sni.out().contains("ALPN protocol: http/1.1"), sni.out());
    assertTrue(sni.out().contains("Verify return code: 0 (ok)"), sni.out());
    assertTrue(sni.out().contains("HTTP/1.1 200 OK"), sni.out());
    assertTrue(sni.out().contains("GET /echo HTTP/1.1"), "the echo of the request: " + sni.out());

    Result byDefault = run(request, "openssl", "s_client", "-connect", "127.0.0.1:" + tlsPort(), "-servername",
        "localhost", "-alpn", "http/1.1", "-CAfile", file("ca.pem"), "-verify_return_error", "-ign_eof");
    assertEquals(0, byDefault.status(), byDefault.toString());
    assertTrue(byDefault.out().contains("CN = localhost") || byDefault.out().contains("CN=localhost"),
        byDefault.out());
  }

  @Test
  void the_jdk_http_client_trusting_the_test_ca_speaks_https_and_plain_http_still_works() throws Exception {
    start();
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(trusting("ca.pem"))
        .connectTimeout(TestServer.WAIT).build();
    closeAfter(client);
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + tlsPort()
          + "/echo?i=" + i)).timeout(TestServer.WAIT).POST(HttpRequest.BodyPublishers.ofString("body " + i)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body());
      assertTrue(r.body().startsWith("POST /echo?i=" + i + " HTTP/1.1"), r.body());
      assertTrue(r.body().endsWith("body " + i), r.body());
    }
    assertEquals(200, server.get("/").statusCode(), "the plain listener still serves");
  }

  @Test
  void an_https_remap_target_is_reached_with_the_origin_trust_and_a_hostname_mismatch_gets_502() throws Exception {
    HttpsServer origin = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    origin.setHttpsConfigurator(new HttpsConfigurator(serving("server.pem", "server.key")));
    origin.createContext("/", exchange -> {
      byte[] body = ("origin over TLS: " + exchange.getRequestURI() + " host=" + exchange.getRequestHeaders()
          .getFirst("Host")).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    origin.start();
    closeAfter(() -> origin.stop(0));
    int port = origin.getAddress().getPort();
    start("--origin-trust", file("ca.pem"),
        "--remap", "http://*/o/=https://localhost:" + port + "/v1/",
        "--remap", "http://*/ip/=https://127.0.0.1:" + port + "/");

    HttpResponse<String> ok = server.get("/o/item");
    assertEquals(200, ok.statusCode(), ok.body());
    assertEquals("origin over TLS: /v1/item host=localhost:" + port, ok.body());

    HttpResponse<String> mismatch = server.get("/ip/item");
    assertEquals(502, mismatch.statusCode(), "the certificate does not name 127.0.0.1: " + mismatch.body());
  }

  @Test
  void an_untrusted_https_origin_gets_502_unless_its_ca_is_given() throws Exception {
    HttpsServer origin = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    origin.setHttpsConfigurator(new HttpsConfigurator(serving("server.pem", "server.key")));
    origin.createContext("/", exchange -> {
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    origin.start();
    closeAfter(() -> origin.stop(0));
    start("--remap", "http://*/=https://localhost:" + origin.getAddress().getPort() + "/");
    assertEquals(502, server.get("/x").statusCode(), "the JDK's trust store does not know the test CA");
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** What a process printed and how it ended. */
  private record Result(int status, String out, String err) {}

  /** Runs a command with {@code input} on its stdin (then closed), bounded by {@link #PROCESS_WAIT_SECONDS}. */
  private Result run(String input, String... command) throws Exception {
    Path out = dir.resolve("out-" + System.nanoTime());
    Path err = dir.resolve("err-" + System.nanoTime());
    Process p;
    try {
      p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    } catch (IOException e) {
      throw new AssertionError(command[0] + " is needed by this test (.ci/run installs it): " + e.getMessage(), e);
    }
    try (var stdin = p.getOutputStream()) {
      if (input != null) {
        stdin.write(input.getBytes(StandardCharsets.US_ASCII));
      }
    }
    if (!p.waitFor(PROCESS_WAIT_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish within " + PROCESS_WAIT_SECONDS + " s: "
          + Files.readString(out) + Files.readString(err));
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private void closeAfter(HttpClient client) {
    closeAfter.add(() -> {
      if (client instanceof AutoCloseable c) { // JDK 21+
        c.close();
      }
    });
  }

  private void closeAfter(AutoCloseable c) {
    closeAfter.add(c);
  }

  private SSLContext trusting(String caFile) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    int i = 0;
    for (Certificate c : certificates(caFile)) {
      trust.setCertificateEntry("ca-" + i++, c);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** An SSLContext serving the PEM chain and PKCS#8 EC key (the test origin's own TLS, not vconn's). */
  private SSLContext serving(String chainFile, String keyFile) throws Exception {
    String pem = Files.readString(dir.resolve(keyFile), StandardCharsets.US_ASCII);
    String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(
        Base64.getDecoder().decode(base64)));
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    char[] password = "origin".toCharArray();
    ks.setKeyEntry("origin", key, password, certificates(chainFile).toArray(Certificate[]::new));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, password);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    return ctx;
  }

  private List<Certificate> certificates(String file) throws Exception {
    try (InputStream in = Files.newInputStream(dir.resolve(file))) {
      return new ArrayList<>(CertificateFactory.getInstance("X.509").generateCertificates(in));
    }
  }
}
