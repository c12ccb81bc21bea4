package dev.vconn.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.app.support.TestOrigin;
import dev.vconn.app.support.TestServer;
import dev.vconn.domain.http.UpstreamGroup;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An upstream group on real sockets: round-robin over two origins, a member that goes away, retries, ejection. */
class ServerUpstreamTest {

  @Test
  void requests_go_round_robin_and_a_member_that_stops_is_ejected_while_every_request_succeeds() throws Exception {
    try (TestOrigin a = new TestOrigin((exchange, body) -> TestOrigin.respond(exchange, 200, "a"));
        TestOrigin b = new TestOrigin((exchange, body) -> TestOrigin.respond(exchange, 200, "b"));
        TestServer s = TestServer.start("nio", "--upstream", "api http://" + a.authority() + " http://"
            + b.authority() + " max-fails=1 fail-timeout=1h", "--remap", "http://*/app/=upstream://api/v1/")) {
      for (int i = 0; i < 4; i++) {
        HttpResponse<String> r = s.get("/app/x");
        assertEquals(200, r.statusCode(), r.body());
      }
      assertEquals(2, a.requests.size());
      assertEquals(2, b.requests.size());
      assertEquals("/v1/x", a.requests.get(0).uri());
      assertEquals("api", a.requests.get(0).host(), "the members get the group's name as Host");
      b.close();
      for (int i = 0; i < 4; i++) {
        HttpResponse<String> r = s.get("/app/y");
        assertEquals(200, r.statusCode(), "a retry goes to the other member: " + r.body());
        assertEquals("a", r.body());
      }
      s.log.await(r -> r.url().startsWith("/app/"), 8); // written after the attempt was released
      List<UpstreamGroup.MemberStatus> members = s.server.upstreamGroups().get(0).members();
      assertEquals(UpstreamGroup.MemberState.UP, members.get(0).state());
      assertEquals(UpstreamGroup.MemberState.EJECTED, members.get(1).state(), members.toString());
      assertEquals(1, members.get(1).consecutiveFailures());
      assertEquals(0, members.get(0).activeConnections() + members.get(1).activeConnections(),
          "every attempt was released");
      String metrics = dev.vconn.app.admin.PrometheusText.write(s.server.metrics().families());
      String b1 = "upstream=\"api\",member=\"http://" + b.authority() + "\"";
      assertTrue(metrics.contains("vconn_upstream_member_state{" + b1 + ",state=\"ejected\"} 1"), metrics);
      assertTrue(metrics.contains("vconn_upstream_member_state{" + b1 + ",state=\"up\"} 0"), metrics);
      assertTrue(metrics.contains("vconn_upstream_member_failures_total{" + b1 + "} 1"), metrics);
      assertTrue(metrics.contains("vconn_upstream_member_selections_total{upstream=\"api\",member=\"http://"
          + a.authority() + "\"} 6"), metrics);
      assertEquals(6, s.log.records().stream().filter(r -> r.origin().equals(a.authority())).count(),
          "the access log names the member");
      assertTrue(s.get("/").body().contains("upstream://api"), "the index page lists the group");
    }
  }
}
