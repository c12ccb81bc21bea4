package dev.vconn.inmemory.http2;

import static dev.vconn.inmemory.http2.Http2ClientKit.data;
import static dev.vconn.inmemory.http2.Http2ClientKit.frame;
import static dev.vconn.inmemory.http2.Http2ClientKit.id;
import static dev.vconn.inmemory.http2.Http2ClientKit.request;
import static dev.vconn.inmemory.http2.Http2ClientKit.settings;
import static dev.vconn.inmemory.http2.Http2ClientKit.windowUpdate;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.http2.Http2Config;
import dev.vconn.domain.http2.Http2ErrorCode;
import dev.vconn.domain.http2.Http2Frame;
import dev.vconn.domain.http2.Http2Setting;
import org.junit.jupiter.api.Test;

/**
 * RFC 9113, section 5.2 (flow control), 6.9 (WINDOW_UPDATE) and 6.9.2 (initial window size): the server sends no
 * more DATA than the client's stream and connection windows allow, applies a changed SETTINGS_INITIAL_WINDOW_SIZE to
 * open streams (even below zero), treats a window above 2^31-1 as FLOW_CONTROL_ERROR (stream error on a stream,
 * connection error on the connection or through SETTINGS), a zero increment as PROTOCOL_ERROR, and DATA beyond its
 * own advertised windows as FLOW_CONTROL_ERROR.
 */
class Http2ConformanceFlowControlTest extends Http2ConformanceSupport {

  private static final long INITIAL_WINDOW = id(Http2Setting.INITIAL_WINDOW_SIZE);

  private static byte[] pattern(int from, int n) {
    return Http2Harness.PATTERN.bytes(from, n);
  }

  @Test
  void the_server_sends_no_more_than_the_stream_window_then_resumes_on_window_update() {
    Http2Harness.Conn c = open(Http2Config.defaults());
    c.exchange(settings(INITIAL_WINDOW, 100));
    Http2ClientKit.StreamSeen s = get(c, 1, "/i/len/300");
    h.settle();
    assertEquals(200, s.status(), c::describe);
    assertArrayEquals(pattern(0, 100), s.body.toByteArray(), c::describe);
    c.exchange(windowUpdate(1, 150));
    assertArrayEquals(pattern(0, 250), s.body.toByteArray(), c::describe);
    c.exchange(windowUpdate(1, 50));
    assertArrayEquals(pattern(0, 300), s.body.toByteArray(), c::describe);
    assertTrue(s.endStream, c::describe);
  }

  @Test
  void the_connection_window_bounds_all_streams_together() {
    Http2Harness.Conn c = open();
    // Stream windows of 1 MiB, the connection window at its initial 65535.
    c.exchange(settings(INITIAL_WINDOW, 1 << 20));
    c.exchange(c.kit.headers(1, true, request("GET", "/i/len/50000")),
        c.kit.headers(3, true, request("GET", "/i/len/50000")));
    h.settle();
    int total = c.kit.stream(1).body.size() + c.kit.stream(3).body.size();
    assertEquals(65_535, total, c::describe);
    c.exchange(windowUpdate(0, 100_000));
    h.settle();
    assertArrayEquals(pattern(0, 50_000), c.kit.stream(1).body.toByteArray(), c::describe);
    assertArrayEquals(pattern(0, 50_000), c.kit.stream(3).body.toByteArray(), c::describe);
  }

  @Test
  void a_zero_initial_window_holds_data_until_settings_raise_it_for_open_streams() {
    Http2Harness.Conn c = open();
    c.exchange(settings(INITIAL_WINDOW, 0));
    Http2ClientKit.StreamSeen s = get(c, 1, "/i/len/100");
    h.settle();
    assertEquals(200, s.status(), c::describe);
    assertEquals(0, s.body.size(), c::describe);
    // RFC 9113, section 6.9.2: the change applies to every open stream.
    c.exchange(settings(INITIAL_WINDOW, 100));
    assertArrayEquals(pattern(0, 100), s.body.toByteArray(), c::describe);
    assertTrue(s.endStream, c::describe);
  }

