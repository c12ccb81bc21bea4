package dev.vconn.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.vconn.app.plugins.BuiltinRoutes;
import dev.vconn.app.support.TestServer;
import dev.vconn.domain.http.AccessLogRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * vconn-server speaking HTTP/2 on one transport (a subclass per transport), driven by real clients: {@code curl
 * --http2-prior-knowledge} (h2c) and {@code curl --http2} over TLS (ALPN {@code h2}), {@code openssl s_client -alpn},
 * {@code nghttp -nv}, {@code h2load}, and the JDK {@link HttpClient} with {@code HTTP_2} over TLS (it does not do h2c
 * with prior knowledge). A test whose OS tool is missing is skipped with a message naming the package
 * ({@code .ci/run} installs them). Bodies of 0 B, 100 B and 16 MiB go both ways through an echoing origin and come
 * back byte for byte; a stalled stream does not hold up another stream of the same connection; the access log has
 * {@code pitag=h2} and one {@code piid} per client connection; every test ends with a graceful stop and the block
 * pool back to zero.
 */
abstract class Http2ServerEndToEndTest {
  private static final long PROCESS_WAIT_SECONDS = 120;
  private static final int MIB_16 = 16 << 20;
  /** More than the JDK client's stream window (16 MiB by default): a stalled reader really stops the server. */
  private static final int MIB_64 = 64 << 20;

  @TempDir
  Path dir;

  private TestServer server;
  private final List<AutoCloseable> closeAfter = new ArrayList<>();

  /** The transport under test: {@code nio} or {@code netty}. */
  abstract String transport();

