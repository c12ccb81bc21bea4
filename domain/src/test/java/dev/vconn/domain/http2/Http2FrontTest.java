package dev.vconn.domain.http2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.http.HttpProxyConfig;
import dev.vconn.domain.http.HttpTimeouts;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.domain.pair.VConnPair;
import dev.vconn.domain.tls.TlsContext;
import dev.vconn.domain.tls.TlsVConn;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Http2Front}: which session a connection goes to, what it is handed, and what happens to connections that
 * never decide; on the virtual-time loop, with a recording stand-in for the HTTP/2 session and the real HTTP/1
 * session (a proxy without remap rules, so every HTTP/1 request gets its 404).
 */
class Http2FrontTest {
  private static final SocketAddress CLIENT = new InetSocketAddress("192.0.2.7", 40001);
  private static final Duration HEADER_TIMEOUT = Duration.ofSeconds(10);

  private final BlockPool pool = new BlockPool();
  private final VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
  private final List<FakeSession> started = new ArrayList<>();
  private final List<VConnPair> pairs = new ArrayList<>();
  private final List<Client> clients = new ArrayList<>();
  private HttpProxy proxy;
  private Http2Front front;

  private void build(Consumer<HttpProxyConfig.Builder> customize) {
    HttpProxyConfig.Builder b = HttpProxyConfig.builder(pool)
        .timeouts(HttpTimeouts.defaults().withHeader(HEADER_TIMEOUT));
    customize.accept(b);
    proxy = new HttpProxy(b.build());
    front = new Http2Front(proxy, (client, alreadyRead, id, address) -> {
      FakeSession s = new FakeSession(client, alreadyRead, id, address);
      started.add(s);
      return s;
    });
  }

  private void build() {
    build(b -> { });
  }

  @AfterEach
  void everything_is_closed_and_every_block_returned() {
    started.forEach(FakeSession::finish);
    proxy.close();
    front.close();
    loop.runUntilIdle();
    clients.forEach(Client::close);
    pairs.forEach(p -> p.active().close());
    loop.runUntilIdle();
    assertEquals(0, proxy.openSessions(), "HTTP/1 sessions left open");
    assertEquals(0, front.openSessions(), "HTTP/2 sessions left open");
    for (VConnPair p : pairs) {
      assertTrue(p.isFreed(), "pair left open: " + p);
    }
    assertEquals(0, pool.outstanding(), "blocks not returned to the pool: " + pool);
  }

  /** A network-like client connection accepted by the front (a pair end; the HTTP/1 session sees it as such). */
  private Client connect() {
    VConnPair pair = VConnPair.open(loop, new VConnPair.Options("net", 0, 8, 0, CLIENT));
    pairs.add(pair);
    accept(pair.passive());
    Client c = new Client(pair.active());
    clients.add(c);
    return c;
  }

  private void accept(VConn vconn) {
    Continuation acceptor = front.sessionAcceptor();
    acceptor.lock().lock();
    try {
      acceptor.handler().handle(Event.NET_ACCEPT, vconn);
    } finally {
      acceptor.lock().unlock();
    }
  }

  /** A connection an earlier stage (a PROXY protocol header reader) read {@code early} from and hands on. */
  private Client connectAfterEarlierStage(String early, SocketAddress headerAddress) {
    VConnPair pair = VConnPair.open(loop, new VConnPair.Options("net", 0, 8, 0, CLIENT));
    pairs.add(pair);
    IOBuffer buffer = new IOBuffer(pool);
    IOBufferReader reader = buffer.allocReader();
    buffer.write(early.getBytes(StandardCharsets.ISO_8859_1));
    front.accept(pair.passive(), reader, headerAddress);
    Client c = new Client(pair.active());
    clients.add(c);
    return c;
  }

  // ------------------------------------------------------------------------------------------------ chained

  @Test
  void octets_an_earlier_stage_read_count_toward_the_preface_and_its_address_reaches_the_http2_session() {
    build();
    SocketAddress header = new InetSocketAddress("198.51.100.9", 5555);
    Client c = connectAfterEarlierStage(Http2Front.PREFACE.substring(0, 10), header);
    loop.runReady();
    assertTrue(started.isEmpty(), "ten octets of the preface decide nothing");
    c.send(Http2Front.PREFACE.substring(10));
    loop.runReady();
    assertEquals(1, started.size());
    assertEquals(Http2Front.PREFACE, started.get(0).alreadyRead);
    assertEquals(header, started.get(0).clientAddress, "the earlier stage's address, not the connection's");
  }

