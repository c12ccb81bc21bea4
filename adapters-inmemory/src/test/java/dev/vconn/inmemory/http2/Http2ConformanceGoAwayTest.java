package dev.vconn.inmemory.http2;

import static dev.vconn.inmemory.http2.Http2ClientKit.frame;
import static dev.vconn.inmemory.http2.Http2ClientKit.goAway;
import static dev.vconn.inmemory.http2.Http2ClientKit.request;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.http2.Http2ErrorCode;
import dev.vconn.domain.http2.Http2Frame;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RFC 9113, section 6.8 (GOAWAY) and the session's graceful drain (docs/http2.md): a GOAWAY on a stream other than 0
 * is a PROTOCOL_ERROR; the client's GOAWAY does not cancel the streams it opened; the server's drain sends GOAWAY
 * NO_ERROR naming the last stream it processes, finishes the streams in flight, ignores streams opened after it and
 * then closes.
 */
class Http2ConformanceGoAwayTest extends Http2ConformanceSupport {

  @Test
  void goaway_on_a_stream_is_a_protocol_error() {
    Http2Harness.Conn c = open();
    c.exchange(frame(Http2Frame.TYPE_GOAWAY, 0, 1, new byte[8]));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void a_client_goaway_lets_the_streams_it_opened_finish() {
    Http2Harness.Conn c = open().autoWindow();
    c.exchange(c.kit.headers(1, true, request("GET", "/i/len/100000")), goAway(0, Http2ErrorCode.NO_ERROR));
    h.settle();
    assertArrayEquals(Http2Harness.PATTERN.bytes(0, 100_000), c.kit.stream(1).body.toByteArray(), c::describe);
    assertTrue(c.kit.stream(1).endStream, c::describe);
  }

  @Test
  void drain_sends_goaway_no_error_with_the_last_stream_and_finishes_it() {
    Http2Harness.Conn c = open().autoWindow();
    c.exchange(c.kit.headers(1, true, request("GET", "/i/len/100000")));
    c.session.drain();
    h.settle();
    List<Http2Frame.GoAway> g = c.kit.goAways();
    assertEquals(1, g.size(), c::describe);
    assertEquals(Http2ErrorCode.NO_ERROR, Http2ErrorCode.of(g.get(0).errorCode()), c::describe);
    assertEquals(1, g.get(0).lastStreamId(), c::describe);
    // A stream opened after the GOAWAY is not processed.
    c.exchange(c.kit.headers(3, true, request("GET", "/i/hello")));
    h.settle();
    assertArrayEquals(Http2Harness.PATTERN.bytes(0, 100_000), c.kit.stream(1).body.toByteArray(), c::describe);
    assertEquals(-1, c.kit.stream(3).status(), c::describe);
    assertEquals(1, h.intercept.requests().size(), "stream 3 must not reach the proxy");
    h.settle();
    assertTrue(c.ended(), () -> "the drained connection closes once stream 1 is done; " + c.describe());
    assertTrue(c.session.closed().isDone(), c::describe);
  }

  @Test
  void drain_of_an_idle_connection_closes_it_with_last_stream_zero() {
    Http2Harness.Conn c = open();
    c.session.drain();
    h.settle();
    assertEquals(List.of(0), c.kit.goAways().stream().map(Http2Frame.GoAway::lastStreamId).toList(), c::describe);
    assertTrue(c.ended(), c::describe);
  }

  @Test
  void a_connection_error_names_the_last_stream_processed() {
    Http2Harness.Conn c = open();
    assertServes(c, 1);
    assertServes(c, 3);
    c.exchange(Http2ClientKit.ping(false, 1), frame(Http2Frame.TYPE_PING, 0, 0, new byte[3]));
    assertConnectionError(c, Http2ErrorCode.FRAME_SIZE_ERROR);
    assertEquals(3, c.kit.goAways().get(0).lastStreamId(), c::describe);
  }

  @Test
  void close_ends_the_connection_and_every_stream() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, true, request("GET", "/i/hang")), c.kit.headers(3, true, request("GET", "/i/hang")));
    assertEquals(2, h.proxy.openSessions());
    c.session.close();
    h.settle();
    assertTrue(c.ended(), c::describe);
    assertEquals(0, h.proxy.openSessions(), "every stream's in-process connection must be closed");
    assertTrue(c.session.closed().isDone());
  }
}
