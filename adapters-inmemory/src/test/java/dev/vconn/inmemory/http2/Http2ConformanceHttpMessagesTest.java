package dev.vconn.inmemory.http2;

import static dev.vconn.inmemory.http2.Http2ClientKit.data;
import static dev.vconn.inmemory.http2.Http2ClientKit.request;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.http.AccessLogRecord;
import dev.vconn.domain.http2.Http2ErrorCode;
import dev.vconn.domain.http2.hpack.HeaderField;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RFC 9113, section 8 (expressing HTTP semantics): requests through the session reach a real proxy and come back as
 * HEADERS and DATA (section 8.1); every stream is an ordinary in-process transaction logged with {@code pitag=h2},
 * the connection's {@code piid} and {@code cqint=1}; and malformed requests (section 8.1.1: pseudo-header rules of
 * section 8.3, field names of section 8.2.1, connection-specific fields of section 8.2.2, {@code content-length}
 * against the DATA received) are stream errors of type PROTOCOL_ERROR that never reach the proxy, after which the
 * connection serves the next stream.
 */
class Http2ConformanceHttpMessagesTest extends Http2ConformanceSupport {

  // ------------------------------------------------------------------------------------------ well-formed exchanges

  @Test
  void a_get_to_the_intercept_is_answered_with_headers_and_data_and_logged_as_h2() {
    Http2Harness.Conn c = open();
    Http2ClientKit.StreamSeen s = get(c, 1, "/i/hello");
    assertEquals(200, s.status(), c::describe);
    assertEquals("yes", s.finalHead().get("x-kit"), c::describe);
    assertEquals("hello h2", s.bodyText(), c::describe);
    assertTrue(s.endStream, c::describe);
    assertEquals(1, h.intercept.requests().size());
    assertEquals("/i/hello", h.intercept.requests().get(0).head().target());
    // :authority becomes Host (RFC 9113, section 8.3.1).
    assertEquals("h2.test", h.intercept.requests().get(0).head().headers().get("host"));
    List<AccessLogRecord> recs = assertLoggedAsH2(c, 1);
    assertEquals(200, recs.get(0).status());
    assertEquals("GET", recs.get(0).method());
    assertNoError(c);
  }

  @Test
  void a_get_remapped_to_the_origin_is_answered() {
    Http2Harness.Conn c = open();
    Http2ClientKit.StreamSeen s = get(c, 1, "/o/hello");
    assertEquals(200, s.status(), c::describe);
    assertEquals("hello h2", s.bodyText(), c::describe);
    assertEquals(1, h.origin.requests().size());
    assertEquals("/o/hello", h.origin.requests().get(0).head().target());
    assertLoggedAsH2(c, 1);
  }

