package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.pair.VConnPair;
import dev.vconn.domain.testing.WriteCountingVConn;
import dev.vconn.domain.tls.TlsContext;
import dev.vconn.domain.tls.TlsVConn;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A TLS client whose request ends the connection: the response and the server's {@code close_notify} leave in one
 * write, and the session's linger ends quietly when the client then resets the connection, as {@code openssl s_time}
 * does (docs/tls.md, "Lingering close"; docs/http.md, timeouts: linger).
 */
class HttpTlsLingerTest {
  static final String ORIGIN = "10.0.0.1:8080";
  static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

  /** A TLS client connection accepted by the proxy; the server side's record writes are counted. */
  record TlsClient(HttpRig.Client client, TlsVConn clientTls, TlsVConn serverTls, WriteCountingVConn serverInner) {
  }

  static TlsClient connect(HttpRig rig) {
    VConnPair pair = VConnPair.open(rig.loop, new VConnPair.Options("net", 0, 8, 0, HttpRig.CLIENT));
    rig.pairs.add(pair);
    WriteCountingVConn serverInner = new WriteCountingVConn(pair.passive());
    TlsContext server = TlsContext.server().certificate(res("server.pem"), res("server.key"))
        .delegatedTaskExecutor(Runnable::run).build();
    TlsContext client = TlsContext.client().trustPem(res("ca.pem")).delegatedTaskExecutor(Runnable::run).build();
    TlsVConn serverTls = TlsVConn.server(serverInner, server, rig.pool);
    serverTls.startHandshake();
    rig.proxy.sessionAcceptor().lock().lock();
    try {
      rig.proxy.sessionAcceptor().handler().handle(Event.NET_ACCEPT, serverTls);
    } finally {
      rig.proxy.sessionAcceptor().lock().unlock();
    }
    TlsVConn clientTls = TlsVConn.client(pair.active(), client, rig.pool, "localhost", 443);
    HttpRig.Client c = new HttpRig.Client(rig, clientTls);
    rig.clients.add(c);
    rig.run();
    assertTrue(serverTls.sessionInfo().isPresent(), "handshake done");
    serverInner.clearTransfers();
    return new TlsClient(c, clientTls, serverTls, serverInner);
  }

  static HttpRig rig() {
    return new HttpRig(b -> b.remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/")));
  }

  @Test
  void the_last_response_and_the_close_notify_leave_in_one_write_and_a_reset_ends_the_linger_quietly() {
    try (HttpRig rig = rig()) {
      rig.origin(ORIGIN, req -> OK);
      TlsClient t = connect(rig);
      t.client().send("GET /a HTTP/1.0\r\nHost: example.test\r\n\r\n"); // HTTP/1.0: the response ends the connection
      rig.run();

      assertEquals("ok", t.client().response().body());
      assertTrue(t.client().eos, "the client read the close_notify");
      assertEquals(1, t.serverInner().transfers().size(),
          "the response and the close_notify in one write: " + t.serverInner().transfers());
      assertEquals(1, rig.proxy.openSessions(), "lingering");

      t.clientTls().abort(Errno.ECONNRESET, null); // as openssl s_time: SO_LINGER 0, a reset after the response
      rig.run();
      assertEquals(0, rig.proxy.openSessions(), "the reset ended the linger at once");
      assertNull(t.serverTls().error(), "the reset read as the end of the stream, not as a truncation");
      assertFalse(t.serverTls().isOpen());
    }
  }

  @Test
  void bytes_the_client_sends_while_the_session_lingers_are_dropped_and_its_close_ends_the_linger() {
    try (HttpRig rig = rig()) {
      TestOrigin origin = rig.origin(ORIGIN, req -> OK);
      TlsClient t = connect(rig);
      t.client().send("GET /a HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n");
      rig.run();
      assertEquals("ok", t.client().response().body());
      assertTrue(t.client().eos);

      t.client().send("GET /b HTTP/1.1\r\nHost: example.test\r\n\r\n"); // too late: the session only drains now
      rig.run();
      assertEquals(1, rig.proxy.openSessions(), "still lingering");
      t.clientTls().close(); // close_notify, then the connection ends
      rig.run();
      assertEquals(0, rig.proxy.openSessions());
      assertNull(t.serverTls().error());
      assertEquals(1, origin.requests.size(), "the request sent during the linger never reached the origin");
    }
  }

  private static Path res(String name) {
    try {
      return Path.of(HttpTlsLingerTest.class.getResource("/tls/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
