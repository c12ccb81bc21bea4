package dev.vconn.inmemory.http2;

import static dev.vconn.inmemory.http2.Http2ClientKit.frame;
import static dev.vconn.inmemory.http2.Http2ClientKit.id;
import static dev.vconn.inmemory.http2.Http2ClientKit.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.http2.Http2ErrorCode;
import dev.vconn.domain.http2.Http2Frame;
import dev.vconn.domain.http2.Http2Setting;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RFC 9113, section 6.5 (SETTINGS): every SETTINGS is acknowledged with an empty SETTINGS ACK; an ACK with a payload
 * or a length that is not a multiple of 6 is a FRAME_SIZE_ERROR, SETTINGS on a stream other than 0 a PROTOCOL_ERROR;
 * the values of section 6.5.2 out of range are PROTOCOL_ERROR (FLOW_CONTROL_ERROR for INITIAL_WINDOW_SIZE); unknown
 * identifiers are ignored.
 */
class Http2ConformanceSettingsTest extends Http2ConformanceSupport {

  private static long acks(Http2Harness.Conn c) {
    return c.kit.frames(Http2Frame.Settings.class).stream().filter(Http2Frame.Settings::ack).count();
  }

  @Test
  void each_settings_frame_is_acknowledged_with_an_empty_ack() {
    Http2Harness.Conn c = open();
    long before = acks(c);
    c.exchange(settings(id(Http2Setting.MAX_CONCURRENT_STREAMS), 10), settings());
    assertEquals(before + 2, acks(c), c::describe);
    Http2Frame.Settings last = c.kit.frames(Http2Frame.Settings.class).get(c.kit.frames(Http2Frame.Settings.class)
        .size() - 1);
    assertEquals(new Http2Frame.Settings(true, List.of()), last, c::describe);
    assertNoError(c);
  }

  @Test
  void an_ack_of_the_server_settings_is_not_acknowledged() {
    Http2Harness.Conn c = open();
    long before = c.kit.frames().size();
    c.exchange(Http2ClientKit.settingsAck());
    // An unexpected ACK is not an error either; nothing comes back.
    assertEquals(before, c.kit.frames().size(), c::describe);
    assertNoError(c);
  }

  @Test
  void unknown_setting_identifiers_are_ignored() {
    Http2Harness.Conn c = open();
    long before = acks(c);
    c.exchange(settings(0xff, 1, 0x4242, 0xffffffffL));
    assertEquals(before + 1, acks(c), c::describe);
    assertNoError(c);
    assertServes(c, 1);
  }

  @Test
  void settings_ack_with_a_payload_is_a_frame_size_error() {
    Http2Harness.Conn c = open();
    c.exchange(frame(Http2Frame.TYPE_SETTINGS, Http2Frame.FLAG_ACK, 0, new byte[6]));
    assertConnectionError(c, Http2ErrorCode.FRAME_SIZE_ERROR);
  }

  @Test
  void settings_length_not_a_multiple_of_six_is_a_frame_size_error() {
    Http2Harness.Conn c = open();
    c.exchange(frame(Http2Frame.TYPE_SETTINGS, 0, 0, new byte[] {0, 3, 0, 0, 0, 100, 0}));
    assertConnectionError(c, Http2ErrorCode.FRAME_SIZE_ERROR);
  }

  @Test
  void settings_on_a_stream_is_a_protocol_error() {
    Http2Harness.Conn c = open();
    c.exchange(frame(Http2Frame.TYPE_SETTINGS, 0, 1, new byte[0]));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void enable_push_other_than_zero_or_one_is_a_protocol_error() {
    Http2Harness.Conn c = open();
    c.exchange(settings(id(Http2Setting.ENABLE_PUSH), 2));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void initial_window_size_above_the_maximum_is_a_flow_control_error() {
    Http2Harness.Conn c = open();
    c.exchange(settings(id(Http2Setting.INITIAL_WINDOW_SIZE), 0x8000_0000L));
    assertConnectionError(c, Http2ErrorCode.FLOW_CONTROL_ERROR);
  }

  @Test
  void max_frame_size_below_the_initial_value_is_a_protocol_error() {
    Http2Harness.Conn c = open();
    c.exchange(settings(id(Http2Setting.MAX_FRAME_SIZE), 16_383));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void max_frame_size_above_the_maximum_is_a_protocol_error() {
    Http2Harness.Conn c = open();
    c.exchange(settings(id(Http2Setting.MAX_FRAME_SIZE), 16_777_216));
    assertConnectionError(c, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void a_larger_client_max_frame_size_lets_the_server_send_larger_data() {
    Http2Harness.Conn c = open();
    c.exchange(settings(id(Http2Setting.MAX_FRAME_SIZE), 32_768, id(Http2Setting.INITIAL_WINDOW_SIZE), 1 << 20),
        Http2ClientKit.windowUpdate(0, 1 << 20));
    c.kit.setMaxFrameSize(32_768);
    Http2ClientKit.StreamSeen s = get(c, 1, "/i/len/40000");
    h.settle();
    assertEquals(40_000, s.body.size(), c::describe);
    assertTrue(s.endStream, c::describe);
    // Whatever the frame sizes chosen, none may exceed the client's setting (the kit's parser enforces it).
    assertNoError(c);
  }

  @Test
  void server_data_frames_never_exceed_the_default_max_frame_size() {
    Http2Harness.Conn c = open().autoWindow();
    Http2ClientKit.StreamSeen s = get(c, 1, "/i/len/50000");
    h.settle();
    assertEquals(50_000, s.body.size(), c::describe);
    for (Http2Frame.Data d : c.kit.frames(Http2Frame.Data.class)) {
      assertTrue(d.flowControlledLength() <= 16_384, c::describe);
    }
  }
}