  @Test
  void a_post_body_in_data_frames_reaches_the_server_whole_and_is_echoed() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, false, req("POST", "/i/echo", "content-type", "text/plain")),
        data(1, false, "first,"), data(1, false, ""), data(1, true, "second"));
    Http2ClientKit.StreamSeen s = c.kit.stream(1);
    assertEquals(200, s.status(), c::describe);
    assertEquals("first,second", s.bodyText(), c::describe);
    assertEquals("first,second", h.intercept.requests().get(0).bodyText());
    assertLoggedAsH2(c, 1);
  }

  @Test
  void a_post_with_content_length_matching_its_data_is_served() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, false, req("POST", "/i/echo", "content-length", "5")), data(1, true, "12345"));
    assertEquals(200, c.kit.stream(1).status(), c::describe);
    assertEquals("12345", c.kit.stream(1).bodyText());
  }

  @Test
  void a_chunked_response_loses_its_http1_framing_and_keeps_every_octet() {
    Http2Harness.Conn c = open().autoWindow();
    Http2ClientKit.StreamSeen s = get(c, 1, "/i/chunk/70000");
    h.settle();
    assertEquals(200, s.status(), c::describe);
    assertArrayEquals(Http2Harness.PATTERN.bytes(0, 70_000), s.body.toByteArray(), c::describe);
    for (String banned : List.of("transfer-encoding", "connection", "keep-alive")) {
      assertNull(s.finalHead().get(banned), () -> banned + " must not be sent in HTTP/2 (RFC 9113, section 8.2.2)");
    }
    for (HeaderField f : s.finalHead().fields()) {
      assertEquals(f.name().toLowerCase(java.util.Locale.ROOT), f.name(), "field names are lower case in HTTP/2");
    }
  }

  @Test
  void concurrent_streams_are_answered_independently() {
    Http2Harness.Conn c = open().autoWindow();
    c.exchange(c.kit.headers(1, true, Http2ClientKit.request("GET", "/i/len/1000")),
        c.kit.headers(3, true, Http2ClientKit.request("GET", "/o/hello")),
        c.kit.headers(5, true, Http2ClientKit.request("GET", "/i/hello")));
    h.settle();
    assertArrayEquals(Http2Harness.PATTERN.bytes(0, 1000), c.kit.stream(1).body.toByteArray(), c::describe);
    assertEquals("hello h2", c.kit.stream(3).bodyText(), c::describe);
    assertEquals("hello h2", c.kit.stream(5).bodyText(), c::describe);
    assertLoggedAsH2(c, 3);
  }

  @Test
  void a_head_request_gets_headers_only() {
    Http2Harness.Conn c = open();
    Http2ClientKit.StreamSeen s = get(c, 1, "/i/hello");
    c.exchange(c.kit.headers(3, true, Http2ClientKit.request("HEAD", "/i/hello")));
    Http2ClientKit.StreamSeen head = c.kit.stream(3);
    assertEquals(200, head.status(), c::describe);
    assertEquals(0, head.body.size(), c::describe);
    assertTrue(head.endStream, c::describe);
    assertEquals(200, s.status());
  }

  @Test
  void te_trailers_is_the_one_te_value_allowed() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, true, req("GET", "/i/hello", "te", "trailers")));
    assertEquals(200, c.kit.stream(1).status(), c::describe);
  }

  @Test
  void request_trailers_end_the_stream() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, false, req("POST", "/i/echo")), data(1, false, "body"),
        c.kit.headers(1, true, List.of(new HeaderField("x-trailer", "t"))));
    assertEquals(200, c.kit.stream(1).status(), c::describe);
    assertEquals("body", c.kit.stream(1).bodyText(), c::describe);
  }

  @Test
  void a_response_cut_short_after_its_head_becomes_rst_stream_internal_error() {
    // docs/http2.md: an in-process error after the head was sent becomes RST_STREAM INTERNAL_ERROR; the client must
    // not take the 5 octets for a complete response.
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, true, request("GET", "/i/short")));
    h.settle();
    Http2ClientKit.StreamSeen s = c.kit.stream(1);
    assertEquals(200, s.status(), c::describe);
    assertEquals(Http2ErrorCode.INTERNAL_ERROR, s.reset, c::describe);
    assertFalse(s.endStream, () -> "a cut response must not end with END_STREAM; " + c.describe());
    assertServes(c, 3);
  }

  @Test
  void an_unreachable_origin_gives_the_proxy_502_as_headers() {
    Http2Harness.Conn c = open();
    Http2ClientKit.StreamSeen s = get(c, 1, "/dead/x");
    h.advance(java.time.Duration.ofSeconds(10));
    assertEquals(502, s.status(), c::describe);
    assertTrue(s.endStream, c::describe);
    assertNull(s.reset, c::describe);
    assertEquals(502, assertLoggedAsH2(c, 1).get(0).status());
    assertServes(c, 3);
  }

  @Test
  void each_connection_logs_its_own_piid() {
    Http2Harness.Conn a = open();
    Http2Harness.Conn b = open();
    assertServes(a, 1);
    assertServes(b, 1);
    assertServes(a, 3);
    assertLoggedAsH2(a, 2);
    assertLoggedAsH2(b, 1);
  }

  // ------------------------------------------------------------------------------------------ malformed requests

  /**
   * Sends {@code fields} as the request of stream 1 (with END_STREAM unless a body follows), expects a stream error
   * PROTOCOL_ERROR on stream 1 that reached neither the intercept nor the origin, and a served stream 3 after it.
   */
  private void assertMalformed(List<HeaderField> fields, byte[]... after) {
    Http2Harness.Conn c = open();
    c.send(c.kit.headers(1, after.length == 0, fields));
    c.exchange(after);
    assertStreamOrConnectionError(c, 1, Http2ErrorCode.PROTOCOL_ERROR);
    // RFC 9113, section 5.1: frames the client sent before it saw the RST_STREAM must be ignored, not reset again.
    assertTrue(c.kit.stream(1).resets <= 1, () -> "one RST_STREAM per stream; " + c.describe());
    assertEquals(0, h.intercept.requests().size() + h.origin.requests().size(),
        () -> "a malformed request must not be forwarded (RFC 9113, section 8.1.1): " + h.intercept.requests());
    if (!c.ended()) {
      assertServes(c, 3);
    }
  }

  private static List<HeaderField> fields(String... nameValues) {
    return Http2ClientKit.with(List.of(), nameValues);
  }

  @Test
  void missing_method_is_malformed() {
    assertMalformed(fields(":scheme", "http", ":authority", "h2.test", ":path", "/i/hello"));
  }

  @Test
  void missing_scheme_is_malformed() {
    assertMalformed(fields(":method", "GET", ":authority", "h2.test", ":path", "/i/hello"));
  }

  @Test
  void missing_path_is_malformed() {
    assertMalformed(fields(":method", "GET", ":scheme", "http", ":authority", "h2.test"));
  }

  @Test
  void empty_path_is_malformed() {
    assertMalformed(fields(":method", "GET", ":scheme", "http", ":authority", "h2.test", ":path", ""));
  }

  @Test
  void duplicate_method_is_malformed() {
    assertMalformed(fields(":method", "GET", ":method", "GET", ":scheme", "http", ":authority", "h2.test", ":path",
        "/i/hello"));
  }

  @Test
  void duplicate_path_is_malformed() {
    assertMalformed(fields(":method", "GET", ":scheme", "http", ":authority", "h2.test", ":path", "/i/hello",
        ":path", "/i/hello"));
  }

  @Test
  void unknown_pseudo_header_is_malformed() {
    assertMalformed(req("GET", "/i/hello", ":foo", "bar"));
  }

  @Test
  void response_pseudo_header_in_a_request_is_malformed() {
    assertMalformed(req("GET", "/i/hello", ":status", "200"));
  }

  @Test
  void pseudo_header_after_a_regular_field_is_malformed() {
    assertMalformed(fields(":method", "GET", ":scheme", "http", "x-regular", "1", ":authority", "h2.test", ":path",
        "/i/hello"));
  }

  @Test
  void uppercase_field_name_is_malformed() {
    assertMalformed(req("GET", "/i/hello", "X-Upper", "1"));
  }

  @Test
  void connection_field_is_malformed() {
    assertMalformed(req("GET", "/i/hello", "connection", "keep-alive"));
  }

  @Test
  void keep_alive_field_is_malformed() {
    assertMalformed(req("GET", "/i/hello", "keep-alive", "timeout=5"));
  }

  @Test
  void proxy_connection_field_is_malformed() {
    assertMalformed(req("GET", "/i/hello", "proxy-connection", "keep-alive"));
  }

  @Test
  void transfer_encoding_field_is_malformed() {
    assertMalformed(req("POST", "/i/echo", "transfer-encoding", "chunked"), data(1, true, "5\r\nhello\r\n0\r\n\r\n"));
  }

  @Test
  void upgrade_field_is_malformed() {
    assertMalformed(req("GET", "/i/hello", "upgrade", "h2c"));
  }

  @Test
  void te_other_than_trailers_is_malformed() {
    assertMalformed(req("GET", "/i/hello", "te", "gzip"));
  }

  @Test
  void content_length_above_the_data_received_is_malformed() {
    assertMalformed(req("POST", "/i/echo", "content-length", "10"), data(1, true, "12345"));
  }

  @Test
  void content_length_below_the_data_received_is_malformed() {
    assertMalformed(req("POST", "/i/echo", "content-length", "2"), data(1, true, "12345"));
  }

  @Test
  void a_field_value_with_a_line_feed_is_malformed() {
    // RFC 9113, section 8.2.1: a value with NUL, CR or LF is malformed; forwarded, it would split the HTTP/1.1 head.
    assertMalformed(req("GET", "/i/hello", "x-smuggle", "a\r\nx-injected: 1"));
  }

  @Test
  void a_field_name_with_a_colon_inside_is_malformed() {
    assertMalformed(req("GET", "/i/hello", "x:evil", "1"));
  }

  // ------------------------------------------------------------ what reaches HTTP/1.1 (a proxy is a security boundary)

  /**
   * A request the session must refuse (stream error PROTOCOL_ERROR) or the proxy answer 400 to, and that in no case
   * reaches the intercept or the origin in a form that would read differently as HTTP/1.1.
   */
  private void assertRefusedOrSafe(List<HeaderField> fields) {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, true, fields));
    h.settle();
    Http2ClientKit.StreamSeen s = c.kit.stream(1);
    boolean refused = s.reset == Http2ErrorCode.PROTOCOL_ERROR || c.kit.goAwayCode() == Http2ErrorCode.PROTOCOL_ERROR
        || s.status() == 400;
    assertTrue(refused, () -> "expected RST_STREAM PROTOCOL_ERROR or 400; " + c.describe());
    assertEquals(List.of(), h.intercept.requests(), "nothing may reach the intercept");
    assertEquals(List.of(), h.origin.requests(), "nothing may reach the origin");
  }

  @Test
  void a_path_with_a_space_cannot_split_the_request_line() {
    assertRefusedOrSafe(fields(":method", "GET", ":scheme", "http", ":authority", "h2.test", ":path",
        "/i/hello HTTP/1.1"));
  }

  @Test
  void a_method_with_a_space_cannot_split_the_request_line() {
    assertRefusedOrSafe(fields(":method", "GET /i/hello", ":scheme", "http", ":authority", "h2.test", ":path",
        "/i/hello"));
  }

  @Test
  void a_field_name_with_a_space_is_malformed() {
    assertMalformed(req("GET", "/i/hello", "x bad", "1"));
  }

  @Test
  void a_host_field_beside_authority_reaches_the_server_as_one_host() {
    // RFC 9113, section 8.3.1: a Host that differs from :authority SHOULD make the request malformed; if forwarded,
    // the HTTP/1.1 request must carry exactly one Host, else origin and proxy may disagree on the target.
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, true, req("GET", "/i/hello", "host", "evil.test")));
    h.settle();
    Http2ClientKit.StreamSeen s = c.kit.stream(1);
    if (h.intercept.requests().isEmpty()) {
      assertTrue(s.reset == Http2ErrorCode.PROTOCOL_ERROR || s.status() == 400, c::describe);
    } else {
      assertEquals(1, h.intercept.requests().get(0).head().headers().getAll("host").size(),
          () -> "Host fields forwarded: " + h.intercept.requests().get(0).head().headers());
    }
  }

  @Test
  void pseudo_header_in_trailers_is_malformed() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, false, req("POST", "/i/hang")), data(1, false, "x"),
        c.kit.headers(1, true, List.of(new HeaderField(":path", "/i/hello"))));
    assertStreamOrConnectionError(c, 1, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void trailers_without_end_stream_are_malformed() {
    // RFC 9113, section 8.1: a HEADERS frame after the header section that does not end the stream is malformed.
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, false, req("POST", "/i/hang")), data(1, false, "x"),
        c.kit.headers(1, false, List.of(new HeaderField("x-trailer", "t"))));
    assertStreamOrConnectionError(c, 1, Http2ErrorCode.PROTOCOL_ERROR);
  }
}
