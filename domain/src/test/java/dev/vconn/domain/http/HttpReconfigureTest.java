package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link HttpProxy#reconfigure}: a new configuration for new transactions, the old one for those in flight. */
class HttpReconfigureTest {
  static final String OLD = "10.0.0.1:80";
  static final String NEW = "10.0.0.2:80";
  static final String GET = "GET /a HTTP/1.1\r\nHost: example.test\r\n\r\n";

  static String ok(String body) {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
  }

  static HttpProxyConfig routedTo(HttpRig rig, String origin) {
    return rig.proxy.config().toBuilder().clearRouting()
        .remap(RemapRule.parse("http://example.test/", "http://" + origin + "/")).build();
  }

  @Test
  void a_transaction_in_flight_finishes_with_its_config_and_the_next_one_uses_the_new_rules() {
    try (HttpRig rig = new HttpRig(b -> b.remap(RemapRule.parse("http://example.test/", "http://" + OLD + "/")))) {
      TestOrigin old = rig.origin(OLD, req -> ok("old"));
      rig.origin(NEW, req -> ok("new"));
      old.defer = true;
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      assertEquals(1, old.requests.size());
      rig.proxy.reconfigure(routedTo(rig, NEW));
      old.answerDeferred();
      rig.run();
      assertEquals("old", c.response().body(), "the request in flight was not failed");
      assertFalse(c.eos, "nor its connection closed");
      c.send(GET); // the next transaction on the same keep-alive connection
      rig.run();
      assertEquals("new", c.responses().get(1).body());
      HttpRig.Client fresh = rig.client();
      fresh.send(GET);
      rig.run();
      assertEquals("new", fresh.response().body());
    }
  }

  @Test
  void remap_makes_each_rules_origin_authority_once_per_configuration_and_a_reconfigure_makes_the_new_ones() {
    try (HttpRig rig = new HttpRig(b -> b.remap(RemapRule.parse("http://example.test/", "http://" + OLD + "/")))) {
      rig.origin(OLD, req -> ok("old"));
      rig.origin(NEW, req -> ok("new"));
      HttpRig.Client c = rig.client();
      for (int i = 0; i < 4; i++) {
        if (i == 2) {
          rig.proxy.reconfigure(routedTo(rig, NEW));
        }
        c.send(GET);
        rig.run();
      }
      assertEquals(List.of("old", "old", "new", "new"), c.responses().stream().map(r -> r.body()).toList());
      List<String> origins = rig.log.stream().map(AccessLogRecord::origin).toList();
      assertEquals(List.of(OLD, OLD, NEW, NEW), origins);
      assertSame(origins.get(0), origins.get(1), "made once for the configuration, not per request");
      assertSame(origins.get(2), origins.get(3), "made once for the new configuration");
    }
  }

  @Test
  void access_control_applies_to_connections_accepted_after_the_reconfigure() {
    InetSocketAddress blocked = new InetSocketAddress("10.9.1.1", 5000);
    try (HttpRig rig = new HttpRig(b -> b.remap(RemapRule.parse("http://example.test/", "http://" + OLD + "/")))) {
      rig.origin(OLD, req -> ok("old"));
      HttpRig.Client before = rig.client("a", 1, blocked);
      rig.proxy.reconfigure(rig.proxy.config().toBuilder()
          .accessControl(client -> client.equals(blocked) ? Optional.of("denied") : Optional.empty()).build());
      HttpRig.Client after = rig.client("b", 2, blocked);
      rig.run();
      assertTrue(after.eos, "denied by the new rules");
      before.send(GET);
      rig.run();
      assertEquals("old", before.response().body(), "a connection accepted before keeps being served");
    }
  }

  @Test
  void a_config_that_changes_what_needs_a_new_proxy_is_refused_and_the_current_one_stays() {
    try (HttpRig rig = new HttpRig(b -> b.remap(RemapRule.parse("http://example.test/", "http://" + OLD + "/")))) {
      HttpProxyConfig before = rig.proxy.config();
      HttpProxyConfig other = before.toBuilder().clearRouting().limits(new HttpLimits(100, 200, 10))
          .timeouts(HttpTimeouts.defaults().withConnect(Duration.ofSeconds(1))).build();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rig.proxy.reconfigure(other));
      assertEquals("cannot change limits, timeouts of a running proxy (they need a new proxy)", e.getMessage());
      assertSame(before, rig.proxy.config());
    }
  }

  @Test
  void the_health_checks_of_groups_a_reconfigure_removed_stop() {
    try (HttpRig rig = new HttpRig((loop, b) -> {
      b.upstream(UpstreamGroup.parse("api http://" + OLD + " check=/h check-interval=1s", loop::nanoTime));
      b.remap(RemapRule.parse("http://example.test/", "upstream://api/"));
    })) {
      TestOrigin old = rig.origin(OLD, req -> ok("up"));
      rig.run();
      rig.advance(Duration.ofSeconds(1));
      assertEquals(2, old.requests.size(), "checked at once and after one interval");
      rig.proxy.reconfigure(routedTo(rig, NEW));
      rig.advance(Duration.ofSeconds(5));
      assertEquals(2, old.requests.size(), "no check after the group went away");
      assertEquals(List.of(), rig.proxy.config().upstreamGroups());
    }
  }
}
