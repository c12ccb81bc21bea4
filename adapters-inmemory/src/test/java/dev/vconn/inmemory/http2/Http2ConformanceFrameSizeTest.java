package dev.vconn.inmemory.http2;

import static dev.vconn.inmemory.http2.Http2ClientKit.data;
import static dev.vconn.inmemory.http2.Http2ClientKit.frame;
import static dev.vconn.inmemory.http2.Http2ClientKit.request;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vconn.domain.http2.Http2Config;
import dev.vconn.domain.http2.Http2ErrorCode;
import dev.vconn.domain.http2.Http2Frame;
import org.junit.jupiter.api.Test;

/**
 * RFC 9113, section 4 (frame format, frame size) and section 5.5 (extending HTTP/2): a frame larger than this
 * endpoint's SETTINGS_MAX_FRAME_SIZE is a FRAME_SIZE_ERROR (a connection error for frames that change connection
 * state, and in vconn for every frame: docs/http2.md, "Known differences"); frames of unknown types and unknown flags
 * are ignored.
 */
class Http2ConformanceFrameSizeTest extends Http2ConformanceSupport {

  @Test
  void data_larger_than_the_default_max_frame_size_is_a_frame_size_error() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, false, request("POST", "/i/echo")), data(1, true, new byte[16_385]));
    assertConnectionError(c, Http2ErrorCode.FRAME_SIZE_ERROR);
  }

  @Test
  void data_of_exactly_the_max_frame_size_is_accepted() {
    Http2Harness.Conn c = open().autoWindow();
    c.exchange(c.kit.headers(1, false, request("POST", "/i/echo")), data(1, true, new byte[16_384]));
    h.settle();
    assertEquals(200, c.kit.stream(1).status(), c::describe);
    assertEquals(16_384, c.kit.stream(1).body.size(), c::describe);
  }

  @Test
  void headers_larger_than_the_max_frame_size_are_a_frame_size_error() {
    Http2Harness.Conn c = open();
    // Two literal fields of 9000 octets each, without Huffman coding (RFC 7541, section 6.2.2): 18 KiB of payload.
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    b.writeBytes(c.kit.block(request("GET", "/i/hello")));
    for (String name : new String[] {"x-big1", "x-big2"}) {
      b.write(0x00);
      b.write(name.length());
      b.writeBytes(name.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      b.write(0x7f);
      int rest = 9000 - 127;
      while (rest >= 128) {
        b.write((rest & 0x7f) | 0x80);
        rest >>>= 7;
      }
      b.write(rest);
      b.writeBytes("v".repeat(9000).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    }
    byte[] block = b.toByteArray();
    c.exchange(Http2ClientKit.headersFrame(1, Http2Frame.FLAG_END_STREAM | Http2Frame.FLAG_END_HEADERS, block));
    assertConnectionError(c, Http2ErrorCode.FRAME_SIZE_ERROR);
  }

  @Test
  void a_larger_configured_max_frame_size_is_enforced_once_acknowledged() {
    Http2Harness.Conn c = open(Http2Config.builder().maxFrameSize(20_000).build()).autoWindow();
    c.exchange(c.kit.headers(1, false, request("POST", "/i/echo")), data(1, true, new byte[20_000]));
    h.settle();
    assertEquals(200, c.kit.stream(1).status(), c::describe);
    assertEquals(20_000, c.kit.stream(1).body.size(), c::describe);
    c.exchange(c.kit.headers(3, false, request("POST", "/i/echo")), data(3, true, new byte[20_001]));
    assertConnectionError(c, Http2ErrorCode.FRAME_SIZE_ERROR);
  }

  @Test
  void a_data_frame_of_60000_octets_within_a_configured_max_frame_size_of_65536_is_parsed() {
    // RFC 9113, section 4.2: an endpoint MUST be capable of receiving frames up to the SETTINGS_MAX_FRAME_SIZE it
    // advertised, however its input is buffered.
    Http2Harness.Conn c = open(Http2Config.builder().maxFrameSize(65_536).initialWindowSize(1 << 20)
        .connectionWindowSize(1 << 20).build()).autoWindow();
    c.exchange(c.kit.headers(1, false, request("POST", "/i/echo")), data(1, true, new byte[60_000]));
    h.settle();
    assertEquals(200, c.kit.stream(1).status(), c::describe);
    assertEquals(60_000, c.kit.stream(1).body.size(), c::describe);
  }

  @Test
  void a_frame_header_announcing_more_than_the_limit_is_refused_before_the_payload_arrives() {
    Http2Harness.Conn c = open();
    c.exchange(Http2ClientKit.frameHeader(1 << 20, Http2Frame.TYPE_DATA, 0, 1));
    assertConnectionError(c, Http2ErrorCode.FRAME_SIZE_ERROR);
  }

  @Test
  void frames_of_unknown_type_are_ignored() {
    Http2Harness.Conn c = open();
    c.exchange(frame(0x20, 0xff, 0, new byte[] {1, 2, 3}), frame(0xee, 0, 1, new byte[100]));
    assertNoError(c);
    assertServes(c, 1);
  }

  @Test
  void unknown_flags_are_ignored() {
    Http2Harness.Conn c = open();
    byte[] block = c.kit.block(request("GET", "/i/hello"));
    // 0x02, 0x10, 0x40, 0x80 are undefined for HEADERS (RFC 9113, section 6.2).
    c.exchange(Http2ClientKit.headersFrame(1, 0xd2 | Http2Frame.FLAG_END_STREAM | Http2Frame.FLAG_END_HEADERS,
        block));
    assertEquals(200, c.kit.stream(1).status(), c::describe);
    c.exchange(frame(Http2Frame.TYPE_PING, 0xfe, 0, new byte[8]));
    assertEquals(1, c.kit.frames(Http2Frame.Ping.class).size(), c::describe);
  }

  @Test
  void the_reserved_bit_of_the_stream_identifier_is_ignored() {
    Http2Harness.Conn c = open();
    byte[] block = c.kit.block(request("GET", "/i/hello"));
    byte[] f = Http2ClientKit.headersFrame(1, Http2Frame.FLAG_END_STREAM | Http2Frame.FLAG_END_HEADERS, block);
    f[5] |= (byte) 0x80;
    c.exchange(f);
    assertEquals(200, c.kit.stream(1).status(), c::describe);
  }

  @Test
  void padded_data_and_headers_are_accepted_and_padding_counts_against_flow_control() {
    Http2Harness.Conn c = open();
    byte[] block = c.kit.block(request("POST", "/i/echo"));
    byte[] headers = frame(Http2Frame.TYPE_HEADERS, Http2Frame.FLAG_END_HEADERS | Http2Frame.FLAG_PADDED, 1,
        Http2ClientKit.concat(new byte[] {3}, block, new byte[3]));
    byte[] padded = frame(Http2Frame.TYPE_DATA, Http2Frame.FLAG_END_STREAM | Http2Frame.FLAG_PADDED, 1,
        Http2ClientKit.concat(new byte[] {10}, "abc".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1),
            new byte[10]));
    c.exchange(headers, padded);
    assertEquals(200, c.kit.stream(1).status(), c::describe);
    assertEquals("abc", c.kit.stream(1).bodyText(), c::describe);
  }

  @Test
  void padding_as_long_as_the_payload_is_a_protocol_error() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, false, request("POST", "/i/echo")),
        frame(Http2Frame.TYPE_DATA, Http2Frame.FLAG_PADDED, 1, new byte[] {5, 0, 0, 0, 0}));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }
}