  @Test
  void octets_an_earlier_stage_read_that_already_differ_go_to_http1_without_another_read() {
    build();
    Client c = connectAfterEarlierStage("GET / HTTP/1.1\r\nHost: x\r\n\r\n", new InetSocketAddress("198.51.100.9", 1));
    loop.runReady();
    assertTrue(started.isEmpty());
    assertTrue(c.received().startsWith("HTTP/1.1 404 "), c.received());
  }

  @Test
  void access_control_judges_the_earlier_stages_address() {
    SocketAddress denied = new InetSocketAddress("203.0.113.1", 1);
    build(b -> b.accessControl(a -> a.equals(denied) ? Optional.of("no") : Optional.empty()));
    // The whole preface: judged by the connection's own address it would start an HTTP/2 session.
    // (What the HTTP/1 session then does is its own: a pair end always counts its connect options' address there.)
    connectAfterEarlierStage(Http2Front.PREFACE, denied);
    loop.runReady();
    assertTrue(started.isEmpty(), "a denied client never reaches HTTP/2");
  }

  // ------------------------------------------------------------------------------------------------ h2c

  @Test
  void the_preface_goes_to_http2_with_exactly_the_preface_as_already_read_and_the_rest_left_in_the_connection() {
    build();
    Client c = connect();
    byte[] settings = {0, 0, 0, 4, 0, 0, 0, 0, 0}; // an empty SETTINGS frame right behind the preface
    c.send(Http2Front.PREFACE).send(settings);
    loop.runReady();
    assertEquals(1, started.size(), "one HTTP/2 session");
    FakeSession s = started.get(0);
    assertEquals(Http2Front.PREFACE, s.alreadyRead, "the preface, never more than needed to decide");
    assertEquals(1, s.connectionId);
    assertEquals(CLIENT, s.clientAddress);
    s.readRest();
    loop.runReady();
    assertEquals(ascii(settings), s.rest.toString(StandardCharsets.ISO_8859_1), "the frame stays for the session");
    assertEquals(0, proxy.openSessions(), "no HTTP/1 session");
    assertEquals(new Http2Front.Stats(1, 1, 0, 0), front.stats());
  }

  @Test
  void a_preface_sent_one_octet_at_a_time_still_goes_to_http2() {
    build();
    Client c = connect();
    for (char ch : Http2Front.PREFACE.toCharArray()) {
      assertEquals(0, started.size());
      c.send(String.valueOf(ch));
      loop.runReady();
    }
    assertEquals(1, started.size());
    assertEquals(Http2Front.PREFACE, started.get(0).alreadyRead);
  }

  @Test
  void every_http2_connection_gets_its_own_increasing_number() {
    build();
    for (int i = 0; i < 3; i++) {
      connect().send(Http2Front.PREFACE);
      loop.runReady();
    }
    assertEquals(List.of(1L, 2L, 3L), started.stream().map(s -> s.connectionId).toList());
    started.get(1).finish();
    loop.runReady();
    assertEquals(new Http2Front.Stats(3, 2, 0, 0), front.stats());
  }

  // ------------------------------------------------------------------------------------------------ HTTP/1

  @Test
  void an_http1_request_goes_to_the_http1_session_whole() {
    build();
    Client c = connect();
    c.send("GET /x HTTP/1.1\r\nHost: example.test\r\n\r\n");
    loop.runReady();
    assertEquals(0, started.size());
    assertTrue(c.received().startsWith("HTTP/1.1 404 "), c.received());
    assertEquals(1, proxy.openSessions(), "kept alive by the HTTP/1 session");
    assertEquals(1, front.stats().http1Connections());
  }

  @Test
  void requests_that_start_like_the_preface_go_to_http1_at_the_first_octet_that_differs() {
    build();
    for (String start : List.of("POST /x HTTP/1.1\r\nHost: example.test\r\nContent-Length: 0\r\n\r\n",
        "PUT /x HTTP/1.1\r\nHost: example.test\r\nContent-Length: 0\r\n\r\n")) {
      Client c = connect();
      c.send(start);
      loop.runReady();
      assertTrue(c.received().startsWith("HTTP/1.1 404 "), start + " -> " + c.received());
    }
    // The preface up to its last octet but one: still HTTP/1, which refuses what it cannot parse.
    Client almost = connect();
    almost.send(Http2Front.PREFACE.substring(0, 23) + "X");
    loop.runReady();
    assertTrue(almost.received().startsWith("HTTP/1.1 "), almost.received());
    assertEquals(0, started.size(), "no HTTP/2 session");
  }

