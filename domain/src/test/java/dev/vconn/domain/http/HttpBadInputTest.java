package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Bad input and failing origins: each gets its exact status and a closed connection, nothing escapes, and the
 * session and its buffers are gone once the client closes too ({@code rig.close()} checks the pool).
 */
class HttpBadInputTest {
  static final String ORIGIN = "10.0.0.1:8080";
  static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

  static HttpRig rig(Consumer<HttpProxyConfig.Builder> more) {
    return new HttpRig(b -> {
      b.remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/"));
      more.accept(b);
    });
  }

  static HttpRig rig() {
    return rig(b -> {});
  }

  /**
   * Checks the one response is an error with {@code status}, {@code Connection: close} and a closed connection, and
   * that the session goes away once the client closes.
   */
  static Response assertErrorAndClosed(HttpRig rig, HttpRig.Client c, int status) {
    Response r = c.response();
    assertEquals(status, r.status(), c.received());
    assertEquals(List.of("close"), r.tokens("Connection"));
    assertEquals("text/plain; charset=utf-8", r.header("Content-Type"));
    assertEquals(HttpRig.DATE, r.header("Date"), "the proxy's own response carries Date");
    assertTrue(r.body().startsWith(status + " "), r.body());
    assertTrue(c.eos, "the proxy ended the connection after the error");
    assertFalse(c.readError);
    assertTrue(rig.log.stream().anyMatch(l -> l.status() == status), () -> "no log record with " + status);
    int open = rig.proxy.openSessions(); // the session lingers, reading, until the client closes too
    c.close();
    assertEquals(open - 1, rig.proxy.openSessions(), "session gone once the client closed");
    return r;
  }

  /**
   * Checks the one response is an error with {@code status} and a {@code Date}, without {@code Connection: close},
   * and that the connection stays open for the next request (docs/http.md, Bad input: the request was fully read).
   */
  static Response assertErrorKeptAlive(HttpRig rig, HttpRig.Client c, int status) {
    Response r = c.response();
    assertEquals(status, r.status(), c.received());
    assertEquals(List.of(), r.tokens("Connection"), "no Connection: close on an error that keeps the connection");
    assertEquals("text/plain; charset=utf-8", r.header("Content-Type"));
    assertEquals(HttpRig.DATE, r.header("Date"), "the proxy's own response carries Date");
    assertTrue(r.body().startsWith(status + " "), r.body());
    assertFalse(c.eos, "the connection stays open after an error on a fully read request");
    assertFalse(c.readError);
    assertTrue(rig.log.stream().anyMatch(l -> l.status() == status), () -> "no log record with " + status);
    return r;
  }

  static void sendAndExpect(String request, int status) {
    sendAndExpect(b -> {}, request, status);
  }

  static void sendAndExpect(Consumer<HttpProxyConfig.Builder> config, String request, int status) {
    try (HttpRig rig = rig(config)) {
      TestOrigin origin = rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      c.send(request);
      rig.run();
      assertErrorAndClosed(rig, c, status);
      assertEquals(0, origin.requests.size(), "nothing reached the origin");
      assertEquals(1, rig.proxy.stats().snapshot().errorResponses());
    }
  }

  @Nested
  class RequestHead {
    @Test
    void malformed_request_line_is_400() {
      sendAndExpect("GET /only-two-parts\r\nHost: example.test\r\n\r\n", 400);
    }

    @Test
    void header_line_without_colon_is_400() {
      sendAndExpect("GET / HTTP/1.1\r\nHost: example.test\r\nNo colon here\r\n\r\n", 400);
    }

    @Test
    void space_before_colon_is_400() {
      sendAndExpect("GET / HTTP/1.1\r\nHost: example.test\r\nX-Bad : v\r\n\r\n", 400);
    }

    @Test
    void long_request_line_is_414() {
      sendAndExpect(b -> b.limits(new HttpLimits(64, 4096, 20)),
          "GET /" + "a".repeat(100) + " HTTP/1.1\r\nHost: example.test\r\n\r\n", 414);
    }

    @Test
    void too_many_header_fields_is_431() {
      StringBuilder req = new StringBuilder("GET / HTTP/1.1\r\nHost: example.test\r\n");
      for (int i = 0; i < 5; i++) {
        req.append("X-H").append(i).append(": v\r\n");
      }
      sendAndExpect(b -> b.limits(new HttpLimits(1024, 4096, 5)), req.append("\r\n").toString(), 431);
    }

