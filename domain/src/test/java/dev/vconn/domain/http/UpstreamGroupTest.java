package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Upstream groups on virtual time: selection, passive ejection and re-admission, active checks, retries. */
class UpstreamGroupTest {
  static final String A = "10.0.0.1:8080";
  static final String B = "10.0.0.2:8080";

  /** A rig whose remap rule sends example.test to the group {@code spec} names (members a and b). */
  static HttpRig rig(String options, Consumer<HttpProxyConfig.Builder> more) {
    return new HttpRig((loop, b) -> {
      b.upstream(UpstreamGroup.parse("api http://" + A + " http://" + B + " " + options, loop::nanoTime));
      b.remap(RemapRule.parse("http://example.test/", "upstream://api/v1/"));
      more.accept(b);
    });
  }

  static String ok(String body) {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
  }

  static int get(HttpRig rig) {
    HttpRig.Client c = rig.client();
    c.send("GET /x HTTP/1.1\r\nHost: example.test\r\n\r\n");
    rig.run();
    int status = c.response().status();
    c.close();
    return status;
  }

  /** The member each transaction went to (pooled connections are reused, so connects alone do not tell). */
  static List<String> served(HttpRig rig) {
    return rig.log.stream().map(AccessLogRecord::origin).toList();
  }

  static UpstreamGroup.MemberStatus member(HttpRig rig, String authority) {
    return rig.proxy.config().upstreamGroup("api").members().stream()
        .filter(m -> m.origin().authority().equals(authority)).findFirst().orElseThrow();
  }

  @Nested
  class Selection {
    @Test
    void round_robin_sends_requests_to_each_member_in_turn_with_the_rules_path_and_the_groups_name_as_host() {
      try (HttpRig rig = rig("", b -> {})) {
        TestOrigin a = rig.origin(A, req -> ok("a"));
        TestOrigin b = rig.origin(B, req -> ok("b"));
        for (int i = 0; i < 4; i++) {
          assertEquals(200, get(rig));
        }
        assertEquals(List.of(A, B, A, B), served(rig));
        assertEquals(List.of(A, B), rig.connectAttempts, "each member's connection is pooled and reused");
        assertEquals(2, a.requests.size());
        assertEquals(2, b.requests.size());
        assertEquals("/v1/x", a.requests.get(0).head().target());
        assertEquals("api", a.requests.get(0).head().headers().get("Host"));
        assertEquals(A, rig.log.get(0).origin(), "the access log names the member");
        assertEquals(0, member(rig, A).activeConnections(), "every attempt was released");
        assertEquals(2, member(rig, B).selections());
      }
    }

