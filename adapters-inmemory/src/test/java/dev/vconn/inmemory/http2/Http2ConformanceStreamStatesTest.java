package dev.vconn.inmemory.http2;

import static dev.vconn.inmemory.http2.Http2ClientKit.data;
import static dev.vconn.inmemory.http2.Http2ClientKit.priority;
import static dev.vconn.inmemory.http2.Http2ClientKit.request;
import static dev.vconn.inmemory.http2.Http2ClientKit.rstStream;
import static dev.vconn.inmemory.http2.Http2ClientKit.windowUpdate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.http2.Http2Config;
import dev.vconn.domain.http2.Http2ErrorCode;
import dev.vconn.domain.http2.Http2Frame;
import org.junit.jupiter.api.Test;

/**
 * RFC 9113, section 5.1 (stream states) and 5.1.1 (stream identifiers), 5.1.2 (concurrency): frames other than
 * HEADERS and PRIORITY on an idle stream, client streams with even or non-increasing identifiers are connection errors
 * of type PROTOCOL_ERROR; frames other than WINDOW_UPDATE, PRIORITY and RST_STREAM on a half-closed (remote) stream
 * and DATA on a closed stream are STREAM_CLOSED errors (section 5.1, section 6.1); streams beyond
 * SETTINGS_MAX_CONCURRENT_STREAMS are refused.
 */
class Http2ConformanceStreamStatesTest extends Http2ConformanceSupport {