  @BeforeEach
  void copyCertificates() throws IOException {
    for (String name : List.of("ca.pem", "server.pem", "server.key")) {
      try (InputStream in = Http2ServerEndToEndTest.class.getResourceAsStream("/tls/" + name)) {
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
      server.close(); // a graceful stop; checks the block pool is back to zero
    }
  }

  private TestServer start(String... options) throws Exception {
    List<String> args = new ArrayList<>(List.of("--stats-route", "true", "--tls-listen", "127.0.0.1:0", "--tls-cert", file("server.pem"),
        "--tls-key", file("server.key")));
    args.addAll(List.of(options));
    server = TestServer.start(transport(), args.toArray(String[]::new));
    return server;
  }

  private String plain(String path) {
    return "http://127.0.0.1:" + server.server.address().getPort() + path;
  }

  private String tls(String path) {
    return "https://localhost:" + server.server.tlsAddress().orElseThrow().getPort() + path;
  }

  private String resolveLocalhost() {
    return "localhost:" + server.server.tlsAddress().orElseThrow().getPort() + ":127.0.0.1";
  }

  private String file(String name) {
    return dir.resolve(name).toString();
  }

  // ------------------------------------------------------------------------------------------------ curl

  @Test
  void curl_with_prior_knowledge_speaks_h2c_and_each_connection_has_its_own_piid() throws Exception {
    start();
    // One URL per curl: curl 7.88 fails a second request reused on an h2c connection with prior knowledge (against
    // nginx too); several streams on one connection are nghttp's test below.
    for (String path : List.of("/bytes/100", "/echo?second")) {
      Result r = run(null, "curl", "-sS", "--http2-prior-knowledge", "-w", "\\nversion=%{http_version}", plain(path));
      assertEquals(0, r.status(), r.toString());
      assertTrue(r.out().endsWith("\nversion=2"), "over HTTP/2: " + r.out());
      assertTrue(r.out().startsWith(path.equals("/bytes/100") ? pattern(100) : "GET /echo?second HTTP/1.1"),
          "the body, and the stream as the intercept saw it: " + r.out());
    }
    List<AccessLogRecord> logged = server.log.await(rec -> "h2".equals(rec.pluginTag()), 2);
    assertEquals(2, logged.stream().map(AccessLogRecord::pluginId).distinct().count(),
        "two client connections, two piids: " + logged);
    for (AccessLogRecord rec : logged) {
      assertTrue(rec.internal(), "each stream is an in-process transaction");
      assertTrue(rec.toLogLine().contains("pitag=h2 piid=" + rec.pluginId() + " cqint=1"), rec.toLogLine());
      assertEquals(new InetSocketAddress("127.0.0.1", ((InetSocketAddress) rec.client()).getPort()), rec.client(),
          "the real client's address");
    }
    Map<String, Long> stats = server.stats(server.client);
    assertEquals(2, stats.get("http2Connections"), stats.toString());
  }

  @Test
  void curl_over_tls_picks_h2_by_alpn_and_http_1_1_still_works_there() throws Exception {
    start();
    Result h2 = run(null, "curl", "-sS", "--http2", "--cacert", file("ca.pem"), "--resolve", resolveLocalhost(),
        "-w", "\\n%{http_version}", tls("/bytes/100"));
    assertEquals(0, h2.status(), h2.toString());
    assertTrue(h2.out().endsWith("\n2"), "HTTP/2 was agreed: " + h2.out());
    assertTrue(h2.out().startsWith(pattern(100)), h2.out());
    Result h1 = run(null, "curl", "-sS", "--http1.1", "--cacert", file("ca.pem"), "--resolve", resolveLocalhost(),
        "-w", "\\n%{http_version}", tls("/bytes/10"));
    assertEquals(0, h1.status(), h1.toString());
    assertTrue(h1.out().endsWith("\n1.1"), h1.out());
    List<AccessLogRecord> logged = server.log.await(rec -> rec.url().startsWith("/bytes/"), 2);
    assertEquals(Set.of("h2"), logged.stream().filter(rec -> rec.url().equals("/bytes/100"))
        .map(AccessLogRecord::pluginTag).collect(Collectors.toSet()));
    assertFalse(logged.stream().filter(rec -> rec.url().equals("/bytes/10")).findFirst().orElseThrow().internal(),
        "the HTTP/1.1 client is a network client as before");
  }

  @Test
  void openssl_s_client_is_offered_h2_first_and_http_2_off_offers_only_http_1_1() throws Exception {
    start();
    String port = "127.0.0.1:" + server.server.tlsAddress().orElseThrow().getPort();
    Result on = run("", "openssl", "s_client", "-connect", port, "-servername", "localhost", "-alpn",
        "h2,http/1.1", "-CAfile", file("ca.pem"));
    assertTrue(on.out().contains("ALPN protocol: h2"), on.out());
    server.close();
    server = null;
    start("--http2", "false");
    String port2 = "127.0.0.1:" + server.server.tlsAddress().orElseThrow().getPort();
    Result off = run("", "openssl", "s_client", "-connect", port2, "-servername", "localhost", "-alpn",
        "h2,http/1.1", "-CAfile", file("ca.pem"));
    assertTrue(off.out().contains("ALPN protocol: http/1.1"), off.out());
    Result prior = run(null, "curl", "-sS", "--http2-prior-knowledge", plain("/bytes/10"));
    assertTrue(prior.status() != 0, "h2c is not spoken with --http2 false: " + prior);
    assertEquals(200, server.get("/bytes/10").statusCode(), "HTTP/1.1 is");
  }

  // ------------------------------------------------------------------------------------------------ nghttp2

  @Test
  void nghttp_sees_settings_headers_and_data_frames_and_its_streams_share_one_piid() throws Exception {
    requireTool("nghttp");
    start();
    Result r = run(null, "nghttp", "-nv", plain("/bytes/100"), plain("/echo?second"), plain("/bytes/3"));
    assertEquals(0, r.status(), r.toString());
    assertTrue(r.out().contains("recv SETTINGS frame"), r.out());
    assertEquals(3, r.out().lines().filter(l -> l.contains(":status: 200")).count(), r.out());
    assertTrue(r.out().contains("recv DATA frame"), r.out());
    assertTrue(r.out().contains("END_STREAM"), r.out());
    List<AccessLogRecord> logged = server.log.await(rec -> "h2".equals(rec.pluginTag()), 3);
    assertEquals(1, logged.stream().map(AccessLogRecord::pluginId).distinct().count(),
        "three streams of one connection share its piid: " + logged);
    logged.forEach(rec -> assertTrue(rec.toLogLine().contains("pitag=h2 piid=" + rec.pluginId() + " cqint=1")));
    Result overTls = run(null, "nghttp", "-nv", tls("/bytes/100").replace("localhost", "127.0.0.1"));
    assertEquals(0, overTls.status(), overTls.toString()); // nghttp does not verify certificates
    assertTrue(overTls.out().contains(":status: 200"), overTls.out());
  }

  @Test
  void h2load_gets_10000_answers_over_10_connections_of_10_streams_without_an_error() throws Exception {
    requireTool("h2load");
    start("--access-log", "false"); // the test's own recorder still sees every record
    Result r = run(null, "h2load", "-n", "10000", "-c", "10", "-m", "10", plain("/bytes/100"));
    assertEquals(0, r.status(), r.toString());
    assertTrue(r.out().contains("10000 succeeded, 0 failed, 0 errored, 0 timeout"), r.out());
    assertTrue(r.out().contains("status codes: 10000 2xx"), r.out());
    List<AccessLogRecord> logged = server.log.await(rec -> "h2".equals(rec.pluginTag()), 10_000);
    Map<Long, Long> perConnection = new TreeMap<>(logged.stream()
        .collect(Collectors.groupingBy(AccessLogRecord::pluginId, Collectors.counting())));
    assertEquals(10, perConnection.size(), "one piid per client connection: " + perConnection);
    assertEquals(Set.of(1000L), Set.copyOf(perConnection.values()), "1000 streams each: " + perConnection);
  }

  // ------------------------------------------------------------------------------------------------ bodies

  @Test
  void bodies_of_0_100_and_16_mib_go_both_ways_byte_for_byte_with_curl_h2c() throws Exception {
    int originPort = echoOrigin();
    start("--remap", "http://*/origin/=http://127.0.0.1:" + originPort + "/");
    for (int size : new int[] {0, 100, MIB_16}) {
      byte[] body = random(size);
      Path in = dir.resolve("in-" + size);
      Path out = dir.resolve("out-" + size);
      Files.write(in, body);
      Result r = run(null, "curl", "-sS", "--http2-prior-knowledge", "-X", "PUT", "--data-binary", "@" + in,
          "-o", out.toString(), "-w", "%{http_version} %{http_code}", plain("/origin/echo"));
      assertEquals(0, r.status(), r.toString());
      assertEquals("2 200", r.out(), size + " B");
      assertArrayEquals(body, Files.readAllBytes(out), size + " B came back byte for byte");
    }
    Path big = dir.resolve("bytes");
    Result r = run(null, "curl", "-sS", "--http2-prior-knowledge", "-o", big.toString(), plain("/bytes/" + MIB_16));
    assertEquals(0, r.status(), r.toString());
    checkPattern(Files.readAllBytes(big), MIB_16);
  }

  @Test
  void the_jdk_client_speaks_http_2_over_tls_with_bodies_of_0_100_and_16_mib_both_ways() throws Exception {
    int originPort = echoOrigin();
    start("--remap", "http://*/origin/=http://127.0.0.1:" + originPort + "/");
    HttpClient client = h2Client();
    for (int size : new int[] {0, 100, MIB_16}) {
      byte[] body = random(size);
      HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(URI.create(tls("/origin/echo")))
          .timeout(TestServer.WAIT).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(HttpClient.Version.HTTP_2, r.version(), size + " B");
      assertEquals(200, r.statusCode());
      assertArrayEquals(body, r.body(), size + " B came back byte for byte");
    }
    HttpResponse<byte[]> bytes = client.send(HttpRequest.newBuilder(URI.create(tls("/bytes/" + MIB_16)))
        .timeout(TestServer.WAIT).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(HttpClient.Version.HTTP_2, bytes.version());
    checkPattern(bytes.body(), MIB_16);
    List<AccessLogRecord> logged = server.log.await(rec -> "h2".equals(rec.pluginTag()), 4);
    assertEquals(1, logged.stream().map(AccessLogRecord::pluginId).distinct().count(),
        "the JDK client keeps one HTTP/2 connection per server: " + logged);
  }

  // ------------------------------------------------------------------------------------------------ streams

  @Test
  void a_stalled_stream_does_not_hold_up_another_stream_of_the_same_connection() throws Exception {
    start();
    HttpClient client = h2Client();
    Stalling stalled = new Stalling();
    CompletableFuture<HttpResponse<Long>> slow = client.sendAsync(HttpRequest.newBuilder(
        URI.create(tls("/bytes/" + MIB_64))).timeout(TestServer.WAIT).build(), info -> stalled);
    stalled.firstItem.get(TestServer.WAIT.toSeconds(), TimeUnit.SECONDS); // the slow stream has started
    HttpResponse<String> quick = client.send(HttpRequest.newBuilder(URI.create(tls("/bytes/100")))
        .timeout(TestServer.WAIT).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, quick.statusCode());
    assertEquals(pattern(100), quick.body(), "completed while the other stream is stalled");
    assertFalse(slow.isDone(), "the stalled stream is still waiting for its reader");
    stalled.readAll();
    assertEquals(MIB_64, slow.get(TestServer.WAIT.toSeconds(), TimeUnit.SECONDS).body(),
        "then the stalled stream completes");
    List<AccessLogRecord> logged = server.log.await(rec -> "h2".equals(rec.pluginTag()), 2);
    assertEquals(1, logged.stream().map(AccessLogRecord::pluginId).distinct().count(), "one connection: " + logged);
  }

  @Test
  void a_graceful_stop_sends_goaway_lets_the_stream_in_flight_finish_and_waits_for_it() throws Exception {
    // A raw h2c client: the JDK's client (17) fails every stream on GOAWAY, whatever its last stream id says.
    start();
    int size = 1 << 20;
    try (RawH2c c = new RawH2c(server.server.address())) {
      c.get(1, "/bytes/" + size);
      while (c.dataReceived < 65_535) { // the client's initial window: then the stream waits for WINDOW_UPDATE
        c.readFrame();
      }
      CompletableFuture<Boolean> stopped = server.server.stopAsync();
      RawH2c.Frame goaway;
      do {
        goaway = c.readFrame();
      } while (goaway.type() != RawH2c.GOAWAY);
      ByteBuffer payload = ByteBuffer.wrap(goaway.payload());
      assertEquals(1, payload.getInt() & 0x7fffffff, "GOAWAY names the stream in flight as the last one");
      assertEquals(0, payload.getInt(), "NO_ERROR");
      assertFalse(stopped.isDone(), "the stop waits for the stream in flight");
      c.windowUpdate(0, size);
      c.windowUpdate(1, size);
      while (!c.ended) {
        c.readFrame();
      }
      assertEquals(size, c.dataReceived, "the whole body");
      assertTrue(stopped.get(TestServer.WAIT.toSeconds(), TimeUnit.SECONDS), "everything drained in time");
    }
  }

  // ------------------------------------------------------------------------------------------------ support

  /**
   * The least of an h2c client with prior knowledge, over a blocking socket: the preface, a GET as one HEADERS frame
   * (HPACK static-table and literal fields, no Huffman), SETTINGS acknowledged, DATA counted, WINDOW_UPDATE on demand.
   */
  private static final class RawH2c implements AutoCloseable {
    static final int DATA = 0;
    static final int HEADERS = 1;
    static final int SETTINGS = 4;
    static final int GOAWAY = 7;
    static final int WINDOW_UPDATE = 8;

    record Frame(int type, int flags, int stream, byte[] payload) {}

    final java.net.Socket socket = new java.net.Socket();
    final java.io.DataInputStream in;
    final OutputStream out;
    long dataReceived;
    boolean ended;

    RawH2c(InetSocketAddress address) throws IOException {
      socket.connect(address, (int) TestServer.WAIT.toMillis());
      socket.setSoTimeout((int) TestServer.WAIT.toMillis());
      in = new java.io.DataInputStream(new java.io.BufferedInputStream(socket.getInputStream()));
      out = socket.getOutputStream();
      out.write(dev.vconn.domain.http2.Http2Front.PREFACE.getBytes(StandardCharsets.US_ASCII));
      frame(SETTINGS, 0, 0, new byte[0]);
    }

    void get(int stream, String path) throws IOException {
      java.io.ByteArrayOutputStream block = new java.io.ByteArrayOutputStream();
      block.write(0x82); // :method GET
      block.write(0x86); // :scheme http
      literal(block, 4, path); // :path, name from the static table
      literal(block, 1, "localhost"); // :authority
      frame(HEADERS, 0x5, stream, block.toByteArray()); // END_STREAM | END_HEADERS
    }

    private static void literal(java.io.ByteArrayOutputStream block, int nameIndex, String value) {
      block.write(nameIndex); // literal without indexing, indexed name (index < 15)
      block.write(value.length()); // no Huffman, length < 127
      block.writeBytes(value.getBytes(StandardCharsets.US_ASCII));
    }

    void windowUpdate(int stream, int increment) throws IOException {
      frame(WINDOW_UPDATE, 0, stream, ByteBuffer.allocate(4).putInt(increment).array());
    }

    void frame(int type, int flags, int stream, byte[] payload) throws IOException {
      ByteBuffer header = ByteBuffer.allocate(9);
      header.put((byte) (payload.length >>> 16)).put((byte) (payload.length >>> 8)).put((byte) payload.length);
      header.put((byte) type).put((byte) flags).putInt(stream);
      out.write(header.array());
      out.write(payload);
      out.flush();
    }

    Frame readFrame() throws IOException {
      int length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
      int type = in.readUnsignedByte();
      int flags = in.readUnsignedByte();
      int stream = in.readInt() & 0x7fffffff;
      byte[] payload = new byte[length];
      in.readFully(payload);
      if (type == SETTINGS && (flags & 0x1) == 0) {
        frame(SETTINGS, 0x1, 0, new byte[0]);
      }
      if (type == DATA && stream == 1) {
        dataReceived += length;
        ended |= (flags & 0x1) != 0;
      }
      return new Frame(type, flags, stream, payload);
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** A body subscriber that takes one item and then stops asking until {@link #readAll()}. */
  private static final class Stalling implements HttpResponse.BodySubscriber<Long> {
    final CompletableFuture<Void> firstItem = new CompletableFuture<>();
    final CompletableFuture<Long> body = new CompletableFuture<>();
    final AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();
    final AtomicLong received = new AtomicLong();

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription.set(s);
      s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      items.forEach(b -> received.addAndGet(b.remaining()));
      firstItem.complete(null);
    }

    @Override
    public void onError(Throwable t) {
      firstItem.completeExceptionally(t);
      body.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      body.complete(received.get());
    }

    void readAll() {
      subscription.get().request(Long.MAX_VALUE);
    }

    @Override
    public CompletionStage<Long> getBody() {
      return body;
    }
  }

  /** An HTTP/1.1 origin that answers every request with its body, once it has read all of it. */
  private int echoOrigin() throws IOException {
    HttpServer origin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    origin.createContext("/", exchange -> {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      exchange.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
      exchange.close();
    });
    java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(4);
    origin.setExecutor(threads);
    origin.start();
    closeAfter.add(() -> {
      origin.stop(0);
      threads.shutdownNow();
    });
    return origin.getAddress().getPort();
  }

  private HttpClient h2Client() throws Exception {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(trusting("ca.pem"))
        .connectTimeout(TestServer.WAIT).build();
  }

  private SSLContext trusting(String caFile) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    int i = 0;
    try (InputStream in = Files.newInputStream(dir.resolve(caFile))) {
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

  private static byte[] random(int size) {
    byte[] b = new byte[size];
    new Random(size).nextBytes(b);
    return b;
  }

  private static String pattern(int n) {
    StringBuilder b = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      b.append((char) BuiltinRoutes.patternByte(i));
    }
    return b.toString();
  }

  private static void checkPattern(byte[] body, int n) {
    assertEquals(n, body.length);
    for (int i = 0; i < n; i++) {
      if (body[i] != BuiltinRoutes.patternByte(i)) {
        throw new AssertionError("byte " + i + " differs");
      }
    }
  }

  private static void requireTool(String tool) {
    boolean found = false;
    for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      found |= Files.isExecutable(Path.of(d, tool));
    }
    Assumptions.assumeTrue(found, tool + " is not installed: install the OS package nghttp2-client (.ci/run does)");
  }

  /** What a process printed and how it ended. */
  private record Result(int status, String out, String err) {}

  /** Runs a command with {@code input} on its stdin (then closed), bounded by {@link #PROCESS_WAIT_SECONDS}. */
  private Result run(String input, String... command) throws Exception {
    requireToolOrFail(command[0]);
    Path out = dir.resolve("out-" + System.nanoTime());
    Path err = dir.resolve("err-" + System.nanoTime());
    Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    try (var stdin = p.getOutputStream()) {
      if (input != null) {
        stdin.write(input.getBytes(StandardCharsets.US_ASCII));
      }
    }
    if (!p.waitFor(PROCESS_WAIT_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish within " + PROCESS_WAIT_SECONDS + " s: "
          + Files.readString(out, StandardCharsets.ISO_8859_1) + Files.readString(err, StandardCharsets.ISO_8859_1));
    }
    // ISO-8859-1: any octets read back (a client may print binary, e.g. frames answered as HTTP/1.1)
    return new Result(p.exitValue(), Files.readString(out, StandardCharsets.ISO_8859_1),
        Files.readString(err, StandardCharsets.ISO_8859_1));
  }

  /** curl and openssl are needed by the other end-to-end tests too; nghttp2-client may be missing (skip). */
  private static void requireToolOrFail(String tool) {
    if (tool.equals("nghttp") || tool.equals("h2load")) {
      requireTool(tool);
    }
  }
}
