package dev.vconn.inmemory.http2;

import static dev.vconn.inmemory.http2.Http2ClientKit.continuation;
import static dev.vconn.inmemory.http2.Http2ClientKit.headersFrame;
import static dev.vconn.inmemory.http2.Http2ClientKit.id;
import static dev.vconn.inmemory.http2.Http2ClientKit.ping;
import static dev.vconn.inmemory.http2.Http2ClientKit.request;
import static dev.vconn.inmemory.http2.Http2ClientKit.rstStream;
import static dev.vconn.inmemory.http2.Http2ClientKit.settings;
import static dev.vconn.inmemory.http2.Http2ClientKit.windowUpdate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.http2.Http2Config;
import dev.vconn.domain.http2.Http2ErrorCode;
import dev.vconn.domain.http2.Http2Frame;
import dev.vconn.domain.http2.Http2Setting;
import dev.vconn.domain.http2.hpack.HeaderField;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The session's abuse limits (docs/http2.md, "Limits"), each set through {@link Http2Config} and each tested at the
 * configured value (allowed) and one past it (enforced), on the loop's virtual clock: rapid reset (CVE-2023-44487),
 * CONTINUATION flood (CVE-2024-27316), SETTINGS and PING floods (ENHANCE_YOUR_CALM), HPACK decompression bombs
 * (COMPRESSION_ERROR), header lists above SETTINGS_MAX_HEADER_LIST_SIZE (431), zero-window stalls (RST_STREAM
 * FLOW_CONTROL_ERROR after the configured time) and idle connections (GOAWAY NO_ERROR and close).
 */
class Http2AbuseLimitsTest extends Http2ConformanceSupport {

  private static final Duration INTERVAL = Duration.ofSeconds(1);

  /** A connection on {@code cfg} whose flood counters start a fresh interval. */
  private Http2Harness.Conn openQuiet(Http2Config cfg) {
    Http2Harness.Conn c = open(cfg);
    h.advance(cfg.resetInterval().multipliedBy(2));
    assertNoError(c);
    return c;
  }

  // ------------------------------------------------------------------------------------------------- rapid reset

