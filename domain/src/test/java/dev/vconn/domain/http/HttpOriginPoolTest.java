package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Retries of idempotent requests, and the keep-alive pool of origin connections. */
class HttpOriginPoolTest {
  static final String ORIGIN = "10.0.0.1:8080";

  static HttpRig rig(Consumer<HttpProxyConfig.Builder> more) {
    return new HttpRig(b -> {
      b.remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/"));
      more.accept(b);
    });
  }

  static String ok(String body) {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
  }

  static String request(String method, String path) {
    return method + " " + path + " HTTP/1.1\r\nHost: example.test\r\n"
        + (method.equals("POST") ? "Content-Length: 4\r\n\r\nbody" : "\r\n");
  }

  /** Open connections the pool counts toward {@code maxConnectionsPerOrigin}. */
  static int openCount(HttpRig rig) {
    return rig.proxy.originPool().openCount(ORIGIN);
  }

  @Nested
  class Retries {
    @Test
    void get_is_retried_once_on_a_new_connection_after_connect_refused() {
      try (HttpRig rig = rig(b -> {})) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("second try"));
        origin.refuseNext = 1;
        HttpRig.Client c = rig.client();
        c.send(request("GET", "/"));
        rig.run();
        assertEquals("second try", c.response().body());
        assertEquals(List.of(ORIGIN, ORIGIN), rig.connectAttempts);
        assertEquals(1, origin.connections());
      }
    }

    @Test
    void post_is_not_retried_after_connect_refused() {
      try (HttpRig rig = rig(b -> {})) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("never"));
        origin.refuseNext = 1;
        HttpRig.Client c = rig.client();
        c.send(request("POST", "/"));
        rig.run();
        assertEquals(502, c.response().status());
        assertEquals(1, rig.connectAttempts.size());
        assertEquals(0, origin.requests.size());
        assertTrue(c.eos);
      }
    }

    @Test
    void retries_are_bounded_by_max_retries() {
      try (HttpRig rig = rig(b -> b.maxRetries(3))) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("never"));
        origin.refuse = true;
        HttpRig.Client c = rig.client();
        c.send(request("GET", "/"));
        rig.run();
        assertEquals(502, c.response().status());
        assertEquals(4, rig.connectAttempts.size(), "one attempt plus three retries");
        assertEquals(0, openCount(rig), "failed attempts give their slot back");
      }
    }

    @Test
    void no_retry_with_max_retries_zero() {
      try (HttpRig rig = rig(b -> b.maxRetries(0))) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("never"));
        origin.refuseNext = 1;
        HttpRig.Client c = rig.client();
        c.send(request("GET", "/"));
        rig.run();
        assertEquals(502, c.response().status());
        assertEquals(1, rig.connectAttempts.size());
      }
    }

    @Test
    void each_transaction_gets_its_own_retry_budget() {
      try (HttpRig rig = rig(b -> {})) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("ok"));
        origin.refuseNext = 3;
        HttpRig.Client first = rig.client();
        first.send(request("GET", "/"));
        rig.run();
        assertEquals(502, first.response().status(), "two refusals use up one retry");
        HttpRig.Client second = rig.client();
        second.send(request("GET", "/"));
        rig.run();
        assertEquals(200, second.response().status(), "refused once more, then connected");
        assertEquals(4, rig.connectAttempts.size());
      }
    }

    @Test
    void a_request_sent_on_a_connection_that_then_resets_is_not_retried_even_if_idempotent() {
      try (HttpRig rig = rig(b -> {})) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("never"));
        origin.resetAfterRequest = true;
        HttpRig.Client c = rig.client();
        c.send(request("PUT", "/"));
        rig.run();
        assertEquals(502, c.response().status());
        assertEquals(1, origin.requests.size(), "bytes were sent: a retry could repeat a side effect");
      }
    }
  }

  @Nested
  class IdleConnections {
    @Test
    void connection_the_origin_closes_while_idle_leaves_the_pool_and_the_next_request_opens_a_new_one() {
      try (HttpRig rig = rig(b -> {})) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("conn " + req.connection()));
        HttpRig.Client c = rig.client();
        c.send(request("GET", "/1"));
        rig.run();
        assertEquals(1, rig.proxy.idleOriginConnections());
        origin.conns.get(0).close();
        rig.run();
        assertEquals(0, rig.proxy.idleOriginConnections(), "the idle watcher saw the close");
        assertEquals(0, openCount(rig));
        c.send(request("GET", "/2"));
        rig.run();
        List<Response> rs = c.responses();
        assertEquals("conn 1", rs.get(1).body());
        assertEquals(2, origin.connections());
        assertEquals(1, rig.connectAttempts.size() - 1, "one new connection, no retry");
      }
    }

    @Test
    void get_on_a_pooled_connection_closed_at_the_same_moment_still_succeeds() {
      try (HttpRig rig = rig(b -> {})) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("conn " + req.connection()));
        HttpRig.Client c = rig.client();
        c.send(request("GET", "/1"));
        rig.run();
        origin.conns.get(0).close(); // not yet seen by the proxy when the next request arrives
        c.send(request("GET", "/2"));
        rig.run();
        List<Response> rs = c.responses();
        assertEquals(2, rs.size(), c.received());
        assertEquals("conn 1", rs.get(1).body());
        assertFalse(c.eos);
      }
    }

    @Test
    void idle_connection_that_receives_unsolicited_bytes_leaves_the_pool() {
      try (HttpRig rig = rig(b -> {})) {
        ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
        HttpRig.Client c = rig.client();
        c.send(request("GET", "/1"));
        rig.run();
        origin.conn(0).send(ok("one"));
        rig.run();
        assertEquals(1, rig.proxy.idleOriginConnections());
        origin.conn(0).send("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"); // nobody asked
        rig.run();
        assertEquals(0, rig.proxy.idleOriginConnections());
        assertTrue(origin.conn(0).eos, "the proxy closed it");
        assertEquals(0, openCount(rig));
      }
    }

    @Test
    void origin_idle_timeout_closes_pooled_connections() {
      try (HttpRig rig = rig(b -> b.timeouts(HttpTimeouts.defaults().withOriginIdle(Duration.ofSeconds(10))))) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("conn " + req.connection()));
        HttpRig.Client c = rig.client();
        c.send(request("GET", "/1"));
        rig.run();
        rig.advance(Duration.ofMillis(9_999));
        assertEquals(1, rig.proxy.idleOriginConnections());
        rig.advance(Duration.ofMillis(1));
        assertEquals(0, rig.proxy.idleOriginConnections());
        assertTrue(origin.conns.get(0).closed, "closed toward the origin");
        assertEquals(0, openCount(rig));
        c.send(request("GET", "/2"));
        rig.run();
        assertEquals("conn 1", c.responses().get(1).body());
      }
    }

    @Test
    void max_idle_per_origin_is_respected() {
      try (HttpRig rig = rig(b -> b.maxIdlePerOrigin(1))) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("ok"));
        HttpRig.Client a = rig.client();
        HttpRig.Client b = rig.client();
        HttpRig.Client c = rig.client();
        a.send(request("GET", "/a"));
        b.send(request("GET", "/b"));
        c.send(request("GET", "/c"));
        rig.run(); // all three in flight at once: three connections
        assertEquals(3, origin.connections());
        assertEquals(1, rig.proxy.idleOriginConnections());
        assertEquals(1, openCount(rig), "the two beyond the idle limit were closed");
        assertEquals(2, origin.conns.stream().filter(k -> k.closed).count());
      }
    }

    @Test
    void max_idle_zero_disables_pooling() {
      try (HttpRig rig = rig(b -> b.maxIdlePerOrigin(0))) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("ok"));
        HttpRig.Client c = rig.client();
        c.send(request("GET", "/1"));
        rig.run();
        c.send(request("GET", "/2"));
        rig.run();
        assertEquals(2, c.responses().size());
        assertEquals(2, origin.connections());
        assertEquals(0, rig.proxy.idleOriginConnections());
      }
    }

    @Test
    void connection_close_from_the_origin_is_not_pooled() {
      try (HttpRig rig = rig(b -> {})) {
        TestOrigin origin = rig.origin(ORIGIN,
            req -> "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
        HttpRig.Client c = rig.client();
        c.send(request("GET", "/1"));
        rig.run();
        c.send(request("GET", "/2"));
        rig.run();
        List<Response> rs = c.responses();
        assertEquals(2, rs.size());
        assertFalse(rs.get(0).has("Connection"), "the origin's Connection: close is its own hop");
        assertFalse(c.eos);
        assertEquals(2, origin.connections());
      }
    }
  }

  /**
   * Origins that close a keep-alive connection right after a response without saying {@code Connection: close}.
   * Over TCP the proxy may not read the FIN before it reuses the connection; the pair shows the same when the FIN
   * comes after the next request was written. Such a request goes again, once, on a new connection.
   */
  @Nested
  class StalePooledConnections {
    static final String GET_2 = "GET /2 HTTP/1.1\r\nHost: example.test\r\n\r\n";

    /** One request answered on connection 0 with {@code response}; the connection is pooled afterwards. */
    HttpRig.Client firstExchange(HttpRig rig, ManualOrigin origin, String response) {
      HttpRig.Client c = rig.client();
      c.send(request("GET", "/1"));
      rig.run();
      origin.conn(0).send(response);
      rig.run();
      assertEquals(200, c.response().status(), c.received());
      assertEquals(1, rig.proxy.idleOriginConnections(), "pooled");
      return c;
    }

    /** The next request reaches connection 0, which then closes without a byte of response. */
    void secondRequestMeetsAClose(HttpRig rig, ManualOrigin origin, HttpRig.Client c) {
      c.send(GET_2);
      rig.run();
      assertTrue(origin.conn(0).received().endsWith(GET_2.replace("example.test", ORIGIN)
          .replace("\r\n\r\n", "\r\nVia: 1.1 vconn\r\n\r\n")), origin.conn(0).received());
      origin.conn(0).close();
      rig.run();
    }

    /** The retried request arrives whole on connection 1, which answers it. */
    void answeredOnANewConnection(HttpRig rig, ManualOrigin origin, HttpRig.Client c) {
      assertEquals(2, origin.conns.size(), "a new connection for the retry");
      assertTrue(origin.conn(1).received().startsWith("GET /2 HTTP/1.1\r\n"), origin.conn(1).received());
      origin.conn(1).send(ok("two"));
      rig.run();
      List<Response> rs = c.responses();
      assertEquals(2, rs.size(), c.received());
      assertEquals(200, rs.get(1).status());
      assertEquals("two", rs.get(1).body());
      assertFalse(c.eos, "the client connection stays alive");
      assertEquals(1, openCount(rig), "the closed connection gave its slot back");
    }

    @Test
    void origin_closing_a_content_length_connection_after_the_next_request_was_written_gets_it_retried() {
      // maxRetries 0: the retry on a new connection does not use the budget for failed connects.
      try (HttpRig rig = rig(b -> b.maxRetries(0))) {
        ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
        HttpRig.Client c = firstExchange(rig, origin, ok("one"));
        secondRequestMeetsAClose(rig, origin, c);
        answeredOnANewConnection(rig, origin, c);
        assertEquals(List.of(200, 200), rig.log.stream().map(AccessLogRecord::status).toList());
      }
    }

    @Test
    void after_a_bare_lf_response_head_the_next_request_is_retried_on_a_new_connection() {
      try (HttpRig rig = rig(b -> {})) {
        ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
        HttpRig.Client c = firstExchange(rig, origin, "HTTP/1.1 200 OK\nContent-Length: 3\n\none");
        secondRequestMeetsAClose(rig, origin, c);
        answeredOnANewConnection(rig, origin, c);
      }
    }

    @Test
    void after_a_body_sent_at_one_byte_per_second_the_next_request_is_retried_on_a_new_connection() {
      try (HttpRig rig = rig(b -> {})) {
        ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
        HttpRig.Client c = rig.client();
        c.send(request("GET", "/1"));
        rig.run();
        origin.conn(0).send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
        for (char ch : "slow!".toCharArray()) {
          rig.advance(Duration.ofSeconds(1));
          origin.conn(0).send(String.valueOf(ch));
        }
        rig.run();
        assertEquals("slow!", c.response().body());
        assertEquals(1, rig.proxy.idleOriginConnections());
        secondRequestMeetsAClose(rig, origin, c);
        answeredOnANewConnection(rig, origin, c);
      }
    }

    @Test
    void the_retry_happens_once_a_second_close_is_502() {
      try (HttpRig rig = rig(b -> {})) {
        ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
        HttpRig.Client c = firstExchange(rig, origin, ok("one"));
        secondRequestMeetsAClose(rig, origin, c);
        assertEquals(2, origin.conns.size());
        origin.conn(1).close();
        rig.run();
        assertEquals(502, c.responses().get(1).status());
        assertEquals(2, origin.conns.size(), "no third connection");
        assertEquals(0, openCount(rig));
      }
    }

    @Test
    void post_whose_body_went_out_on_a_reused_connection_that_then_closes_is_not_retried() {
      try (HttpRig rig = rig(b -> {})) {
        ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
        HttpRig.Client c = firstExchange(rig, origin, ok("one"));
        c.send(request("POST", "/p"));
        rig.run();
        assertTrue(origin.conn(0).received().endsWith("\r\n\r\nbody"), "the origin has the whole POST");
        origin.conn(0).close();
        rig.run();
        List<Response> rs = c.responses("GET", "POST");
        assertEquals(502, rs.get(1).status(), c.received());
        assertEquals(1, origin.conns.size(), "a retry could repeat the POST's side effect");
        assertFalse(c.eos, "the POST was fully read: the 502 keeps the client connection");
        assertEquals(0, openCount(rig));
      }
    }

    @Test
    void post_whose_body_was_not_sent_yet_is_retried_on_a_new_connection() {
      try (HttpRig rig = rig(b -> {})) {
        ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
        HttpRig.Client c = firstExchange(rig, origin, ok("one"));
        c.send("POST /p HTTP/1.1\r\nHost: example.test\r\nContent-Length: 4\r\n\r\n");
        rig.run();
        assertTrue(origin.conn(0).received().endsWith("Content-Length: 4\r\nVia: 1.1 vconn\r\n\r\n"),
            origin.conn(0).received());
        origin.conn(0).close();
        rig.run();
        assertEquals(2, origin.conns.size(), "only the head went out: the origin cannot have acted on it");
        c.send("body");
        rig.run();
        assertTrue(origin.conn(1).received().startsWith("POST /p HTTP/1.1\r\n"), origin.conn(1).received());
        assertTrue(origin.conn(1).received().endsWith("\r\n\r\nbody"), origin.conn(1).received());
        origin.conn(1).send(ok("posted"));
        rig.run();
        assertEquals("posted", c.responses("GET", "POST").get(1).body());
      }
    }

    @Test
    void bytes_the_origin_pushes_into_an_idle_connection_in_the_same_round_are_not_the_next_response() {
      try (HttpRig rig = rig(b -> {})) {
        ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
        HttpRig.Client c = firstExchange(rig, origin, ok("one"));
        c.send(GET_2); // reaches the proxy before the idle watcher hears of the bytes below
        origin.conn(0).send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale");
        rig.run();
        assertEquals(2, origin.conns.size(), "the connection with unread bytes is not reused");
        assertTrue(origin.conn(0).eos, "it was closed");
        origin.conn(1).send(ok("two"));
        rig.run();
        assertEquals("two", c.responses().get(1).body(), c.received());
      }
    }
  }

  @Nested
  class ConnectionLimit {
    @Test
    void max_connections_per_origin_gives_503_beyond_the_limit() {
      try (HttpRig rig = rig(b -> b.maxConnectionsPerOrigin(1))) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("served " + req.head().target()));
        origin.defer = true;
        HttpRig.Client a = rig.client();
        a.send(request("GET", "/a"));
        rig.run();
        HttpRig.Client b = rig.client();
        b.send(request("GET", "/b"));
        rig.run();
        assertEquals(503, b.response().status());
        assertFalse(b.eos, "the GET was fully read: the 503 keeps the client connection");
        origin.answerDeferred();
        rig.run();
        assertEquals("served /a", a.response().body());
        origin.defer = false;
        HttpRig.Client c = rig.client();
        c.send(request("GET", "/c"));
        rig.run();
        assertEquals("served /c", c.response().body(), "the pooled connection serves the next client");
        assertEquals(1, origin.connections());
        assertEquals(1, openCount(rig));
      }
    }

    @Test
    void a_closed_connection_frees_its_slot() {
      try (HttpRig rig = rig(b -> b.maxConnectionsPerOrigin(1).maxIdlePerOrigin(0))) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("ok"));
        for (int i = 0; i < 3; i++) {
          HttpRig.Client c = rig.client();
          c.send(request("GET", "/" + i));
          rig.run();
          assertEquals(200, c.response().status(), "request " + i);
          c.close();
        }
        assertEquals(3, origin.connections());
        assertEquals(0, openCount(rig));
      }
    }
  }
}
