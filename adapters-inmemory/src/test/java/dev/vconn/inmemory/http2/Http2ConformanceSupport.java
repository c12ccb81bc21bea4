package dev.vconn.inmemory.http2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.http.AccessLogRecord;
import dev.vconn.domain.http2.Http2Config;
import dev.vconn.domain.http2.Http2ErrorCode;
import dev.vconn.domain.http2.Http2Frame;
import dev.vconn.domain.http2.hpack.HeaderField;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the conformance classes share: a fresh {@link Http2Harness} per test, checked after the test to have left
 * nothing behind (no block, VConn, pair, socket or proxy session; every session's {@code closed()} complete; no
 * malformed server frame), and assertions for the outcomes RFC 9113 names: a connection error (GOAWAY with the code,
 * then the connection closed, section 5.4.1), a stream error (RST_STREAM with the code on that stream, the connection
 * going on, section 5.4.2), and a stream error the RFC lets an endpoint widen to a connection error.
 */
abstract class Http2ConformanceSupport {
  Http2Harness h;
  private long nextConnectionId = 7001;

  @BeforeEach
  void startHarness() {
    h = new Http2Harness();
  }

  @AfterEach
  void nothingLeftBehind() {
    List<String> violations = new java.util.ArrayList<>();
    for (Http2Harness.Conn c : h.conns) {
      if (c.kit.violation() != null) {
        violations.add(c.kit.violation());
      }
      if (c.failure != null) {
        violations.add(c.failure);
      }
    }
    h.close();
    List<String> left = h.leftBehind();
    h.shutdownTransport();
    assertEquals(List.of(), violations, "the server broke HTTP/2 framing");
    assertEquals(List.of(), left, "left behind after the test");
  }

  /** The configuration {@link #open()} uses; classes override it to test a setting. */
  Http2Config config() {
    return Http2Config.defaults();
  }

  /** A connection with a session on {@link #config()}, preface and SETTINGS exchanged. */
  Http2Harness.Conn open() {
    return h.open(config(), nextConnectionId++).handshake();
  }

  /** A connection with a session on {@code cfg}, preface and SETTINGS exchanged. */
  Http2Harness.Conn open(Http2Config cfg) {
    return h.open(cfg, nextConnectionId++).handshake();
  }

  /** A connection with a session, nothing sent yet. */
  Http2Harness.Conn openRaw() {
    return h.open(config(), nextConnectionId++);
  }

  /** Sends a GET for {@code path} on {@code streamId} with END_STREAM, settles, returns what came back. */
  static Http2ClientKit.StreamSeen get(Http2Harness.Conn c, int streamId, String path) {
    c.exchange(c.kit.headers(streamId, true, Http2ClientKit.request("GET", path)));
    return c.kit.stream(streamId);
  }

  /** Request fields plus {@code name, value} pairs. */
  static List<HeaderField> req(String method, String path, String... nameValues) {
    return Http2ClientKit.with(Http2ClientKit.request(method, path), nameValues);
  }

  /**
   * A connection error (RFC 9113, section 5.4.1): the first GOAWAY carries {@code code} and the connection was
   * closed.
   */
  void assertConnectionError(Http2Harness.Conn c, Http2ErrorCode code) {
    h.settle();
    List<Http2Frame.GoAway> g = c.kit.goAways();
    assertFalse(g.isEmpty(), () -> "expected a connection error (GOAWAY " + code + "); " + c.describe());
    assertEquals(code, Http2ErrorCode.of(g.get(0).errorCode()), () -> "GOAWAY code; " + c.describe());
    assertTrue(c.ended(), () -> "the connection must be closed after GOAWAY " + code + " (RFC 9113, section 5.4.1); "
        + c.describe());
  }

  /**
   * A stream error (RFC 9113, section 5.4.2): RST_STREAM with {@code code} on {@code streamId}, no GOAWAY, the
   * connection open.
   */
  void assertStreamError(Http2Harness.Conn c, int streamId, Http2ErrorCode code) {
    h.settle();
    assertEquals(code, c.kit.stream(streamId).reset, () -> "expected RST_STREAM " + code + " on stream " + streamId
        + "; " + c.describe());
    assertTrue(c.kit.goAways().isEmpty(), () -> "a stream error must not end the connection; " + c.describe());
    assertFalse(c.ended(), () -> "a stream error must not close the connection; " + c.describe());
  }

  /**
   * A stream error that the endpoint may treat as a connection error (RFC 9113, section 5.4.1: "an endpoint MAY
   * choose to treat a stream error as a connection error"): either RST_STREAM {@code code} on {@code streamId} and the
   * connection open, or GOAWAY {@code code} and the connection closed.
   */
  void assertStreamOrConnectionError(Http2Harness.Conn c, int streamId, Http2ErrorCode code) {
    h.settle();
    if (c.kit.goAways().isEmpty()) {
      assertStreamError(c, streamId, code);
    } else {
      assertConnectionError(c, code);
    }
  }

  /** No error: no GOAWAY, no RST_STREAM on any stream, the connection open. */
  void assertNoError(Http2Harness.Conn c) {
    h.settle();
    assertTrue(c.kit.goAways().isEmpty(), () -> "no GOAWAY expected; " + c.describe());
    assertTrue(c.kit.frames(Http2Frame.RstStream.class).isEmpty(), () -> "no RST_STREAM expected; " + c.describe());
    assertFalse(c.ended(), () -> "the connection must stay open; " + c.describe());
  }

  /** A GET of {@code /i/hello} on {@code streamId} gets the intercept's 200 and body: the connection still works. */
  void assertServes(Http2Harness.Conn c, int streamId) {
    Http2ClientKit.StreamSeen s = get(c, streamId, "/i/hello");
    assertEquals(200, s.status(), () -> "stream " + streamId + " must be served; " + c.describe());
    assertEquals("hello h2", s.bodyText(), () -> c.describe());
    assertTrue(s.endStream, () -> c.describe());
    assertNull(s.reset, () -> c.describe());
  }

  /** The access-log records of {@code c}'s connection: every one with {@code pitag=h2}, its piid, {@code cqint=1}. */
  List<AccessLogRecord> assertLoggedAsH2(Http2Harness.Conn c, int expected) {
    List<AccessLogRecord> recs = h.logOf(c.connectionId);
    assertEquals(expected, recs.size(), () -> "access-log records of connection " + c.connectionId + ": " + h.log);
    for (AccessLogRecord r : recs) {
      assertEquals("h2", r.pluginTag(), r::toLogLine);
      assertEquals(c.connectionId, r.pluginId(), r::toLogLine);
      assertTrue(r.internal(), r::toLogLine);
      assertTrue(r.toLogLine().contains(" pitag=h2 piid=" + c.connectionId + " cqint=1"), r::toLogLine);
      assertNotNull(r.client(), r::toLogLine);
      assertEquals(Http2Harness.CLIENT, r.client(), r::toLogLine);
    }
    return recs;
  }
}
