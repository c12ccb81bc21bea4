package dev.vconn.inmemory.http2;

import static dev.vconn.inmemory.http2.Http2ClientKit.PREFACE;
import static dev.vconn.inmemory.http2.Http2ClientKit.concat;
import static dev.vconn.inmemory.http2.Http2ClientKit.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.http2.Http2Config;
import dev.vconn.domain.http2.Http2ErrorCode;
import dev.vconn.domain.http2.Http2Frame;
import dev.vconn.domain.http2.Http2Setting;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * RFC 9113, section 3.4 (HTTP/2 connection preface) and section 6.5 as far as the server's first SETTINGS goes: the
 * server's preface is a SETTINGS frame sent first, carrying the configured values; the client's must be the 24-octet
 * magic followed by a SETTINGS frame, and anything else is a connection error of type PROTOCOL_ERROR (the GOAWAY may
 * be omitted, the connection must close) before any stream reaches the proxy.
 */
class Http2ConformancePrefaceTest extends Http2ConformanceSupport {

  private static Map<Http2Setting, Long> values(Http2Frame.Settings s) {
    Map<Http2Setting, Long> m = new EnumMap<>(Http2Setting.class);
    for (Http2Frame.Setting v : s.settings()) {
      m.put(v.setting(), v.value());
    }
    return m;
  }

  @Test
  void server_preface_is_a_settings_frame_sent_first_with_the_configured_values() {
    Http2Config cfg = Http2Config.builder().maxConcurrentStreams(7).initialWindowSize(1000).maxFrameSize(20_000)
        .maxHeaderListSize(5000).headerTableSize(2048).connectionWindowSize(200_000).build();
    Http2Harness.Conn c = h.open(cfg, 1).exchange(PREFACE, settings());
    List<Http2Frame> frames = c.kit.frames();
    assertFalse(frames.isEmpty(), c::describe);
    Http2Frame.Settings first = (Http2Frame.Settings) frames.get(0);
    assertFalse(first.ack(), c::describe);
    Map<Http2Setting, Long> v = values(first);
    assertEquals(7L, v.get(Http2Setting.MAX_CONCURRENT_STREAMS), c::describe);
    assertEquals(1000L, v.get(Http2Setting.INITIAL_WINDOW_SIZE), c::describe);
    assertEquals(20_000L, v.get(Http2Setting.MAX_FRAME_SIZE), c::describe);
    assertEquals(5000L, v.get(Http2Setting.MAX_HEADER_LIST_SIZE), c::describe);
    assertEquals(2048L, v.get(Http2Setting.HEADER_TABLE_SIZE), c::describe);
    // A server must not set ENABLE_PUSH to 1 (RFC 9113, section 6.5.2).
    assertTrue(v.getOrDefault(Http2Setting.ENABLE_PUSH, 0L) == 0L, c::describe);
    // The client's SETTINGS is acknowledged, and the connection window raised to the configured size.
    assertEquals(1, c.kit.frames(Http2Frame.Settings.class).stream().filter(Http2Frame.Settings::ack).count(),
        c::describe);
    assertEquals(List.of(new Http2Frame.WindowUpdate(0, 200_000 - 65_535)),
        c.kit.frames(Http2Frame.WindowUpdate.class), c::describe);
    assertNoError(c);
  }

  @Test
  void default_config_advertises_its_stream_and_header_list_limits() {
    Http2Harness.Conn c = openRaw().exchange(PREFACE, settings());
    Http2Frame.Settings first = (Http2Frame.Settings) c.kit.frames().get(0);
    Map<Http2Setting, Long> v = values(first);
    assertEquals(100L, v.get(Http2Setting.MAX_CONCURRENT_STREAMS), c::describe);
    assertEquals(64L * 1024, v.get(Http2Setting.MAX_HEADER_LIST_SIZE), c::describe);
    // Values left out are the protocol's initial ones, which are the defaults.
    assertEquals(65_535L, v.getOrDefault(Http2Setting.INITIAL_WINDOW_SIZE, 65_535L), c::describe);
    assertEquals(16_384L, v.getOrDefault(Http2Setting.MAX_FRAME_SIZE, 16_384L), c::describe);
    assertEquals(4096L, v.getOrDefault(Http2Setting.HEADER_TABLE_SIZE, 4096L), c::describe);
    assertEquals(List.of(new Http2Frame.WindowUpdate(0, (1 << 20) - 65_535)),
        c.kit.frames(Http2Frame.WindowUpdate.class), c::describe);
  }

  @Test
  void a_preface_that_arrives_one_octet_at_a_time_is_accepted() {
    Http2Harness.Conn c = openRaw();
    for (byte b : concat(PREFACE, settings())) {
      c.send(new byte[] {b});
      h.loop.runReady();
    }
    c.exchange(Http2ClientKit.settingsAck());
    assertServes(c, 1);
    assertLoggedAsH2(c, 1);
  }

  /** What RFC 9113 section 3.4 requires of a bad preface: closed, GOAWAY (if any) PROTOCOL_ERROR, nothing served. */
  private void assertPrefaceRefused(Http2Harness.Conn c) {
    h.settle();
    assertTrue(c.ended(), () -> "an invalid preface must close the connection; " + c.describe());
    List<Http2Frame.GoAway> g = c.kit.goAways();
    if (!g.isEmpty()) {
      assertEquals(Http2ErrorCode.PROTOCOL_ERROR, Http2ErrorCode.of(g.get(0).errorCode()), c::describe);
      assertEquals(0, g.get(0).lastStreamId(), c::describe);
    }
    assertEquals(0, h.inProcessConnects, "no stream may reach the proxy before a valid preface");
    assertTrue(h.log.isEmpty(), () -> "nothing may be logged: " + h.log);
  }

  @Test
  void a_wrong_magic_is_a_protocol_error() {
    Http2Harness.Conn c = openRaw();
    c.exchange("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), settings(),
        c.kit.headers(1, true, Http2ClientKit.request("GET", "/i/hello")));
    assertPrefaceRefused(c);
  }

  @Test
  void an_http1_request_instead_of_the_preface_is_refused() {
    Http2Harness.Conn c = openRaw();
    c.exchange("GET /i/hello HTTP/1.1\r\nHost: h2.test\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    assertPrefaceRefused(c);
  }

  @Test
  void a_first_frame_other_than_settings_is_a_protocol_error() {
    Http2Harness.Conn c = openRaw();
    c.exchange(PREFACE, Http2ClientKit.ping(false, 42), settings());
    assertPrefaceRefused(c);
  }

  @Test
  void a_settings_ack_as_the_first_frame_is_a_protocol_error() {
    Http2Harness.Conn c = openRaw();
    c.exchange(PREFACE, Http2ClientKit.settingsAck());
    assertPrefaceRefused(c);
  }

  @Test
  void a_client_that_closes_inside_the_preface_leaves_nothing_behind() {
    Http2Harness.Conn c = openRaw();
    c.exchange(java.util.Arrays.copyOf(PREFACE, 10));
    c.vconn.shutdown(dev.vconn.domain.ShutdownHow.WRITE);
    h.settle();
    assertTrue(c.ended(), c::describe);
    assertEquals(0, h.inProcessConnects);
  }
}
