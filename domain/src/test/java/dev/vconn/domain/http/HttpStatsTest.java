package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The counters {@link HttpStats} breaks down (by kind and status class, plugin tag, origins, tunnels) and its latency
 * histograms, on virtual time: the durations are exact.
 */
class HttpStatsTest {
  private static final String ORIGIN = "10.0.0.1:8080";
  private static final String GET = "GET / HTTP/1.1\r\nHost: example.test\r\n\r\n";

  private static HttpRig rig(int maxRetries) {
    return new HttpRig(b -> b.remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/"))
        .maxRetries(maxRetries).connectPorts(Set.of(443)));
  }

  private static String ok(String body) {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
  }

  @Test
  void transactions_are_counted_by_status_class_and_in_process_ones_by_plugin_tag() {
    try (HttpRig rig = rig(1)) {
      rig.origin(ORIGIN, req -> ok("hi"));
      HttpRig.Client fetcher = rig.client("fetcher", 1, HttpRig.CLIENT);
      fetcher.send(GET).send(GET);
      HttpRig.Client other = rig.client("other", 2, HttpRig.CLIENT);
      other.send("GET /x HTTP/1.1\r\nHost: nowhere.test\r\n\r\n"); // no remap rule: 404
      rig.run();
      HttpStats s = rig.proxy.stats();
      assertEquals(2, s.transactions(true, 2));
      assertEquals(1, s.transactions(true, 4));
      assertEquals(0, s.transactions(false, 2), "the rig's clients are in-process");
      assertEquals(Map.of("fetcher", 2L, "other", 1L), s.inProcessTransactionsByTag());
      assertEquals(2, s.activeInProcessConnections(), "both clients are kept alive");
      other.close();
      rig.run();
      assertEquals(1, s.activeInProcessConnections());
    }
  }

  @Test
  void a_refused_connect_is_a_connect_failure_and_a_retry_then_a_connect_and_a_reuse() {
    try (HttpRig rig = rig(1)) {
      TestOrigin origin = rig.origin(ORIGIN, req -> ok("second try"));
      origin.refuseNext = 1;
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      c.send(GET);
      rig.run();
      assertEquals(2, c.responses("GET", "GET").size());
      assertEquals(new HttpStats.OriginCounts(1, 1, 1, 1, 0), rig.proxy.stats().origins());
      assertEquals(1, rig.proxy.openOriginConnections(), "the pooled connection is still open");
      assertEquals(1, rig.proxy.idleOriginConnections());
    }
  }

  @Test
  void an_origin_that_stays_unreachable_after_the_retries_is_an_origin_failure() {
    try (HttpRig rig = rig(0)) {
      rig.origin(ORIGIN, req -> ok("never")).refuse = true;
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      assertEquals(502, c.response().status());
      assertEquals(new HttpStats.OriginCounts(0, 1, 0, 0, 1), rig.proxy.stats().origins());
      assertEquals(1, rig.proxy.stats().transactions(true, 5));
      assertEquals(0, rig.proxy.openOriginConnections());
    }
  }

  @Test
  void the_histograms_put_each_duration_in_its_bucket() {
    try (HttpRig rig = rig(1)) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      rig.advance(Duration.ofMillis(300));
      origin.conn(0).send("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab");
      rig.run();
      rig.advance(Duration.ofMillis(900));
      origin.conn(0).send("cd");
      rig.run();
      assertEquals(200, c.response().status());
      HttpStats s = rig.proxy.stats();
      HttpStats.Histogram.Snapshot firstByte = s.originFirstByte();
      HttpStats.Histogram.Snapshot total = s.transactionDuration();
      List<Double> bounds = HttpStats.Histogram.UPPER_BOUNDS_SECONDS;
      // 0.3 s to the response head: above 0.25, within 0.5; 1.2 s in all: above 1, within 2.5.
      assertEquals(0, firstByte.cumulativeCounts().get(bounds.indexOf(0.25)));
      assertEquals(1, firstByte.cumulativeCounts().get(bounds.indexOf(0.5)));
      assertEquals(0.3, firstByte.sumSeconds(), 1e-9);
      assertEquals(0, total.cumulativeCounts().get(bounds.indexOf(1.0)));
      assertEquals(1, total.cumulativeCounts().get(bounds.indexOf(2.5)));
      assertEquals(1, total.count());
      assertEquals(1.2, total.sumSeconds(), 1e-9);
      assertEquals(bounds.size() + 1, total.cumulativeCounts().size(), "one more for +Inf");
    }
  }

  @Test
  void a_connect_tunnel_is_counted_while_open_and_after() {
    try (HttpRig rig = rig(1)) {
      ManualOrigin target = new ManualOrigin(rig, "secure.test:443");
      HttpRig.Client c = rig.client("tunnel", 0, new InetSocketAddress("127.0.0.1", 1));
      c.send("CONNECT secure.test:443 HTTP/1.1\r\nHost: secure.test:443\r\n\r\n");
      rig.run();
      HttpStats s = rig.proxy.stats();
      assertEquals(1, s.tunnels(false));
      assertEquals(0, s.tunnels(true));
      assertEquals(1, s.openTunnels());
      target.last().close();
      c.close();
      rig.run();
      assertEquals(0, s.openTunnels());
      assertEquals(new HttpStats.OriginCounts(0, 0, 0, 0, 0), s.origins(), "a CONNECT target is not an origin");
    }
  }
}
