package dev.vconn.domain.http2;

import static dev.vconn.domain.http2.Http2TestClient.request;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http2.Http2TestClient.Frame;
import dev.vconn.domain.http2.Http2TestClient.Response;
import dev.vconn.domain.http2.hpack.HeaderField;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.domain.pair.VConnPair;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP/2 server session against a scripted HTTP/1.1 backend on the virtual-time loop: the exact HTTP/1.1 octets
 * each stream's in-process connection carries, the exact frames each HTTP/1.1 response becomes, streams, flow
 * control, resets, failures, drain, timeouts and limits; every case ends with the block pool back to zero.
 */
class Http2ServerSessionTest {
  static final SocketAddress CLIENT = new InetSocketAddress("192.0.2.7", 50123);

  final BlockPool pool = new BlockPool();
  final VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
  VConnPair conn;
  Http2TestClient.Backend backend;
  Http2ServerSession session;
  Http2TestClient client;

  /** Answers each complete request (head plus Content-Length or chunked body) with {@code response}. */
  static Function<String, String> answer(String response) {
    return answer(req -> response);
  }

  static Function<String, String> answer(Function<String, String> response) {
    return req -> complete(req) ? response.apply(req) : null;
  }

  static final Pattern LENGTH = Pattern.compile("(?i)\r\ncontent-length: (\\d+)\r\n");

  static boolean complete(String req) {
    int end = req.indexOf("\r\n\r\n");
    if (end < 0) {
      return false;
    }
    String head = req.substring(0, end + 2);
    String body = req.substring(end + 4);
    if (head.contains("Transfer-Encoding: chunked")) {
      return body.equals("0\r\n\r\n") || body.endsWith("\r\n0\r\n\r\n") || body.matches("(?s).*\r\n0\r\n.*\r\n\r\n")
          || body.matches("(?s)0\r\n.*\r\n\r\n");
    }
    Matcher m = LENGTH.matcher(head);
    return !m.find() || body.length() >= Integer.parseInt(m.group(1));
  }

  void open(Http2Config config, Function<String, String> respond) {
    open(config, respond, null);
  }

  void open(Http2Config config, Function<String, String> respond, byte[] alreadyRead) {
    conn = VConnPair.open(loop, VConnPair.Options.defaults());
    backend = new Http2TestClient.Backend(loop, pool, respond);
    IOBuffer b = new IOBuffer(pool);
    IOBufferReader already = null;
    if (alreadyRead != null) {
      already = b.allocReader();
      b.write(alreadyRead);
    }
    session = Http2ServerSession.start(conn.passive(), already, backend, config, pool, 7, CLIENT);
    assertTrue(already == null || already.isFreed(), "start frees alreadyRead");
    b.close();
    client = new Http2TestClient(conn.active(), pool);
  }

  void open(Function<String, String> respond) {
    open(Http2Config.defaults(), respond);
  }

  void run() {
    loop.runReady();
  }

  @AfterEach
  void everythingReturned() {
    if (client != null) {
      client.close();
      run();
      assertTrue(session.closed().isDone(), "the session closes when the client goes");
      backend.closeAll();
      run();
      assertTrue(backend.allFreed(), "in-process pairs left open");
      assertTrue(conn.isFreed(), "client pair left open");
    }
    assertEquals(0, pool.outstanding(), "blocks not returned to the pool: " + pool);
  }

