package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.ShutdownHow;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code CONNECT host:port} through the proxy (docs/http.md, Tunnels), on virtual time. */
class HttpConnectTest {
  private static final String TARGET = "secure.test:443";
  private static final String ESTABLISHED = "HTTP/1.1 200 Connection Established\r\nDate: " + HttpRig.DATE
      + "\r\n\r\n";
  private static final String CONNECT = "CONNECT " + TARGET + " HTTP/1.1\r\nHost: " + TARGET + "\r\n\r\n";

  private static HttpRig rig() {
    return new HttpRig(b -> b.connectPorts(Set.of(443)));
  }

  private static HttpRig rig(HttpHooks hooks) {
    return new HttpRig(b -> b.connectPorts(Set.of(443)).hooks(hooks));
  }

  @Test
  void an_allowed_connect_is_answered_200_and_then_carries_bytes_both_ways_exactly() {
    try (HttpRig rig = rig()) {
      ManualOrigin target = new ManualOrigin(rig, TARGET);
      HttpRig.Client c = rig.client();
      c.send(CONNECT);
      rig.run();
      assertEquals(ESTABLISHED, c.received());
      assertEquals(List.of(TARGET), rig.connectAttempts);

      // Bytes that look like HTTP are not parsed any more: they are the tunnel's.
      c.send("\u0016\u0003\u0001 binary \r\n\r\nGET / HTTP/1.1\r\n\r\n");
      target.last().send("server-hello\u0000\u00ff");
      rig.run();
      assertEquals("\u0016\u0003\u0001 binary \r\n\r\nGET / HTTP/1.1\r\n\r\n", target.last().received());
      assertEquals(ESTABLISHED + "server-hello\u0000\u00ff", c.received());
      assertEquals(1, rig.proxy.openSessions());
    }
  }

  @Test
  void bytes_pipelined_after_the_connect_head_reach_the_target_first() {
    try (HttpRig rig = rig()) {
      ManualOrigin target = new ManualOrigin(rig, TARGET);
      HttpRig.Client c = rig.client();
      c.send(CONNECT + "client-hello-pipelined");
      rig.run();
      c.send(";more");
      rig.run();
      assertEquals("client-hello-pipelined;more", target.last().received());
      assertEquals(ESTABLISHED, c.received());
    }
  }

  @Test
  void a_port_not_in_the_allow_list_gets_403_and_no_connect_attempt() {
    try (HttpRig rig = rig()) {
      new ManualOrigin(rig, "secure.test:25");
      HttpRig.Client c = rig.client();
      c.send("CONNECT secure.test:25 HTTP/1.1\r\nHost: secure.test:25\r\n\r\nEHLO x\r\n");
      rig.run();
      assertEquals(403, c.response().status());
      assertTrue(c.eos, "the connection closes: the bytes after a refused CONNECT are not HTTP");
      assertEquals(List.of(), rig.connectAttempts);
      assertEquals(403, rig.log.get(0).status());
    }
  }

  @Test
  void connect_is_refused_by_default() {
    try (HttpRig rig = new HttpRig()) {
      new ManualOrigin(rig, TARGET);
      HttpRig.Client c = rig.client();
      c.send(CONNECT);
      rig.run();
      assertEquals(403, c.response().status());
      assertEquals(List.of(), rig.connectAttempts);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"/path", "http://secure.test:443/", "secure.test", "secure.test:", ":443",
      "secure.test:443x", "secure.test:99999", "secure.test:0", "user@secure.test:443", "secure test:443",
      "[::1:443", "secure.test:+443"})
  void a_target_that_is_not_host_colon_port_gets_400(String target) {
    try (HttpRig rig = rig()) {
      HttpRig.Client c = rig.client();
      c.send("CONNECT " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
      rig.run();
      assertEquals(400, c.response().status(), target);
      assertEquals(List.of(), rig.connectAttempts);
    }
  }

  @Test
  void an_ipv6_literal_target_is_connected_without_brackets() {
    try (HttpRig rig = rig()) {
      new ManualOrigin(rig, "::1:443");
      HttpRig.Client c = rig.client();
      c.send("CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n");
      rig.run();
      assertEquals(ESTABLISHED, c.received());
      assertEquals(List.of("::1:443"), rig.connectAttempts);
    }
  }

  @Test
  void a_refused_connect_gets_502_and_a_timed_out_one_504() {
    try (HttpRig rig = rig()) {
      rig.origin(TARGET, req -> "unused").refuse = true;
      HttpRig.Client c = rig.client();
      c.send(CONNECT);
      rig.run();
      assertEquals(502, c.response().status());
    }
    try (HttpRig rig = rig()) {
      rig.origin(TARGET, req -> "unused").blackhole = true;
      HttpRig.Client c = rig.client();
      c.send(CONNECT);
      rig.advance(Duration.ofMinutes(2));
      assertEquals(504, c.response().status());
    }
  }

  @Test
  void a_read_request_hdr_hook_sees_the_connect_and_may_refuse_it() {
    HttpHooks hooks = HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, new Continuation((event, data) -> {
      HttpTxn txn = (HttpTxn) data;
      txn.setErrorStatus(403);
      txn.reenable(Event.HTTP_ERROR);
    })).build();
    try (HttpRig rig = rig(hooks)) {
      new ManualOrigin(rig, TARGET);
      HttpRig.Client c = rig.client();
      c.send(CONNECT);
      rig.run();
      assertEquals(403, c.response().status());
      assertEquals(List.of(), rig.connectAttempts);
    }
  }

