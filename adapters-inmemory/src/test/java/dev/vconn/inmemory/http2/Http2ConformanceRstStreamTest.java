package dev.vconn.inmemory.http2;

import static dev.vconn.inmemory.http2.Http2ClientKit.frame;
import static dev.vconn.inmemory.http2.Http2ClientKit.request;
import static dev.vconn.inmemory.http2.Http2ClientKit.rstStream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.http2.Http2ErrorCode;
import dev.vconn.domain.http2.Http2Frame;
import org.junit.jupiter.api.Test;

/**
 * RFC 9113, section 6.4 (RST_STREAM): on an idle stream or stream 0 a PROTOCOL_ERROR, of a length other than 4 a
 * FRAME_SIZE_ERROR; a reset stream's in-process connection is aborted (docs/http2.md), no RST_STREAM is sent back
 * (section 5.4.2), and the connection goes on.
 */
class Http2ConformanceRstStreamTest extends Http2ConformanceSupport {

  @Test
  void rst_stream_on_an_idle_stream_is_a_protocol_error() {
    Http2Harness.Conn c = open();
    c.exchange(rstStream(1, Http2ErrorCode.CANCEL));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void rst_stream_on_stream_zero_is_a_protocol_error() {
    Http2Harness.Conn c = open();
    c.exchange(rstStream(0, Http2ErrorCode.CANCEL));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void rst_stream_of_wrong_length_is_a_frame_size_error() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, true, request("GET", "/i/hang")),
        frame(Http2Frame.TYPE_RST_STREAM, 0, 1, new byte[3]));
    assertConnectionError(c, Http2ErrorCode.FRAME_SIZE_ERROR);
  }

  @Test
  void a_reset_stream_aborts_its_in_process_connection_and_gets_no_answer() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, true, request("GET", "/i/hang")));
    assertEquals(1, c.session.openStreams(), c::describe);
    assertEquals(1, h.proxy.openSessions(), "the stream's transaction is open");
    int framesBefore = c.kit.frames().size();
    c.exchange(rstStream(1, Http2ErrorCode.CANCEL));
    h.settle();
    assertEquals(0, c.session.openStreams(), c::describe);
    assertEquals(0, h.proxy.openSessions(), "the reset stream's in-process connection must be aborted");
    assertEquals(framesBefore, c.kit.frames().size(), () -> "nothing answers a RST_STREAM; " + c.describe());
    assertNoError(c);
    assertServes(c, 3);
  }

  @Test
  void a_reset_while_the_response_streams_stops_it() {
    Http2Harness.Conn c = open();
    // The default window (65535) lets only part of the 200000 octets out; then the client resets.
    c.exchange(c.kit.headers(1, true, request("GET", "/i/len/200000")));
    assertEquals(200, c.kit.stream(1).status(), c::describe);
    c.exchange(rstStream(1, Http2ErrorCode.CANCEL), Http2ClientKit.windowUpdate(0, 1 << 20));
    int sizeAfterReset = c.kit.stream(1).body.size();
    h.settle();
    assertEquals(sizeAfterReset, c.kit.stream(1).body.size(), "no DATA after RST_STREAM");
    assertTrue(sizeAfterReset <= 65_535, c::describe);
    assertEquals(0, c.session.openStreams(), c::describe);
    assertServes(c, 3);
  }
}
