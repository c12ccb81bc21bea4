package dev.vconn.inmemory.http2;

import static dev.vconn.inmemory.http2.Http2ClientKit.frame;
import static dev.vconn.inmemory.http2.Http2ClientKit.ping;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vconn.domain.http2.Http2ErrorCode;
import dev.vconn.domain.http2.Http2Frame;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RFC 9113, section 6.7 (PING): a PING is answered with a PING ACK carrying the same 8 octets; a PING ACK is not
 * answered; a length other than 8 is a FRAME_SIZE_ERROR, a stream other than 0 a PROTOCOL_ERROR.
 */
class Http2ConformancePingTest extends Http2ConformanceSupport {

  @Test
  void ping_is_answered_with_an_ack_carrying_the_same_payload() {
    Http2Harness.Conn c = open();
    c.exchange(ping(false, 0x0102030405060708L));
    assertEquals(List.of(new Http2Frame.Ping(true, 0x0102030405060708L)), c.kit.frames(Http2Frame.Ping.class),
        c::describe);
    assertNoError(c);
  }

  @Test
  void ping_ack_is_not_answered() {
    Http2Harness.Conn c = open();
    c.exchange(ping(true, 7));
    assertEquals(List.of(), c.kit.frames(Http2Frame.Ping.class), c::describe);
    assertNoError(c);
  }

  @Test
  void ping_of_wrong_length_is_a_frame_size_error() {
    Http2Harness.Conn c = open();
    c.exchange(frame(Http2Frame.TYPE_PING, 0, 0, new byte[6]));
    assertConnectionError(c, Http2ErrorCode.FRAME_SIZE_ERROR);
  }

  @Test
  void ping_on_a_stream_is_a_protocol_error() {
    Http2Harness.Conn c = open();
    c.exchange(frame(Http2Frame.TYPE_PING, 0, 1, new byte[8]));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void ping_between_header_frames_of_a_block_is_a_protocol_error() {
    Http2Harness.Conn c = open();
    byte[] block = c.kit.block(Http2ClientKit.request("GET", "/i/hello"));
    c.exchange(Http2ClientKit.headersFrame(1, Http2Frame.FLAG_END_STREAM, java.util.Arrays.copyOf(block, 2)),
        ping(false, 1), Http2ClientKit.continuation(1, true, java.util.Arrays.copyOfRange(block, 2, block.length)));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }
}