    @Test
    void head_larger_than_the_limit_is_431() {
      sendAndExpect(b -> b.limits(new HttpLimits(1024, 256, 20)),
          "GET / HTTP/1.1\r\nHost: example.test\r\nX-Big: " + "v".repeat(300) + "\r\n\r\n", 431);
    }

    @Test
    void head_larger_than_the_limit_is_431_even_before_it_ends() {
      // The proxy must not wait for (or buffer) the end of an oversized head.
      sendAndExpect(b -> b.limits(new HttpLimits(1024, 256, 20)),
          "GET / HTTP/1.1\r\nHost: example.test\r\nX-Big: " + "v".repeat(300), 431);
    }

    @Test
    void transfer_encoding_gzip_is_501() {
      sendAndExpect("POST / HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: gzip\r\n\r\n", 501);
    }

    @Test
    void http_2_0_is_505() {
      sendAndExpect("GET / HTTP/2.0\r\nHost: example.test\r\n\r\n", 505);
    }

    @Test
    void content_length_with_transfer_encoding_is_400() {
      sendAndExpect("POST / HTTP/1.1\r\nHost: example.test\r\nContent-Length: 5\r\n"
          + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400);
    }

    @Test
    void conflicting_content_lengths_are_400() {
      sendAndExpect("POST / HTTP/1.1\r\nHost: example.test\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
          + "hello!", 400);
    }

    @Test
    void connect_without_allowed_ports_is_403() {
      // CONNECT is refused unless its port is allowed (docs/http.md, Tunnels); none is by default.
      sendAndExpect("CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n", 403);
    }

    @Test
    void no_matching_remap_rule_is_404_and_the_next_request_on_the_connection_is_answered() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send("GET / HTTP/1.1\r\nHost: unknown.test\r\n\r\n");
        rig.run();
        assertErrorKeptAlive(rig, c, 404);
        assertEquals(0, origin.requests.size(), "nothing reached the origin");
        c.send("GET /next HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        List<Response> rs = c.responses();
        assertEquals(2, rs.size(), c.received());
        assertEquals(200, rs.get(1).status());
        assertEquals("ok", rs.get(1).body());
        assertEquals(1, origin.requests.size());
        assertEquals(List.of(404, 200), rig.log.stream().map(AccessLogRecord::status).toList());
      }
    }

    @Test
    void no_matching_remap_rule_for_a_request_with_an_unread_body_is_404_and_closes() {
      // The body was never read (no origin to send it to): it would be in the way of the next request.
      sendAndExpect("POST / HTTP/1.1\r\nHost: unknown.test\r\nContent-Length: 5\r\n\r\nhello", 404);
    }

    @Test
    void no_matching_remap_rule_closes_when_the_client_asked_for_it() {
      sendAndExpect("GET / HTTP/1.1\r\nHost: unknown.test\r\nConnection: close\r\n\r\n", 404);
    }

    @Test
    void remapped_request_without_an_origin_connector_is_502() {
      try (HttpRig rig = rig(b -> b.originConnector(null))) {
        HttpRig.Client c = rig.client();
        c.send("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        assertErrorKeptAlive(rig, c, 502);
      }
    }

    @Test
    void head_request_error_has_no_body() {
      try (HttpRig rig = rig()) {
        HttpRig.Client c = rig.client();
        c.send("HEAD / HTTP/1.1\r\nHost: unknown.test\r\n\r\n");
        rig.run();
        Response r = c.responses("HEAD").get(0);
        assertEquals(404, r.status());
        assertTrue(c.received().endsWith("\r\n\r\n"), "no body after the head: " + c.received());
        assertFalse(c.eos, "a fully read request keeps its connection after a 404");
      }
    }
  }

  @Nested
  class RequestBody {
    @Test
    void bad_chunk_size_is_400() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send("POST / HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
        rig.run();
        assertErrorAndClosed(rig, c, 400);
        assertEquals(0, origin.requests.size(), "the origin never got a whole request");
      }
    }

