package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.ShutdownHow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code 101 Switching Protocols} through the proxy (docs/http.md, Upgrades): what the origin receives, the 101 the
 * client gets, the splice that follows (read-ahead on both sides, closes both ways), and the 101s that get 502. On
 * virtual time; {@link HttpRig#close()} checks every block went back to the pool after each case.
 */
class HttpUpgradeTest {
  private static final String ORIGIN = "10.0.0.1:8080";
  private static final String UPGRADE_REQUEST = "GET /chat HTTP/1.1\r\nHost: example.test\r\nUpgrade: websocket\r\n"
      + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  /** Exactly what the origin must receive for {@link #UPGRADE_REQUEST}. */
  private static final String FORWARDED = "GET /chat HTTP/1.1\r\nHost: " + ORIGIN + "\r\n"
      + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nUpgrade: websocket\r\n"
      + "Connection: upgrade\r\nVia: 1.1 vconn\r\n\r\n";
  private static final String SWITCHING = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
      + "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
  /** Exactly what the client must receive for {@link #SWITCHING}. */
  private static final String SWITCHED = "HTTP/1.1 101 Switching Protocols\r\n"
      + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
      + "Via: 1.1 vconn\r\n\r\n";

  private static HttpRig rig() {
    return rig(b -> { });
  }

  private static HttpRig rig(Consumer<HttpProxyConfig.Builder> more) {
    return new HttpRig(b -> {
      b.remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/"));
      more.accept(b);
    });
  }

  /** Sends the upgrade request and lets the origin switch; returns the origin connection. */
  private static ManualOrigin.Conn switched(HttpRig rig, ManualOrigin origin, HttpRig.Client c) {
    c.send(UPGRADE_REQUEST);
    rig.run();
    assertEquals(FORWARDED, origin.last().received());
    origin.last().send(SWITCHING);
    rig.run();
    assertEquals(SWITCHED, c.received());
    return origin.last();
  }

  @Test
  void an_upgrade_request_reaches_the_origin_with_upgrade_and_connection_upgrade_exactly() {
    try (HttpRig rig = rig()) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      c.send(UPGRADE_REQUEST);
      rig.run();
      assertEquals(FORWARDED, origin.last().received());
    }
  }

  @Test
  void a_101_goes_to_the_client_and_then_bytes_pass_both_ways_unparsed() {
    try (HttpRig rig = rig()) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      ManualOrigin.Conn o = switched(rig, origin, c);

      c.send("\u0081\u0085masked GET / HTTP/1.1\r\n\r\n");
      o.send("\u0081\u0002hi\u0000\u00ff");
      rig.run();
      assertEquals(FORWARDED + "\u0081\u0085masked GET / HTTP/1.1\r\n\r\n", o.received());
      assertEquals(SWITCHED + "\u0081\u0002hi\u0000\u00ff", c.received());
      assertEquals(1, rig.proxy.openSessions());
      assertTrue(rig.log.isEmpty(), "the transaction lasts as long as its tunnel");
    }
  }

  @Test
  void client_bytes_read_ahead_after_the_request_head_wait_and_then_reach_the_origin_first() {
    try (HttpRig rig = rig()) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      c.send(UPGRADE_REQUEST + "early-frame");
      rig.run();
      assertEquals(FORWARDED, origin.last().received(), "no byte of the new protocol before the switch");
      origin.last().send(SWITCHING);
      rig.run();
      c.send(";later");
      rig.run();
      assertEquals(FORWARDED + "early-frame;later", origin.last().received());
      assertEquals(SWITCHED, c.received());
    }
  }

  @Test
  void origin_bytes_read_ahead_after_the_101_head_reach_the_client_right_after_it() {
    try (HttpRig rig = rig()) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      c.send(UPGRADE_REQUEST);
      rig.run();
      origin.last().send(SWITCHING + "server-first-frame");
      rig.run();
      origin.last().send(";later");
      rig.run();
      assertEquals(SWITCHED + "server-first-frame;later", c.received());
    }
  }

  @Test
  void half_closes_pass_both_ways_and_the_log_shows_the_bytes_each_way_and_the_duration() {
    try (HttpRig rig = rig()) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      ManualOrigin.Conn o = switched(rig, origin, c);
      c.send("ping");
      rig.run();
      rig.advance(Duration.ofMillis(250));
      c.shutdownWriteAfterSending();
      rig.run();
      assertTrue(o.eos, "the client's half-close reached the origin");
      assertTrue(rig.log.isEmpty(), "the other direction still runs");
      o.send("pong");
      rig.run();
      o.vconn.shutdown(ShutdownHow.WRITE);
      rig.run();
      assertEquals(SWITCHED + "pong", c.received());
      assertTrue(c.eos);
      assertEquals(0, rig.proxy.openSessions(), "no keep-alive after a tunnel");
      assertEquals(1, rig.log.size());
      AccessLogRecord line = rig.log.get(0);
      assertEquals("GET", line.method());
      assertEquals("/chat", line.url());
      assertEquals(101, line.status());
      assertEquals(ORIGIN, line.origin());
      assertEquals(UPGRADE_REQUEST.length() + "ping".length(), line.bytesIn());
      assertEquals(SWITCHED.length() + "pong".length(), line.bytesOut());
      assertEquals(250, line.durationMillis());
    }
  }

  @Test
  void the_origin_closing_closes_the_client() {
    try (HttpRig rig = rig()) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      ManualOrigin.Conn o = switched(rig, origin, c);
      o.send("last words");
      rig.run();
      o.close();
      rig.run();
      assertEquals(SWITCHED + "last words", c.received());
      assertTrue(c.eos, "the client saw the end");
      c.close();
      rig.run();
      assertEquals(0, rig.proxy.openSessions());
      assertEquals(1, rig.log.size());
      assertEquals(101, rig.log.get(0).status());
    }
  }

  @Test
  void the_client_closing_closes_the_origin() {
    try (HttpRig rig = rig()) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      ManualOrigin.Conn o = switched(rig, origin, c);
      c.send("bye");
      rig.run();
      c.close();
      rig.run();
      assertTrue(o.eos, "the origin saw the end");
      assertEquals(FORWARDED + "bye", o.received());
      assertEquals(0, rig.proxy.openSessions());
      assertEquals(1, rig.log.size());
    }
  }

  @ParameterizedTest(name = "{0} resets")
  @ValueSource(strings = {"client", "origin"})
  void a_reset_of_either_side_closes_both(String who) {
    try (HttpRig rig = rig()) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      ManualOrigin.Conn o = switched(rig, origin, c);
      if (who.equals("client")) {
        c.vconn.abort(Errno.ECONNRESET, null);
        rig.run();
        assertTrue(o.eos, "the origin's connection was closed");
      } else {
        o.abort();
        rig.run();
        assertTrue(c.eos || c.readError, "the client's connection was closed");
      }
      assertEquals(0, rig.proxy.openSessions());
      assertEquals(1, rig.log.size());
    }
  }

  @Test
  void an_idle_upgraded_connection_is_closed_at_the_inactivity_timeout() {
    try (HttpRig rig = rig()) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      ManualOrigin.Conn o = switched(rig, origin, c);
      Duration idle = rig.proxy.config().timeouts().inactivity();
      rig.advance(idle.minusMillis(1));
      assertEquals(1, rig.proxy.openSessions(), "not idle long enough yet");
      rig.advance(Duration.ofMillis(2));
      assertEquals(0, rig.proxy.openSessions());
      assertTrue(c.eos && o.eos, "both sides closed");
    }
  }

  @Test
  void the_upgraded_origin_connection_counts_toward_the_origin_limit_until_the_tunnel_ends_and_is_never_pooled() {
    try (HttpRig rig = rig(b -> b.maxConnectionsPerOrigin(1))) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      ManualOrigin.Conn o = switched(rig, origin, c);

      HttpRig.Client second = rig.client();
      second.send("GET /other HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      assertEquals(503, second.response().status(), "the tunnel holds the only connection allowed");

      o.close();
      rig.run();
      assertEquals(0, rig.proxy.originPool().idleCount(), "an upgraded connection never goes to the pool");
      HttpRig.Client third = rig.client();
      third.send("GET /other HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      assertEquals(2, origin.conns.size(), "the ended tunnel gave its connection back to the limit");
      assertEquals("GET /other HTTP/1.1\r\nHost: " + ORIGIN + "\r\nVia: 1.1 vconn\r\n\r\n", origin.last().received());
    }
  }

  @Test
  void an_origin_that_declines_the_upgrade_answers_normally_and_the_connection_stays_http() {
    try (HttpRig rig = rig()) {
      TestOrigin origin = rig.origin(ORIGIN, req -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno");
      HttpRig.Client c = rig.client();
      c.send(UPGRADE_REQUEST + "GET /next HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      List<Response> responses = c.responses();
      assertEquals(2, responses.size(), c.received());
      assertEquals("no", responses.get(0).body());
      assertFalse(responses.get(0).has("Upgrade"));
      assertEquals("/next", origin.requests.get(1).head().target(), "pipelined bytes were the next request");
      assertEquals(1, origin.connections(), "the declined upgrade's connection was reused");
      assertFalse(c.eos);
    }
  }

  @Test
  void response_hooks_see_the_101_and_send_response_hdr_may_add_a_field() {
    List<String> seen = new ArrayList<>();
    HttpHooks hooks = HttpHooks.builder()
        .add(HttpHookId.READ_RESPONSE_HDR, new Continuation((event, data) -> {
          HttpTxn txn = (HttpTxn) data;
          seen.add("read " + txn.serverResponse().status() + " " + txn.serverResponse().headers().get("Upgrade"));
          txn.reenable();
        }))
        .add(HttpHookId.SEND_RESPONSE_HDR, new Continuation((event, data) -> {
          HttpTxn txn = (HttpTxn) data;
          seen.add("send " + txn.clientResponse().status() + " " + txn.clientResponse().headers().get("Connection"));
          txn.clientResponse().headers().add("X-Plugin", "saw it");
          txn.reenable();
        }))
        .add(HttpHookId.TXN_CLOSE, new Continuation((event, data) -> {
          HttpTxn txn = (HttpTxn) data;
          seen.add("close " + txn.status());
          txn.reenable();
        }))
        .build();
    try (HttpRig rig = rig(b -> b.hooks(hooks))) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      c.send(UPGRADE_REQUEST);
      rig.run();
      origin.last().send(SWITCHING + "frame");
      rig.run();
      assertEquals(SWITCHED.replace("\r\n\r\n", "\r\nX-Plugin: saw it\r\n\r\n") + "frame", c.received());
      origin.last().close();
      rig.run();
      assertEquals(List.of("read 101 websocket", "send 101 upgrade", "close 101"), seen);
    }
  }

  @Test
  void ends_that_arrive_while_a_response_hook_holds_the_101_are_passed_on_after_the_bytes_before_them() {
    List<HttpTxn> held = new ArrayList<>();
    HttpHooks hooks = HttpHooks.builder().add(HttpHookId.READ_RESPONSE_HDR, new Continuation((event, data) -> {
      held.add((HttpTxn) data);
    })).build();
    try (HttpRig rig = rig(b -> b.hooks(hooks))) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      c.send(UPGRADE_REQUEST + "client-last");
      rig.run();
      ManualOrigin.Conn o = origin.last();
      o.send(SWITCHING + "origin-last");
      rig.run();
      assertEquals(1, held.size(), "the hook holds the 101");
      c.shutdownWriteAfterSending();
      rig.run();
      o.vconn.shutdown(ShutdownHow.WRITE);
      rig.run();
      assertEquals("", c.received());
      assertEquals(FORWARDED, o.received());

      held.get(0).reenable();
      rig.run();
      assertEquals(SWITCHED + "origin-last", c.received());
      assertEquals(FORWARDED + "client-last", o.received());
      assertTrue(c.eos && o.eos, "both ends passed on");
      assertEquals(0, rig.proxy.openSessions());
      assertEquals(101, rig.log.get(0).status());
    }
  }

  @Test
  void a_send_response_hdr_hook_may_refuse_the_switch_and_the_origin_connection_is_closed() {
    HttpHooks hooks = HttpHooks.builder().add(HttpHookId.SEND_RESPONSE_HDR, new Continuation((event, data) -> {
      HttpTxn txn = (HttpTxn) data;
      if (txn.clientResponse().status() == 101) {
        txn.setErrorStatus(403);
        txn.reenable(Event.HTTP_ERROR);
      } else {
        txn.reenable();
      }
    })).build();
    try (HttpRig rig = rig(b -> b.hooks(hooks))) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      c.send(UPGRADE_REQUEST + "early");
      rig.run();
      origin.last().send(SWITCHING + "frame");
      rig.run();
      assertEquals(403, c.response().status());
      assertTrue(c.eos);
      assertTrue(origin.last().eos, "the origin connection was closed");
      assertEquals(FORWARDED, origin.last().received(), "no client byte went through");
    }
  }

  @Test
  void a_transform_added_for_the_response_is_not_applied_to_a_101() {
    HttpHooks hooks = HttpHooks.builder().add(HttpHookId.READ_RESPONSE_HDR, new Continuation((event, data) -> {
      HttpTxn txn = (HttpTxn) data;
      txn.addResponseTransform(new NullTransform());
      txn.reenable();
    })).build();
    try (HttpRig rig = rig(b -> b.hooks(hooks))) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      ManualOrigin.Conn o = switched(rig, origin, c);
      o.send("raw");
      rig.run();
      assertEquals(SWITCHED + "raw", c.received());
    }
  }

  @Test
  void a_101_to_a_request_that_did_not_ask_for_an_upgrade_is_502_and_nothing_is_spliced() {
    try (HttpRig rig = rig()) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      c.send("GET /chat HTTP/1.1\r\nHost: example.test\r\n\r\nnot-a-frame");
      rig.run();
      origin.last().send(SWITCHING + "frame");
      rig.run();
      assertEquals(502, c.response().status());
      assertFalse(c.received().contains("frame"));
      assertTrue(origin.last().eos, "the origin connection was closed");
      assertEquals(502, rig.log.get(0).status());
    }
  }

  @ParameterizedTest(name = "101 with {0}")
  @ValueSource(strings = {"Upgrade: h2c", "Upgrade: websocket, h2c", "X-No-Upgrade: 1", "Upgrade: web socket"})
  void a_101_to_another_protocol_than_asked_or_naming_none_is_502(String upgradeField) {
    try (HttpRig rig = rig()) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      c.send(UPGRADE_REQUEST);
      rig.run();
      origin.last().send("HTTP/1.1 101 Switching Protocols\r\n" + upgradeField + "\r\nConnection: upgrade\r\n\r\n");
      rig.run();
      assertEquals(502, c.response().status());
      assertTrue(origin.last().eos);
    }
  }

  @Test
  void the_protocol_is_matched_without_regard_to_case_and_a_101_may_choose_one_of_several_asked() {
    try (HttpRig rig = rig()) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      c.send("GET /x HTTP/1.1\r\nHost: example.test\r\nUpgrade: foo/2, WebSocket\r\nConnection: keep-alive, upgrade"
          + "\r\n\r\n");
      rig.run();
      assertEquals("GET /x HTTP/1.1\r\nHost: " + ORIGIN + "\r\nUpgrade: foo/2, WebSocket\r\nConnection: upgrade\r\n"
          + "Via: 1.1 vconn\r\n\r\n", origin.last().received());
      origin.last().send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\nx");
      rig.run();
      assertEquals("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
          + "Via: 1.1 vconn\r\n\r\nx", c.received());
    }
  }

  /**
   * Attempts to get an upgrade (and so a raw tunnel past the proxy's parser) where none may be: the exact bytes the
   * origin receives carry no {@code Upgrade} and no {@code Connection: upgrade}, and a 101 to them is 502.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "GET /chat HTTP/1.0\r\nHost: example.test\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
      "GET /chat HTTP/1.1\r\nHost: example.test\r\nConnection: upgrade\r\n\r\n",
      "GET /chat HTTP/1.1\r\nHost: example.test\r\nUpgrade: websocket\r\n\r\n",
      "GET /chat HTTP/1.1\r\nHost: example.test\r\nUpgrade: websocket\r\nConnection: Upgrade-Insecure\r\n\r\n",
      "GET /chat HTTP/1.1\r\nHost: example.test\r\nUpgrade: websocket\r\nConnection: upgrade\r\nContent-Length: 4"
          + "\r\n\r\nbody",
      "GET /chat HTTP/1.1\r\nHost: example.test\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
          + "Transfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n",
      "GET /chat HTTP/1.1\r\nHost: example.test\r\nUpgrade: web socket\r\nConnection: upgrade\r\n\r\n",
      "GET /chat HTTP/1.1\r\nHost: example.test\r\nUpgrade: websocket;v=1\r\nConnection: upgrade\r\n\r\n",
      "GET /chat HTTP/1.1\r\nHost: example.test\r\nUpgrade: websocket/\r\nConnection: upgrade\r\n\r\n"})
  void an_upgrade_that_may_not_be_asked_for_is_not_forwarded_and_a_101_to_it_is_502(String request) {
    try (HttpRig rig = rig()) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      c.send(request + "smuggled");
      rig.run();
      String version = request.contains("HTTP/1.0") ? "1.0" : "1.1";
      String framing = request.contains("Content-Length") ? "Content-Length: 4\r\n"
          : request.contains("chunked") ? "Transfer-Encoding: chunked\r\n" : "";
      String body = request.contains("Content-Length") ? "body"
          : request.contains("chunked") ? "4\r\nbody\r\n0\r\n\r\n" : "";
      assertEquals("GET /chat HTTP/1.1\r\nHost: " + ORIGIN + "\r\n" + framing + "Via: " + version + " vconn\r\n\r\n"
          + body, origin.last().received(), "exactly what the origin received");
      origin.last().send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n");
      rig.run();
      assertEquals(502, c.response().status());
      assertFalse(c.received().contains("smuggled"));
      assertTrue(c.eos, "a request that asked to upgrade closes after an error: what follows may not be HTTP");
    }
  }

  @Test
  void a_101_from_an_intercept_is_spliced_the_same_way() {
    List<ManualOrigin.Conn> server = new ArrayList<>();
    ManualOrigin[] holder = new ManualOrigin[1];
    HttpHooks hooks = HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, new Continuation((event, data) -> {
      HttpTxn txn = (HttpTxn) data;
      txn.intercept(new Continuation((e, d) -> {
        if (e == Event.NET_ACCEPT) {
          holder[0].accept((dev.vconn.domain.VConn) d);
          server.add(holder[0].last());
        }
      }));
      txn.reenable();
    })).build();
    try (HttpRig rig = rig(b -> b.hooks(hooks))) {
      holder[0] = new ManualOrigin(rig, "unused:1");
      HttpRig.Client c = rig.client();
      c.send(UPGRADE_REQUEST + "early");
      rig.run();
      ManualOrigin.Conn s = server.get(0);
      assertEquals("GET /chat HTTP/1.1\r\nHost: example.test\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
          + "Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\nConnection: upgrade\r\nVia: 1.1 vconn\r\n\r\n",
          s.received());
      s.send(SWITCHING + "from-plugin");
      rig.run();
      assertEquals(SWITCHED + "from-plugin", c.received());
      assertTrue(s.received().endsWith("\r\n\r\nearly"));
      s.close();
      rig.run();
      assertTrue(c.eos);
      assertEquals(0, rig.proxy.openSessions());
      assertEquals("intercept", rig.log.get(0).origin());
    }
  }
}