  static String ascii(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  static List<HeaderField> fields(String... nameValues) {
    HeaderField[] out = new HeaderField[nameValues.length / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = new HeaderField(nameValues[2 * i], nameValues[2 * i + 1]);
    }
    return List.of(out);
  }

  // ----- connection start

  @Test
  void server_preface_is_settings_with_the_config_values_then_the_connection_window() {
    open(Http2Config.builder().maxConcurrentStreams(7).initialWindowSize(1000).maxFrameSize(20000)
        .maxHeaderListSize(5000).headerTableSize(2048).connectionWindowSize(1 << 20).build(), answer(""));
    client.start();
    run();
    List<Frame> frames = client.frames();
    Frame settings = frames.get(0);
    assertEquals(Http2Frame.TYPE_SETTINGS, settings.type());
    assertEquals(0, settings.flags());
    assertArrayEquals(new byte[] {0, 1, 0, 0, 8, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0, 0, 7, 0, 4, 0, 0, 3, (byte) 0xe8,
        0, 5, 0, 0, 0x4e, 0x20, 0, 6, 0, 0, 0x13, (byte) 0x88}, settings.payload());
    assertEquals(Http2Frame.TYPE_WINDOW_UPDATE, frames.get(1).type());
    assertEquals((1 << 20) - 65535, Http2TestClient.Frame.class.cast(frames.get(1)).payload()[1] << 16
        | (frames.get(1).payload()[2] & 0xff) << 8 | (frames.get(1).payload()[3] & 0xff));
    // The client's SETTINGS is acknowledged.
    assertEquals(1, frames.stream().filter(f -> f.type() == Http2Frame.TYPE_SETTINGS && f.flags() == 1).count());
  }

  @Test
  void the_preface_may_arrive_in_already_read_octets() {
    open(Http2Config.defaults(), answer("HTTP/1.1 204 No Content\r\n\r\n"),
        "PRI * HTTP/2.0\r\n\r\nSM".getBytes(StandardCharsets.ISO_8859_1));
    client.raw("\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)).settings().get(1, "/");
    run();
    assertEquals(204, client.response(1).status());
    assertTrue(client.response(1).ended());
  }

  @Test
  void a_wrong_preface_is_a_connection_error() {
    open(answer(""));
    client.raw("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    run();
    assertEquals(Http2ErrorCode.PROTOCOL_ERROR, client.goAwayFrame().errorCode());
    assertTrue(client.eos());
    assertTrue(session.closed().isDone());
  }

  // ----- request mapping: the exact HTTP/1.1 octets

  @Test
  void get_becomes_an_http11_request_with_host_from_authority() {
    open(answer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"));
    client.start().headers(1, true, request("GET", "/a?b=c", new HeaderField("accept", "*/*"),
        new HeaderField("cookie", "a=1"), new HeaderField("cookie", "b=2")));
    run();
    assertEquals("GET /a?b=c HTTP/1.1\r\nHost: example.test\r\naccept: */*\r\ncookie: a=1; b=2\r\n\r\n",
        backend.received.get(0).toString());
    assertEquals(List.of("7 " + CLIENT), backend.connects);
    List<Frame> frames = client.streamFrames(1);
    assertEquals(2, frames.size(), frames::toString);
    assertEquals(fields(":status", "200", "content-length", "5", "content-type", "text/plain"),
        frames.get(0).headers());
    assertFalse(frames.get(0).endStream());
    assertEquals("hello", ascii(frames.get(1).payload()));
    assertTrue(frames.get(1).endStream());
    assertEquals(0, session.openStreams());
  }

  @Test
  void post_with_content_length_carries_the_body_as_is() {
    open(answer("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"));
    client.start().headers(1, false, request("POST", "/p", new HeaderField("content-length", "3")))
        .data(1, "abc", true);
    run();
    assertEquals("POST /p HTTP/1.1\r\nHost: example.test\r\ncontent-length: 3\r\n\r\nabc",
        backend.received.get(0).toString());
    Response r = client.response(1);
    assertEquals(201, r.status());
    assertTrue(r.ended());
  }

  @Test
  void post_without_length_is_chunked_and_request_trailers_become_the_chunked_trailer_section() {
    open(answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    client.start().headers(1, false, request("POST", "/p", new HeaderField("te", "trailers")))
        .data(1, "abc", false).data(1, "de", false)
        .headers(1, true, fields("x-checksum", "42"));
    run();
    assertEquals("POST /p HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "3\r\nabc\r\n2\r\nde\r\n0\r\nx-checksum: 42\r\n\r\n", backend.received.get(0).toString());
    assertEquals("ok", client.response(1).bodyText());
  }

  @Test
  void post_ended_by_its_headers_says_content_length_zero() {
    open(answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    client.start().headers(1, true, request("POST", "/p"));
    run();
    assertEquals("POST /p HTTP/1.1\r\nHost: example.test\r\nContent-Length: 0\r\n\r\n",
        backend.received.get(0).toString());
  }

  // ----- response mapping: the exact frames

  @Test
  void a_chunked_response_with_trailers_becomes_headers_data_and_trailing_headers() {
    open(answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive, x-hop\r\nX-Hop: 1\r\n"
        + "Keep-Alive: timeout=5\r\nServer: t\r\n\r\n4\r\nabcd\r\n3\r\nefg\r\n0\r\nGrpc-Status: 0\r\n\r\n"));
    client.start().get(1, "/");
    run();
    List<Frame> frames = client.streamFrames(1);
    assertEquals(fields(":status", "200", "server", "t"), frames.get(0).headers());
    Frame last = frames.get(frames.size() - 1);
    assertEquals(Http2Frame.TYPE_HEADERS, last.type());
    assertTrue(last.endStream());
    assertEquals(fields("grpc-status", "0"), last.headers());
    Response r = client.response(1);
    assertEquals("abcdefg", r.bodyText());
    for (Frame f : frames.subList(1, frames.size() - 1)) {
      assertEquals(Http2Frame.TYPE_DATA, f.type());
      assertFalse(f.endStream());
    }
  }

  @Test
  void head_204_and_304_responses_end_the_stream_with_their_headers() {
    open(answer(req -> req.startsWith("HEAD") ? "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
        : req.startsWith("GET /nc") ? "HTTP/1.1 204 No Content\r\n\r\n"
        : "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n"));
    client.start().headers(1, true, request("HEAD", "/h"));
    run();
    client.get(3, "/nc");
    run();
    client.get(5, "/nm");
    run();
    List<Frame> s1 = client.streamFrames(1);
    assertEquals(1, s1.size(), s1::toString);
    assertEquals(fields(":status", "200", "content-length", "1234"), s1.get(0).headers());
    assertTrue(s1.get(0).endStream());
    List<Frame> s3 = client.streamFrames(3);
    assertEquals(1, s3.size());
    assertEquals(fields(":status", "204"), s3.get(0).headers());
    assertTrue(s3.get(0).endStream());
    List<Frame> s5 = client.streamFrames(5);
    assertEquals(1, s5.size());
    assertEquals(fields(":status", "304", "etag", "\"x\""), s5.get(0).headers());
    assertTrue(s5.get(0).endStream());
    assertEquals(1, backend.connects.size(), "one in-process connection served all three, kept alive");
  }

  @Test
  void a_close_delimited_response_ends_the_stream_when_the_in_process_connection_closes() {
    open(answer("HTTP/1.1 200 OK\r\n\r\nuntil close"));
    backend.closeAfterResponse = true;
    client.start().get(1, "/");
    run();
    Response r = client.response(1);
    assertEquals(200, r.status());
    assertEquals("until close", r.bodyText());
    assertTrue(r.ended());
    assertEquals(0, session.idleInProcessConnections(), "a close-delimited connection is not reused");
    assertTrue(backend.allFreed());
  }

  @Test
  void an_interim_100_continue_is_forwarded_before_the_final_response() {
    open(req -> req.endsWith("\r\n\r\n") && !req.contains("abc")
        ? null : req.contains("abc") ? "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" : null);
    client.start().headers(1, false, request("PUT", "/u", new HeaderField("content-length", "3"),
        new HeaderField("expect", "100-continue")));
    run();
    backend.conns.get(0).send("HTTP/1.1 100 Continue\r\n\r\n");
    run();
    client.data(1, "abc", true);
    run();
    Response r = client.response(1);
    assertEquals(1, r.interim().size());
    assertEquals(fields(":status", "100"), r.interim().get(0));
    assertEquals(200, r.status());
    assertTrue(r.ended());
  }

  // ----- in-process connections: pool, reset, failure

  @Test
  void a_keep_alive_in_process_connection_serves_later_streams() {
    open(answer("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"));
    client.start().get(1, "/1");
    run();
    assertEquals(1, session.idleInProcessConnections());
    client.get(3, "/2");
    run();
    assertEquals(1, backend.connects.size());
    assertEquals("GET /1 HTTP/1.1\r\nHost: example.test\r\n\r\nGET /2 HTTP/1.1\r\nHost: example.test\r\n\r\n",
        backend.received.get(0).toString());
    assertEquals("x", client.response(3).bodyText());
  }

  @Test
  void connection_close_responses_are_not_pooled() {
    open(answer("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx"));
    client.start().get(1, "/1");
    run();
    assertEquals(0, session.idleInProcessConnections());
    client.get(3, "/2");
    run();
    assertEquals(2, backend.connects.size());
    assertTrue(client.response(3).ended());
  }

  @Test
  void a_client_reset_aborts_the_streams_in_process_connection() {
    open(req -> null);
    client.start().get(1, "/slow");
    run();
    assertEquals(1, session.openStreams());
    client.rst(1, Http2ErrorCode.CANCEL);
    run();
    assertEquals(0, session.openStreams());
    assertTrue(backend.conns.get(0).sawEnd, "the in-process connection was aborted");
    assertTrue(backend.allFreed());
  }

  @Test
  void an_in_process_connection_that_ends_without_a_response_gives_502() {
    open(req -> null);
    client.start().get(1, "/");
    run();
    backend.conns.get(0).close();
    run();
    Response r = client.response(1);
    assertEquals(502, r.status());
    assertTrue(r.ended());
  }

  @Test
  void a_connector_failure_gives_502() {
    open(answer(""));
    backend.failConnect = true;
    client.start().get(1, "/");
    run();
    assertEquals(502, client.response(1).status());
  }

  @Test
  void an_in_process_failure_after_the_headers_resets_the_stream_with_internal_error() {
    open(answer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
    backend.closeAfterResponse = true;
    client.start().get(1, "/");
    run();
    Response r = client.response(1);
    assertEquals(200, r.status());
    assertEquals(Http2ErrorCode.INTERNAL_ERROR, r.reset());
    assertEquals(0, session.openStreams());
  }

  // ----- concurrency and flow control

  @Test
  void a_slow_reader_of_one_stream_does_not_stall_another() {
    String big = "x".repeat(200_000);
    open(answer(req -> req.startsWith("GET /big") ? "HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n" + big
        : "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nsmall"));
    client.holdWindow(1);
    client.start().get(1, "/big");
    run();
    assertEquals(65_535, client.response(1).body().length, "stream 1 stops at its initial window");
    client.get(3, "/small");
    run();
    assertEquals("small", client.response(3).bodyText());
    assertTrue(client.response(3).ended());
    assertEquals(1, session.openStreams());
    client.releaseWindow(1, 1 << 20);
    run();
    assertEquals(200_000, client.response(1).body().length);
    assertTrue(client.response(1).ended());
  }

  @Test
  void concurrent_streams_each_get_their_own_response() {
    open(answer(req -> {
      String path = req.substring(4, req.indexOf(' ', 4));
      return "HTTP/1.1 200 OK\r\nContent-Length: " + path.length() + "\r\n\r\n" + path;
    }));
    client.start();
    for (int i = 0; i < 10; i++) {
      client.get(2 * i + 1, "/s" + i);
    }
    run();
    for (int i = 0; i < 10; i++) {
      assertEquals("/s" + i, client.response(2 * i + 1).bodyText());
    }
    assertEquals(10, backend.connects.size());
    assertEquals(10, session.idleInProcessConnections());
  }

  @Test
  void the_request_body_is_credited_back_as_the_in_process_connection_takes_it() {
    open(answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    client.start().headers(1, false, request("POST", "/p", new HeaderField("content-length", "40000")))
        .data(1, "y".repeat(16_000), false).data(1, "y".repeat(16_000), false).data(1, "y".repeat(8_000), true);
    run();
    assertEquals(40_000, backend.received.get(0).toString().split("\r\n\r\n", 2)[1].length());
    long credited = client.frames(Http2Frame.TYPE_WINDOW_UPDATE).stream().filter(f -> f.streamId() == 0)
        .mapToLong(f -> Http2TestClient.Frame.class.cast(f).payload()[3] & 0xff
            | (f.payload()[2] & 0xff) << 8 | (f.payload()[1] & 0xff) << 16).sum();
    assertEquals((1 << 20) - 65535 + 40_000, credited, "the connection window is returned for every octet");
    assertEquals(200, client.response(1).status());
  }

  // ----- drain and timeouts

  @Test
  void drain_sends_goaway_and_lets_in_flight_streams_finish() {
    open(req -> null);
    client.start().get(1, "/");
    run();
    session.drain();
    run();
    Frame goAway = client.goAwayFrame();
    assertNotNull(goAway);
    assertEquals(Http2ErrorCode.NO_ERROR, goAway.errorCode());
    assertEquals(1, goAway.lastStreamId());
    client.get(3, "/late");
    run();
    assertEquals(1, backend.connects.size(), "no stream opens after GOAWAY");
    assertFalse(client.eos());
    backend.conns.get(0).send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    run();
    assertEquals("ok", client.response(1).bodyText());
    assertTrue(client.response(1).ended());
    assertTrue(client.eos(), "the connection closes once the last stream finished");
    assertTrue(session.closed().isDone());
  }

  @Test
  void an_idle_connection_is_closed_with_goaway_after_the_idle_timeout() {
    open(Http2Config.builder().idleTimeout(Duration.ofSeconds(10)).build(), answer(""));
    client.start();
    loop.advance(Duration.ofSeconds(9));
    assertFalse(client.eos());
    client.ping(false, 1);
    loop.advance(Duration.ofSeconds(9));
    assertFalse(client.eos(), "a frame restarts the idle timeout");
    loop.advance(Duration.ofSeconds(2));
    assertEquals(Http2ErrorCode.NO_ERROR, client.goAwayFrame().errorCode());
    assertTrue(client.eos());
  }

  @Test
  void close_aborts_every_stream_and_the_connection() {
    open(req -> null);
    client.start().get(1, "/");
    run();
    session.close();
    run();
    assertTrue(session.closed().isDone());
    assertTrue(client.eos());
    assertTrue(backend.allFreed() || backend.conns.get(0).sawEnd);
  }

  @Test
  void a_stream_whose_window_stays_zero_is_reset_after_the_zero_window_timeout() {
    open(Http2Config.builder().zeroWindowTimeout(Duration.ofSeconds(5)).build(),
        answer("HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n" + "z".repeat(70_000)));
    client.holdWindow(1);
    client.start().get(1, "/");
    run();
    assertNull(client.response(1).reset());
    loop.advance(Duration.ofSeconds(6));
    assertEquals(Http2ErrorCode.FLOW_CONTROL_ERROR, client.response(1).reset());
    assertEquals(0, session.openStreams());
  }

  // ----- malformed requests and limits

  @Test
  void connection_specific_and_upper_case_fields_reset_the_stream() {
    open(answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    client.start().headers(1, true, request("GET", "/", new HeaderField("connection", "close")));
    client.headers(3, true, request("GET", "/", new HeaderField("X-Upper", "1")));
    client.headers(5, true, request("GET", "/", new HeaderField("te", "gzip")));
    client.headers(7, true, List.of(new HeaderField(":method", "GET"), new HeaderField(":path", "/")));
    client.headers(9, true, request("GET", "/", new HeaderField("x", "a\r\nInjected: 1")));
    client.get(11, "/fine");
    run();
    for (int id = 1; id <= 9; id += 2) {
      assertEquals(Http2ErrorCode.PROTOCOL_ERROR, client.response(id).reset(), "stream " + id);
    }
    assertEquals(200, client.response(11).status());
    assertEquals("GET /fine HTTP/1.1\r\nHost: example.test\r\n\r\n", backend.received.get(0).toString());
  }

  @Test
  void a_body_that_disagrees_with_content_length_resets_the_stream() {
    open(req -> null);
    client.start().headers(1, false, request("POST", "/", new HeaderField("content-length", "2")))
        .data(1, "abc", true);
    run();
    assertEquals(Http2ErrorCode.PROTOCOL_ERROR, client.response(1).reset());
  }

  @Test
  void streams_beyond_max_concurrent_streams_are_refused() {
    open(Http2Config.builder().maxConcurrentStreams(2).build(), req -> null);
    client.start().get(1, "/").get(3, "/").get(5, "/");
    run();
    assertEquals(Http2ErrorCode.REFUSED_STREAM, client.response(5).reset());
    assertEquals(2, session.openStreams());
  }

  @Test
  void a_header_list_above_the_limit_gets_431() {
    open(Http2Config.builder().maxHeaderListSize(200).build(), answer(""));
    client.start().headers(1, true, request("GET", "/", new HeaderField("x-big", "v".repeat(300))));
    run();
    assertEquals(431, client.response(1).status());
    assertTrue(client.response(1).ended());
    assertTrue(backend.connects.isEmpty());
  }

  @Test
  void rapid_resets_are_answered_with_enhance_your_calm() {
    open(Http2Config.builder().maxResetsPerInterval(5).build(), req -> null);
    client.start();
    for (int i = 0; i < 6; i++) {
      client.get(2 * i + 1, "/").rst(2 * i + 1, Http2ErrorCode.CANCEL);
    }
    run();
    assertEquals(Http2ErrorCode.ENHANCE_YOUR_CALM, client.goAwayFrame().errorCode());
    assertTrue(client.eos());
  }

  @Test
  void ping_is_acknowledged_and_a_ping_flood_is_enhance_your_calm() {
    open(Http2Config.builder().maxPingsPerInterval(3).build(), answer(""));
    client.start().ping(false, 0x0102030405060708L);
    run();
    Frame ack = client.frames(Http2Frame.TYPE_PING).get(0);
    assertEquals(Http2Frame.FLAG_ACK, ack.flags());
    assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, ack.payload());
    client.ping(false, 2).ping(false, 3).ping(false, 4);
    run();
    assertEquals(Http2ErrorCode.ENHANCE_YOUR_CALM, client.goAwayFrame().errorCode());
  }

  @Test
  void push_promise_from_a_client_is_a_connection_protocol_error() {
    open(answer(""));
    client.start().frame(Http2Frame.TYPE_PUSH_PROMISE, Http2Frame.FLAG_END_HEADERS, 1, new byte[] {0, 0, 0, 2});
    run();
    assertEquals(Http2ErrorCode.PROTOCOL_ERROR, client.goAwayFrame().errorCode());
  }

  // ----- flow control and SETTINGS

  static long windowSum(List<Frame> updates) {
    return updates.stream().mapToLong(f -> (f.payload()[0] & 0x7f) << 24 | (f.payload()[1] & 0xff) << 16
        | (f.payload()[2] & 0xff) << 8 | (f.payload()[3] & 0xff)).sum();
  }

  @Test
  void settings_initial_window_size_changes_adjust_open_streams() {
    open(answer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + "w".repeat(100)));
    client.holdWindow(1);
    client.start().settings(new Http2Frame.Setting(Http2Setting.INITIAL_WINDOW_SIZE, 10)).get(1, "/");
    run();
    assertEquals(10, client.response(1).body().length);
    client.settings(new Http2Frame.Setting(Http2Setting.INITIAL_WINDOW_SIZE, 50));
    run();
    assertEquals(50, client.response(1).body().length, "the window grew by the difference, 40");
    client.settings(new Http2Frame.Setting(Http2Setting.INITIAL_WINDOW_SIZE, 0));
    client.windowUpdate(1, 49);
    run();
    assertEquals(50, client.response(1).body().length, "window -50 + 49 is still below zero");
    client.windowUpdate(1, 11);
    run();
    assertEquals(60, client.response(1).body().length);
  }

  @Test
  void window_overflow_is_a_stream_or_connection_flow_control_error() {
    open(req -> null);
    client.start().get(1, "/").windowUpdate(1, Integer.MAX_VALUE);
    run();
    assertEquals(Http2ErrorCode.FLOW_CONTROL_ERROR, client.response(1).reset());
    assertNull(client.goAwayFrame());
    client.windowUpdate(0, Integer.MAX_VALUE);
    run();
    assertEquals(Http2ErrorCode.FLOW_CONTROL_ERROR, client.goAwayFrame().errorCode());
  }

  @Test
  void an_initial_window_size_that_overflows_an_open_stream_is_a_connection_error() {
    open(req -> null);
    client.start().get(1, "/").windowUpdate(1, 100);
    run();
    client.settings(new Http2Frame.Setting(Http2Setting.INITIAL_WINDOW_SIZE, Integer.MAX_VALUE));
    run();
    assertEquals(Http2ErrorCode.FLOW_CONTROL_ERROR, client.goAwayFrame().errorCode());
  }

  @Test
  void data_and_headers_honour_the_peers_max_frame_size() {
    String big = "m".repeat(60_000);
    String cookie = "c".repeat(10_000);
    open(answer("HTTP/1.1 200 OK\r\nContent-Length: 60000\r\nX-Big: " + cookie + "\r\nX-Big2: " + cookie
        + "\r\n\r\n" + big));
    client.start().get(1, "/");
    run();
    for (Frame f : client.frames(Http2Frame.TYPE_DATA)) {
      assertTrue(f.payload().length <= 16_384, f::toString);
    }
    assertTrue(big.equals(client.response(1).bodyText()));
    assertTrue(cookie.equals(client.response(1).header("x-big2")), "HEADERS split into CONTINUATION frames");
    // With the body buffered whole behind a zero window, the frames are as large as the peer allows.
    client.settings(new Http2Frame.Setting(Http2Setting.MAX_FRAME_SIZE, 40_000),
        new Http2Frame.Setting(Http2Setting.INITIAL_WINDOW_SIZE, 0));
    client.holdWindow(3);
    run();
    client.get(3, "/");
    run();
    client.releaseWindow(3, 100_000);
    run();
    int largest = client.streamFrames(3).stream().filter(f -> f.type() == Http2Frame.TYPE_DATA)
        .mapToInt(f -> f.payload().length).max().orElse(0);
    assertTrue(largest > 16_384 && largest <= 40_000, "the larger frame size is used: " + largest);
    assertTrue(big.equals(client.response(3).bodyText()));
  }

  @Test
  void the_request_body_window_is_returned_only_as_the_in_process_reader_takes_it() {
    open(Http2Config.builder().streamBufferSize(1024).build(), answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    backend.holdReading = true;
    client.start().headers(1, false, request("POST", "/p", new HeaderField("content-length", "65535")));
    for (int i = 0; i < 4; i++) {
      client.data(1, "q".repeat(16_383), false);
    }
    client.data(1, "qqq", true);
    run();
    long credited = windowSum(client.frames(Http2Frame.TYPE_WINDOW_UPDATE).stream()
        .filter(f -> f.streamId() == 1).toList());
    // At most the stream buffer, one chunk in flight and what the pair moved ahead of its reader (one block).
    assertTrue(credited < 49_152, "a stalled reader holds the window back, credited " + credited);
    assertEquals(1, session.openStreams());
    backend.resumeReading();
    run();
    assertEquals(65_535, backend.received.get(0).toString().split("\r\n\r\n", 2)[1].length());
    assertEquals(200, client.response(1).status());
  }

  @Test
  void data_on_an_idle_stream_and_headers_on_an_even_stream_are_connection_errors() {
    open(answer(""));
    client.start().data(5, "x", false);
    run();
    assertEquals(Http2ErrorCode.PROTOCOL_ERROR, client.goAwayFrame().errorCode());
  }

  @Test
  void headers_on_an_even_stream_are_a_connection_error() {
    open(answer(""));
    client.start().get(2, "/");
    run();
    assertEquals(Http2ErrorCode.PROTOCOL_ERROR, client.goAwayFrame().errorCode());
  }

  @Test
  void a_bad_header_block_is_a_compression_error() {
    open(answer(""));
    client.start().frame(Http2Frame.TYPE_HEADERS, Http2Frame.FLAG_END_HEADERS | Http2Frame.FLAG_END_STREAM, 1,
        new byte[] {(byte) 0x80});
    run();
    assertEquals(Http2ErrorCode.COMPRESSION_ERROR, client.goAwayFrame().errorCode());
  }

  @Test
  void a_continuation_flood_is_enhance_your_calm() {
    open(Http2Config.builder().maxHeaderBlockSize(1000).build(), answer(""));
    client.start().frame(Http2Frame.TYPE_HEADERS, 0, 1, client.encode(request("GET", "/")));
    for (int i = 0; i < 200; i++) {
      client.frame(Http2Frame.TYPE_CONTINUATION, 0, 1, new byte[0]);
    }
    run();
    assertEquals(Http2ErrorCode.ENHANCE_YOUR_CALM, client.goAwayFrame().errorCode());
    assertTrue(backend.connects.isEmpty());
  }

  @Test
  void a_settings_flood_is_enhance_your_calm() {
    open(Http2Config.builder().maxSettingsPerInterval(3).build(), answer(""));
    client.start().settings().settings();
    run();
    assertNull(client.goAwayFrame());
    client.settings();
    run();
    assertEquals(Http2ErrorCode.ENHANCE_YOUR_CALM, client.goAwayFrame().errorCode());
  }

  @Test
  void flood_counters_restart_every_interval() {
    open(Http2Config.builder().maxPingsPerInterval(2).resetInterval(Duration.ofSeconds(1)).build(), answer(""));
    client.start();
    for (int i = 0; i < 5; i++) {
      client.ping(false, i).ping(false, i);
      run();
      loop.advance(Duration.ofMillis(1001));
    }
    assertNull(client.goAwayFrame());
    assertEquals(10, client.frames(Http2Frame.TYPE_PING).size());
  }

  @Test
  void a_client_goaway_lets_open_streams_finish_then_closes() {
    open(req -> null);
    client.start().get(1, "/").goAway(1, Http2ErrorCode.NO_ERROR);
    run();
    assertFalse(client.eos());
    backend.conns.get(0).send("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n!");
    run();
    assertEquals("!", client.response(1).bodyText());
    assertTrue(client.eos());
  }

  @Test
  void in_process_connections_on_another_loop_are_served_under_the_session_lock() {
    VirtualTimeEventLoop other = new VirtualTimeEventLoop();
    conn = VConnPair.open(loop, VConnPair.Options.defaults());
    backend = new Http2TestClient.Backend(other, pool, answer("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"));
    session = Http2ServerSession.start(conn.passive(), null, backend, Http2Config.defaults(), pool, 1, CLIENT);
    client = new Http2TestClient(conn.active(), pool);
    client.start().get(1, "/").headers(3, false, request("POST", "/")).data(3, "body", true);
    for (int i = 0; i < 20; i++) {
      loop.runReady();
      other.runReady();
    }
    assertEquals("abc", client.response(1).bodyText());
    assertEquals("abc", client.response(3).bodyText());
    assertTrue(backend.received.stream().anyMatch(r -> r.toString().endsWith("4\r\nbody\r\n0\r\n\r\n")));
    client.close();
    for (int i = 0; i < 5; i++) {
      loop.runReady();
      other.runReady();
    }
    backend.closeAll();
    other.runReady();
    loop.runReady();
    assertTrue(backend.allFreed());
  }

  @Test
  void frames_up_to_the_advertised_max_frame_size_are_received_whole() {
    open(Http2Config.builder().maxFrameSize(100_000).initialWindowSize(200_000).build(),
        answer(req -> "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    client.start();
    run();
    client.settingsAck().headers(1, false, request("POST", "/", new HeaderField("content-length", "90000")))
        .data(1, "d".repeat(90_000), true);
    run();
    assertEquals(200, client.response(1).status());
    assertEquals(90_000, backend.received.get(0).toString().split("\r\n\r\n", 2)[1].length());
  }

  @Test
  void a_response_head_larger_than_a_block_is_read_whole() {
    String big = "h".repeat(50_000);
    open(answer("HTTP/1.1 200 OK\r\nX-Large: " + big + "\r\nContent-Length: 2\r\n\r\nok"));
    client.start().get(1, "/");
    run();
    assertEquals("ok", client.response(1).bodyText());
  }

  @Test
  void a_new_stream_id_lower_than_one_opened_before_is_a_connection_protocol_error() {
    open(answer("HTTP/1.1 204 No Content\r\n\r\n"));
    client.start().get(5, "/");
    run();
    assertEquals(204, client.response(5).status());
    client.get(3, "/");
    run();
    Frame goAway = client.goAwayFrame();
    assertEquals(Http2ErrorCode.PROTOCOL_ERROR, goAway.errorCode());
    assertEquals(5, goAway.lastStreamId());
    assertTrue(client.eos());
  }

  @Test
  void headers_on_a_stream_that_closed_normally_is_a_connection_stream_closed_error() {
    open(answer("HTTP/1.1 204 No Content\r\n\r\n"));
    client.start().get(1, "/");
    run();
    client.headers(1, true, request("GET", "/"));
    run();
    assertEquals(Http2ErrorCode.STREAM_CLOSED, client.goAwayFrame().errorCode());
  }

  @Test
  void frames_the_client_sent_before_seeing_our_reset_are_ignored() {
    open(answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    client.start().headers(1, false, request("POST", "/", new HeaderField("transfer-encoding", "chunked")))
        .data(1, "0123456789abcde", true).headers(3, false, request("POST", "/")).headers(3, true, List.of())
        .headers(5, false, request("POST", "/", new HeaderField("upgrade", "x")))
        .headers(5, true, List.of(new HeaderField("x-trailer", "1")));
    run();
    assertEquals(List.of(Http2ErrorCode.PROTOCOL_ERROR), client.streamFrames(1).stream()
        .filter(f -> f.type() == Http2Frame.TYPE_RST_STREAM).map(Frame::errorCode).toList());
    assertEquals(1, client.streamFrames(5).size(), "one RST_STREAM, the trailers are ignored");
    assertNull(client.goAwayFrame());
    assertEquals(200, client.response(3).status());
    long connectionCredit = windowSum(client.frames(Http2Frame.TYPE_WINDOW_UPDATE).stream()
        .filter(f -> f.streamId() == 0).toList());
    assertEquals((1 << 20) - 65535 + 15, connectionCredit, "the ignored DATA still returns its connection window");
  }

  @Test
  void a_client_that_stops_sending_still_gets_its_open_streams_answered() {
    open(req -> null);
    client.start().get(1, "/");
    run();
    conn.active().shutdown(dev.vconn.domain.ShutdownHow.WRITE);
    run();
    assertFalse(session.closed().isDone());
    backend.conns.get(0).send("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate");
    run();
    assertEquals("late", client.response(1).bodyText());
    assertTrue(client.response(1).ended());
    assertTrue(session.closed().isDone());
  }

  @Test
  void a_101_response_cannot_travel_on_a_stream_and_gives_502() {
    open(answer("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n"));
    client.start().get(1, "/ws");
    run();
    assertEquals(502, client.response(1).status());
    assertTrue(client.response(1).ended());
    assertEquals(0, session.idleInProcessConnections(), "the failed in-process connection is closed");
  }
}