  @Test
  void octets_that_differ_early_are_decided_without_waiting_for_24() {
    build();
    Client c = connect();
    c.send("GET / HTTP/1.1\r\n"); // 16 octets, differing at the first: the HTTP/1 session has them
    loop.runReady();
    assertEquals(1, proxy.openSessions(), "handed to HTTP/1 at once");
    c.send("Host: example.test\r\n\r\n");
    loop.runReady();
    assertTrue(c.received().startsWith("HTTP/1.1 404 "), c.received());
  }

  @Test
  void the_end_of_the_stream_before_a_decision_goes_to_http1_which_closes_silently() {
    build();
    Client c = connect();
    c.vconn.shutdown(ShutdownHow.WRITE);
    loop.runReady();
    loop.runUntilIdle();
    assertTrue(c.eos, "closed");
    assertEquals("", c.received());
    assertEquals(0, started.size());
  }

  @Test
  void a_client_that_does_not_decide_within_the_header_timeout_is_closed_without_an_answer() {
    build();
    Client silent = connect();
    Client partial = connect();
    partial.send("PRI * HT");
    loop.advance(HEADER_TIMEOUT.minusMillis(1));
    assertFalse(silent.eos || partial.eos, "not yet");
    loop.advance(Duration.ofMillis(2));
    assertTrue(silent.eos && partial.eos, "both closed");
    assertEquals("", silent.received() + partial.received());
    assertEquals(0, started.size());
    assertEquals(0, proxy.openSessions());
  }

  @Test
  void the_http1_session_gets_the_header_timeout_afresh_not_the_decisions_leftover() {
    build();
    Client c = connect();
    loop.advance(HEADER_TIMEOUT.minusSeconds(1));
    c.send("GET / HTTP/1.1\r\n");
    loop.runReady();
    loop.advance(Duration.ofSeconds(2)); // past the decision's deadline: the decision timer is cancelled
    assertFalse(c.eos, "still open: the HTTP/1 session's own timer runs");
    c.send("Host: example.test\r\n\r\n");
    loop.runReady();
    assertTrue(c.received().startsWith("HTTP/1.1 404 "), c.received());
  }

  @Test
  void a_denied_client_is_not_read_and_is_disconnected_by_the_http1_session() {
    build(b -> b.accessControl(address -> Optional.of("not on the list")));
    Client c = connect();
    c.send(Http2Front.PREFACE);
    loop.runUntilIdle();
    assertTrue(c.eos, "disconnected");
    assertEquals(0, started.size(), "never an HTTP/2 session");
    assertEquals(1, proxy.stats().snapshot().deniedConnections());
  }

  // ------------------------------------------------------------------------------------------------ drain

  @Test
  void drain_closes_undecided_connections_drains_http2_sessions_and_waits_for_them() {
    build();
    Client undecided = connect();
    Client h2 = connect();
    h2.send(Http2Front.PREFACE);
    loop.runReady();
    CompletableFuture<Void> drained = front.drain();
    loop.runReady();
    assertTrue(undecided.eos, "an undecided connection is closed at once");
    assertTrue(started.get(0).drained, "the HTTP/2 session is drained (GOAWAY)");
    assertFalse(drained.isDone(), "waits for the HTTP/2 session");
    Client late = connect();
    loop.runReady();
    assertTrue(late.eos, "refused while draining");
    started.get(0).finish();
    loop.runReady();
    assertTrue(drained.isDone(), "done once the session closed");
  }

  @Test
  void drain_with_nothing_open_completes_at_once() {
    build();
    assertTrue(front.drain().isDone());
  }

  // ------------------------------------------------------------------------------------------------ TLS

  @Test
  void a_tls_connection_that_agreed_h2_by_alpn_goes_to_http2_with_nothing_read() {
    build();
    Client c = tlsConnect("h2", "http/1.1");
    assertTrue(loop.runUntil(() -> !started.isEmpty(), Duration.ofSeconds(30)), "an HTTP/2 session started");
    FakeSession s = started.get(0);
    assertNull(s.alreadyRead, "nothing was read: the session reads the preface itself");
    assertTrue(s.client instanceof TlsVConn);
    assertEquals(1, s.connectionId);
    assertEquals(CLIENT, s.clientAddress);
    assertEquals(0, proxy.openSessions());
    c.close();
  }