    @Test
    void chunk_data_without_crlf_is_400() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send("POST / HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n");
        rig.run();
        assertErrorAndClosed(rig, c, 400);
        assertEquals(0, origin.requests.size());
      }
    }

    @Test
    void client_stalling_its_body_gets_408_after_the_inactivity_timeout() {
      try (HttpRig rig = rig(b -> b.timeouts(HttpTimeouts.defaults().withInactivity(Duration.ofSeconds(3))))) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send("POST / HTTP/1.1\r\nHost: example.test\r\nContent-Length: 10\r\n\r\nabc");
        rig.run();
        rig.advance(Duration.ofMillis(2900));
        assertEquals("", c.received());
        rig.advance(Duration.ofMillis(200));
        assertErrorAndClosed(rig, c, 408);
      }
    }
  }

  @Nested
  class OriginFailures {
    @Test
    void refused_origin_with_a_request_body_not_fully_read_is_502_and_closes() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        origin.refuse = true;
        HttpRig.Client c = rig.client();
        c.send("POST / HTTP/1.1\r\nHost: example.test\r\nContent-Length: 10\r\n\r\nhel");
        rig.run();
        assertErrorAndClosed(rig, c, 502);
        assertEquals(List.of(ORIGIN), rig.connectAttempts, "a POST is not retried");
      }
    }

    @Test
    void refused_origin_is_502_after_one_retry() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        origin.refuse = true;
        HttpRig.Client c = rig.client();
        c.send("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        assertErrorKeptAlive(rig, c, 502);
        assertEquals(List.of(ORIGIN, ORIGIN), rig.connectAttempts, "a GET is retried once");
      }
    }

    @Test
    void origin_reset_after_the_request_is_502_and_not_retried() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        origin.resetAfterRequest = true;
        HttpRig.Client c = rig.client();
        c.send("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        assertErrorKeptAlive(rig, c, 502);
        assertEquals(1, origin.requests.size(), "the request was sent, so it is not retried");
      }
    }

    @Test
    void malformed_origin_status_line_is_502() {
      try (HttpRig rig = rig()) {
        rig.origin(ORIGIN, req -> "HTTP/1.1 OK 200\r\nContent-Length: 2\r\n\r\nok");
        HttpRig.Client c = rig.client();
        c.send("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        assertErrorKeptAlive(rig, c, 502);
      }
    }

    @Test
    void origin_response_with_conflicting_lengths_is_502() {
      try (HttpRig rig = rig()) {
        rig.origin(ORIGIN, req -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok");
        HttpRig.Client c = rig.client();
        c.send("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        assertErrorKeptAlive(rig, c, 502);
      }
    }

    @Test
    void origin_switching_protocols_is_502() {
      try (HttpRig rig = rig()) {
        rig.origin(ORIGIN, req -> "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n");
        HttpRig.Client c = rig.client();
        c.send("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        assertErrorKeptAlive(rig, c, 502);
      }
    }

    @Test
    void connect_timeout_is_504_at_the_connect_timeout() {
      try (HttpRig rig = rig(b -> b.maxRetries(0))) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        origin.blackhole = true;
        HttpRig.Client c = rig.client();
        c.send("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        rig.advance(Duration.ofMillis(4999));
        assertEquals("", c.received());
        rig.advance(Duration.ofMillis(1));
        assertErrorKeptAlive(rig, c, 504);
      }
    }

    @Test
    void connect_timeout_of_a_get_is_retried_once_before_504() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        origin.blackhole = true;
        HttpRig.Client c = rig.client();
        c.send("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        rig.advance(Duration.ofSeconds(5));
        assertEquals("", c.received(), "the first timeout is retried");
        rig.advance(Duration.ofSeconds(5));
        assertErrorKeptAlive(rig, c, 504);
        assertEquals(2, rig.connectAttempts.size());
      }
    }

    @Test
    void origin_that_never_answers_is_504_at_the_response_timeout() {
      try (HttpRig rig = rig(b -> b.timeouts(HttpTimeouts.defaults().withResponse(Duration.ofSeconds(5))))) {
        TestOrigin origin = rig.origin(ORIGIN, req -> null);
        HttpRig.Client c = rig.client();
        c.send("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        rig.advance(Duration.ofMillis(4999));
        assertEquals("", c.received());
        assertEquals(1, origin.requests.size());
        rig.advance(Duration.ofMillis(1));
        assertErrorKeptAlive(rig, c, 504);
        assertEquals(1, origin.connections(), "a timeout after sending is not retried");
      }
    }

    @Test
    void origin_reset_in_the_middle_of_the_body_truncates_the_response_with_a_normal_close() {
      try (HttpRig rig = rig()) {
        ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
        HttpRig.Client c = rig.client();
        c.send("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        origin.conn(0).send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
        rig.run();
        assertTrue(c.received().endsWith("\r\n\r\n0123456789"), c.received());
        origin.conn(0).abort();
        rig.run();
        assertTruncated(rig, c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nVia: 1.1 vconn\r\n\r\n0123456789");
        assertEquals(1, rig.log.size());
        assertEquals(200, rig.log.get(0).status());
      }
    }

    @Test
    void origin_closing_a_content_length_body_early_before_the_head_left_is_502() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
        origin.closeAfterResponse = true;
        HttpRig.Client c = rig.client();
        c.send("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        assertEquals(BAD_GATEWAY, c.received(), "the head had not left: it is replaced by the 502");
        assertErrorKeptAlive(rig, c, 502);
      }
    }

    @Test
    void malformed_chunk_size_before_the_response_head_left_is_502_with_nothing_of_the_response() {
      try (HttpRig rig = rig()) {
        rig.origin(ORIGIN, req -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n");
        HttpRig.Client c = rig.client();
        c.send("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        assertEquals(BAD_GATEWAY, c.received(), "head, good chunk and bad size came in one read");
        assertErrorKeptAlive(rig, c, 502);
        assertEquals(List.of(502), rig.log.stream().map(AccessLogRecord::status).toList(), "one transaction");
      }
    }

    @Test
    void malformed_chunk_size_after_the_head_left_truncates_the_response_without_a_last_chunk() {
      try (HttpRig rig = rig()) {
        ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
        HttpRig.Client c = rig.client();
        c.send("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        origin.conn(0).send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
        rig.run();
        String sent = "HTTP/1.1 200 OK\r\nVia: 1.1 vconn\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n";
        assertEquals(sent, c.received());
        origin.conn(0).send("zz\r\nworld\r\n0\r\n\r\n");
        rig.run();
        assertTruncated(rig, c, sent);
        assertEquals(200, rig.log.get(0).status());
        assertTrue(origin.conn(0).eos, "the origin connection was closed, not pooled");
        assertEquals(0, rig.proxy.idleOriginConnections());
      }
    }
  }

  static final String BAD_GATEWAY = "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\n"
      + "Content-Length: 16\r\nDate: " + HttpRig.DATE + "\r\nVia: 1.1 vconn\r\n\r\n502 Bad Gateway\n";

  /**
   * The response was cut short after its head left: the client got exactly what the proxy had ({@code sent}), then
   * a normal close (EOS without an error: no reset dropped queued bytes), never a last chunk or a second response;
   * the session ends once the client closes too.
   */
  static void assertTruncated(HttpRig rig, HttpRig.Client c, String sent) {
    assertEquals(sent, c.received());
    assertTrue(c.eos, "client connection ended");
    assertNull(c.vconn.error(), "a normal close, not a reset");
    c.close();
    assertEquals(0, rig.proxy.openSessions());
  }

  @Nested
  class ClientTimeouts {
    @Test
    void client_too_slow_to_send_its_head_gets_408_at_the_header_timeout() {
      try (HttpRig rig = rig()) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send("GET / HTTP/1.1\r\nHost: exa");
        rig.run();
        rig.advance(Duration.ofMillis(9999));
        assertEquals("", c.received());
        rig.advance(Duration.ofMillis(1));
        assertErrorAndClosed(rig, c, 408);
        assertEquals("-", rig.log.get(0).method(), "the head never parsed");
      }
    }

    @Test
    void after_a_first_request_the_header_timeout_counts_from_the_first_byte_of_the_next_head() {
      try (HttpRig rig = rig()) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send("GET /1 HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        rig.advance(Duration.ofSeconds(20)); // keep-alive idle, longer than the header timeout
        assertFalse(c.eos);
        c.send("GET /2 HTTP/1.1\r\n");
        rig.run();
        rig.advance(Duration.ofSeconds(9));
        c.send("Host: example.test\r\n\r\n");
        rig.run();
        assertEquals(List.of(200, 200), c.responses().stream().map(Response::status).toList());
      }
    }

    @Test
    void a_connection_that_never_sends_a_byte_is_closed_silently_at_the_header_timeout() {
      try (HttpRig rig = rig()) {
        HttpRig.Client c = rig.client();
        rig.run();
        rig.advance(Duration.ofMillis(9_999));
        assertFalse(c.eos);
        rig.advance(Duration.ofMillis(1));
        assertTrue(c.eos, "closed 10 s after it opened, not at the 30 s keep-alive idle timeout");
        assertEquals("", c.received(), "nothing was asked, nothing is answered");
        assertEquals(0, rig.proxy.openSessions());
        assertTrue(rig.log.isEmpty(), "no transaction");
      }
    }

    @Test
    void the_first_head_has_the_header_timeout_from_the_moment_the_connection_opened() {
      try (HttpRig rig = rig()) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        rig.advance(Duration.ofSeconds(6));
        c.send("GET / HTTP/1.1\r\n");
        rig.run();
        rig.advance(Duration.ofMillis(3_999));
        assertEquals("", c.received());
        rig.advance(Duration.ofMillis(1));
        assertErrorAndClosed(rig, c, 408);
      }
    }

    @Test
    void idle_connection_is_closed_silently_at_the_keep_alive_idle_timeout() {
      try (HttpRig rig = rig()) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        int before = c.received().length();
        rig.advance(Duration.ofMillis(29_999));
        assertFalse(c.eos);
        rig.advance(Duration.ofMillis(1));
        assertTrue(c.eos, "closed after 30 s idle");
        assertEquals(before, c.received().length(), "silently: no response");
        assertEquals(0, rig.proxy.openSessions());
      }
    }

    @Test
    void client_that_stops_reading_the_body_is_aborted_after_the_inactivity_timeout() {
      try (HttpRig rig = rig(b -> b.timeouts(HttpTimeouts.defaults().withInactivity(Duration.ofSeconds(5))))) {
        String big = "x".repeat(1 << 20);
        TestOrigin origin = rig.origin(ORIGIN, req -> "HTTP/1.1 200 OK\r\nContent-Length: " + big.length()
            + "\r\n\r\n" + big);
        HttpRig.Client c = rig.client();
        c.pauseReading();
        c.send("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        rig.advance(Duration.ofMillis(4999));
        assertFalse(c.eos);
        rig.advance(Duration.ofMillis(1));
        assertTrue(c.eos, "aborted");
        assertTrue(c.vconn.error() != null, "an abort, not a clean end");
        assertEquals(0, rig.proxy.openSessions());
        assertTrue(origin.conns.get(0).closed, "the half-read origin connection is not reused");
        assertEquals(200, rig.log.get(0).status());
      }
    }

    @Test
    void error_connection_lingers_for_the_linger_timeout_when_the_client_never_closes() {
      try (HttpRig rig = rig()) {
        HttpRig.Client c = rig.client();
        c.send("BAD\r\n\r\n");
        rig.run();
        assertEquals(400, c.response().status());
        assertTrue(c.eos, "write side shut down after the error");
        c.send("more bytes are read and dropped\r\n");
        rig.run();
        assertEquals(1, rig.proxy.openSessions(), "reading until the client closes, so it sees the error, not a reset");
        rig.advance(Duration.ofMillis(1999));
        assertEquals(1, rig.proxy.openSessions());
        rig.advance(Duration.ofMillis(1));
        assertEquals(0, rig.proxy.openSessions());
        assertEquals(1, rig.log.size());
      }
    }

    @Test
    void connection_that_never_sends_is_closed_at_the_keep_alive_idle_timeout() {
      try (HttpRig rig = rig()) {
        HttpRig.Client c = rig.client();
        rig.advance(Duration.ofSeconds(30));
        assertTrue(c.eos);
        assertEquals("", c.received());
        assertEquals(0, rig.log.size(), "no transaction");
      }
    }
  }

  @Test
  void after_an_error_on_one_connection_another_connection_still_works() {
    try (HttpRig rig = rig()) {
      rig.origin(ORIGIN, req -> OK);
      HttpRig.Client bad = rig.client();
      bad.send("BROKEN\r\n\r\n");
      HttpRig.Client good = rig.client();
      good.send("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      assertErrorAndClosed(rig, bad, 400);
      assertEquals("ok", good.response().body());
      assertFalse(good.eos);
      good.send("GET /again HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      assertEquals(2, good.responses().size());
    }
  }

  @Test
  void garbage_after_a_good_request_is_answered_in_order_then_400() {
    try (HttpRig rig = rig()) {
      rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      c.send("GET / HTTP/1.1\r\nHost: example.test\r\n\r\nNOT HTTP AT ALL\r\n\r\n");
      rig.run();
      List<Response> rs = c.responses();
      assertEquals(2, rs.size(), c.received());
      assertEquals(200, rs.get(0).status());
      assertEquals(400, rs.get(1).status());
      assertTrue(c.eos);
    }
  }
}