    @Test
    void least_connections_avoids_the_member_with_a_request_in_flight() {
      try (HttpRig rig = rig("policy=least-connections", b -> {})) {
        TestOrigin a = rig.origin(A, req -> ok("a"));
        rig.origin(B, req -> ok("b"));
        a.defer = true;
        HttpRig.Client slow = rig.client();
        slow.send("GET /slow HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        assertEquals(1, member(rig, A).activeConnections());
        assertEquals(200, get(rig)); // to b
        assertEquals(200, get(rig)); // b again: a still has one in flight (round-robin would pick a)
        assertEquals(List.of(B, B), served(rig));
        a.answerDeferred();
        rig.run();
        assertEquals("a", slow.response().body());
        assertEquals(0, member(rig, A).activeConnections());
      }
    }

    @Test
    void a_retry_goes_to_another_member() {
      try (HttpRig rig = rig("", b -> b.maxRetries(1))) {
        TestOrigin a = rig.origin(A, req -> ok("a"));
        rig.origin(B, req -> ok("b"));
        a.refuse = true;
        HttpRig.Client c = rig.client();
        c.send("GET /x HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        assertEquals("b", c.response().body());
        assertEquals(List.of(A, B), rig.connectAttempts);
        assertEquals(1, member(rig, A).consecutiveFailures());
        assertEquals(0, member(rig, A).activeConnections());
      }
    }

    @Test
    void a_retry_prefers_a_member_not_tried_yet_even_where_the_policy_would_pick_the_same_one_again() {
      try (HttpRig rig = rig("policy=least-connections max-fails=5", b -> b.maxRetries(1))) {
        TestOrigin a = rig.origin(A, req -> "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\na");
        TestOrigin b = rig.origin(B, req -> ok("b"));
        assertEquals(200, get(rig)); // a, answered at once (its connection closes: the next request to a connects)
        b.defer = true;
        HttpRig.Client held = rig.client();
        held.send("GET /held HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run(); // b holds it: b has one in flight, a none
        b.defer = false;
        a.refuse = true;
        HttpRig.Client c = rig.client();
        c.send("GET /x HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        // a (none in flight) was refused; least-connections alone would pick a again, the retry goes to b
        assertEquals("b", c.response().body());
        assertEquals(List.of(A, B, A, B), rig.connectAttempts);
        b.answerDeferred();
        rig.run();
        assertEquals("b", held.response().body());
      }
    }

    @Test
    void a_transaction_that_started_keeps_its_member_count_until_it_ends() {
      try (HttpRig rig = rig("", b -> {})) {
        TestOrigin a = rig.origin(A, req -> ok("a"));
        a.defer = true;
        HttpRig.Client c = rig.client();
        c.send("GET /x HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        assertEquals(1, member(rig, A).activeConnections());
        c.close();
        assertEquals(0, member(rig, A).activeConnections(), "a client that left releases its attempt");
      }
    }
  }

  @Nested
  class PassiveHealth {
    @Test
    void a_member_is_ejected_after_max_fails_consecutive_failures_and_readmitted_after_fail_timeout() {
      try (HttpRig rig = rig("max-fails=2 fail-timeout=10s", b -> b.maxRetries(0))) {
        TestOrigin a = rig.origin(A, req -> ok("a"));
        rig.origin(B, req -> ok("b"));
        a.refuse = true;
        assertEquals(502, get(rig)); // a fails once
        assertEquals(200, get(rig)); // b
        assertEquals(UpstreamGroup.MemberState.UP, member(rig, A).state());
        assertEquals(502, get(rig)); // a fails twice: ejected
        assertEquals(UpstreamGroup.MemberState.EJECTED, member(rig, A).state());
        assertEquals(2, member(rig, A).consecutiveFailures());
        for (int i = 0; i < 3; i++) {
          assertEquals(200, get(rig));
        }
        assertEquals(List.of(A, B, A, B, B, B), served(rig), "no attempt reaches an ejected member");
        a.refuse = false;
        rig.advance(Duration.ofSeconds(9));
        assertEquals(UpstreamGroup.MemberState.EJECTED, member(rig, A).state());
        rig.advance(Duration.ofSeconds(1));
        assertEquals(UpstreamGroup.MemberState.UP, member(rig, A).state());
        assertEquals(0, member(rig, A).consecutiveFailures());
        get(rig);
        get(rig);
        assertTrue(served(rig).subList(6, 8).contains(A), "a is back in turn");
        assertEquals(2, member(rig, A).failures());
      }
    }

    @Test
    void a_response_resets_the_count_of_consecutive_failures() {
      try (HttpRig rig = rig("max-fails=2", b -> b.maxRetries(0))) {
        TestOrigin a = rig.origin(A, req -> ok("a"));
        rig.origin(B, req -> ok("b"));
        a.refuseNext = 1;
        assertEquals(502, get(rig)); // a: 1 failure
        assertEquals(200, get(rig)); // b
        assertEquals(200, get(rig)); // a answers: count back to 0
        assertEquals(0, member(rig, A).consecutiveFailures());
        assertEquals(UpstreamGroup.MemberState.UP, member(rig, A).state());
      }
    }

    @Test
    void a_response_timeout_counts_as_a_failure() {
      try (HttpRig rig = rig("max-fails=1", b -> b.maxRetries(0))) {
        rig.origin(A, req -> null); // never answers
        rig.origin(B, req -> ok("b"));
        HttpRig.Client c = rig.client();
        c.send("GET /x HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        rig.advance(HttpTimeouts.defaults().response());
        assertEquals(504, c.response().status());
        assertEquals(UpstreamGroup.MemberState.EJECTED, member(rig, A).state());
      }
    }

    @Test
    void with_every_member_ejected_the_request_gets_503() {
      try (HttpRig rig = rig("max-fails=1", b -> b.maxRetries(0))) {
        rig.origin(A, req -> ok("a")).refuse = true;
        rig.origin(B, req -> ok("b")).refuse = true;
        assertEquals(502, get(rig));
        assertEquals(502, get(rig));
        assertEquals(503, get(rig));
        assertEquals(2, rig.connectAttempts.size());
        assertEquals("upstream://api", rig.log.get(2).origin(), "no member was chosen");
      }
    }
  }

  @Nested
  class ActiveHealth {
    @Test
    void a_member_whose_check_fails_is_down_until_a_check_passes_again() {
      boolean[] bHealthy = {false};
      try (HttpRig rig = rig("check=/healthz check-interval=5s check-status=204", b -> {})) {
        TestOrigin a = rig.origin(A, req -> req.head().target().equals("/healthz")
            ? "HTTP/1.1 204 No Content\r\n\r\n" : ok("a"));
        TestOrigin b = rig.origin(B, req -> req.head().target().equals("/healthz")
            ? (bHealthy[0] ? "HTTP/1.1 204 No Content\r\n\r\n" : "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n")
            : ok("b"));
        rig.run();
        assertEquals(UpstreamGroup.MemberState.UP, member(rig, A).state());
        assertEquals(UpstreamGroup.MemberState.DOWN, member(rig, B).state());
        assertEquals("status 503, expected 204", member(rig, B).lastCheckFailure());
        assertEquals("api", b.requests.get(0).head().headers().get("Host"));
        for (int i = 0; i < 3; i++) {
          assertEquals(200, get(rig));
        }
        assertEquals(1, b.requests.size(), "only the check reached b");
        assertEquals(4, a.requests.size(), "one check and three requests");
        bHealthy[0] = true;
        rig.advance(Duration.ofSeconds(5));
        assertEquals(UpstreamGroup.MemberState.UP, member(rig, B).state());
        assertNull(member(rig, B).lastCheckFailure());
        assertEquals(2, b.requests.size(), "checked again after the interval, not before");
        get(rig);
        get(rig);
        assertEquals(3, b.requests.size(), "back in turn");
      }
    }

    @Test
    void a_member_that_refuses_or_never_answers_the_check_is_down_and_checks_stop_with_the_proxy() {
      try (HttpRig rig = rig("check=/h check-interval=2s", b -> {})) {
        rig.origin(A, req -> null); // takes the check, never answers
        rig.origin(B, req -> ok("b")).refuse = true;
        rig.run();
        assertEquals(UpstreamGroup.MemberState.DOWN, member(rig, B).state());
        assertTrue(member(rig, B).lastCheckFailure().startsWith("connect failed: ECONNREFUSED"),
            member(rig, B).lastCheckFailure());
        assertEquals(UpstreamGroup.MemberState.UP, member(rig, A).state(), "no verdict before the interval");
        rig.advance(Duration.ofSeconds(2));
        assertEquals(UpstreamGroup.MemberState.DOWN, member(rig, A).state());
        assertEquals("no status line within 2000 ms", member(rig, A).lastCheckFailure());
        assertEquals(503, get(rig));
      } // the rig's close checks that the probes' buffers and connections were all freed
    }
  }

  @Nested
  class Config {
    @Test
    void parse_reads_members_and_options() {
      UpstreamGroup g = UpstreamGroup.parse("api http://a:1 https://b http://[::1]:9/ policy=least-connections "
          + "max-fails=5 fail-timeout=250ms check=/h check-interval=1m check-status=204", () -> 0);
      assertEquals(List.of(new UpstreamGroup.Origin("a", 1, false), new UpstreamGroup.Origin("b", 443, true),
          new UpstreamGroup.Origin("::1", 9, false)), g.origins());
      assertEquals(UpstreamGroup.Policy.LEAST_CONNECTIONS, g.policy());
      assertEquals(5, g.maxFails());
      assertEquals(Duration.ofMillis(250), g.failTimeout());
      assertEquals(new UpstreamGroup.HealthCheck("/h", Duration.ofMinutes(1), 204), g.check().orElseThrow());
      UpstreamGroup d = UpstreamGroup.parse("web http://a", () -> 0);
      assertEquals(UpstreamGroup.Policy.ROUND_ROBIN, d.policy());
      assertEquals(3, d.maxFails());
      assertEquals(Duration.ofSeconds(10), d.failTimeout());
      assertTrue(d.check().isEmpty());
    }

    @Test
    void parse_names_what_is_wrong() {
      assertEquals("upstream api: policy must be round-robin or least-connections, was 'random'",
          assertThrows(IllegalArgumentException.class,
              () -> UpstreamGroup.parse("api http://a policy=random", () -> 0)).getMessage());
      assertEquals("upstream api: unknown option 'weight' (options: policy, max-fails, fail-timeout, check, "
          + "check-interval, check-status)", assertThrows(IllegalArgumentException.class,
              () -> UpstreamGroup.parse("api http://a weight=2", () -> 0)).getMessage());
      assertEquals("upstream api must have 1..64 members, has 0", assertThrows(IllegalArgumentException.class,
          () -> UpstreamGroup.parse("api policy=round-robin", () -> 0)).getMessage());
      assertEquals("upstream api: member must be http://HOST[:PORT] or https://HOST[:PORT], was 'ftp://a'",
          assertThrows(IllegalArgumentException.class,
              () -> UpstreamGroup.parse("api ftp://a", () -> 0)).getMessage());
      assertEquals("upstream api: member http://a/x has a path (the remap rule's target gives the path)",
          assertThrows(IllegalArgumentException.class, () -> UpstreamGroup.parse("api http://a/x", () -> 0))
              .getMessage());
      assertThrows(IllegalArgumentException.class, () -> UpstreamGroup.parse("api http://a http://a", () -> 0));
      assertThrows(IllegalArgumentException.class, () -> UpstreamGroup.parse("api http://a check-interval=1s",
          () -> 0));
      assertThrows(IllegalArgumentException.class, () -> UpstreamGroup.parse("api http://a fail-timeout=0s",
          () -> 0));
    }

    @Test
    void a_remap_rule_to_an_undefined_group_or_two_groups_of_one_name_are_rejected() {
      HttpProxyConfig.Builder b = HttpProxyConfig.builder(new dev.vconn.domain.buffer.BlockPool())
          .remap(RemapRule.parse("http://*/", "upstream://missing/"))
          .upstream(UpstreamGroup.parse("api http://a", () -> 0));
      assertEquals("remap rule */ names upstream missing, which is not defined (defined: api)",
          assertThrows(IllegalArgumentException.class, b::build).getMessage());
      HttpProxyConfig.Builder two = HttpProxyConfig.builder(new dev.vconn.domain.buffer.BlockPool())
          .upstream(UpstreamGroup.parse("api http://a", () -> 0))
          .upstream(UpstreamGroup.parse("api http://b", () -> 0));
      assertEquals("two upstream groups are named api",
          assertThrows(IllegalArgumentException.class, two::build).getMessage());
    }

    @Test
    void a_group_with_a_check_needs_a_health_check_loop() {
      HttpProxyConfig.Builder b = HttpProxyConfig.builder(new dev.vconn.domain.buffer.BlockPool())
          .originConnector((c, host, port, timeout) -> null)
          .upstream(UpstreamGroup.parse("api http://a check=/h", () -> 0));
      assertEquals("upstream api has a health check: it needs an origin connector and a health check loop",
          assertThrows(IllegalArgumentException.class, b::build).getMessage());
    }

    @Test
    void an_upstream_target_parses_to_a_rule_naming_the_group() {
      RemapRule r = RemapRule.parse("http://*/api/", "upstream://backend/v2/");
      assertEquals("backend", r.upstream());
      assertEquals("backend", r.originHost());
      assertEquals("/v2/", r.originPathPrefix());
      assertNull(RemapRule.parse("http://*/", "http://backend/").upstream());
      assertThrows(IllegalArgumentException.class, () -> RemapRule.parse("http://*/", "upstream://b:81/"));
      assertThrows(IllegalArgumentException.class, () -> RemapRule.parse("http://*/", "upstream:///"));
    }
  }
}