  @Test
  void send_response_hdr_hooks_see_the_200_and_may_replace_it_with_an_error() {
    HttpHooks hooks = HttpHooks.builder().add(HttpHookId.SEND_RESPONSE_HDR, new Continuation((event, data) -> {
      HttpTxn txn = (HttpTxn) data;
      if (txn.clientResponse().status() == 200) {
        txn.reenable(Event.HTTP_ERROR);
      } else {
        txn.reenable();
      }
    })).build();
    try (HttpRig rig = rig(hooks)) {
      ManualOrigin target = new ManualOrigin(rig, TARGET);
      HttpRig.Client c = rig.client();
      c.send(CONNECT + "never-tunnelled");
      rig.run();
      assertEquals(500, c.response().status());
      assertTrue(target.last().eos, "the target connection was closed unused");
      assertEquals("", target.last().received());
    }
  }

  @Test
  void a_half_close_by_the_client_reaches_the_target_and_the_target_can_still_answer() {
    try (HttpRig rig = rig()) {
      ManualOrigin target = new ManualOrigin(rig, TARGET);
      HttpRig.Client c = rig.client();
      c.send(CONNECT + "request");
      rig.run();
      c.shutdownWriteAfterSending();
      rig.run();
      assertTrue(target.last().eos, "the client's half-close reached the target");
      assertTrue(rig.log.isEmpty(), "the tunnel still runs the other way");

      target.last().send("late answer");
      rig.run();
      target.last().vconn.shutdown(ShutdownHow.WRITE);
      rig.run();
      assertEquals(ESTABLISHED + "late answer", c.received());
      assertTrue(c.eos);
      assertEquals(0, rig.proxy.openSessions(), "the session ends with its tunnel: no keep-alive after it");
      AccessLogRecord line = rig.log.get(0);
      assertEquals("CONNECT", line.method());
      assertEquals(TARGET, line.url());
      assertEquals(200, line.status());
      assertEquals(TARGET, line.origin());
      assertEquals(CONNECT.length() + "request".length(), line.bytesIn(), "head and tunnelled bytes from the client");
      assertEquals(ESTABLISHED.length() + "late answer".length(), line.bytesOut());
    }
  }

  @Test
  void a_half_close_by_the_target_reaches_the_client_and_the_client_can_still_send() {
    try (HttpRig rig = rig()) {
      ManualOrigin target = new ManualOrigin(rig, TARGET);
      HttpRig.Client c = rig.client();
      c.send(CONNECT);
      rig.run();
      target.last().send("bye");
      rig.run();
      target.last().vconn.shutdown(ShutdownHow.WRITE);
      rig.run();
      assertTrue(c.eos, "the target's half-close reached the client");
      c.send("still talking");
      rig.run();
      assertEquals("still talking", target.last().received());
      c.shutdownWriteAfterSending();
      rig.run();
      assertEquals(0, rig.proxy.openSessions());
      assertEquals(1, rig.log.size());
    }
  }

  @ParameterizedTest(name = "{0} resets")
  @ValueSource(strings = {"client", "target"})
  void a_reset_of_either_side_closes_both_and_ends_the_session(String who) {
    try (HttpRig rig = rig()) {
      ManualOrigin target = new ManualOrigin(rig, TARGET);
      HttpRig.Client c = rig.client();
      c.send(CONNECT + "x");
      rig.run();
      if (who.equals("client")) {
        c.vconn.abort(dev.vconn.domain.Errno.ECONNRESET, null);
        rig.run();
        assertTrue(target.last().eos, "the target's connection was closed");
      } else {
        target.last().abort();
        rig.run();
        assertTrue(c.eos || c.readError, "the client's connection was closed");
      }
      assertEquals(0, rig.proxy.openSessions());
      assertEquals(1, rig.log.size());
      assertEquals(200, rig.log.get(0).status());
    }
  }

  @Test
  void an_idle_tunnel_is_closed_at_the_inactivity_timeout_and_the_log_shows_its_duration() {
    try (HttpRig rig = rig()) {
      ManualOrigin target = new ManualOrigin(rig, TARGET);
      HttpRig.Client c = rig.client();
      c.send(CONNECT);
      rig.run();
      Duration idle = rig.proxy.config().timeouts().inactivity();
      rig.advance(idle.minusMillis(1));
      assertEquals(1, rig.proxy.openSessions(), "not idle long enough yet");
      rig.advance(Duration.ofMillis(2));
      assertEquals(0, rig.proxy.openSessions());
      assertTrue(c.eos && target.last().eos, "both sides closed");
      assertEquals(idle.toMillis(), rig.log.get(0).durationMillis());
    }
  }

  @Test
  void closing_the_proxy_closes_a_running_tunnel_and_frees_everything() {
    try (HttpRig rig = rig()) {
      ManualOrigin target = new ManualOrigin(rig, TARGET);
      HttpRig.Client c = rig.client();
      c.send(CONNECT + "x");
      rig.run();
      target.last().send("y");
      rig.run();
      assertFalse(c.eos);
    } // HttpRig.close closes the proxy and checks sessions, pairs and blocks
  }
}
