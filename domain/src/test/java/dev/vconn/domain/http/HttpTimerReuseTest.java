package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A keep-alive connection's requests schedule no timer of the session's or the transaction's: the session keeps one
 * timer and moves its deadline (keep-alive idle, header, the transaction's response timer), and the origin
 * connection's inactivity timer is moved, not scheduled again (docs/http.md, "Code layout"). The timeouts still fire
 * when they are due.
 */
class HttpTimerReuseTest {
  private static final String ORIGIN = "10.0.0.1:8080";

  private static HttpRig rig() {
    return new HttpRig(b -> b.remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/")));
  }

  private static String ok(String body) {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
  }

  @Test
  void keep_alive_requests_on_a_warm_connection_schedule_no_timer() {
    try (HttpRig rig = rig()) {
      rig.origin(ORIGIN, req -> ok("ok"));
      HttpRig.Client c = rig.client();
      // Warm up: the session's timer, the origin connection and its timers exist after these.
      for (int i = 0; i < 2; i++) {
        c.send("GET /warm HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
      }
      long before = rig.loop.timersScheduled();
      for (int i = 0; i < 20; i++) {
        c.send("GET /" + i + " HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
      }
      assertEquals(22, c.responses().size());
      assertEquals(200, c.responses().get(21).status());
      // The client connection's inactivity timeout is set while a response body goes out and cancelled between
      // requests; the timer armed during the warm-up stays and is reused (docs/semantics.md, rule 3.6).
      assertEquals(0, rig.loop.timersScheduled() - before, "timers scheduled by 20 keep-alive requests");
    }
  }

  @Test
  void the_keep_alive_idle_timeout_still_closes_an_idle_connection_when_it_is_due() {
    try (HttpRig rig = rig()) {
      rig.origin(ORIGIN, req -> ok("ok"));
      HttpRig.Client c = rig.client();
      Duration idle = HttpTimeouts.defaults().keepAliveIdle();
      for (int i = 0; i < 3; i++) {
        c.send("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        rig.advance(idle.minusSeconds(1)); // each request moves the deadline: never due
      }
      assertFalse(c.eos);
      assertEquals(3, c.responses().size());
      rig.advance(Duration.ofSeconds(2));
      rig.run();
      assertTrue(c.eos, "closed once a full keep-alive idle timeout passed without a request");
    }
  }

  @Test
  void the_response_timeout_still_fires_on_a_session_whose_timer_was_moved_later() {
    try (HttpRig rig = rig()) {
      Duration response = HttpTimeouts.defaults().response();
      TestOrigin origin = rig.origin(ORIGIN, req -> req.head().target().equals("/slow") ? null : ok("ok"));
      HttpRig.Client c = rig.client();
      c.send("GET /fast HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      c.send("GET /slow HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      assertEquals(1, c.responses().size());
      rig.advance(response.minusSeconds(1));
      rig.run();
      assertEquals(1, c.responses().size(), "not due yet");
      rig.advance(Duration.ofSeconds(2));
      rig.run();
      List<Response> rs = c.responses();
      assertEquals(2, rs.size());
      assertEquals(504, rs.get(1).status());
      assertEquals(2, origin.requests.size());
    }
  }
}
