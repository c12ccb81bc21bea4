package dev.vconn.inmemory.http2;

import static dev.vconn.inmemory.http2.Http2ClientKit.continuation;
import static dev.vconn.inmemory.http2.Http2ClientKit.data;
import static dev.vconn.inmemory.http2.Http2ClientKit.headersFrame;
import static dev.vconn.inmemory.http2.Http2ClientKit.request;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vconn.domain.http2.Http2ErrorCode;
import dev.vconn.domain.http2.Http2Frame;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * RFC 9113, section 6.10 (CONTINUATION) and 4.3: a header block is HEADERS without END_HEADERS followed by
 * CONTINUATION frames of the same stream and nothing else; any other frame in between, a CONTINUATION on another
 * stream, or a CONTINUATION not preceded by an open block is a connection error of type PROTOCOL_ERROR.
 */
class Http2ConformanceContinuationTest extends Http2ConformanceSupport {

  @Test
  void a_block_split_into_many_continuation_frames_is_served() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, true, req("GET", "/i/hello", "x-long", "y".repeat(300)), 7));
    assertEquals(200, c.kit.stream(1).status(), c::describe);
    assertEquals("y".repeat(300), h.intercept.requests().get(0).head().headers().get("x-long"));
  }

  @Test
  void a_block_larger_than_a_frame_is_split_and_served() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, true, req("GET", "/i/hello", "x-a", "a".repeat(10_000), "x-b", "b".repeat(10_000))));
    assertEquals(200, c.kit.stream(1).status(), c::describe);
  }

  @Test
  void empty_continuation_frames_are_accepted() {
    Http2Harness.Conn c = open();
    byte[] block = c.kit.block(request("GET", "/i/hello"));
    c.exchange(headersFrame(1, Http2Frame.FLAG_END_STREAM, block), continuation(1, false, new byte[0]),
        continuation(1, true, new byte[0]));
    assertEquals(200, c.kit.stream(1).status(), c::describe);
  }

  @Test
  void a_frame_of_another_stream_inside_a_block_is_a_protocol_error() {
    Http2Harness.Conn c = open();
    byte[] block = c.kit.block(request("GET", "/i/hello"));
    c.exchange(headersFrame(1, Http2Frame.FLAG_END_STREAM, Arrays.copyOf(block, 2)),
        c.kit.headers(3, true, request("GET", "/i/hello")));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void a_continuation_of_another_stream_is_a_protocol_error() {
    Http2Harness.Conn c = open();
    byte[] block = c.kit.block(request("GET", "/i/hello"));
    c.exchange(headersFrame(1, Http2Frame.FLAG_END_STREAM, Arrays.copyOf(block, 2)),
        continuation(3, true, Arrays.copyOfRange(block, 2, block.length)));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void data_of_the_same_stream_inside_a_block_is_a_protocol_error() {
    Http2Harness.Conn c = open();
    byte[] block = c.kit.block(request("POST", "/i/echo"));
    c.exchange(headersFrame(1, 0, Arrays.copyOf(block, 2)), data(1, true, "x"),
        continuation(1, true, Arrays.copyOfRange(block, 2, block.length)));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void a_continuation_after_end_headers_is_a_protocol_error() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, false, request("POST", "/i/hang")), continuation(1, true, new byte[0]));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void a_continuation_after_a_complete_stream_is_a_protocol_error() {
    Http2Harness.Conn c = open();
    assertServes(c, 1);
    c.exchange(continuation(1, true, new byte[0]));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }
}