  @Test
  void a_tls_connection_that_agreed_http11_goes_to_http1() {
    build();
    Client c = tlsConnect("http/1.1");
    c.send("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
    assertTrue(loop.runUntil(() -> c.received().startsWith("HTTP/1.1 404 "), Duration.ofSeconds(30)),
        c.received());
    assertEquals(0, started.size());
  }

  @Test
  void a_failed_handshake_goes_to_http1_which_counts_and_closes_the_connection() {
    build();
    Client c = tlsConnect("h3"); // no protocol in common: the server's handshake fails
    assertTrue(loop.runUntil(() -> c.eos, Duration.ofSeconds(30)), "the connection ends");
    loop.runUntilIdle();
    assertEquals(0, started.size());
    assertEquals(1, proxy.stats().snapshot().connections(), "counted by the HTTP/1 session, as before the front");
    assertEquals(0, proxy.openSessions());
  }

  private Client tlsConnect(String... alpn) {
    VConnPair pair = VConnPair.open(loop, new VConnPair.Options("net", 0, 8, 0, CLIENT));
    pairs.add(pair);
    TlsContext server = TlsContext.server().certificate(res("server.pem"), res("server.key"))
        .alpn(Http2Front.ALPN_H2, "http/1.1").delegatedTaskExecutor(Runnable::run).build();
    TlsContext.ClientBuilder client = TlsContext.client().trustPem(res("ca.pem")).delegatedTaskExecutor(Runnable::run);
    client.alpn(alpn);
    TlsVConn serverEnd = TlsVConn.server(pair.passive(), server, pool);
    serverEnd.startHandshake();
    accept(serverEnd);
    Client c = new Client(TlsVConn.client(pair.active(), client.build(), pool, "localhost", 443));
    clients.add(c);
    return c;
  }

  private static Path res(String name) {
    try {
      return Path.of(Http2FrontTest.class.getResource("/tls/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String ascii(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  /** Stands in for {@link Http2ServerSession}: records what it was handed, frees its reader, closes when told. */
  private final class FakeSession implements Http2Front.Session {
    final VConn client;
    final String alreadyRead;
    final long connectionId;
    final SocketAddress clientAddress;
    final CompletableFuture<Void> closed = new CompletableFuture<>();
    final ByteArrayOutputStream rest = new ByteArrayOutputStream();
    IOBuffer restBuffer;
    boolean drained;

    FakeSession(VConn client, IOBufferReader alreadyRead, long connectionId, SocketAddress clientAddress) {
      this.client = client;
      this.connectionId = connectionId;
      this.clientAddress = clientAddress;
      if (alreadyRead == null) {
        this.alreadyRead = null;
      } else {
        byte[] b = new byte[(int) alreadyRead.readAvail()];
        alreadyRead.read(b, 0, b.length);
        this.alreadyRead = ascii(b);
        alreadyRead.free(); // as the real session: it frees its reader, the front closes the buffer
      }
    }

    void readRest() {
      restBuffer = new IOBuffer(pool);
      IOBufferReader r = restBuffer.allocReader();
      Continuation cont = new Continuation((event, data) -> {
        byte[] b = new byte[(int) r.readAvail()];
        r.read(b, 0, b.length);
        rest.write(b, 0, b.length);
      });
      client.read(cont, Long.MAX_VALUE, restBuffer);
    }

    void finish() {
      client.close();
      if (restBuffer != null) {
        restBuffer.close();
      }
      closed.complete(null);
    }

    @Override
    public void drain() {
      drained = true;
    }

    @Override
    public void close() {
      finish();
    }

    @Override
    public CompletableFuture<Void> closed() {
      return closed;
    }

    @Override
    public int openStreams() {
      return 0;
    }
  }

  /** The client end: writes what it is given, reads everything. */
  private final class Client {
    final VConn vconn;
    final IOBuffer out = new IOBuffer(pool);
    final IOBufferReader outReader = out.allocReader();
    final IOBuffer in = new IOBuffer(pool);
    final IOBufferReader inReader = in.allocReader();
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final Continuation cont = new Continuation(this::handle);
    final WriteVio write;
    final ReadVio read;
    boolean eos;

    Client(VConn vconn) {
      this.vconn = vconn;
      read = vconn.read(cont, Long.MAX_VALUE, in);
      write = vconn.write(cont, Long.MAX_VALUE, outReader);
    }

    Client send(String text) {
      return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    Client send(byte[] bytes) {
      cont.lock().lock();
      try {
        out.write(bytes);
        write.reenable();
      } finally {
        cont.lock().unlock();
      }
      return this;
    }

    String received() {
      return received.toString(StandardCharsets.ISO_8859_1);
    }

    private void handle(Event event, Object data) {
      switch (event) {
        case READ_READY, READ_COMPLETE -> {
          byte[] b = new byte[(int) inReader.readAvail()];
          inReader.read(b, 0, b.length);
          received.write(b, 0, b.length);
          read.reenable();
        }
        case EOS, ERROR -> eos = true;
        default -> { }
      }
    }

    void close() {
      vconn.close();
      out.close();
      in.close();
    }
  }
}