  private static byte[] resets(Http2Harness.Conn c, int firstStream, int count) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < count; i++) {
      int sid = firstStream + 2 * i;
      out.writeBytes(c.kit.headers(sid, true, request("GET", "/i/hang")));
      out.writeBytes(rstStream(sid, Http2ErrorCode.CANCEL));
    }
    return out.toByteArray();
  }

  private static Http2Config resetLimit(int n) {
    return Http2Config.builder().maxResetsPerInterval(n).resetInterval(INTERVAL).build();
  }

  @Test
  void rapid_reset_at_the_configured_limit_is_allowed() {
    Http2Harness.Conn c = openQuiet(resetLimit(5));
    c.exchange(resets(c, 1, 5));
    assertNoError(c);
    assertServes(c, 11);
  }

  @Test
  void rapid_reset_one_past_the_configured_limit_is_enhance_your_calm() {
    Http2Harness.Conn c = openQuiet(resetLimit(5));
    c.exchange(resets(c, 1, 6));
    assertConnectionError(c, Http2ErrorCode.ENHANCE_YOUR_CALM);
  }

  @Test
  void rapid_reset_counts_per_interval() {
    Http2Harness.Conn c = openQuiet(resetLimit(5));
    c.exchange(resets(c, 1, 5));
    h.advance(INTERVAL.multipliedBy(2));
    c.exchange(resets(c, 11, 5));
    assertNoError(c);
  }

  @Test
  void rapid_reset_default_limit_is_200_per_second() {
    Http2Harness.Conn c = openQuiet(Http2Config.defaults());
    c.exchange(resets(c, 1, 200));
    assertNoError(c);
    h.advance(Duration.ofSeconds(2));
    c.exchange(resets(c, 401, 201));
    assertConnectionError(c, Http2ErrorCode.ENHANCE_YOUR_CALM);
  }

  /** {@code count} GETs of /i/hang on new streams from {@code firstStream} (each stays open unless refused). */
  private static byte[] hangs(Http2Harness.Conn c, int firstStream, int count) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < count; i++) {
      out.writeBytes(c.kit.headers(firstStream + 2 * i, true, request("GET", "/i/hang")));
    }
    return out.toByteArray();
  }

  @Test
  void refused_streams_count_as_resets_up_to_the_configured_limit() {
    // Http2Config: streams refused beyond max_concurrent_streams count against maxResetsPerInterval too.
    Http2Harness.Conn c = openQuiet(Http2Config.builder().maxConcurrentStreams(1).maxResetsPerInterval(3)
        .resetInterval(INTERVAL).build());
    c.exchange(hangs(c, 1, 4));
    assertEquals(Http2ErrorCode.REFUSED_STREAM, c.kit.stream(7).reset, c::describe);
    assertTrue(c.kit.goAways().isEmpty(), c::describe);
    assertFalse(c.ended(), c::describe);
  }

  @Test
  void refused_streams_one_past_the_configured_limit_are_enhance_your_calm() {
    Http2Harness.Conn c = openQuiet(Http2Config.builder().maxConcurrentStreams(1).maxResetsPerInterval(3)
        .resetInterval(INTERVAL).build());
    c.exchange(hangs(c, 1, 5));
    assertConnectionError(c, Http2ErrorCode.ENHANCE_YOUR_CALM);
  }

  // -------------------------------------------------------------------------------------------- CONTINUATION flood

  /** The block of a GET of /i/hello on a fresh connection (the kit's encoder is deterministic). */
  private byte[] firstBlock() {
    Http2ClientKit k = new Http2ClientKit(new BlockPool());
    try {
      return k.block(request("GET", "/i/hello"));
    } finally {
      k.close();
    }
  }

  /** HEADERS carrying {@code block} without END_HEADERS, then {@code empties} empty CONTINUATIONs, the last ending. */
  private static byte[] continuationFlood(byte[] block, int empties) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(headersFrame(1, Http2Frame.FLAG_END_STREAM, block));
    for (int i = 0; i < empties; i++) {
      out.writeBytes(continuation(1, i == empties - 1, new byte[0]));
    }
    return out.toByteArray();
  }

  @Test
  void a_header_block_of_exactly_max_header_block_size_is_served() {
    byte[] block = firstBlock();
    int empties = 200;
    int size = block.length + 9 * (empties + 1);
    Http2Harness.Conn c = open(Http2Config.builder().maxHeaderBlockSize(size).build());
    c.exchange(continuationFlood(block, empties));
    assertEquals(200, c.kit.stream(1).status(), c::describe);
  }

  @Test
  void a_header_block_one_octet_above_max_header_block_size_is_enhance_your_calm() {
    byte[] block = firstBlock();
    int empties = 200;
    int size = block.length + 9 * (empties + 1);
    Http2Harness.Conn c = open(Http2Config.builder().maxHeaderBlockSize(size - 1).build());
    c.exchange(continuationFlood(block, empties));
    assertConnectionError(c, Http2ErrorCode.ENHANCE_YOUR_CALM);
    assertEquals(0, h.intercept.requests().size());
  }

  @Test
  void an_endless_continuation_flood_is_stopped_at_the_default_bound() {
    Http2Harness.Conn c = open();
    byte[] block = firstBlock();
    c.exchange(headersFrame(1, Http2Frame.FLAG_END_STREAM, block));
    ByteArrayOutputStream batch = new ByteArrayOutputStream();
    for (int i = 0; i < 1000; i++) {
      batch.writeBytes(continuation(1, false, new byte[0]));
    }
    byte[] nineThousand = batch.toByteArray();
    long sent = 0;
    long bound = 128 * 1024;
    while (!c.ended() && sent < 4 * bound) {
      c.exchange(nineThousand);
      sent += nineThousand.length;
      // The pool holds only what the session has not parsed yet: a flood must not pile up.
      assertTrue(h.pool.outstandingBytes() < 2L * bound, () -> "pool grew to " + h.pool.outstandingBytes());
    }
    assertConnectionError(c, Http2ErrorCode.ENHANCE_YOUR_CALM);
    long sentWhenStopped = sent;
    assertTrue(sentWhenStopped <= bound + nineThousand.length, () -> "stopped only after " + sentWhenStopped);
  }

  // -------------------------------------------------------------------------------------- SETTINGS and PING floods

  private static byte[] repeat(byte[] frame, int n) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < n; i++) {
      out.writeBytes(frame);
    }
    return out.toByteArray();
  }

  @Test
  void settings_at_the_configured_limit_are_all_acknowledged() {
    Http2Harness.Conn c = openQuiet(Http2Config.builder().maxSettingsPerInterval(10).resetInterval(INTERVAL)
        .build());
    long before = c.kit.frames(Http2Frame.Settings.class).stream().filter(Http2Frame.Settings::ack).count();
    c.exchange(repeat(settings(id(Http2Setting.MAX_CONCURRENT_STREAMS), 50), 10));
    long after = c.kit.frames(Http2Frame.Settings.class).stream().filter(Http2Frame.Settings::ack).count();
    assertEquals(before + 10, after, c::describe);
    assertNoError(c);
  }

  @Test
  void settings_one_past_the_configured_limit_are_enhance_your_calm() {
    Http2Harness.Conn c = openQuiet(Http2Config.builder().maxSettingsPerInterval(10).resetInterval(INTERVAL)
        .build());
    c.exchange(repeat(settings(id(Http2Setting.MAX_CONCURRENT_STREAMS), 50), 11));
    assertConnectionError(c, Http2ErrorCode.ENHANCE_YOUR_CALM);
  }

  @Test
  void settings_acks_do_not_count_as_a_flood() {
    Http2Harness.Conn c = openQuiet(Http2Config.builder().maxSettingsPerInterval(10).resetInterval(INTERVAL)
        .build());
    c.exchange(repeat(Http2ClientKit.settingsAck(), 30));
    assertNoError(c);
  }

  @Test
  void pings_at_the_configured_limit_are_all_answered() {
    Http2Harness.Conn c = openQuiet(Http2Config.builder().maxPingsPerInterval(10).resetInterval(INTERVAL).build());
    c.exchange(repeat(ping(false, 99), 10));
    assertEquals(10, c.kit.frames(Http2Frame.Ping.class).size(), c::describe);
    assertNoError(c);
  }

  @Test
  void pings_one_past_the_configured_limit_are_enhance_your_calm() {
    Http2Harness.Conn c = openQuiet(Http2Config.builder().maxPingsPerInterval(10).resetInterval(INTERVAL).build());
    c.exchange(repeat(ping(false, 99), 11));
    assertConnectionError(c, Http2ErrorCode.ENHANCE_YOUR_CALM);
  }

  @Test
  void pings_count_per_interval() {
    Http2Harness.Conn c = openQuiet(Http2Config.builder().maxPingsPerInterval(10).resetInterval(INTERVAL).build());
    c.exchange(repeat(ping(false, 1), 10));
    h.advance(INTERVAL.multipliedBy(2));
    c.exchange(repeat(ping(false, 2), 10));
    assertEquals(20, c.kit.frames(Http2Frame.Ping.class).size(), c::describe);
    assertNoError(c);
  }

  @Test
  void a_ping_flood_of_the_default_limit_plus_one_is_enhance_your_calm() {
    Http2Harness.Conn c = openQuiet(Http2Config.defaults());
    c.exchange(repeat(ping(false, 3), 101));
    assertConnectionError(c, Http2ErrorCode.ENHANCE_YOUR_CALM);
  }

  // ------------------------------------------------------------------------------------------------ HPACK bombs

  @Test
  void an_hpack_decompression_bomb_is_a_compression_error() {
    Http2Harness.Conn c = open();
    // One 4000-octet field added to the dynamic table (literal with incremental indexing, new name), then referred
    // to by index 62 four thousand times: 8 KiB on the wire, 16 MB decoded.
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    block.writeBytes(c.kit.block(request("GET", "/i/hello")));
    block.write(0x40);
    block.write(5);
    block.writeBytes("x-bmb".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    block.write(0x7f);
    writeIntTail(block, 4000 - 127);
    block.writeBytes("b".repeat(4000).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    // The kit's encoder put its own fields in the table first: the bomb's field is the newest, index 62.
    for (int i = 0; i < 4000; i++) {
      block.write(0x80 | 62);
    }
    c.exchange(Http2ClientKit.headerFrames(1, true, block.toByteArray(), Http2ClientKit.DEFAULT_MAX_FRAME));
    assertConnectionError(c, Http2ErrorCode.COMPRESSION_ERROR);
    assertEquals(0, h.intercept.requests().size());
  }

  private static void writeIntTail(ByteArrayOutputStream out, int rest) {
    while (rest >= 128) {
      out.write((rest & 0x7f) | 0x80);
      rest >>>= 7;
    }
    out.write(rest);
  }

  // ---------------------------------------------------------------------------------------- header list size

  /** Request fields whose header list size (RFC 7541, section 4.1) is exactly {@code size}. */
  private static List<HeaderField> listOfSize(int size) {
    List<HeaderField> fields = new ArrayList<>(request("GET", "/i/hello"));
    int used = fields.stream().mapToInt(HeaderField::size).sum();
    int pad = size - used - 32 - "x-pad".length();
    fields.add(new HeaderField("x-pad", "p".repeat(pad)));
    assertEquals(size, fields.stream().mapToInt(HeaderField::size).sum());
    return fields;
  }

  @Test
  void a_header_list_of_exactly_max_header_list_size_is_served() {
    Http2Harness.Conn c = open(Http2Config.builder().maxHeaderListSize(2000).build());
    c.exchange(c.kit.headers(1, true, listOfSize(2000)));
    assertEquals(200, c.kit.stream(1).status(), c::describe);
  }

  @Test
  void a_header_list_one_octet_above_max_header_list_size_gets_431() {
    Http2Harness.Conn c = open(Http2Config.builder().maxHeaderListSize(2000).build());
    c.exchange(c.kit.headers(1, true, listOfSize(2001)));
    assertEquals(431, c.kit.stream(1).status(), c::describe);
    assertEquals(0, h.intercept.requests().size());
    assertServes(c, 3);
  }

  // ---------------------------------------------------------------------------------------------- zero window

  private static final Duration STALL = Duration.ofSeconds(5);

  @Test
  void a_stream_whose_window_stays_zero_is_reset_after_the_configured_time() {
    Http2Harness.Conn c = open(Http2Config.builder().zeroWindowTimeout(STALL).build());
    c.exchange(settings(id(Http2Setting.INITIAL_WINDOW_SIZE), 0));
    Http2ClientKit.StreamSeen s = get(c, 1, "/i/len/100");
    assertEquals(200, s.status(), c::describe);
    assertEquals(1, h.proxy.openSessions());
    h.advance(STALL.minusMillis(50));
    assertNull(s.reset, () -> "reset before the configured stall time; " + c.describe());
    h.advance(Duration.ofMillis(100));
    assertEquals(Http2ErrorCode.FLOW_CONTROL_ERROR, s.reset, c::describe);
    h.settle();
    assertEquals(0, h.proxy.openSessions(), "the stalled stream's in-process connection must be closed");
    assertFalse(c.ended(), c::describe);
    c.exchange(settings(id(Http2Setting.INITIAL_WINDOW_SIZE), 65_535));
    assertServes(c, 3);
  }

  @Test
  void a_window_opened_before_the_stall_time_keeps_the_stream() {
    Http2Harness.Conn c = open(Http2Config.builder().zeroWindowTimeout(STALL).build());
    c.exchange(settings(id(Http2Setting.INITIAL_WINDOW_SIZE), 0));
    Http2ClientKit.StreamSeen s = get(c, 1, "/i/len/100");
    h.advance(STALL.minusMillis(50));
    c.exchange(windowUpdate(1, 100));
    h.advance(STALL);
    assertNull(s.reset, c::describe);
    assertEquals(100, s.body.size(), c::describe);
    assertTrue(s.endStream, c::describe);
  }

  @Test
  void a_connection_whose_window_stays_zero_is_closed_after_the_configured_time() {
    Http2Harness.Conn c = open(Http2Config.builder().zeroWindowTimeout(STALL).build());
    // Stream windows large, the connection window at 65535 and never reopened.
    c.exchange(settings(id(Http2Setting.INITIAL_WINDOW_SIZE), 1 << 20));
    Http2ClientKit.StreamSeen s = get(c, 1, "/i/len/100000");
    h.settle();
    assertEquals(65_535, s.body.size(), c::describe);
    // assertNoError drives the loop for Http2Harness.SETTLE too.
    h.advance(STALL.minusMillis(100));
    assertNoError(c);
    // The whole connection is stalled, not one stream: a connection error.
    h.advance(Duration.ofMillis(200));
    assertConnectionError(c, Http2ErrorCode.FLOW_CONTROL_ERROR);
  }

  // ------------------------------------------------------------------------------------------------------ idle

  private static final Duration IDLE = Duration.ofSeconds(10);

  @Test
  void an_idle_connection_gets_goaway_no_error_and_is_closed_after_the_configured_time() {
    Http2Harness.Conn c = open(Http2Config.builder().idleTimeout(IDLE).build());
    h.advance(IDLE.minusMillis(100));
    assertNoError(c);
    h.advance(Duration.ofMillis(200));
    assertConnectionError(c, Http2ErrorCode.NO_ERROR);
  }

  @Test
  void a_frame_restarts_the_idle_time() {
    Http2Harness.Conn c = open(Http2Config.builder().idleTimeout(IDLE).build());
    h.advance(IDLE.dividedBy(2));
    c.exchange(ping(false, 5));
    h.advance(IDLE.minusMillis(200));
    assertNoError(c);
    h.advance(Duration.ofMillis(300));
    assertConnectionError(c, Http2ErrorCode.NO_ERROR);
  }

  @Test
  void a_connection_with_an_open_stream_is_not_idle() {
    Http2Harness.Conn c = open(Http2Config.builder().idleTimeout(IDLE).build());
    c.exchange(c.kit.headers(1, true, request("GET", "/i/hang")));
    h.advance(IDLE.multipliedBy(2).minusMillis(100));
    assertTrue(c.kit.goAways().isEmpty(), c::describe);
    assertFalse(c.ended(), c::describe);
  }
}