  @Test
  void data_on_an_idle_stream_is_a_protocol_error() {
    Http2Harness.Conn c = open();
    c.exchange(data(1, true, "x"));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void window_update_on_an_idle_stream_is_a_protocol_error() {
    Http2Harness.Conn c = open();
    c.exchange(windowUpdate(1, 100));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void continuation_on_an_idle_stream_is_a_protocol_error() {
    Http2Harness.Conn c = open();
    c.exchange(Http2ClientKit.continuation(1, true, c.kit.block(request("GET", "/i/hello"))));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void priority_on_an_idle_stream_is_accepted_and_the_stream_can_open_later() {
    Http2Harness.Conn c = open();
    c.exchange(priority(3, 0, false, 15));
    assertNoError(c);
    assertServes(c, 3);
  }

  @Test
  void headers_with_priority_flag_are_served() {
    Http2Harness.Conn c = open();
    byte[] block = c.kit.block(request("GET", "/i/hello"));
    byte[] payload = Http2ClientKit.concat(Http2ClientKit.int4(0), new byte[] {(byte) 200}, block);
    c.exchange(Http2ClientKit.headersFrame(1, Http2Frame.FLAG_END_STREAM | Http2Frame.FLAG_END_HEADERS
        | Http2Frame.FLAG_PRIORITY, payload));
    assertEquals(200, c.kit.stream(1).status(), c::describe);
  }

  @Test
  void headers_depending_on_their_own_stream_are_a_protocol_error() {
    // RFC 9113, section 5.3.1: a stream cannot depend on itself; a stream error of type PROTOCOL_ERROR.
    Http2Harness.Conn c = open();
    byte[] block = c.kit.block(request("GET", "/i/hello"));
    byte[] payload = Http2ClientKit.concat(Http2ClientKit.int4(1), new byte[] {16}, block);
    c.exchange(Http2ClientKit.headersFrame(1, Http2Frame.FLAG_END_STREAM | Http2Frame.FLAG_END_HEADERS
        | Http2Frame.FLAG_PRIORITY, payload));
    assertStreamOrConnectionError(c, 1, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void headers_on_an_even_stream_are_a_protocol_error() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(2, true, request("GET", "/i/hello")));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
    assertEquals(0, h.intercept.requests().size());
  }

  @Test
  void a_stream_identifier_lower_than_one_used_before_is_a_protocol_error() {
    Http2Harness.Conn c = open();
    assertServes(c, 5);
    c.exchange(c.kit.headers(3, true, request("GET", "/i/hello")));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
    assertEquals(1, h.intercept.requests().size());
  }

  @Test
  void skipped_stream_identifiers_are_closed_implicitly() {
    // RFC 9113, section 5.1.1: opening stream 7 closes the idle streams 1, 3 and 5; a frame for 3 is then for a
    // closed stream, and HEADERS on it reuse an identifier: a connection error of type PROTOCOL_ERROR or
    // STREAM_CLOSED. vconn is expected to say PROTOCOL_ERROR (identifiers must increase).
    Http2Harness.Conn c = open();
    assertServes(c, 7);
    c.exchange(c.kit.headers(3, true, request("GET", "/i/hello")));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void headers_on_a_half_closed_remote_stream_are_stream_closed() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, true, request("GET", "/i/hang")));
    c.exchange(c.kit.headers(1, true, request("GET", "/i/hang")));
    assertStreamOrConnectionError(c, 1, Http2ErrorCode.STREAM_CLOSED);
  }

  @Test
  void data_on_a_half_closed_remote_stream_is_stream_closed() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, true, request("GET", "/i/hang")));
    c.exchange(data(1, true, "late"));
    assertStreamOrConnectionError(c, 1, Http2ErrorCode.STREAM_CLOSED);
  }

  @Test
  void window_update_priority_and_rst_stream_are_allowed_on_a_half_closed_remote_stream() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, true, request("GET", "/i/hang")));
    c.exchange(windowUpdate(1, 1000), priority(1, 0, false, 7));
    assertNoError(c);
    c.exchange(rstStream(1, Http2ErrorCode.CANCEL));
    assertNoError(c);
    assertServes(c, 3);
  }

  @Test
  void data_on_a_closed_stream_is_stream_closed() {
    Http2Harness.Conn c = open();
    assertServes(c, 1);
    c.exchange(data(1, true, "late"));
    assertStreamOrConnectionError(c, 1, Http2ErrorCode.STREAM_CLOSED);
  }

  @Test
  void headers_on_a_closed_stream_are_stream_closed() {
    // RFC 9113, section 5.1, "closed": frames after END_STREAM in both directions; HEADERS on it would reopen it.
    Http2Harness.Conn c = open();
    assertServes(c, 1);
    c.exchange(c.kit.headers(1, true, request("GET", "/i/hello")));
    h.settle();
    assertTrue(!c.kit.goAways().isEmpty() || c.kit.stream(1).reset != null, c::describe);
    Http2ErrorCode code = c.kit.goAways().isEmpty() ? c.kit.stream(1).reset : c.kit.goAwayCode();
    assertTrue(code == Http2ErrorCode.STREAM_CLOSED || code == Http2ErrorCode.PROTOCOL_ERROR, c::describe);
    assertEquals(1, h.intercept.requests().size(), "the reused stream must not be served");
  }

  @Test
  void data_on_a_stream_the_client_reset_is_stream_closed() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, false, request("POST", "/i/hang")), rstStream(1, Http2ErrorCode.CANCEL));
    c.exchange(data(1, true, "late"));
    assertStreamOrConnectionError(c, 1, Http2ErrorCode.STREAM_CLOSED);
  }

  @Test
  void push_promise_from_a_client_is_a_protocol_error() {
    // RFC 9113, section 8.4: a client cannot push; a server receiving PUSH_PROMISE has a connection error.
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, true, request("GET", "/i/hang")));
    byte[] payload = Http2ClientKit.concat(Http2ClientKit.int4(2), c.kit.block(request("GET", "/i/hello")));
    c.exchange(Http2ClientKit.frame(Http2Frame.TYPE_PUSH_PROMISE, Http2Frame.FLAG_END_HEADERS, 1, payload));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void priority_on_a_closed_stream_is_ignored() {
    Http2Harness.Conn c = open();
    assertServes(c, 1);
    c.exchange(priority(1, 0, false, 1));
    assertNoError(c);
    assertServes(c, 3);
  }

  // ------------------------------------------------------------------------------------ max concurrent streams

  @Test
  void streams_beyond_max_concurrent_streams_are_refused() {
    Http2Harness.Conn c = open(Http2Config.builder().maxConcurrentStreams(2).build());
    c.exchange(c.kit.headers(1, true, request("GET", "/i/hang")), c.kit.headers(3, true, request("GET", "/i/hang")),
        c.kit.headers(5, true, request("GET", "/i/hello")));
    // RFC 9113, section 5.1.2: PROTOCOL_ERROR or REFUSED_STREAM; REFUSED_STREAM tells the client it may retry.
    assertEquals(Http2ErrorCode.REFUSED_STREAM, c.kit.stream(5).reset, c::describe);
    assertNull(c.kit.stream(1).reset, c::describe);
    assertNull(c.kit.stream(3).reset, c::describe);
    assertEquals(2, c.session.openStreams(), c::describe);
    // Once one ends, a new stream is served.
    c.exchange(rstStream(1, Http2ErrorCode.CANCEL));
    assertServes(c, 7);
  }
}