  @Test
  void lowering_the_initial_window_can_make_a_stream_window_negative() {
    Http2Harness.Conn c = open();
    c.exchange(settings(INITIAL_WINDOW, 100));
    Http2ClientKit.StreamSeen s = get(c, 1, "/i/len/300");
    h.settle();
    assertEquals(100, s.body.size(), c::describe);
    // Window 100 - 100 sent = 0; the initial window drops by 60: the stream window is -60.
    c.exchange(settings(INITIAL_WINDOW, 40));
    c.exchange(windowUpdate(1, 50));
    assertEquals(100, s.body.size(), () -> "window -10: nothing may be sent; " + c.describe());
    c.exchange(windowUpdate(1, 30));
    assertArrayEquals(pattern(0, 120), s.body.toByteArray(), c::describe);
  }

  @Test
  void a_connection_window_above_the_maximum_is_a_flow_control_error() {
    Http2Harness.Conn c = open();
    c.exchange(windowUpdate(0, 0x7fff_ffff));
    assertConnectionError(c, Http2ErrorCode.FLOW_CONTROL_ERROR);
  }

  @Test
  void a_stream_window_above_the_maximum_is_a_flow_control_stream_error() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, true, request("GET", "/i/hang")));
    c.exchange(windowUpdate(1, 0x7fff_ffff));
    assertStreamError(c, 1, Http2ErrorCode.FLOW_CONTROL_ERROR);
    assertServes(c, 3);
  }

  @Test
  void a_settings_change_pushing_a_window_above_the_maximum_is_a_flow_control_error() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, true, request("GET", "/i/hang")));
    c.exchange(windowUpdate(1, 0x7fff_ffff - 65_535));
    assertNoError(c);
    c.exchange(settings(INITIAL_WINDOW, 65_536));
    assertConnectionError(c, Http2ErrorCode.FLOW_CONTROL_ERROR);
  }

  @Test
  void a_zero_increment_on_the_connection_is_a_protocol_error() {
    Http2Harness.Conn c = open();
    c.exchange(windowUpdate(0, 0));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void a_zero_increment_on_a_stream_is_a_protocol_stream_error() {
    Http2Harness.Conn c = open();
    c.exchange(c.kit.headers(1, true, request("GET", "/i/hang")));
    c.exchange(windowUpdate(1, 0));
    assertStreamOrConnectionError(c, 1, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void a_window_update_of_wrong_length_is_a_frame_size_error() {
    Http2Harness.Conn c = open();
    c.exchange(frame(Http2Frame.TYPE_WINDOW_UPDATE, 0, 0, new byte[] {0, 0, 1}));
    assertConnectionError(c, Http2ErrorCode.FRAME_SIZE_ERROR);
  }

  @Test
  void data_beyond_the_stream_window_is_a_flow_control_error() {
    Http2Harness.Conn c = open(Http2Config.builder().initialWindowSize(1024).build());
    // One frame one octet larger than the stream window: no WINDOW_UPDATE can make room for it in between.
    c.exchange(c.kit.headers(1, false, request("POST", "/i/hang")), data(1, false, new byte[1025]));
    assertStreamOrConnectionError(c, 1, Http2ErrorCode.FLOW_CONTROL_ERROR);
  }

  @Test
  void data_within_the_stream_window_is_accepted() {
    Http2Harness.Conn c = open(Http2Config.builder().initialWindowSize(1024).build());
    c.exchange(c.kit.headers(1, false, request("POST", "/i/echo")), data(1, true, new byte[1024]));
    assertEquals(200, c.kit.stream(1).status(), c::describe);
    assertEquals(1024, c.kit.stream(1).body.size(), c::describe);
  }

  @Test
  void data_beyond_the_connection_window_is_a_flow_control_error() {
    // Stream windows of 1 MiB, frames up to 64 KiB, the connection window 65535: one frame of 65536 octets.
    Http2Harness.Conn c = open(Http2Config.builder().connectionWindowSize(65_535).initialWindowSize(1 << 20)
        .maxFrameSize(65_536).build());
    c.exchange(c.kit.headers(1, false, request("POST", "/i/hang")), data(1, false, new byte[65_536]));
    assertConnectionError(c, Http2ErrorCode.FLOW_CONTROL_ERROR);
  }

  @Test
  void the_server_gives_back_window_as_the_request_body_is_consumed() {
    Http2Harness.Conn c = open(Http2Config.builder().initialWindowSize(16_384).connectionWindowSize(65_535)
        .build());
    // 200000 octets through a 16 KiB stream window and a 64 KiB connection window: only possible if the server sends
    // WINDOW_UPDATE for both as the intercept reads the body.
    c.send(c.kit.headers(1, false, request("POST", "/i/echo")));
    int sent = 0;
    int total = 200_000;
    for (int round = 0; round < 200 && sent < total; round++) {
      int allowed = streamCredit(c, 16_384) - sent;
      int n = Math.min(Math.min(allowed, 16_384), total - sent);
      if (n > 0) {
        c.send(data(1, sent + n == total, pattern(sent, n)));
        sent += n;
      }
      h.settle();
    }
    assertEquals(total, sent, () -> "the server never opened its window; " + c.describe());
    c.autoWindow().exchange(windowUpdate(0, 1 << 20), windowUpdate(1, 1 << 20));
    h.settle();
    assertArrayEquals(pattern(0, total), h.intercept.requests().get(0).body());
  }

  @Test
  void a_slow_reader_of_one_stream_does_not_stall_another() {
    Http2Harness.Conn c = open().autoWindow().holdWindow(1);
    // The client's connection window is far above its stream windows, as a client that multiplexes must set it.
    c.exchange(windowUpdate(0, 1 << 24));
    c.exchange(c.kit.headers(1, true, request("GET", "/i/len/300000")));
    c.exchange(c.kit.headers(3, true, request("GET", "/i/len/200000")));
    h.settle();
    assertEquals(65_535, c.kit.stream(1).body.size(), c::describe);
    assertArrayEquals(pattern(0, 200_000), c.kit.stream(3).body.toByteArray(), c::describe);
    assertTrue(c.kit.stream(3).endStream, c::describe);
    // The slow reader catches up.
    c.exchange(windowUpdate(1, 300_000));
    h.settle();
    assertArrayEquals(pattern(0, 300_000), c.kit.stream(1).body.toByteArray(), c::describe);
  }

  @Test
  void a_one_mib_body_goes_both_ways_byte_identical() {
    Http2Harness.Conn c = open().autoWindow();
    byte[] body = pattern(7, 1 << 20);
    c.send(c.kit.headers(1, false, request("POST", "/i/echo")));
    int sent = 0;
    for (int round = 0; round < 2000 && sent < body.length; round++) {
      int allowed = streamCredit(c, 65_535) - sent;
      int n = Math.min(Math.min(allowed, 16_384), body.length - sent);
      if (n > 0) {
        c.send(data(1, sent + n == body.length, java.util.Arrays.copyOfRange(body, sent, sent + n)));
        sent += n;
      } else {
        h.settle();
      }
    }
    h.settle();
    assertEquals(body.length, sent, c::describe);
    assertArrayEquals(body, h.intercept.requests().get(0).body());
    assertArrayEquals(body, c.kit.stream(1).body.toByteArray(), c::describe);
    assertTrue(c.kit.stream(1).endStream, c::describe);
  }

  /** What the server allowed on stream 1 so far: the initial window plus every WINDOW_UPDATE on stream 1. */
  private static int streamCredit(Http2Harness.Conn c, int initial) {
    long credit = initial;
    long conn = 65_535;
    for (Http2Frame.WindowUpdate w : c.kit.frames(Http2Frame.WindowUpdate.class)) {
      if (w.streamId() == 1) {
        credit += w.increment();
      } else if (w.streamId() == 0) {
        conn += w.increment();
      }
    }
    return (int) Math.min(credit, conn);
  }
}
